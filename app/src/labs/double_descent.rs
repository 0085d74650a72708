//! The double-descent lab: exact random-features curves, model-wise
//! (sweep the number of features p at fixed n) and sample-wise (sweep n at
//! fixed p), as median and quartile band over seeds, computed in the page
//! a point at a time and redrawn as they fill in. The label noise σ enters
//! every error as a quadratic, so dragging it redraws at once.
//!
//! Optionally, real two-layer nets of every width and seed train beside it
//! ([`SweepRun`]: readout only or every layer), their errors drawn as
//! markers over the exact curve as they train, and test error against
//! step for a few widths (epoch-wise).

use std::rc::Rc;

use gradlab_core::double_descent::trained::Training;
use gradlab_core::double_descent::{bands, feature_counts, sample_counts, Band, Errors, Feature, SeedCurve, Sweep, Teacher};
use leptos::html::Canvas;
use leptos::prelude::*;
use serde::Serialize;

use super::shell::{self, HostHooks, Notices, Status, Topbar};
use crate::charts::double_descent::{draw_curve, Curve};
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::{self, Surface, SERIES};
use crate::components::{fmt_frac, fmt_int, ChartFigure, Choice, Scale, SeedInput, Slider, Tex};
use crate::engine::Backend;
use crate::state::{self, DdState, DdView};
use crate::sweep::SweepRun;
use crate::web;

/// Milliseconds of a frame spent computing curve points...
const BUDGET_MS: f64 = 12.0;
/// ... and training nets on the CPU.
const SWEEP_BUDGET_MS: f64 = 10.0;
/// Log-spaced points of each curve (plus the dense ones at the threshold).
const POINTS: usize = 24;

/// The ridge slider: position 0 is λ = 0, then log steps up to the maximum.
const RIDGE_STEPS: f64 = 70.0;

fn ridge_at(position: f64) -> f64 {
    let (lo, hi) = state::DD_RIDGE;
    if position < 0.5 {
        0.0
    } else {
        lo * (hi / lo).powf((position - 1.0) / (RIDGE_STEPS - 1.0))
    }
}

fn ridge_position(ridge: f64) -> f64 {
    let (lo, hi) = state::DD_RIDGE;
    if ridge <= 0.0 {
        0.0
    } else {
        1.0 + (ridge / lo).ln() / (hi / lo).ln() * (RIDGE_STEPS - 1.0)
    }
}

/// One curve being computed over seeds.
struct Series {
    xs: Vec<usize>,
    done: Vec<SeedCurve>,
    running: Option<Sweep>,
    next_seed: usize,
}

impl Series {
    fn new(xs: Vec<usize>) -> Self {
        Self { xs, done: Vec::new(), running: None, next_seed: 0 }
    }

    /// The curves so far (finished seeds and the one in progress), at σ.
    fn errors(&self, sigma: f64) -> Vec<Errors> {
        self.done.iter().chain(self.running.as_ref().map(Sweep::curve)).map(|c| c.at(sigma)).collect()
    }

    fn points_done(&self) -> usize {
        self.done.iter().chain(self.running.as_ref().map(Sweep::curve)).map(|c| c.test.len()).sum()
    }
}

#[derive(Default)]
struct Runner {
    state: Option<DdState>,
    model: Option<Series>,
    sample: Option<Series>,
    backend: Option<Rc<Backend>>,
    sweep: Option<SweepRun>,
    /// The sweep could not start, or stopped (a notice says why); cleared
    /// when the settings change.
    sweep_failed: bool,
    redraw: bool,
}

/// Progress, mirrored in `data-points` / `data-total` / `data-phase`, and
/// the trained sweep's in `data-sweep` / `data-sweep-steps` / `data-sweep-total`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Progress {
    /// Set by the first frame (before it, nothing is known to be done).
    ran: bool,
    points: usize,
    total: usize,
    sweep: SweepPhase,
    sweep_steps: u64,
    sweep_total: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum SweepPhase {
    #[default]
    Off,
    Starting,
    Running,
    Done,
    Failed,
}

impl SweepPhase {
    fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// The widths the trained sweep shows over time: nearest to n/4, n and 4n
/// (and, in full training, to where the parameter count reaches n).
fn epoch_widths(s: &DdState, trained: &[usize]) -> Vec<usize> {
    let mut targets = vec![s.n as f64 / 4.0, s.n as f64, 4.0 * s.n as f64];
    if s.train == Some(Training::Full) {
        targets.insert(0, params_threshold(s));
    }
    let mut out: Vec<usize> = targets
        .iter()
        .filter_map(|&t| trained.iter().copied().min_by(|a, b| ((*a as f64 / t).ln().abs()).total_cmp(&(*b as f64 / t).ln().abs())))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The width at which a two-layer net's parameters `p(d + 2) + 1` number n.
fn params_threshold(s: &DdState) -> f64 {
    ((s.n as f64 - 1.0) / (s.d as f64 + 2.0)).max(1.0)
}

/// Medians and bands of one curve, for export.
#[derive(Serialize)]
struct Exported<'a> {
    x: &'a [usize],
    train: Vec<Band>,
    test: Vec<Band>,
}

#[component]
pub fn DoubleDescent(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let (initial, first_messages) = DdState::from_query(&web::search());
    let settings = RwSignal::new(initial);
    let messages = RwSignal::new(first_messages);
    let status = RwSignal::new(Status::default());
    let progress = RwSignal::new(Progress::default());
    let model_canvas = NodeRef::<Canvas>::new();
    let sample_canvas = NodeRef::<Canvas>::new();
    let runner = StoredValue::new_local(Runner::default());

    Effect::new(move |_| {
        let s = settings.get();
        shell::show_in_url(&s.to_query(), embed);
        runner.update_value(|r| {
            let same = r.state.as_ref().is_some_and(|old| DdState { noise: s.noise, view: s.view, ..old.clone() } == s);
            if !same {
                let cfg = s.config();
                r.model = s.view.shows(DdView::Model).then(|| Series::new(feature_counts(cfg.n, 10.0, POINTS)));
                r.sample = s.view.shows(DdView::Sample).then(|| Series::new(sample_counts(s.p, POINTS)));
            }
            if s.train.is_none() || !r.state.as_ref().is_some_and(|old| old.same_sweep(&s)) {
                r.sweep = None;
                r.sweep_failed = false;
            }
            r.state = Some(s);
            r.redraw = true;
        });
    });
    shell::find_backend(status, messages, move |backend| runner.update_value(|r| r.backend = Some(backend)));
    shell::listen_to_host(HostHooks { apply: shell::apply_query(settings, messages, DdState::from_query), status, transport: None });
    shell::on_resize(move || runner.update_value(|r| r.redraw = true));
    let epoch_canvas = NodeRef::<Canvas>::new();
    web::animation_loop(move |_| runner.update_value(|r| frame(r, progress, messages, [model_canvas, sample_canvas, epoch_canvas])));

    let set = move |f: fn(&mut DdState, f64)| Callback::new(move |v: f64| settings.update(|s| f(s, v)));
    let get = move |f: fn(&DdState) -> f64| Signal::derive(move || settings.with(f));
    let shows = move |v: DdView| settings.with(|s| s.view.shows(v));

    let export = move |json: bool| {
        runner.with_value(|r| {
            let Some(s) = &r.state else { return };
            fn exported<'a>(series: &'a Option<Series>, sigma: f64) -> Option<Exported<'a>> {
                series.as_ref().map(|se| {
                    let (train, test) = bands(&se.errors(sigma));
                    Exported { x: &se.xs, train, test }
                })
            }
            let curve = |series| exported(series, s.noise);
            let (model, sample) = (curve(&r.model), curve(&r.sample));
            let trained = r.sweep.as_ref().map(|sw| {
                let latest = sw.latest();
                let epochs: Vec<(usize, Vec<(u64, f64)>)> = sw.widths().into_iter().map(|w| (w, sw.test_over_time(w))).collect();
                (latest, epochs)
            });
            if json {
                let trained_json = trained.as_ref().map(|(latest, epochs)| {
                    serde_json::json!({
                        "training": DdState::training_name(s.train),
                        "steps": s.steps,
                        "model_wise": latest.iter().map(|(p, tr, te)| serde_json::json!({ "p": p, "train": tr, "test": te })).collect::<Vec<_>>(),
                        "epoch_wise": epochs.iter().map(|(p, pts)| serde_json::json!({
                            "p": p,
                            "step": pts.iter().map(|q| q.0).collect::<Vec<_>>(),
                            "test_median": pts.iter().map(|q| q.1).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })
                });
                let body = serde_json::json!({ "settings": s.to_query(), "model_wise": model, "sample_wise": sample, "trained": trained_json });
                web::download("double-descent.json", "application/json", &body.to_string());
            } else {
                let mut csv = String::from("curve,x,train_median,train_q25,train_q75,test_median,test_q25,test_q75\n");
                for (name, c) in [("model_wise_p", &model), ("sample_wise_n", &sample)] {
                    if let Some(c) = c {
                        for (i, (tr, te)) in c.train.iter().zip(&c.test).enumerate() {
                            csv.push_str(&format!(
                                "{name},{},{},{},{},{},{},{}\n",
                                c.x[i], tr.median, tr.lo, tr.hi, te.median, te.lo, te.hi
                            ));
                        }
                    }
                }
                if let Some((latest, epochs)) = &trained {
                    for (p, tr, te) in latest {
                        csv.push_str(&format!("trained_p,{p},{},{},{},{},{},{}\n", tr.median, tr.lo, tr.hi, te.median, te.lo, te.hi));
                    }
                    for (p, pts) in epochs {
                        for (step, test) in pts {
                            csv.push_str(&format!("epoch_step_p{p},{step},,,,{test},,\n"));
                        }
                    }
                }
                web::download("double-descent.csv", "text/csv", &csv);
            }
        });
    };

    let svg = move |view: DdView| {
        Callback::new(move |size| {
            runner.with_value(|r| match &r.state {
                Some(s) => charts::svg(size, |surface| draw_view(r, s, view, surface)),
                None => charts::svg(size, |_| {}),
            })
        })
    };
    // The fit both curves show, and its features (scaled by 1/√p, plus an
    // intercept).
    let fit_tex = move || {
        if settings.with(|s| s.ridge > 0.0) {
            r"\hat a = \arg\min_a \tfrac{1}{n}\lVert \Phi a - y \rVert^2 + \lambda \lVert a \rVert^2"
        } else {
            r"\hat a = \Phi^{+} y = \arg\min \{ \lVert a \rVert : a \text{ minimizes } \lVert \Phi a - y \rVert \}"
        }
    };
    let features_tex = r"\Phi = \tfrac{1}{\sqrt{p}}\big[\sigma(X W^\top),\ \mathbf{1}\big] \in \mathbb{R}^{n \times (p+1)}";
    let charts = move || {
        view! {
            <ChartFigure class="chart dd model" hidden=move || !shows(DdView::Model) canvas=model_canvas label="test and train error against the number of features" name="gradlab-dd-model-wise" svg=svg(DdView::Model)>
                <Tex tex=fit_tex /><Tex tex=features_tex />" "{move || settings.with(|s| format!(
                    "Model-wise: n = {} noisy samples, p random {} features, readout fitted by {} (median and quartiles over {} seeds). At p ≈ n the model first interpolates the noise: the smallest singular value of the feature matrix vanishes and the test error peaks. Past it, the minimum-norm interpolant (where gradient descent from zero converges) gets smoother as p grows, and the test error descends again.{}",
                    s.n,
                    if s.feature == Feature::Relu { "ReLU" } else { "tanh" },
                    if s.ridge > 0.0 { format!("ridge λ = {:.1e}", s.ridge) } else { "minimum-norm least squares".into() },
                    s.seeds,
                    if s.ridge > 0.0 { " Ridge caps the readout's norm, which is what removes the peak." } else { "" },
                ))}{move || settings.with(|s| match s.train {
                    None => String::new(),
                    Some(Training::Readout) => format!(
                        " Markers: two-layer nets of each width with the same features frozen, readout trained from zero by gradient descent (momentum 0.9) for {} steps. They land on the exact curve; right at p ≈ n, where gradient descent needs ever more steps, a finite run stops early and sits below the peak, like a small ridge.",
                        s.steps
                    ),
                    Some(Training::Full) => format!(
                        " Markers: two-layer nets with every layer trained from the standard init for {} steps. Their interpolation threshold counts parameters, not features: p(d + 2) + 1 = n at p ≈ {:.1}.",
                        s.steps, params_threshold(s)
                    ),
                })}
            </ChartFigure>
            <ChartFigure class="chart dd sample" hidden=move || !shows(DdView::Sample) canvas=sample_canvas label="test and train error against the number of samples" name="gradlab-dd-sample-wise" svg=svg(DdView::Sample)>
                <Tex tex=fit_tex /><Tex tex=features_tex />" "{move || settings.with(|s| format!(
                    "Sample-wise: p = {} features, n samples. More data can hurt: near n = p the model is forced to interpolate with almost no slack, and the test error peaks there.",
                    s.p
                ))}
            </ChartFigure>
            <ChartFigure class="chart dd epoch" hidden=move || !shows(DdView::Epoch) || settings.with(|s| s.train.is_none()) canvas=epoch_canvas label="test error against training step for a few widths" name="gradlab-dd-epoch-wise" svg=svg(DdView::Epoch)>
                <Tex tex=move || if settings.with(|s| s.train == Some(Training::Full)) { r"\theta_{t+1} = \theta_t - \eta\, \nabla_\theta\, \tfrac{1}{n} \lVert f_{\theta_t}(X) - y \rVert^2 \ \text{(every layer)}" } else { r"a_t \xrightarrow{\ t \to \infty\ } \Phi^{+} y \ \text{ for gradient descent from } a_0 = 0" } />" "{move || settings.with(|s| format!(
                    "Epoch-wise: test error (median over seeds) against training step for a few widths. Training time acts like an inverse ridge: early on every net is smooth; the net at p ≈ n fits the label noise last and its test error climbs late (then, given enough steps, to the peak of the model-wise curve){}.",
                    if s.train == Some(Training::Full) { ", while nets far from the threshold settle" } else { ", while nets far from the threshold converge fast and stay low" }
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
                <button name="csv" on:click=move |_| export(false)>"CSV"</button>
                <button name="json" on:click=move |_| export(true)>"JSON"</button>
            </div>
        }
    };

    let controls = move || {
        view! {
            <aside class="controls">
                <fieldset>
                    <legend>"Data"</legend>
                    <Slider label="samples n" name="n" value=get(|s| s.n as f64)
                        scale=Scale { min: state::DD_POINTS.0 as f64, max: state::DD_POINTS.1 as f64, steps: 56, log: true }
                        format=fmt_int on_change=set(|s, v| s.n = v.round() as usize) />
                    <Slider label="input dim d" name="d" value=get(|s| s.d as f64)
                        scale=Scale { min: state::DD_DIM.0 as f64, max: state::DD_DIM.1 as f64, steps: 40, log: true }
                        format=fmt_int on_change=set(|s, v| s.d = v.round() as usize) />
                    <Slider label="label noise σ" name="noise" value=get(|s| s.noise)
                        scale=Scale { min: state::DD_NOISE.0, max: state::DD_NOISE.1, steps: 80, log: false }
                        format=fmt_frac on_change=set(|s, v| s.noise = v) />
                    <Choice label="teacher" name="teacher" options=vec![("linear", "linear"), ("nonlinear", "2·tanh(linear)")]
                        value=Signal::derive(move || settings.with(|s| if s.teacher == Teacher::Linear { "linear" } else { "nonlinear" }))
                        on_change=Callback::new(move |v: String| settings.update(|s| s.teacher = if v == "linear" { Teacher::Linear } else { Teacher::Nonlinear })) />
                </fieldset>
                <fieldset>
                    <legend>"Model"</legend>
                    <Choice label="features" name="feature" options=vec![("relu", "ReLU"), ("tanh", "tanh")]
                        value=Signal::derive(move || settings.with(|s| if s.feature == Feature::Relu { "relu" } else { "tanh" }))
                        on_change=Callback::new(move |v: String| settings.update(|s| s.feature = if v == "relu" { Feature::Relu } else { Feature::Tanh })) />
                    <Slider label="ridge λ" name="ridge" value=get(|s| ridge_position(s.ridge))
                        scale=Scale { min: 0.0, max: RIDGE_STEPS, steps: RIDGE_STEPS as u32, log: false }
                        format=|v| { let r = ridge_at(v); if r == 0.0 { "0 (min-norm)".into() } else { format!("{r:.0e}") } }
                        on_change=set(|s, v| s.ridge = ridge_at(v)) />
                    <Slider label="p (sample-wise)" name="p" value=get(|s| s.p as f64)
                        scale=Scale { min: state::DD_FEATURES.0 as f64, max: state::DD_FEATURES.1 as f64, steps: 80, log: true }
                        format=fmt_int on_change=set(|s, v| s.p = v.round() as usize) />
                    <Slider label="seeds" name="seeds" value=get(|s| s.seeds as f64)
                        scale=Scale { min: state::DD_SEEDS.0 as f64, max: state::DD_SEEDS.1 as f64, steps: 9, log: false }
                        format=fmt_int on_change=set(|s, v| s.seeds = v.round() as usize) />
                    <SeedInput value=Signal::derive(move || settings.with(|s| s.seed)) max=state::MAX_SEED
                        on_change=Callback::new(move |v| settings.update(|s| s.seed = v)) />
                </fieldset>
                <fieldset>
                    <legend>"Trained nets"</legend>
                    <Choice label="train" name="train" options=vec![("off", "off"), ("readout", "readout only"), ("full", "every layer")]
                        value=Signal::derive(move || settings.with(|s| DdState::training_name(s.train)))
                        on_change=Callback::new(move |v: String| settings.update(|s| s.train = match v.as_str() {
                            "readout" => Some(Training::Readout),
                            "full" => Some(Training::Full),
                            _ => None,
                        })) />
                    <Slider label="steps" name="steps" value=get(|s| s.steps as f64)
                        scale=Scale { min: state::DD_STEPS.0 as f64, max: state::DD_STEPS.1 as f64, steps: 60, log: true }
                        format=fmt_int on_change=set(|s, v| s.steps = v.round() as u64) />
                </fieldset>
            </aside>
        }
    };

    let root = move |class: &'static str, inner: AnyView| {
        view! {
            <div
                class=class
                data-phase=move || progress.with(|p| if p.ran && p.points >= p.total { "done" } else { "running" })
                data-points=move || progress.with(|p| p.points.to_string())
                data-total=move || progress.with(|p| p.total.to_string())
                data-sweep=move || progress.with(|p| p.sweep.name())
                data-sweep-steps=move || progress.with(|p| p.sweep_steps.to_string())
                data-sweep-total=move || progress.with(|p| p.sweep_total.to_string())
            >
                {inner}
            </div>
        }
    };
    if embed {
        let open_link = shell::link_to(move || settings.with(DdState::to_query));
        root(
            "dd-lab embed",
            view! {
                <div class="embed-charts">{charts()}</div>
                <div class="embed-bar">
                    {bar()}
                    <a class="open" target="_blank" href=open_link>"open in gradlab ↗"</a>
                </div>
                <Notices status=status messages=messages />
            }
            .into_any(),
        )
        .into_any()
    } else {
        view! {
            <Topbar lab="dd" status=status rate=false />
            {root(
                "dd-lab",
                view! {
                    {controls()}
                    <section class="main">
                        <Notices status=status messages=messages />
                        {bar()}
                        <div class="charts">{charts()}</div>
                    </section>
                }
                .into_any(),
            )}
        }
        .into_any()
    }
}

/// Steps one series within the frame's budget; true if a point was added.
fn advance(series: &mut Series, s: &DdState, start: f64, model: bool) -> bool {
    let mut any = false;
    while web::now() - start < BUDGET_MS {
        if series.running.is_none() {
            if series.next_seed >= s.seeds {
                break;
            }
            let cfg = s.config();
            let seed = s.seed + series.next_seed as u64;
            series.running =
                Some(if model { Sweep::model_wise(&cfg, &series.xs, seed) } else { Sweep::sample_wise(&cfg, s.p, &series.xs, seed) });
            series.next_seed += 1;
        }
        let sweep = series.running.as_mut().expect("set above");
        if sweep.step() {
            any = true;
        } else if let Some(done) = series.running.take() {
            series.done.push(done.curve().clone());
        }
    }
    any
}

/// Starts the trained sweep once the backend is known, and trains it.
fn tick_sweep(r: &mut Runner, s: &DdState, messages: RwSignal<Vec<String>>) {
    let (Some(training), Some(backend)) = (s.train, &r.backend) else { return };
    if r.sweep.is_none() && !r.sweep_failed {
        let widths = feature_counts(s.n, 10.0, POINTS);
        match SweepRun::new(backend, &s.config(), &widths, s.seeds, training, s.steps) {
            Ok(sweep) => r.sweep = Some(sweep),
            Err(e) => {
                r.sweep_failed = true;
                messages.update(|m| m.push(format!("The nets could not be trained: {e}")));
            }
        }
        r.redraw = true;
        return;
    }
    let Some(sweep) = &mut r.sweep else { return };
    let was_diverged = sweep.diverged();
    r.redraw |= sweep.tick(SWEEP_BUDGET_MS);
    if let Some(e) = sweep.error.take() {
        r.sweep_failed = true;
        messages.update(|m| m.push(format!("Training the nets stopped: {e}")));
    }
    if !was_diverged && sweep.diverged() {
        messages.update(|m| m.push("Some nets diverged (their loss went non-finite); they are left out of the markers.".into()));
    }
}

fn frame(r: &mut Runner, progress: RwSignal<Progress>, messages: RwSignal<Vec<String>>, canvases: [NodeRef<Canvas>; 3]) {
    let Some(s) = r.state.clone() else { return };
    let start = web::now();
    if let Some(m) = &mut r.model {
        r.redraw |= advance(m, &s, start, true);
    }
    if let Some(sa) = &mut r.sample {
        r.redraw |= advance(sa, &s, start, false);
    }
    tick_sweep(r, &s, messages);
    if !std::mem::take(&mut r.redraw) {
        return;
    }
    let count = |se: &Option<Series>| se.as_ref().map_or((0, 0), |x| (x.points_done(), x.xs.len() * s.seeds));
    let ((a, b), (c, d)) = (count(&r.model), count(&r.sample));
    let (sweep_steps, sweep_total) = r.sweep.as_ref().map_or((0, 0), SweepRun::progress);
    let sweep = match (&r.sweep, s.train) {
        (_, None) => SweepPhase::Off,
        _ if r.sweep_failed => SweepPhase::Failed,
        (None, _) => SweepPhase::Starting,
        (Some(sw), _) if sw.finished() => SweepPhase::Done,
        _ => SweepPhase::Running,
    };
    progress.set(Progress { ran: true, points: a + c, total: b + d, sweep, sweep_steps, sweep_total });
    for (view, canvas) in [DdView::Model, DdView::Sample, DdView::Epoch].into_iter().zip(canvases) {
        if let Some(canvas) = canvas.get_untracked() {
            draw_view(r, &s, view, &mut Surface::canvas(&canvas));
        }
    }
}

/// Draws `view`'s chart (model-, sample- or epoch-wise) on `surface`.
fn draw_view(r: &Runner, s: &DdState, view: DdView, surface: &mut Surface<'_>) {
    let trained = r.sweep.as_ref().map(SweepRun::latest).unwrap_or_default();
    for (series, v, model) in [(&r.model, DdView::Model, true), (&r.sample, DdView::Sample, false)] {
        let Some(se) = series.as_ref().filter(|_| v == view) else { continue };
        let (train, test) = bands(&se.errors(s.noise));
        let (threshold, label, x_desc) = if model { (s.n, "p = n", "features p") } else { (s.p, "n = p", "training samples n") };
        let curve = Curve {
            x: &se.xs,
            train: &train,
            test: &test,
            threshold,
            threshold_label: label,
            x_desc,
            x_range: (se.xs[0], *se.xs.last().unwrap_or(&1)),
            trained: if model { &trained } else { &[] },
            params_threshold: (model && s.train == Some(Training::Full)).then(|| params_threshold(s)),
        };
        draw_curve(surface, &curve);
    }
    if let (Some(sweep), DdView::Epoch) = (&r.sweep, view) {
        let lines: Vec<Line> = epoch_widths(s, &sweep.widths())
            .into_iter()
            .zip(SERIES)
            .map(|(w, colour)| {
                let points = sweep.test_over_time(w).into_iter().map(|(step, e)| (step as f64, e)).collect();
                Line { label: format!("p = {w}"), colour, dashed: false, points }
            })
            .collect();
        let chart = Lines {
            lines: &lines,
            dots: &[],
            x_desc: "training step",
            y_desc: "test mean squared error",
            log_x: true,
            log_y: true,
            floor: 1e-6,
        };
        draw_lines(surface, &chart);
    }
}
