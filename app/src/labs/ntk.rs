//! The NTK lab: nets of several widths (the chosen one and narrower ones)
//! train on a 1D regression by full-batch gradient descent; at log-spaced
//! checkpoints each one's empirical NTK on the training points is computed
//! on the backend. Shown: the chosen net's Gram matrix and spectrum, the
//! kernel drift `‖Θ_t − Θ_0‖_F/‖Θ_0‖_F` and weight movement of every
//! width, the net's function beside its linearization (kernel regression
//! by gradient flow with `Θ_0`), and the training residual along `Θ_0`'s
//! eigenvectors against the linear theory `e^{−2ηλᵢt/n}`.

use std::rc::Rc;

use gradlab_core::double_descent::trained::checkpoints;
use gradlab_core::gpu::Snapshot;
use gradlab_core::ntk::{self, drift, movement, Spectrum};
use gradlab_core::{cpu, Error, Parameterization, Problem};
use leptos::html::Canvas;
use leptos::prelude::*;
use nalgebra::{DMatrix, DVector};

use super::shell::{self, HostHooks, LabPage, Phase, PlayButton, Progress, Status};
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::ntk::draw_gram;
use crate::charts::{self, Surface, CLASS0, CLASS1, GREY_RGB, SERIES};
use crate::components::{fmt_int, fmt_lr, ActivationChoice, ChartFigure, Choice, ParameterizationChoice, Scale, SeedInput, Slider, Tex};
use crate::engine::{grid_points, Backend, Engine, Pending};
use crate::state::{self, NtkState, NtkView};
use crate::web;

/// Checkpoints over the step budget (log-spaced), after step 0.
const CHECKPOINTS: usize = 16;
/// Eigen-directions the spectral-bias picture follows (0-based).
const DIRECTIONS: [usize; 4] = [0, 1, 2, 4];

/// One checkpoint of one net.
#[derive(Clone, Debug)]
struct Record {
    step: u64,
    drift: f64,
    movement: f64,
    /// Outputs on the drawing grid, then on the training points.
    outputs: Vec<f32>,
}

/// One width in training.
struct WidthRun {
    width: usize,
    engine: Engine,
    init: Vec<f32>,
    /// Checkpoint steps, 0 first.
    at: Vec<u64>,
    next: usize,
    theta0: Option<DMatrix<f64>>,
    theta: Option<DMatrix<f64>>,
    /// The snapshot at the checkpoint whose Gram is in flight.
    waiting: Option<(Snapshot, Pending<DMatrix<f64>>)>,
    records: Vec<Record>,
}

impl WidthRun {
    fn done(&self) -> bool {
        self.next >= self.at.len() && self.waiting.is_none()
    }
}

/// What the chosen (widest) net adds: its linearization.
struct Linear {
    spectrum0: Spectrum,
    /// `Θ_0(grid, X)`.
    cross: DMatrix<f64>,
    f0_grid: DVector<f64>,
    f0_train: DVector<f64>,
    y: DVector<f64>,
}

struct Run {
    problem: Problem,
    runs: Vec<WidthRun>,
    linear: Option<Linear>,
    /// The chosen net's current eigenvalues, and at how many checkpoints
    /// (one eigendecomposition per checkpoint, not per redraw).
    spectrum_now: Option<(usize, Vec<f64>)>,
    progress: Progress,
}

impl Run {
    /// Eigenvalues of the chosen net's kernel at initialization and now.
    fn spectra(&self) -> (Option<&[f64]>, Option<&[f64]>) {
        (self.linear.as_ref().map(|l| l.spectrum0.values.as_slice()), self.spectrum_now.as_ref().map(|(_, v)| v.as_slice()))
    }
}

#[derive(Default)]
struct Runner {
    backend: Option<Rc<Backend>>,
    wanted: Option<NtkState>,
    state: Option<NtkState>,
    run: Option<Run>,
    restart: bool,
    redraw: bool,
}

/// Progress mirrored in `data-checkpoints` / `data-total` on `.views`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Readout {
    checkpoints: usize,
    total: usize,
    top: Option<f64>,
    drift: Option<f64>,
}

#[derive(Clone, Copy)]
struct Canvases {
    gram: NodeRef<Canvas>,
    spectrum: NodeRef<Canvas>,
    drift: NodeRef<Canvas>,
    function: NodeRef<Canvas>,
    bias: NodeRef<Canvas>,
}

#[component]
pub fn NtkLab(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let (initial, first_messages) = NtkState::from_query(&web::search());
    let settings = RwSignal::new(initial);
    let messages = RwSignal::new(first_messages);
    let status = RwSignal::new(Status::default());
    let readout = RwSignal::new(Readout::default());
    let canvases =
        Canvases { gram: NodeRef::new(), spectrum: NodeRef::new(), drift: NodeRef::new(), function: NodeRef::new(), bias: NodeRef::new() };
    let runner = StoredValue::new_local(Runner::default());

    Effect::new(move |_| {
        let s = settings.get();
        shell::show_in_url(&s.to_query(), embed);
        runner.update_value(|r| r.wanted = Some(s));
    });
    shell::find_backend(status, messages, move |backend| runner.update_value(|r| r.backend = Some(backend)));
    // `play=0`: nothing trains until Play (or a host's `play`).
    let playing = RwSignal::new(shell::autoplay());
    let on_restart = Callback::new(move |()| runner.update_value(|r| r.restart = true));
    shell::listen_to_host(HostHooks {
        apply: shell::apply_query(settings, messages, NtkState::from_query),
        status,
        transport: Some((playing, on_restart)),
    });
    shell::on_resize(move || runner.update_value(|r| r.redraw = true));
    web::animation_loop(move |now| runner.update_value(|r| frame(r, now, playing, status, readout, canvases)));

    let set = move |f: fn(&mut NtkState, f64)| Callback::new(move |v: f64| settings.update(|s| f(s, v)));
    let get = move |f: fn(&NtkState) -> f64| Signal::derive(move || settings.with(f));
    let shows = move |v: NtkView| settings.with(|s| s.view.shows(v));

    let export = move |json: bool| runner.with_value(|r| export(r, json));
    let transport = move || {
        view! {
            <div class="progress-row">
                <progress aria-label="kernels computed" max=move || readout.with(|r| r.total.max(1)) value=move || readout.with(|r| r.checkpoints)></progress>
                <span>{move || readout.with(|r| format!("{} / {} kernels", r.checkpoints, r.total))}</span>
                <PlayButton playing=playing status=status />
                <button name="restart" on:click=move |_| on_restart.run(())>"Restart"</button>
                <button name="csv" on:click=move |_| export(false)>"CSV"</button>
                <button name="json" on:click=move |_| export(true)>"JSON"</button>
                <button name="config" title="the chosen width's run for the command-line tool: gradlab CONFIG.json"
                    on:click=move |_| settings.with_untracked(|s| web::download("gradlab-ntk-config.json", "application/json", &state::cli_config(&s.run_config(s.width), s.steps)))>"Config"</button>
            </div>
        }
    };

    let param_note = move || {
        settings.with(|s| {
            if s.param == Parameterization::Ntk {
                "Under the NTK parameterization (weights scaled by 1/√fan-in in the forward pass) wider nets move their kernel less: lazy training."
            } else {
                "Under the standard parameterization with a fixed learning rate, wide nets are not lazy in the same way: try NTK parameterization to see drift shrink with width."
            }
        })
    };
    let svg = move |chart: Chart| {
        Callback::new(move |size| {
            runner.with_value(|r| match (&r.run, &r.state) {
                (Some(run), Some(s)) => charts::svg(size, |surface| draw_chart(run, s, chart, surface)),
                _ => charts::svg(size, |_| {}),
            })
        })
    };
    let charts = move || {
        view! {
            <ChartFigure class="chart tangent gram" hidden=move || !shows(NtkView::Kernel) canvas=canvases.gram label="the empirical NTK Gram matrix" name="gradlab-ntk-gram" svg=svg(Chart::Gram)>
                <Tex tex=r"\Theta(x, x') = \nabla_\theta f(x)^\top\, \nabla_\theta f(x')" />" ""The empirical tangent kernel Θ(xᵢ, xⱼ) on the training points (sorted by x), now: nearby inputs share most of their gradient."
            </ChartFigure>
            <ChartFigure class="chart tangent spectrum" hidden=move || !shows(NtkView::Kernel) canvas=canvases.spectrum label="eigenvalues of the NTK" name="gradlab-ntk-spectrum" svg=svg(Chart::Spectrum)>
                <Tex tex=r"\Theta = \textstyle\sum_i \lambda_i\, v_i v_i^\top,\ \ \lambda_1 \ge \lambda_2 \ge \cdots" />" "{move || format!(
                    "Eigenvalues of Θ, largest first, at initialization and now{}. A few large eigenvalues carry smooth functions of x; the long tail, wiggly ones.",
                    readout.with(|r| r.top.map_or(String::new(), |t| format!(" (λ₁ = {t:.3})")))
                )}
            </ChartFigure>
            <ChartFigure class="chart tangent drift" hidden=move || !shows(NtkView::Drift) canvas=canvases.drift label="kernel drift and weight movement against step" name="gradlab-ntk-drift" svg=svg(Chart::Drift)>
                <Tex tex=r"\frac{\lVert \Theta_t - \Theta_0 \rVert_F}{\lVert \Theta_0 \rVert_F} \ \text{(solid)},\quad \frac{\lVert \theta_t - \theta_0 \rVert}{\lVert \theta_0 \rVert} \ \text{(dashed)}" />" "{move || format!(
                    "Solid: kernel drift ‖Θₜ − Θ₀‖/‖Θ₀‖; dashed: weight movement ‖θₜ − θ₀‖/‖θ₀‖, for each width. {}",
                    param_note()
                )}
            </ChartFigure>
            <ChartFigure class="chart tangent function" hidden=move || !shows(NtkView::Function) canvas=canvases.function label="the network's function beside its linearization" name="gradlab-ntk-function" svg=svg(Chart::Function)>
                <Tex tex=r"f_{\mathrm{lin}}(x) = f_0(x) + \Theta_0(x, X)\, \Theta_0^{-1} \big(I - e^{-2\eta\Theta_0 t/n}\big) \big(y - f_0(X)\big)" />" ""The net f (solid) and its linearization f_lin around the initial weights after the same steps (dashed); grey: kernel regression (t = ∞). The wider and lazier the net, the closer they stay."
            </ChartFigure>
            <ChartFigure class="chart tangent bias" hidden=move || !shows(NtkView::Bias) canvas=canvases.bias label="residual along the kernel's eigenvectors against step" name="gradlab-ntk-spectral-bias" svg=svg(Chart::Bias)>
                <Tex tex=r"\big\langle v_i,\, y - f_t(X) \big\rangle \approx e^{-2\eta\lambda_i t/n}\, \big\langle v_i,\, y - f_0(X) \big\rangle" />" ""Spectral bias: the training residual's component along Θ₀'s i-th eigenvector, relative to its start (solid), against the linear theory e^{−2ηλᵢt/n} (dashed: gradient flow; discrete steps shrink it by 1 − 2ηλᵢ/n each, a little faster for the top directions). Large-eigenvalue (smooth) directions are learned first."
            </ChartFigure>
        }
    };
    let views = move || {
        view! {
            <div class="views"
                data-view=move || settings.with(|s| s.view.name())
                data-checkpoints=move || readout.with(|r| r.checkpoints.to_string())
                data-total=move || readout.with(|r| r.total.to_string())
                data-drift=move || readout.with(|r| r.drift.map(|d| d.to_string()).unwrap_or_default())
            >
                {charts()}
            </div>
        }
    };

    let controls = move || {
        view! {
            <aside class="controls">
                {transport()}
                <fieldset>
                    <legend>"Network"</legend>
                    <Slider label="width" name="width" value=get(|s| s.width as f64)
                        scale=Scale { min: state::NTK_WIDTH.0 as f64, max: state::NTK_WIDTH.1 as f64, steps: 90, log: true }
                        format=fmt_int on_change=set(|s, v| s.width = v.round() as usize) />
                    <Slider label="depth" name="depth" value=get(|s| s.depth as f64)
                        scale=Scale { min: state::NTK_DEPTH.0 as f64, max: state::NTK_DEPTH.1 as f64, steps: 2, log: false }
                        format=fmt_int on_change=set(|s, v| s.depth = v.round() as usize) />
                    <ActivationChoice value=Signal::derive(move || settings.with(|s| s.act))
                        on_change=Callback::new(move |a| settings.update(|s| s.act = a)) />
                    <ParameterizationChoice value=Signal::derive(move || settings.with(|s| s.param))
                        on_change=Callback::new(move |p| settings.update(|s| s.param = p)) />
                </fieldset>
                <fieldset>
                    <legend>"Training (gradient descent, MSE)"</legend>
                    <Slider label="points n" name="n" value=get(|s| s.n as f64)
                        scale=Scale { min: state::NTK_POINTS.0 as f64, max: state::NTK_POINTS.1 as f64, steps: 60, log: true }
                        format=fmt_int on_change=set(|s, v| s.n = v.round() as usize) />
                    <Slider label="learning rate" name="lr" value=get(|s| f64::from(s.lr))
                        scale=Scale { min: f64::from(state::NTK_LR.0), max: f64::from(state::NTK_LR.1), steps: 100, log: true }
                        format=fmt_lr on_change=set(|s, v| s.lr = v as f32) />
                    <Slider label="steps" name="steps" value=get(|s| s.steps as f64)
                        scale=Scale { min: state::NTK_STEPS.0 as f64, max: state::NTK_STEPS.1 as f64, steps: 80, log: true }
                        format=fmt_int on_change=set(|s, v| s.steps = v.round() as u64) />
                    <SeedInput value=Signal::derive(move || settings.with(|s| s.seed)) max=state::MAX_SEED
                        on_change=Callback::new(move |v| settings.update(|s| s.seed = v)) />
                    <Choice label="view" name="view" options=NtkView::ALL.iter().map(|v| (v.name(), v.name())).collect()
                        value=Signal::derive(move || settings.with(|s| s.view.name()))
                        on_change=Callback::new(move |v: String| settings.update(|s| if let Some(x) = NtkView::ALL.into_iter().find(|x| x.name() == v) { s.view = x; })) />
                </fieldset>
            </aside>
        }
    };
    let open_link = shell::link_to(move || settings.with(NtkState::to_query));
    view! {
        <LabPage lab="ntk" embed=embed status=status messages=messages open_link=open_link
            transport=transport controls=controls charts=views />
    }
}

fn build(backend: &Rc<Backend>, s: &NtkState) -> Result<Run, Error> {
    let at: Vec<u64> = std::iter::once(0).chain(checkpoints(s.steps, CHECKPOINTS)).collect();
    let mut problem = None;
    let mut runs = Vec::new();
    for width in s.widths() {
        let p = Problem::new(s.run_config(width))?;
        let init = p.init_params();
        let grid = [grid_points(&p), p.dataset.train.x.clone()].concat();
        let mut engine = Engine::with_grid(backend, p.clone(), init.clone(), grid)?;
        engine.with_params = true;
        runs.push(WidthRun { width, engine, init, at: at.clone(), next: 0, theta0: None, theta: None, waiting: None, records: Vec::new() });
        problem = Some(p);
    }
    let problem = problem.ok_or_else(|| Error::InvalidConfig("no width to train".into()))?;
    Ok(Run { problem, runs, linear: None, spectrum_now: None, progress: Progress::default() })
}

/// Advances one net: trains to its next checkpoint, then computes the
/// kernel there. Returns the checkpoint's snapshot once it is recorded.
fn advance(w: &mut WidthRun, now: f64) -> Result<Option<Snapshot>, Error> {
    if let Some((snap, pending)) = &mut w.waiting {
        let Some(theta) = pending.poll() else { return Ok(None) };
        let theta = theta?;
        let snap = snap.clone();
        w.waiting = None;
        let params = w.engine.params().unwrap_or(&w.init);
        let theta0 = w.theta0.get_or_insert_with(|| theta.clone());
        w.records.push(Record {
            step: snap.step,
            drift: drift(theta0, &theta),
            movement: movement(&w.init, params),
            outputs: snap.grid.clone(),
        });
        w.theta = Some(theta);
        return Ok(Some(snap));
    }
    let Some(&target) = w.at.get(w.next) else { return Ok(None) };
    let left = target.saturating_sub(w.engine.steps_taken());
    if let Some(snap) = w.engine.tick(Some(left.min(u64::from(u32::MAX)) as u32), now, &web::now) {
        let snap = snap?;
        if snap.step >= target {
            w.next += 1;
            let pending = w.engine.ntk_gram()?;
            w.waiting = Some((snap, pending));
        }
    }
    Ok(None)
}

fn linearize(problem: &Problem, init: &[f32], theta0: &DMatrix<f64>, first: &Record) -> Result<Linear, Error> {
    let layout = problem.spec.layout();
    let p64: Vec<f64> = init.iter().map(|&v| f64::from(v)).collect();
    let grid = grid_points(problem);
    let train = cpu::columns::<f64>(&problem.dataset.train.x, 1);
    let cross = ntk::cross_gram(&layout, &ntk::factors(&layout, &p64, &cpu::columns(&grid, 1))?, &ntk::factors(&layout, &p64, &train)?);
    let g = grid.len();
    Ok(Linear {
        spectrum0: Spectrum::of(theta0),
        cross,
        f0_grid: DVector::from_iterator(g, first.outputs[..g].iter().map(|&v| f64::from(v))),
        f0_train: DVector::from_iterator(first.outputs.len() - g, first.outputs[g..].iter().map(|&v| f64::from(v))),
        y: DVector::from_iterator(problem.train_targets.len(), problem.train_targets.iter().map(|&v| f64::from(v))),
    })
}

fn frame(r: &mut Runner, now: f64, playing: RwSignal<bool>, status: RwSignal<Status>, readout: RwSignal<Readout>, canvases: Canvases) {
    let Some(backend) = r.backend.clone() else { return };
    if let Some(s) = r.wanted.take() {
        // A new view of the same run keeps it; anything else trains anew.
        let same_run = r.state.as_ref().is_some_and(|old| NtkState { view: s.view, ..old.clone() } == s);
        r.restart |= !same_run || r.run.is_none();
        r.state = Some(s);
        r.redraw = true;
    }
    let Some(s) = r.state.clone() else { return };
    if std::mem::take(&mut r.restart) {
        // After a finished run the next one plays; a paused one stays paused.
        if r.run.as_ref().is_some_and(|run| run.runs.iter().all(WidthRun::done)) {
            playing.set(true);
        }
        readout.set(Readout::default());
        match build(&backend, &s) {
            Ok(run) => {
                r.run = Some(run);
                shell::started(status, playing);
            }
            Err(e) => {
                r.run = None;
                shell::failed(status, &e);
            }
        }
        r.redraw = true;
    }
    let Some(run) = &mut r.run else { return };
    let diverged = status.with_untracked(|st| st.phase == Phase::Diverged);
    if !diverged && playing.get_untracked() {
        let last = run.runs.len() - 1;
        for (i, w) in run.runs.iter_mut().enumerate() {
            match advance(w, now) {
                Ok(Some(snap)) => {
                    r.redraw = true;
                    if i == last && run.progress.record(&snap, now, status) {
                        status.update(|st| st.phase = Phase::Diverged);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    shell::failed(status, &e);
                    r.run = None;
                    return;
                }
            }
        }
    }
    let main = run.runs.last().expect("at least one width");
    if run.linear.is_none() {
        if let (Some(theta0), Some(first)) = (&main.theta0, main.records.first()) {
            match linearize(&run.problem, &main.init, theta0, first) {
                Ok(l) => run.linear = Some(l),
                Err(e) => shell::failed(status, &e),
            }
        }
    }
    if let Some(theta) = &main.theta {
        if run.spectrum_now.as_ref().is_none_or(|(at, _)| *at != main.records.len()) {
            run.spectrum_now = Some((main.records.len(), Spectrum::of(theta).values.iter().copied().collect()));
        }
    }
    if run.runs.iter().all(WidthRun::done) && status.with_untracked(|st| st.phase == Phase::Running) {
        playing.set(false);
        status.update(|st| st.phase = Phase::Paused);
    }
    if !std::mem::take(&mut r.redraw) {
        return;
    }
    let done: usize = run.runs.iter().map(|w| w.records.len()).sum();
    let total: usize = run.runs.iter().map(|w| w.at.len()).sum();
    let top = run.linear.as_ref().map(|l| l.spectrum0.values[0]);
    readout.set(Readout { checkpoints: done, total, top, drift: main.records.last().map(|rec| rec.drift) });
    for (chart, canvas) in canvases.all() {
        if let Some(canvas) = canvas.get_untracked() {
            draw_chart(run, &s, chart, &mut Surface::canvas(&canvas));
        }
    }
}

/// The NTK lab's charts.
#[derive(Clone, Copy, PartialEq)]
enum Chart {
    Gram,
    Spectrum,
    Drift,
    Function,
    Bias,
}

impl Canvases {
    fn all(self) -> [(Chart, NodeRef<Canvas>); 5] {
        [
            (Chart::Gram, self.gram),
            (Chart::Spectrum, self.spectrum),
            (Chart::Drift, self.drift),
            (Chart::Function, self.function),
            (Chart::Bias, self.bias),
        ]
    }
}

/// Draws `chart` of the run so far on `surface`.
fn draw_chart(run: &Run, s: &NtkState, chart: Chart, surface: &mut Surface<'_>) {
    let main = run.runs.last().expect("at least one width");
    let n = s.n;
    if let (Chart::Gram, Some(theta)) = (chart, &main.theta) {
        // Training points sorted by x, so the kernel's structure shows.
        let x = &run.problem.dataset.train.x;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let sorted: Vec<f64> = order.iter().flat_map(|&i| order.iter().map(move |&j| theta[(i, j)])).collect();
        draw_gram(surface, &sorted, n);
    }
    if chart == Chart::Spectrum {
        let (init, now) = run.spectra();
        let lines: Vec<Line> = [("initialization", GREY_RGB, init), ("now", CLASS1, now)]
            .into_iter()
            .filter_map(|(label, colour, values)| {
                let points = values?.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)).collect();
                Some(Line { label: label.into(), colour, dashed: false, points })
            })
            .collect();
        draw_lines(
            surface,
            &Lines { lines: &lines, dots: &[], x_desc: "index i", y_desc: "eigenvalue λᵢ", log_x: false, log_y: true, floor: 1e-9 },
        );
    }
    if chart == Chart::Drift {
        let mut lines = Vec::new();
        let colours = &SERIES[SERIES.len() - run.runs.len()..];
        for (w, &colour) in run.runs.iter().zip(colours) {
            let pts = |f: fn(&Record) -> f64| w.records.iter().filter(|r| r.step > 0).map(|r| (r.step as f64, f(r))).collect();
            lines.push(Line { label: format!("width {}", w.width), colour, dashed: false, points: pts(|r| r.drift) });
            lines.push(Line { label: String::new(), colour, dashed: true, points: pts(|r| r.movement) });
        }
        draw_lines(
            surface,
            &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "relative change", log_x: true, log_y: true, floor: 1e-6 },
        );
    }
    let Some(lin) = &run.linear else { return };
    let Some(last) = main.records.last() else { return };
    let t = last.step as f64;
    let lr = f64::from(s.lr);
    if chart == Chart::Function {
        let grid = grid_points(&run.problem);
        let g = grid.len();
        let r0 = &lin.y - &lin.f0_train;
        let xs = |v: &DVector<f64>| grid.iter().zip(v.iter()).map(|(&x, &y)| (f64::from(x), y)).collect::<Vec<_>>();
        let net: Vec<(f64, f64)> = grid.iter().zip(&last.outputs[..g]).map(|(&x, &y)| (f64::from(x), f64::from(y))).collect();
        let lines = [
            Line {
                label: "kernel regression (t = ∞)".into(),
                colour: GREY_RGB,
                dashed: false,
                points: xs(&lin.spectrum0.linearized(&lin.f0_grid, &lin.cross, &r0, lr, f64::INFINITY)),
            },
            Line {
                label: format!("linearized, step {}", last.step),
                colour: CLASS0,
                dashed: true,
                points: xs(&lin.spectrum0.linearized(&lin.f0_grid, &lin.cross, &r0, lr, t)),
            },
            Line { label: format!("network, step {}", last.step), colour: CLASS1, dashed: false, points: net },
        ];
        let dots: Vec<(f64, f64)> =
            run.problem.dataset.train.x.iter().zip(&run.problem.train_targets).map(|(&x, &y)| (f64::from(x), f64::from(y))).collect();
        draw_lines(surface, &Lines { lines: &lines, dots: &dots, x_desc: "x", y_desc: "f(x)", log_x: false, log_y: false, floor: 0.0 });
    }
    if chart == Chart::Bias {
        let g = grid_points(&run.problem).len();
        let start = lin.spectrum0.project(&(&lin.y - &lin.f0_train));
        let comps: Vec<(u64, DVector<f64>)> = main
            .records
            .iter()
            .filter(|r| r.step > 0)
            .map(|r| {
                let f = DVector::from_iterator(n, r.outputs[g..].iter().map(|&v| f64::from(v)));
                (r.step, lin.spectrum0.project(&(&lin.y - f)))
            })
            .collect();
        let mut lines = Vec::new();
        for (&i, &colour) in DIRECTIONS.iter().filter(|&&i| i < n).zip(&SERIES) {
            let measured = comps.iter().map(|(step, c)| (*step as f64, (c[i] / start[i]).abs())).collect();
            let theory = comps.iter().map(|(step, _)| (*step as f64, lin.spectrum0.decay(i, lr, n, *step as f64))).collect();
            lines.push(Line {
                label: format!("i = {} (λ = {:.2e})", i + 1, lin.spectrum0.values[i]),
                colour,
                dashed: false,
                points: measured,
            });
            lines.push(Line { label: String::new(), colour, dashed: true, points: theory });
        }
        draw_lines(
            surface,
            &Lines {
                lines: &lines,
                dots: &[],
                x_desc: "step",
                y_desc: "|residual along vᵢ| / start",
                log_x: true,
                log_y: true,
                floor: 1e-4,
            },
        );
    }
}

fn export(r: &Runner, json: bool) {
    let (Some(run), Some(s)) = (&r.run, &r.state) else { return };
    let main = run.runs.last().expect("at least one width");
    let (s0, st) = run.spectra();
    if json {
        let drift: Vec<_> = run
            .runs
            .iter()
            .map(|w| {
                serde_json::json!({
                    "width": w.width,
                    "step": w.records.iter().map(|r| r.step).collect::<Vec<_>>(),
                    "kernel_drift": w.records.iter().map(|r| r.drift).collect::<Vec<_>>(),
                    "weight_movement": w.records.iter().map(|r| r.movement).collect::<Vec<_>>(),
                })
            })
            .collect();
        let body = serde_json::json!({
            "settings": s.to_query(),
            "spectrum_init": s0,
            "spectrum_now": st,
            "step_now": main.records.last().map(|r| r.step),
            "drift": drift,
        });
        web::download("ntk.json", "application/json", &body.to_string());
    } else {
        let mut csv = String::from("series,x,value\n");
        for (name, sp) in [("spectrum_init", &s0), ("spectrum_now", &st)] {
            for (i, v) in sp.unwrap_or_default().iter().enumerate() {
                csv.push_str(&format!("{name},{},{v}\n", i + 1));
            }
        }
        for w in &run.runs {
            for r in &w.records {
                csv.push_str(&format!("kernel_drift_width{},{},{}\n", w.width, r.step, r.drift));
                csv.push_str(&format!("weight_movement_width{},{},{}\n", w.width, r.step, r.movement));
            }
        }
        web::download("ntk.csv", "text/csv", &csv);
    }
}
