//! The NTK lab: nets of several widths (the chosen one and narrower ones)
//! train on a 1D regression by full-batch gradient descent; at log-spaced
//! checkpoints each one's empirical NTK on the training points is computed
//! on the backend. Shown: the chosen net's Gram matrix and spectrum, the
//! kernel drift `‖Θ_t − Θ_0‖_F/‖Θ_0‖_F` and weight movement of every
//! width, the net's function beside its linearization (kernel regression
//! by gradient flow with `Θ_0`), and the training residual along `Θ_0`'s
//! eigenvectors against the linear theory `e^{−2ηλᵢt/n}`.

mod charts;
mod export;
pub mod jobs;
mod run;
pub mod state;

use gradlab_core::Parameterization;
use leptos::prelude::*;

use self::charts::Chart;
use self::run::Run;
use self::state::{NtkView, ACT, DEPTH, LR, N, PARAM, SEED, STEPS, VIEW, WIDTH};
use crate::kit::controls::{self, ChartFigure, Tex};
use crate::kit::page::PlayButton;
use crate::kit::LabView;
use crate::kit::{use_lab, LabKit, Named};

#[component]
pub fn NtkLab(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let readout = k.watch(Run::readout);
    let shows = move |v: NtkView| k.with(|s| s.view.shows(v));
    // Kernels computed, Play/Pause and Restart (the lab's transport).
    let transport = move || {
        let (playing, status) = (k.lab.playing, k.lab.status);
        view! {
            <div class="progress-row">
                <progress aria-label="kernels computed" max=move || readout.with(|r| r.total.max(1)) value=move || readout.with(|r| r.checkpoints)></progress>
                <span>{move || readout.with(|r| format!("{} / {} kernels", r.checkpoints, r.total))}</span>
                <PlayButton playing=playing status=status />
                <button name="restart" on:click=move |_| k.reset()>"Restart"</button>
            </div>
        }
    };
    let param_note = move || {
        k.with(|s| {
            if s.param == Parameterization::Ntk {
                "Under the NTK parameterization (weights scaled by 1/√fan-in in the forward pass) wider nets move their kernel less: lazy training."
            } else {
                "Under the standard parameterization with a fixed learning rate, wide nets are not lazy in the same way: try NTK parameterization to see drift shrink with width."
            }
        })
    };
    let charts = move || {
        view! {
            <ChartFigure class="chart tangent gram" hidden=move || !shows(NtkView::Kernel) chart=k.chart(Chart::Gram) label="the empirical NTK Gram matrix" name="gradlab-ntk-gram">
                <Tex tex=r"\Theta(x, x') = \nabla_\theta f(x)^\top\, \nabla_\theta f(x')" />" ""The empirical tangent kernel Θ(xᵢ, xⱼ) on the training points (sorted by x), now: nearby inputs share most of their gradient."
            </ChartFigure>
            <ChartFigure class="chart tangent spectrum" hidden=move || !shows(NtkView::Kernel) chart=k.chart(Chart::Spectrum) label="eigenvalues of the NTK" name="gradlab-ntk-spectrum">
                <Tex tex=r"\Theta = \textstyle\sum_i \lambda_i\, v_i v_i^\top,\ \ \lambda_1 \ge \lambda_2 \ge \cdots" />" "{move || format!(
                    "Eigenvalues of Θ, largest first, at initialization and now{}. A few large eigenvalues carry smooth functions of x; the long tail, wiggly ones.",
                    readout.with(|r| r.top.map_or(String::new(), |t| format!(" (λ₁ = {t:.3})")))
                )}
            </ChartFigure>
            <ChartFigure class="chart tangent drift" hidden=move || !shows(NtkView::Drift) chart=k.chart(Chart::Drift) label="kernel drift and weight movement against step" name="gradlab-ntk-drift">
                <Tex tex=r"\frac{\lVert \Theta_t - \Theta_0 \rVert_F}{\lVert \Theta_0 \rVert_F} \ \text{(solid)},\quad \frac{\lVert \theta_t - \theta_0 \rVert}{\lVert \theta_0 \rVert} \ \text{(dashed)}" />" "{move || format!(
                    "Solid: kernel drift ‖Θₜ − Θ₀‖/‖Θ₀‖; dashed: weight movement ‖θₜ − θ₀‖/‖θ₀‖, for each width. {}",
                    param_note()
                )}
            </ChartFigure>
            <ChartFigure class="chart tangent function" hidden=move || !shows(NtkView::Function) chart=k.chart(Chart::Function) label="the network's function beside its linearization" name="gradlab-ntk-function">
                <Tex tex=r"f_{\mathrm{lin}}(x) = f_0(x) + \Theta_0(x, X)\, \Theta_0^{-1} \big(I - e^{-2\eta\Theta_0 t/n}\big) \big(y - f_0(X)\big)" />" ""The net f (solid) and its linearization f_lin around the initial weights after the same steps (dashed); grey: kernel regression (t = ∞). The wider and lazier the net, the closer they stay."
            </ChartFigure>
            <ChartFigure class="chart tangent bias" hidden=move || !shows(NtkView::Bias) chart=k.chart(Chart::Bias) label="residual along the kernel's eigenvectors against step" name="gradlab-ntk-spectral-bias">
                <Tex tex=r"\big\langle v_i,\, y - f_t(X) \big\rangle \approx e^{-2\eta\lambda_i t/n}\, \big\langle v_i,\, y - f_0(X) \big\rangle" />" ""Spectral bias: the training residual's component along Θ₀'s i-th eigenvector, relative to its start (solid), against the linear theory e^{−2ηλᵢt/n} (dashed: gradient flow; discrete steps shrink it by 1 − 2ηλᵢ/n each, a little faster for the top directions). Large-eigenvalue (smooth) directions are learned first."
            </ChartFigure>
        }
    };
    let controls = move || {
        view! {
            {controls::network(settings, &WIDTH, &DEPTH, &ACT, &PARAM)}
                <fieldset>
                    <legend>"Training (gradient descent, MSE)"</legend>
                    {N.slider(settings)}
                    {LR.slider(settings)}
                    {STEPS.slider(settings)}
                    {controls::seed(settings, &SEED)}
                    {VIEW.select(settings)}
                </fieldset>
        }
    };
    let mut parts = k.parts("ntk", ViewFn::from(controls), ViewFn::from(charts));
    parts.transport = ViewFn::from(transport);
    parts.views_data = vec![
        ("data-view", Signal::derive(move || k.with(|s| s.view.name().to_owned()))),
        ("data-checkpoints", Signal::derive(move || readout.with(|r| r.checkpoints.to_string()))),
        ("data-total", Signal::derive(move || readout.with(|r| r.total.to_string()))),
        ("data-drift", Signal::derive(move || readout.with(|r| r.drift.map(|d| d.to_string()).unwrap_or_default()))),
    ];
    k.page(parts)
}
