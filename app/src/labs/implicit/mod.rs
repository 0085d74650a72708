//! The implicit-bias lab: which of the many zero-loss solutions gradient
//! descent finds, in three problems with exact answers
//! ([`gradlab_core::implicit`]): underdetermined least squares (the
//! minimum-norm solution, or the one nearest the start), logistic
//! regression on separable data (the hard-margin SVM direction, like
//! `1/log t`), and factorized matrix completion (low rank from a small
//! initialization, not from a large one).

mod charts;
mod export;
mod lstsq;
mod margin;
mod matrix;
mod run;
pub mod state;

use leptos::prelude::*;

use self::charts::Chart;
use self::run::Run;
use self::state::*;
use crate::kit::controls::{self, ChartFigure, Tex};
use crate::kit::{use_lab, LabKit, LabView, Named};

#[component]
pub fn ImplicitLab(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let readout = k.watch(Run::readout);
    let shows = move |v: ImplicitView| k.with(|s| s.view.shows(v));
    let lstsq_said = move || {
        readout.with(|r| {
            r.lstsq.map_or(String::new(), |(mn, near, res)| {
                let from_zero = k.with(|s| s.init == 0.0);
                if from_zero {
                    format!("Now ‖x − x_min-norm‖/‖x_min-norm‖ = {mn:.2e}, residual {res:.1e}.")
                } else {
                    format!("Now ‖x − proj(x₀)‖/‖proj(x₀)‖ = {near:.2e}, ‖x − x_min-norm‖/‖x_min-norm‖ = {mn:.2e}, residual {res:.1e}.")
                }
            })
        })
    };
    let nuclear_said = move || {
        readout.with(|r| match r.nuclear_min {
            Some(v) => format!("The minimum nuclear norm completion (ADMM in f64) has ‖X*‖_* = {v:.4}."),
            None => "Computing the minimum nuclear norm completion (ADMM in f64)…".to_owned(),
        })
    };
    let charts = move || {
        view! {
            <ChartFigure class="chart implicit plane" hidden=move || !shows(ImplicitView::Lstsq) chart=k.chart(Chart::Plane) label="the solution set, the minimum-norm point and the optimizer's path" name="gradlab-implicit-plane">
                <Tex tex=r"x_{\min} = A^{+} b = A^\top (A A^\top)^{-1} b, \qquad \mathrm{proj}(x_0) = x_0 + A^{+}(b - A x_0)" />" "
                "The solutions of Ax = b (a line or plane), the minimum-norm solution (blue), the start x₀ (grey), its projection onto the solutions, and the optimizer's path (orange). Gradient descent only moves in the row space of A, so it lands on proj(x₀); from x₀ = 0 that is the minimum-norm point."
            </ChartFigure>
            <ChartFigure class="chart implicit distance" hidden=move || !shows(ImplicitView::Lstsq) chart=k.chart(Chart::Distance) label="distance to the minimum-norm solution against step" name="gradlab-implicit-distance">
                <Tex tex=r"\lVert x_t - x_{\min} \rVert,\ \ \lVert x_t - \mathrm{proj}(x_0) \rVert,\ \ \lVert A x_t - b \rVert" />" "
                {move || format!("Distances to the exact answers and the residual, against step. Gradient descent and heavy ball converge to proj(x₀); Adam and sign descent rescale each coordinate, leave the row space, and land elsewhere on the solution set. {}", lstsq_said())}
            </ChartFigure>
            <ChartFigure class="chart implicit data" hidden=move || !shows(ImplicitView::Margin) chart=k.chart(Chart::Data) label="separable data, each optimizer's boundary and the SVM's" name="gradlab-implicit-margin-data">
                <Tex tex=r"\hat w = \arg\min \lVert w \rVert \ \ \text{s.t.}\ \ y_i \langle w, x_i \rangle \ge 1" />" "
                "Separable points, the hard-margin SVM through the origin (dashed, with its margins and ringed support vectors, solved exactly), and each optimizer's boundary now. The logistic loss has no minimum here: the weights grow forever, and only their direction settles."
            </ChartFigure>
            <ChartFigure class="chart implicit angle" hidden=move || !shows(ImplicitView::Margin) chart=k.chart(Chart::Angle) label="angle to the SVM direction against step" name="gradlab-implicit-angle">
                <Tex tex=r"w_t = \hat w \log t + \tilde w + o(1) \ \Rightarrow\ \angle(w_t, \hat w) = O(1/\log t)" />" "
                "The angle between w and the SVM direction (Soudry et al. 2018), with C/log t through gradient descent's latest point: halving the angle takes squaring the number of steps. Normalized GD, whose steps do not shrink as the loss does, gets there far faster. Adam levels off: it is not drawn to the ℓ₂ max-margin direction."
            </ChartFigure>
            <ChartFigure class="chart implicit norm" hidden=move || !shows(ImplicitView::Margin) chart=k.chart(Chart::Norm) label="the weights' norm against step" name="gradlab-implicit-norm">
                <Tex tex=r"\lVert w_t \rVert \sim \log t \ \ \text{(GD)}" />" "
                "‖w‖ against step: gradient descent's grows like log t; normalized GD's, linearly."
            </ChartFigure>
            <ChartFigure class="chart implicit margin" hidden=move || !shows(ImplicitView::Margin) chart=k.chart(Chart::Margin) label="the normalized margin against step" name="gradlab-implicit-normalized-margin">
                <Tex tex=r"\gamma(w) = \min_i y_i \langle w, x_i \rangle / \lVert w \rVert \ \to\ 1/\lVert \hat w \rVert" />" "
                "The normalized margin (from when every point is on its side) climbs toward the SVM's (dashed)."
            </ChartFigure>
            <ChartFigure class="chart implicit matrices" hidden=move || !shows(ImplicitView::Matrix) chart=k.chart(Chart::Matrices) label="the target, the seen entries and the completion" name="gradlab-implicit-matrices">
                <Tex tex=r"\min_{U}\ \tfrac{1}{2p} \lVert P_\Omega(U U^\top - T) \rVert_F^2" />" "
                "The rank-r target T, the entries seen (each drawn with the set probability, its mirror seen with it as T is symmetric), and the first model's X now, on the target's colour scale. Every completion of the seen entries has zero loss."
            </ChartFigure>
            <ChartFigure class="chart implicit singular" hidden=move || !shows(ImplicitView::Matrix) chart=k.chart(Chart::Singular) label="singular values of X against step" name="gradlab-implicit-singular">
                <Tex tex=r"X_t = \textstyle\sum_k \sigma_k(t)\, u_k v_k^\top" />" "
                "The first model's singular values against step, and the target's (dashed). From a small α they are learned one at a time, largest first, each after a plateau (incremental, saddle-to-saddle learning); the others stay small."
            </ChartFigure>
            <ChartFigure class="chart implicit error" hidden=move || !shows(ImplicitView::Matrix) chart=k.chart(Chart::Error) label="error on the unseen entries against step" name="gradlab-implicit-error">
                <Tex tex=r"\lVert P_{\Omega^\perp}(X_t - T) \rVert_F \,/\, \lVert P_{\Omega^\perp}(T) \rVert_F" />" "
                "Relative error on the entries never seen, for each initialization scale: small α recovers them; α = 1 keeps its random start where nothing constrains it."
            </ChartFigure>
            <ChartFigure class="chart implicit rank" hidden=move || !shows(ImplicitView::Matrix) chart=k.chart(Chart::Rank) label="effective rank against step" name="gradlab-implicit-rank">
                <Tex tex=r"\operatorname{erank}(X) = \exp\!\big(-\textstyle\sum_k p_k \log p_k\big),\ \ p_k = \sigma_k / \textstyle\sum_j \sigma_j" />" "
                "Effective rank (Roy & Vetterli 2007) for each α."
            </ChartFigure>
            <ChartFigure class="chart implicit nuclear" hidden=move || !shows(ImplicitView::Matrix) chart=k.chart(Chart::Nuclear) label="nuclear norm against step" name="gradlab-implicit-nuclear">
                <Tex tex=r"\lVert X \rVert_* = \textstyle\sum_k \sigma_k, \qquad X^* = \arg\min \lVert X \rVert_* \ \ \text{s.t.}\ \ P_\Omega(X) = P_\Omega(T)" />" "
                {move || format!("Nuclear norm for each α, the target's, and the minimum nuclear norm completion's (dashed). Small-α descent ends near the minimum, but not always on it: where few entries are seen its completion has lower rank and a slightly larger nuclear norm than X* (Arora et al. 2019). {}", nuclear_said())}
            </ChartFigure>
        }
    };
    let controls = move || {
        view! {
            <fieldset class:hidden=move || !shows(ImplicitView::Lstsq)>
                <legend>"Least squares: Ax = b, m < n"</legend>
                {M.slider(settings)}
                {N.slider(settings)}
                {move || k.with(|s| (s.m != s.equations()).then(|| view! {
                    <p class="note">{format!("m = {} is not fewer than n = {}: using m = {}.", s.m, s.n, s.equations())}</p>
                }))}
                {INIT.slider(settings)}
                {OPT.select(settings)}
                {LR.slider(settings)}
                {STEPS.slider(settings)}
            </fieldset>
            <fieldset class:hidden=move || !shows(ImplicitView::Margin)>
                <legend>"Separable classification (logistic loss, from w = 0)"</legend>
                {POINTS.slider(settings)}
                {MARGIN.slider(settings)}
                {MARGIN_LR.slider(settings)}
                {MARGIN_STEPS.slider(settings)}
            </fieldset>
            <fieldset class:hidden=move || !shows(ImplicitView::Matrix)>
                <legend>"Matrix completion (gradient descent)"</legend>
                {SIZE.slider(settings)}
                {RANK.slider(settings)}
                {OBSERVED.slider(settings)}
                {DEPTH.slider(settings)}
                {ALPHA.slider(settings)}
                {MATRIX_LR.slider(settings)}
                {MATRIX_STEPS.slider(settings)}
            </fieldset>
            <fieldset>
                <legend>"Experiment"</legend>
                {controls::seed(settings, &SEED)}
                {VIEW.select(settings)}
                <p class="note">"Least squares and the separable problem are small: they are solved in f64 on the CPU, in a slice of each frame. Matrix completion trains on the GPU when the badge names WebGPU (in f32, every α as one batch), otherwise in f64 on the CPU; the minimum nuclear norm completion is always computed in f64 on the CPU."</p>
            </fieldset>
        }
    };
    let mut parts = k.parts("implicit", ViewFn::from(controls), ViewFn::from(charts));
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    parts.views_data = vec![
        ("data-view", Signal::derive(move || k.with(|s| s.view.name().to_owned()))),
        ("data-lstsq-min-norm", Signal::derive(move || readout.with(|r| num(r.lstsq.map(|l| l.0))))),
        ("data-lstsq-dims", Signal::derive(move || readout.with(|r| r.lstsq_dims.map(|(m, n)| format!("{m}x{n}")).unwrap_or_default()))),
        ("data-lstsq-nearest", Signal::derive(move || readout.with(|r| num(r.lstsq.map(|l| l.1))))),
        ("data-margin-angles", Signal::derive(move || readout.with(|r| r.angles.iter().map(f64::to_string).collect::<Vec<_>>().join(",")))),
        ("data-matrix-error", Signal::derive(move || readout.with(|r| num(r.matrix.map(|m| m.0))))),
        ("data-matrix-rank", Signal::derive(move || readout.with(|r| num(r.matrix.map(|m| m.1))))),
        ("data-nuclear-min", Signal::derive(move || readout.with(|r| num(r.nuclear_min)))),
        ("data-matrix-on", Signal::derive(move || readout.with(|r| r.matrix_on.unwrap_or_default().to_owned()))),
    ];
    k.page(parts)
}
