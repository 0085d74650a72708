//! The double-descent lab: exact random-features curves, model-wise
//! (sweep the number of features p at fixed n) and sample-wise (sweep n at
//! fixed p), as median and quartile band over seeds, computed off the
//! main thread a point at a time and redrawn as they fill in. The label noise σ enters
//! every error as a quadratic, so dragging it redraws at once.
//!
//! Optionally, real two-layer nets of every width and seed train beside it
//! (readout only or every layer), their errors drawn as markers over the
//! exact curve as they train, and test error against step for a few widths
//! (epoch-wise).

mod charts;
mod export;
pub mod jobs;
mod run;
pub mod state;

use gradlab_core::double_descent::Feature;
use leptos::prelude::*;

use self::run::{Run, SweepPhase};
use self::state::{DdView, Train, D, FEATURE, N, NOISE, P, RIDGE, RIDGE_MIN, SEED, SEEDS, STEPS, TEACHER, TRAIN};
use crate::kit::controls::{self, ChartFigure, Scale, Tex};
use crate::kit::LabView;
use crate::kit::{use_lab, LabKit};

/// The ridge slider: position 0 is λ = 0, then log steps up to the maximum.
fn ridge_at(position: f64) -> f64 {
    let steps = f64::from(RIDGE.steps);
    if position < 0.5 {
        0.0
    } else {
        RIDGE_MIN * (RIDGE.hi / RIDGE_MIN).powf((position - 1.0) / (steps - 1.0))
    }
}

fn ridge_position(ridge: f64) -> f64 {
    if ridge <= 0.0 {
        0.0
    } else {
        1.0 + (ridge / RIDGE_MIN).ln() / (RIDGE.hi / RIDGE_MIN).ln() * (f64::from(RIDGE.steps) - 1.0)
    }
}

#[component]
pub fn DoubleDescent(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let progress = k.watch(Run::readout);
    let shows = move |v: DdView| k.with(|s| s.view.shows(v));
    // The fit both curves show, and its features (scaled by 1/√p, plus an
    // intercept).
    let fit_tex = move || {
        if k.with(|s| s.ridge > 0.0) {
            r"\hat a = \arg\min_a \tfrac{1}{n}\lVert \Phi a - y \rVert^2 + \lambda \lVert a \rVert^2"
        } else {
            r"\hat a = \Phi^{+} y = \arg\min \{ \lVert a \rVert : a \text{ minimizes } \lVert \Phi a - y \rVert \}"
        }
    };
    let features_tex = r"\Phi = \tfrac{1}{\sqrt{p}}\big[\sigma(X W^\top),\ \mathbf{1}\big] \in \mathbb{R}^{n \times (p+1)}";
    let charts = move || {
        view! {
            <ChartFigure class="chart dd model" hidden=move || !shows(DdView::Model) chart=k.chart(DdView::Model) label="test and train error against the number of features" name="gradlab-dd-model-wise">
                <Tex tex=fit_tex /><Tex tex=features_tex />" "{move || k.with(|s| format!(
                    "Model-wise: n = {} noisy samples, p random {} features, readout fitted by {} (median and quartiles over {} seeds). At p ≈ n the model first interpolates the noise: the smallest singular value of the feature matrix vanishes and the test error peaks. Past it, the minimum-norm interpolant (where gradient descent from zero converges) gets smoother as p grows, and the test error descends again.{}",
                    s.n,
                    if s.feature == Feature::Relu { "ReLU" } else { "tanh" },
                    if s.ridge > 0.0 { format!("ridge λ = {:.1e}", s.ridge) } else { "minimum-norm least squares".into() },
                    s.seeds,
                    if s.ridge > 0.0 { " Ridge caps the readout's norm, which is what removes the peak." } else { "" },
                ))}{move || k.with(|s| match s.train {
                    Train::Off => String::new(),
                    Train::Readout => format!(
                        " Markers: two-layer nets of each width with the same features frozen, readout trained from zero by gradient descent (momentum 0.9) for {} steps. They land on the exact curve; right at p ≈ n, where gradient descent needs ever more steps, a finite run stops early and sits below the peak, like a small ridge.",
                        s.steps
                    ),
                    Train::Full => format!(
                        " Markers: two-layer nets with every layer trained from the standard init for {} steps. Their interpolation threshold counts parameters, not features: p(d + 2) + 1 = n at p ≈ {:.1}.",
                        s.steps, s.params_threshold()
                    ),
                })}
            </ChartFigure>
            <ChartFigure class="chart dd sample" hidden=move || !shows(DdView::Sample) chart=k.chart(DdView::Sample) label="test and train error against the number of samples" name="gradlab-dd-sample-wise">
                <Tex tex=fit_tex /><Tex tex=features_tex />" "{move || k.with(|s| format!(
                    "Sample-wise: p = {} features, n samples. More data can hurt: near n = p the model is forced to interpolate with almost no slack, and the test error peaks there.",
                    s.p
                ))}
            </ChartFigure>
            <ChartFigure class="chart dd epoch" hidden=move || !shows(DdView::Epoch) || k.with(|s| s.train == Train::Off) chart=k.chart(DdView::Epoch) label="test error against training step for a few widths" name="gradlab-dd-epoch-wise">
                <Tex tex=move || if k.with(|s| s.train == Train::Full) { r"\theta_{t+1} = \theta_t - \eta\, \nabla_\theta\, \tfrac{1}{n} \lVert f_{\theta_t}(X) - y \rVert^2 \ \text{(every layer)}" } else { r"a_t \xrightarrow{\ t \to \infty\ } \Phi^{+} y \ \text{ for gradient descent from } a_0 = 0" } />" "{move || k.with(|s| format!(
                    "Epoch-wise: test error (median over seeds) against training step for a few widths. Training time acts like an inverse ridge: early on every net is smooth; the net at p ≈ n fits the label noise last and its test error climbs late (then, given enough steps, to the peak of the model-wise curve){}.",
                    if s.train == Train::Full { ", while nets far from the threshold settle" } else { ", while nets far from the threshold converge fast and stay low" }
                ))}
            </ChartFigure>
        }
    };

    let no_exact = move || progress.with(|p| p.ran && p.total == 0);
    let bar = move || {
        view! {
            <div class="progress-row">
                <progress aria-label="exact curve points computed" class:hidden=no_exact max=move || progress.with(|p| p.total.max(1)) value=move || progress.with(|p| p.points)></progress>
                <span class:hidden=no_exact>{move || progress.with(|p| if p.ran && p.points >= p.total { "exact curves done".to_owned() } else { format!("exact: {} / {} points", p.points, p.total) })}</span>
                <progress class="sweep" aria-label="training steps of the sweep" class:hidden=move || progress.with(|p| p.sweep == SweepPhase::Off)
                    max=move || progress.with(|p| p.sweep_total.max(1) as f64) value=move || progress.with(|p| p.sweep_steps as f64)></progress>
                <span class:hidden=move || progress.with(|p| p.sweep == SweepPhase::Off)>{move || progress.with(|p| match p.sweep {
                    SweepPhase::Done => "nets trained".to_owned(),
                    SweepPhase::Failed => "training stopped".to_owned(),
                    SweepPhase::Starting => "preparing nets…".to_owned(),
                    _ => format!("nets: {:.0}%", 100.0 * p.sweep_steps as f64 / p.sweep_total.max(1) as f64),
                })}</span>
            </div>
        }
    };
    let controls = move || {
        view! {
            {controls::fieldset("Data", settings, &[&N, &D, &NOISE, &TEACHER])}
                <fieldset>
                    <legend>"Model"</legend>
                    {FEATURE.select(settings)}
                    <controls::Slider label=RIDGE.label name=RIDGE.key value=Signal::derive(move || k.with(|s| ridge_position(s.ridge)))
                        scale=Scale { min: 0.0, max: f64::from(RIDGE.steps), steps: RIDGE.steps, log: false }
                        format=|v| { let r = ridge_at(v); if r == 0.0 { "0 (min-norm)".into() } else { format!("{r:.0e}") } }
                        on_change=Callback::new(move |v| k.set(|s| s.ridge = ridge_at(v))) />
                    {P.slider(settings)}
                    {SEEDS.slider(settings)}
                    {controls::seed(settings, &SEED)}
                </fieldset>
                {controls::fieldset("Trained nets", settings, &[&TRAIN, &STEPS])}
        }
    };
    let mut parts = k.parts("dd-lab", ViewFn::from(controls), ViewFn::from(charts));
    (parts.transport, parts.transport_above) = (ViewFn::from(bar), true);
    parts.root_data = vec![
        ("data-points", Signal::derive(move || progress.with(|p| p.points.to_string()))),
        ("data-total", Signal::derive(move || progress.with(|p| p.total.to_string()))),
        ("data-sweep", Signal::derive(move || progress.with(|p| p.sweep.name().to_owned()))),
        ("data-sweep-steps", Signal::derive(move || progress.with(|p| p.sweep_steps.to_string()))),
        ("data-sweep-total", Signal::derive(move || progress.with(|p| p.sweep_total.to_string()))),
    ];
    k.page(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ridge_slider_spans_zero_and_its_range() {
        assert_eq!(ridge_at(0.0), 0.0);
        assert!((ridge_at(1.0) - RIDGE_MIN).abs() < 1e-12);
        assert!((ridge_at(f64::from(RIDGE.steps)) - RIDGE.hi).abs() < 1e-9);
        for r in [1e-6, 1e-3, 0.5, 10.0] {
            assert!((ridge_at(ridge_position(r)) / r - 1.0).abs() < 1e-9, "{r}");
        }
    }
}
