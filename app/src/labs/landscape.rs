//! The loss-landscape lab: train with full-batch gradient descent and
//! watch, live, the loss on a plane through the current parameters
//! (filter-normalized random or trajectory PCA), a 1D slice, sharpness
//! against the stability edge `2/η`, and the loss on the straight line to
//! a second solution trained from another seed (mode connectivity).
//!
//! Every picture is computed on the backend the run trains on, as often
//! as it allows: one grid, one sharpness estimate and one line in flight
//! at a time, each restarted as soon as it lands.

use std::rc::Rc;

use gradlab_core::landscape::{barrier, line_points, pca_plane, random_plane, Grid, Plane};
use gradlab_core::{Loss, Problem, Subset};
use leptos::html::Canvas;
use leptos::prelude::*;

use super::shell::{self, HostHooks, LabPage, Phase, Progress, Status, Transport};
use crate::charts::landscape::{draw_connect, draw_contour, draw_sharpness, draw_slice, ContourFrame};
use crate::charts::{self, Surface};
use crate::components::{
    fmt_frac, fmt_int, fmt_lr, ActivationChoice, ChartFigure, Choice, DataExport, DatasetChoice, LossChoice, ParameterizationChoice, Scale,
    SeedInput, Slider, Tex,
};
use crate::engine::{Backend, Engine, Pending};
use crate::state::{self, LandscapeState, PlaneKind, View};
use crate::web;

/// Parameter snapshots kept for the trajectory (thinned by half when full).
const TRAJECTORY_CAP: usize = 120;
/// Points of the 1D slice.
const SLICE_POINTS: usize = 101;
/// Power iterations for the first sharpness estimate, then per update
/// (warm-started from the last vector).
const FIRST_ITERATIONS: u32 = 30;
const WARM_ITERATIONS: u32 = 8;

/// What the landscape views show, beside the run's [`Status`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Readout {
    /// Grids drawn so far (`data-grids`), the step of the last one, and
    /// how long it took (`data-grid-ms`).
    pub grids: u64,
    pub grid_step: u64,
    pub grid_ms: f64,
    /// PCA plane: variance explained by the two components.
    pub explained: Option<[f64; 2]>,
    /// Why the PCA plane is not shown yet.
    pub plane_note: Option<String>,
    pub sharpness: Option<f32>,
    /// Train and test barriers between the two solutions.
    pub barrier: Option<(f32, Option<f32>)>,
}

struct GridRequest {
    grid: Grid,
    plane: Plane,
    path: Vec<[f32; 2]>,
    alphas: Vec<f32>,
    step: u64,
}

struct Picture {
    request: GridRequest,
    losses: Vec<f32>,
    slice: Vec<f32>,
}

struct LineResult {
    t: Vec<f32>,
    train: Vec<f32>,
    test: Vec<f32>,
}

/// Train and test losses along the line, and the step they were asked at.
type LineJob = (Pending<(Vec<f32>, Vec<f32>)>, u64);

/// One run: the trained net `a`, and `b` from another seed for mode
/// connectivity.
struct Run {
    a: Engine,
    b: Option<Engine>,
    views: Views,
}

/// What the run's pictures have computed and have in flight.
#[derive(Default)]
struct Views {
    trajectory: Vec<Vec<f32>>,
    last_params_step: Option<u64>,
    grid_job: Option<(Pending<Vec<f32>>, GridRequest)>,
    picture: Option<Picture>,
    sharp_job: Option<(Pending<f32>, u64)>,
    sharpness: Vec<(u64, f32)>,
    line_job: Option<LineJob>,
    line: Option<LineResult>,
    line_step: Option<u64>,
    /// Recompute the grid even if no step was taken (new picture settings).
    grid_stale: bool,
    /// When (ms) the grid and the line in flight started, and the earliest
    /// time the next may start: each waits as long as the last one took,
    /// so pictures take at most half of the GPU from training.
    grid_started: f64,
    next_grid_at: f64,
    line_started: f64,
    next_line_at: f64,
}

#[derive(Default)]
struct Runner {
    backend: Option<Rc<Backend>>,
    wanted: Option<LandscapeState>,
    state: Option<LandscapeState>,
    run: Option<Run>,
    reset: bool,
    single_step: bool,
    progress: Progress,
    redraw: bool,
}

/// The canvases, by view.
#[derive(Clone, Copy)]
struct Canvases {
    contour: NodeRef<Canvas>,
    slice: NodeRef<Canvas>,
    sharpness: NodeRef<Canvas>,
    connect: NodeRef<Canvas>,
}

/// The landscape lab. `embed` drops the page chrome and shows the view
/// the URL names.
#[component]
pub fn Landscape(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let (initial, first_messages) = LandscapeState::from_query(&web::search());
    let settings = RwSignal::new(initial);
    let messages = RwSignal::new(first_messages);
    let status = RwSignal::new(Status::default());
    let readout = RwSignal::new(Readout::default());
    let playing = RwSignal::new(shell::autoplay());
    let canvases = Canvases { contour: NodeRef::new(), slice: NodeRef::new(), sharpness: NodeRef::new(), connect: NodeRef::new() };
    let runner = StoredValue::new_local(Runner::default());

    Effect::new(move |_| {
        let s = settings.get();
        shell::show_in_url(&s.to_query(), embed);
        runner.update_value(|r| r.wanted = Some(s));
    });
    shell::find_backend(status, messages, move |backend| runner.update_value(|r| r.backend = Some(backend)));
    let on_reset = Callback::new(move |()| runner.update_value(|r| r.reset = true));
    shell::listen_to_host(HostHooks {
        apply: shell::apply_query(settings, messages, LandscapeState::from_query),
        status,
        transport: Some((playing, on_reset)),
    });
    shell::on_resize(move || runner.update_value(|r| r.redraw = true));
    web::animation_loop(move |now| runner.update_value(|r| frame(r, now, playing, status, readout, canvases)));

    let set = move |f: fn(&mut LandscapeState, f64)| Callback::new(move |v: f64| settings.update(|s| f(s, v)));
    let get = move |f: fn(&LandscapeState) -> f64| Signal::derive(move || settings.with(f));
    let shows = move |v: View| settings.with(|s| s.view.shows(v));

    let transport = move || {
        let on_step = Callback::new(move |()| runner.update_value(|r| r.single_step = true));
        view! { <Transport playing=playing status=status on_step=on_step on_reset=on_reset /> }
    };

    let edge_text = move || settings.with(LandscapeState::edge_label);
    let svg = move |view: View| {
        Callback::new(move |size| {
            let (s, pca) = (settings.get_untracked(), readout.with_untracked(|r| r.explained.is_some()));
            runner.with_value(|r| charts::svg(size, |surface| draw_view(r, &s, pca, view, surface)))
        })
    };
    let pca = move || settings.with(|s| s.plane == PlaneKind::Pca) && readout.with(|r| r.explained.is_some());
    let charts = move || {
        view! {
            <ChartFigure class="chart contour" hidden=move || !shows(View::Contour) canvas=canvases.contour label="loss contours on a plane through the current parameters" name="gradlab-landscape-contour" svg=svg(View::Contour)>
                <Tex tex=move || plane_tex(pca()).0 /><Tex tex=move || plane_tex(pca()).1 />" "{move || {
                    let r = readout.get();
                    let s = settings.get();
                    let scale = if s.log { "log₁₀ training loss" } else { "training loss" };
                    match (s.plane, r.explained) {
                        (PlaneKind::Pca, Some([e1, e2])) => format!(
                            "{scale} on the plane of the trajectory's top two principal components (PC1 {:.0}%, PC2 {:.0}% of its variance), centred on the current weights (red ×); orange: the path so far.",
                            100.0 * e1, 100.0 * e2),
                        (PlaneKind::Pca, None) => format!("{scale} on a random plane: {}", r.plane_note.unwrap_or_else(|| "the PCA plane needs a few snapshots of the trajectory.".into())),
                        _ => format!("{scale} on the plane of two random, filter-normalized directions (Li et al. 2018) through the current weights (red ×). Random planes miss the trajectory: try the PCA plane."),
                    }
                }}
            </ChartFigure>
            <ChartFigure class="chart slice" hidden=move || !shows(View::Slice) canvas=canvases.slice label="the loss along one direction" name="gradlab-landscape-slice" svg=svg(View::Slice)>
                <Tex tex=move || if pca() { r"\alpha \mapsto L(\theta_t + \alpha\, u_1)" } else { r"\alpha \mapsto L(\theta_t + \alpha\, d_1)" } />" ""Training loss along the plane's first direction through the current weights (red dot): a 1D slice of the picture beside it."
            </ChartFigure>
            <ChartFigure class="chart sharpness" hidden=move || !shows(View::Sharpness) canvas=canvases.sharpness label="sharpness against the stability edge" name="gradlab-landscape-sharpness" svg=svg(View::Sharpness)>
                <Tex tex=move || if settings.with(|s| s.opt == "momentum") { r"\lambda_{\max}\big(\nabla^2 L(\theta_t)\big) \lessgtr \tfrac{2 + 2\beta}{\eta}" } else { r"\lambda_{\max}\big(\nabla^2 L(\theta_t)\big) \lessgtr \tfrac{2}{\eta}" } />" "{move || {
                    let edge = settings.with(LandscapeState::edge);
                    let now = readout.with(|r| r.sharpness.map_or("–".into(), |v| format!("{v:.1}")));
                    format!("Sharpness λ_max (top Hessian eigenvalue, by power iteration) now {now}; dashed: {} = {edge:.1}. Gradient descent cannot stay where λ_max > {}: sharpness rises (progressive sharpening), then hovers at the edge while the loss keeps falling (Cohen et al. 2021).", edge_text(), edge_text())
                }}
            </ChartFigure>
            <ChartFigure class="chart connect" hidden=move || !shows(View::Connect) canvas=canvases.connect label="the loss along the line between two solutions" name="gradlab-landscape-connectivity" svg=svg(View::Connect)>
                <Tex tex=r"L(t) = L\big((1-t)\,\theta_A + t\,\theta_B\big)" /><Tex tex=r"\text{barrier} = \max_{t}\, \big[L(t) - (1-t)\,L(0) - t\,L(1)\big]" />" "{move || {
                    let b = readout.with(|r| r.barrier);
                    let text = match b {
                        Some((train, test)) => format!("barrier {train:.4} (train){}", test.map_or(String::new(), |t| format!(", {t:.4} (test)"))),
                        None => "barrier –".into(),
                    };
                    format!("Loss on the straight line from these weights (A, seed s) to a net trained the same way from seed s+1 (B); {text}: the highest rise above the straight line between the ends. Barriers shrink as nets get wider (moons, one ReLU layer, cross-entropy: ≈0.19 at width 16, ≈0.07 at width 256).")
                }}
            </ChartFigure>
        }
    };

    let controls = move || {
        view! {
            <aside class="controls">
                {transport()}
                <fieldset>
                    <legend>"Data and network"</legend>
                    <DatasetChoice value=Signal::derive(move || settings.with(|s| s.data))
                        on_change=Callback::new(move |d: gradlab_core::DatasetKind| settings.update(|s| {
                            s.data = d;
                            if d.classes().is_none() { s.loss = Loss::Mse; }
                        })) />
                    <Slider label="points" name="n" value=get(|s| s.n as f64)
                        scale=Scale { min: state::LANDSCAPE_POINTS.0 as f64, max: state::LANDSCAPE_POINTS.1 as f64, steps: 60, log: true }
                        format=fmt_int on_change=set(|s, v| s.n = v.round() as usize) />
                    <Slider label="width" name="width" value=get(|s| s.width as f64)
                        scale=Scale { min: state::LANDSCAPE_WIDTH.0 as f64, max: state::LANDSCAPE_WIDTH.1 as f64, steps: 90, log: true }
                        format=fmt_int on_change=set(|s, v| s.width = v.round() as usize) />
                    <Slider label="depth" name="depth" value=get(|s| s.depth as f64)
                        scale=Scale { min: state::LANDSCAPE_DEPTH.0 as f64, max: state::LANDSCAPE_DEPTH.1 as f64, steps: 3, log: false }
                        format=fmt_int on_change=set(|s, v| s.depth = v.round() as usize) />
                    <ActivationChoice value=Signal::derive(move || settings.with(|s| s.act))
                        on_change=Callback::new(move |a| settings.update(|s| s.act = a)) />
                    <ParameterizationChoice value=Signal::derive(move || settings.with(|s| s.param))
                        on_change=Callback::new(move |p| settings.update(|s| s.param = p)) />
                </fieldset>
                <fieldset>
                    <legend>"Training (full batch)"</legend>
                    <LossChoice value=Signal::derive(move || settings.with(|s| s.loss))
                        classes=Signal::derive(move || settings.with(|s| s.data.classes().is_some()))
                        on_change=Callback::new(move |l| settings.update(|s| s.loss = l)) />
                    <Choice label="optimizer" name="opt" options=vec![("gd", "gradient descent"), ("momentum", "heavy ball (β = 0.9)")]
                        value=Signal::derive(move || settings.with(|s| s.opt))
                        on_change=Callback::new(move |v: String| settings.update(|s| s.opt = if v == "momentum" { "momentum" } else { "gd" })) />
                    <Slider label="learning rate" name="lr" value=get(|s| f64::from(s.lr))
                        scale=Scale { min: f64::from(state::LANDSCAPE_LR.0), max: f64::from(state::LANDSCAPE_LR.1), steps: 100, log: true }
                        format=fmt_lr on_change=set(|s, v| s.lr = v as f32) />
                    <SeedInput value=Signal::derive(move || settings.with(|s| s.seed)) max=state::MAX_SEED
                        on_change=Callback::new(move |v| settings.update(|s| s.seed = v)) />
                </fieldset>
                <fieldset>
                    <legend>"Picture"</legend>
                    <Choice label="plane" name="plane" options=vec![("random", "random, filter-normalized"), ("pca", "trajectory PCA")]
                        value=Signal::derive(move || settings.with(|s| if s.plane == PlaneKind::Pca { "pca" } else { "random" }))
                        on_change=Callback::new(move |v: String| settings.update(|s| s.plane = if v == "pca" { PlaneKind::Pca } else { PlaneKind::Random })) />
                    <Slider label="grid" name="grid" value=get(|s| s.grid as f64)
                        scale=Scale { min: state::GRID.0 as f64, max: state::GRID.1 as f64, steps: 112, log: false }
                        format=|v| format!("{0}×{0}", v.round()) on_change=set(|s, v| s.grid = v.round() as usize) />
                    <Slider label="range" name="range" value=get(|s| f64::from(s.range))
                        scale=Scale { min: f64::from(state::RANGE.0), max: f64::from(state::RANGE.1), steps: 80, log: true }
                        format=fmt_frac on_change=set(|s, v| s.range = v as f32) />
                    <Choice label="scale" name="scale" options=vec![("log", "log₁₀ loss"), ("linear", "loss")]
                        value=Signal::derive(move || settings.with(|s| if s.log { "log" } else { "linear" }))
                        on_change=Callback::new(move |v: String| settings.update(|s| s.log = v == "log")) />
                    <Choice label="view" name="view" options=View::ALL.iter().map(|v| (v.name(), v.name())).collect()
                        value=Signal::derive(move || settings.with(|s| s.view.name()))
                        on_change=Callback::new(move |v: String| settings.update(|s| if let Some(x) = View::ALL.into_iter().find(|x| x.name() == v) { s.view = x; })) />
                </fieldset>
                <DataExport name="gradlab-landscape"
                    csv=Callback::new(move |()| runner.with_value(|r| r.run.as_ref().map(|run| views_csv(&run.views))))
                    json=Callback::new(move |()| runner.with_value(|r| r.run.as_ref().map(|run| views_json(&run.views, &settings.get_untracked()))))
                    config=Callback::new(move |()| state::cli_config(&settings.with_untracked(LandscapeState::run_config), status.get_untracked().steps)) />
            </aside>
        }
    };

    // `.views` (display: contents) carries the pictures' status attributes.
    let views = move || {
        view! {
            <div
                class="views"
                data-view=move || settings.with(|s| s.view.name())
                data-grids=move || readout.with(|r| r.grids.to_string())
                data-grid-ms=move || readout.with(|r| format!("{:.0}", r.grid_ms))
                data-sharpness=move || readout.with(|r| r.sharpness.map(|v| v.to_string()).unwrap_or_default())
                data-barrier=move || readout.with(|r| r.barrier.map(|b| b.0.to_string()).unwrap_or_default())
            >
                {charts()}
            </div>
        }
    };
    let open_link = shell::link_to(move || settings.with(LandscapeState::to_query));
    view! {
        <LabPage lab="landscape" embed=embed status=status messages=messages open_link=open_link
            transport=transport controls=controls charts=views />
    }
}

fn build(backend: &Rc<Backend>, s: &LandscapeState) -> Result<Run, gradlab_core::Error> {
    let problem = Problem::new(s.run_config())?;
    let mut a = Engine::new(backend, problem.clone())?;
    a.with_params = true;
    // Solution B: same data and training, initial weights from seed + 1.
    let b = if s.view.shows(View::Connect) {
        let init = problem.spec.init_params(s.seed + 1);
        let mut b = Engine::starting_from(backend, problem, init)?;
        b.with_params = true;
        Some(b)
    } else {
        None
    };
    Ok(Run { a, b, views: Views { grid_stale: true, ..Views::default() } })
}

/// One animation frame: apply settings, train, start and collect the
/// landscape computations, draw what changed.
fn frame(r: &mut Runner, now: f64, playing: RwSignal<bool>, status: RwSignal<Status>, readout: RwSignal<Readout>, canvases: Canvases) {
    let Some(backend) = r.backend.clone() else {
        return;
    };
    if let Some(s) = r.wanted.take() {
        let same = r.state.as_ref().is_some_and(|old| s.same_run(old) && (old.view.shows(View::Connect) || !s.view.shows(View::Connect)));
        if same {
            if let Some(run) = &mut r.run {
                run.views.grid_stale = true;
            }
        } else {
            r.run = None;
            r.progress = Progress::default();
            readout.set(Readout::default());
            match build(&backend, &s) {
                Ok(run) => {
                    r.run = Some(run);
                    shell::started(status, playing);
                }
                Err(e) => shell::failed(status, &e),
            }
        }
        r.state = Some(s);
        r.redraw = true;
    }
    let (Some(run), Some(s)) = (r.run.as_mut(), r.state.clone()) else {
        return;
    };
    if std::mem::take(&mut r.reset) {
        run.a.reset();
        if let Some(b) = &mut run.b {
            b.reset();
        }
        run.views = Views { grid_stale: true, ..Views::default() };
        r.progress = Progress::default();
        readout.set(Readout::default());
        shell::was_reset(status);
    }
    let steps = shell::steps_wanted(r.single_step, playing, status);
    let taken = run.a.steps_taken();
    let result = run.a.tick(steps, now, &web::now);
    r.single_step &= run.a.steps_taken() == taken;
    match result {
        None => {}
        Some(Err(e)) => status.update(|st| st.phase = Phase::Failed(e.to_string())),
        Some(Ok(snap)) => {
            if r.progress.record(&snap, now, status) {
                playing.set(false);
            }
            if let Some(p) = run.a.params() {
                if run.views.last_params_step != Some(snap.step) {
                    run.views.last_params_step = Some(snap.step);
                    push_thinned(&mut run.views.trajectory, p.to_vec());
                }
            }
            r.redraw = true;
        }
    }
    if let Some(b) = &mut run.b {
        // B follows A's pace; only its parameters are used.
        if let Some(Err(e)) = b.tick(steps, now, &web::now) {
            status.update(|st| st.phase = Phase::Failed(e.to_string()));
        }
    }
    let step = r.progress.history.points.last().map_or(0, |p| p.0);
    r.redraw |= jobs(run, &s, step, now, readout, status);
    if std::mem::take(&mut r.redraw) {
        draw(r, &s, readout, canvases);
    }
}

/// Appends a snapshot, dropping every other old one when full (the first
/// and the newest stay).
fn push_thinned(trajectory: &mut Vec<Vec<f32>>, params: Vec<f32>) {
    trajectory.push(params);
    if trajectory.len() > TRAJECTORY_CAP {
        let last = trajectory.len() - 1;
        let mut i = 0;
        trajectory.retain(|_| {
            i += 1;
            (i - 1) % 2 == 0 || i - 1 == last
        });
    }
}

/// The plane, grid and path of the next contour picture.
fn grid_request(run: &Run, s: &LandscapeState, step: u64, readout: RwSignal<Readout>) -> Option<GridRequest> {
    let theta = run.views.trajectory.last()?;
    let layout = run.a.problem.spec.layout();
    let pca = (s.plane == PlaneKind::Pca).then(|| pca_plane(&run.views.trajectory)).flatten();
    readout.update(|r| {
        r.explained = pca.as_ref().map(|p| p.explained);
        r.plane_note = (s.plane == PlaneKind::Pca && pca.is_none())
            .then(|| "the PCA plane needs at least three snapshots of a moving trajectory; showing a random plane meanwhile.".into());
    });
    let (plane, grid) = match pca {
        Some(p) => {
            // Frame the whole path with a margin, square in plane units.
            let coords: Vec<[f32; 2]> = run.views.trajectory.iter().map(|t| p.plane.coordinates(t)).collect();
            let reach = coords.iter().flatten().fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m });
            let half = if reach > 0.0 { 1.25 * reach } else { s.range };
            (p.plane, Grid::square(s.grid, half))
        }
        None => (random_plane(&layout, theta, s.seed), Grid::square(s.grid, s.range)),
    };
    let path = run.views.trajectory.iter().map(|t| plane.coordinates(t)).collect();
    let alphas = (0..SLICE_POINTS).map(|i| grid.alpha.0 + (grid.alpha.1 - grid.alpha.0) * i as f32 / (SLICE_POINTS - 1) as f32).collect();
    Some(GridRequest { grid, plane, path, alphas, step })
}

/// Collects finished computations and starts new ones; returns whether
/// anything new arrived.
fn jobs(run: &mut Run, s: &LandscapeState, step: u64, now: f64, readout: RwSignal<Readout>, status: RwSignal<Status>) -> bool {
    let mut fresh = false;
    let fail = |e: gradlab_core::Error| status.update(|st| st.phase = Phase::Failed(e.to_string()));
    let v = &mut run.views;

    // Contours and slice.
    if let Some((job, _)) = &mut v.grid_job {
        if let Some(result) = job.poll() {
            let (_, request) = v.grid_job.take().expect("polled above");
            match result {
                Ok(mut losses) => {
                    let slice = losses.split_off(request.grid.size * request.grid.size);
                    let took = now - v.grid_started;
                    v.next_grid_at = now + took;
                    readout.update(|r| {
                        r.grids += 1;
                        r.grid_step = request.step;
                        r.grid_ms = took;
                    });
                    v.picture = Some(Picture { request, losses, slice });
                    fresh = true;
                }
                Err(e) => fail(e),
            }
        }
    }
    let wants_grid = s.view.shows(View::Contour) || s.view.shows(View::Slice);
    let grid_due = v.grid_stale || v.picture.as_ref().is_none_or(|p| p.request.step != step);
    if wants_grid && v.grid_job.is_none() && grid_due && (v.grid_stale || now >= v.next_grid_at) {
        if let Some(request) = grid_request(run, s, step, readout) {
            let mut points = request.grid.points();
            points.extend(request.alphas.iter().map(|&a| [a, 0.0]));
            match run.a.losses(request.plane.clone(), points, Subset::Train) {
                Ok(job) => {
                    run.views.grid_job = Some((job, request));
                    run.views.grid_stale = false;
                    run.views.grid_started = now;
                }
                Err(e) => fail(e),
            }
        }
    }

    // Sharpness.
    let v = &mut run.views;
    if let Some((job, at)) = &mut v.sharp_job {
        if let Some(result) = job.poll() {
            let at = *at;
            v.sharp_job = None;
            match result {
                Ok(value) => {
                    v.sharpness.push((at, value));
                    readout.update(|r| r.sharpness = Some(value));
                    fresh = true;
                }
                Err(e) => fail(e),
            }
        }
    }
    let measured = v.sharpness.last().map(|p| p.0);
    if s.view.shows(View::Sharpness) && v.sharp_job.is_none() && measured != Some(step) && !v.trajectory.is_empty() {
        let iterations = if v.sharpness.is_empty() { FIRST_ITERATIONS } else { WARM_ITERATIONS };
        match run.a.sharpness(iterations) {
            Ok(job) => run.views.sharp_job = Some((job, step)),
            Err(e) => fail(e),
        }
    }

    // Mode connectivity.
    let v = &mut run.views;
    if let Some((job, at)) = &mut v.line_job {
        if let Some(result) = job.poll() {
            let at = *at;
            v.line_job = None;
            match result {
                Ok((train, test)) => {
                    let t: Vec<f32> = line_points().iter().map(|p| p[0]).collect();
                    let b = barrier(&t, &train).map(|tr| (tr, barrier(&t, &test)));
                    readout.update(|r| r.barrier = b);
                    v.line = Some(LineResult { t, train, test });
                    v.line_step = Some(at);
                    v.next_line_at = now + (now - v.line_started);
                    fresh = true;
                }
                Err(e) => fail(e),
            }
        }
    }
    let line_due = run.views.line_job.is_none() && run.views.line_step != Some(step) && now >= run.views.next_line_at;
    if let (Some(b), true) = (&run.b, line_due) {
        if let (Some(pa), Some(pb)) = (run.a.params(), b.params()) {
            let line = Plane::line(pa, pb);
            let started = run
                .a
                .losses(line.clone(), line_points(), Subset::Train)
                .and_then(|train| Ok(train.zip(run.a.losses(line, line_points(), Subset::Test)?)));
            match started {
                Ok(job) => {
                    run.views.line_job = Some((job, step));
                    run.views.line_started = now;
                }
                Err(e) => fail(e),
            }
        }
    }
    fresh
}

fn draw(r: &Runner, s: &LandscapeState, readout: RwSignal<Readout>, canvases: Canvases) {
    let pca = readout.with_untracked(|r| r.explained.is_some());
    for (view, canvas) in [
        (View::Contour, canvases.contour),
        (View::Slice, canvases.slice),
        (View::Sharpness, canvases.sharpness),
        (View::Connect, canvases.connect),
    ] {
        if let Some(canvas) = canvas.get_untracked() {
            draw_view(r, s, pca, view, &mut Surface::canvas(&canvas));
        }
    }
}

/// Draws `view`'s chart on `surface` (nothing until it has data); `pca`
/// names the axes after principal components.
fn draw_view(r: &Runner, s: &LandscapeState, pca: bool, view: View, surface: &mut Surface<'_>) {
    let Some(v) = r.run.as_ref().map(|run| &run.views) else {
        return;
    };
    let axes = if pca { ("PC1", "PC2") } else { ("α (along d₁)", "β (along d₂)") };
    match (view, &v.picture, &v.line) {
        (View::Contour, Some(p), _) => {
            let frame = ContourFrame { grid: &p.request.grid, losses: &p.losses, log: s.log, path: &p.request.path, axes };
            draw_contour(surface, &frame);
        }
        (View::Slice, Some(p), _) => draw_slice(surface, &p.request.alphas, &p.slice, s.log, axes.0),
        (View::Sharpness, ..) => {
            draw_sharpness(surface, &v.sharpness, s.edge() as f32, s.edge_label());
        }
        (View::Connect, _, Some(l)) => draw_connect(surface, &l.t, &l.train, &l.test, s.log),
        _ => {}
    }
}

/// Every chart's data as `series,x,y,value` rows: the loss on the plane
/// (`contour`, x = α, y = β), the 1D `slice` (x = α), `sharpness` (x =
/// step) and the loss along the line between the two solutions
/// (`connect_train`, `connect_test`, x = t).
fn views_csv(v: &Views) -> String {
    let mut csv = String::from("series,x,y,value\n");
    if let Some(p) = &v.picture {
        for (xy, loss) in p.request.grid.points().iter().zip(&p.losses) {
            csv.push_str(&format!("contour,{},{},{loss}\n", xy[0], xy[1]));
        }
        for (a, loss) in p.request.alphas.iter().zip(&p.slice) {
            csv.push_str(&format!("slice,{a},,{loss}\n"));
        }
    }
    for (step, l) in &v.sharpness {
        csv.push_str(&format!("sharpness,{step},,{l}\n"));
    }
    if let Some(l) = &v.line {
        for (name, values) in [("connect_train", &l.train), ("connect_test", &l.test)] {
            for (t, loss) in l.t.iter().zip(values) {
                csv.push_str(&format!("{name},{t},,{loss}\n"));
            }
        }
    }
    csv
}

/// The settings, the run's config and every chart's data.
fn views_json(v: &Views, s: &LandscapeState) -> String {
    let picture = v.picture.as_ref().map(|p| {
        serde_json::json!({
            "step": p.request.step,
            "alpha": p.request.grid.alpha,
            "beta": p.request.grid.beta,
            "size": p.request.grid.size,
            "loss": p.losses,
            "path": p.request.path,
            "slice": { "alpha": p.request.alphas, "loss": p.slice },
        })
    });
    let body = serde_json::json!({
        "settings": s.to_query(),
        "config": s.run_config(),
        "plane": picture,
        "sharpness": { "step": v.sharpness.iter().map(|p| p.0).collect::<Vec<_>>(), "lambda_max": v.sharpness.iter().map(|p| p.1).collect::<Vec<_>>(), "edge": s.edge() },
        "connect": v.line.as_ref().map(|l| serde_json::json!({ "t": l.t, "train": l.train, "test": l.test })),
    });
    body.to_string()
}

/// The contour view's formula: the plane, then how its directions are made.
fn plane_tex(pca: bool) -> (&'static str, &'static str) {
    if pca {
        (r"L(\theta_t + \alpha\,u_1 + \beta\,u_2)", r"u_1, u_2 = \text{top principal directions of } \theta_0, \dots, \theta_t")
    } else {
        (
            r"L(\theta_t + \alpha\,d_1 + \beta\,d_2)",
            r"d_{k,j} \leftarrow \frac{\lVert \theta_j \rVert}{\lVert d_{k,j} \rVert}\, d_{k,j} \text{ for every neuron } j \text{ (biases: 0)}",
        )
    }
}
