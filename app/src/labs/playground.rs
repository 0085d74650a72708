//! The playground: pick data and a network, train it live, watch its
//! function and its losses.

use std::rc::Rc;

use gradlab_core::gpu::Snapshot;
use gradlab_core::{DatasetKind, Loss, Optimizer, Parameterization, Problem};
use leptos::html::Canvas;
use leptos::prelude::*;

use super::shell::{self, HostHooks, LabPage, Phase, Progress, Status, Transport};
use crate::charts::{self, draw_function, draw_losses, History, Surface};
use crate::components::{
    fmt_frac, fmt_int, fmt_lr, ActivationChoice, ChartFigure, Choice, DataExport, DatasetChoice, LossChoice, ParameterizationChoice, Scale,
    SeedInput, Slider, Tex,
};
use crate::engine::{Backend, Engine};
use crate::state::{self, PlaygroundState};
use crate::web;

/// Everything the animation loop owns (not reactive, not `Send`).
#[derive(Default)]
struct Runner {
    backend: Option<Rc<Backend>>,
    engine: Option<Engine>,
    /// Settings to rebuild the engine with at the next frame.
    wanted: Option<PlaygroundState>,
    reset: bool,
    single_step: bool,
    progress: Progress,
    last: Option<Snapshot>,
    redraw: bool,
}

fn fmt_batch(v: f64) -> String {
    if v < 0.5 {
        "full".into()
    } else {
        fmt_int(2f64.powf(v.round() - 1.0))
    }
}

/// The playground lab. `embed` drops the page chrome and fills the frame.
#[component]
pub fn Playground(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let (initial, first_messages) = PlaygroundState::from_query(&web::search());
    let settings = RwSignal::new(initial);
    let messages = RwSignal::new(first_messages);
    let status = RwSignal::new(Status::default());
    let playing = RwSignal::new(shell::autoplay());
    let function_canvas = NodeRef::<Canvas>::new();
    let loss_canvas = NodeRef::<Canvas>::new();
    let runner = StoredValue::new_local(Runner::default());

    // The URL and the engine follow the settings.
    Effect::new(move |_| {
        let s = settings.get();
        shell::show_in_url(&s.to_query(), embed);
        runner.update_value(|r| r.wanted = Some(s));
    });

    shell::find_backend(status, messages, move |backend| runner.update_value(|r| r.backend = Some(backend)));
    let on_reset = Callback::new(move |()| runner.update_value(|r| r.reset = true));
    shell::listen_to_host(HostHooks {
        apply: shell::apply_query(settings, messages, PlaygroundState::from_query),
        status,
        transport: Some((playing, on_reset)),
    });
    shell::on_resize(move || runner.update_value(|r| r.redraw = true));

    web::animation_loop(move |now| {
        runner.update_value(|r| frame(r, now, playing, status, function_canvas, loss_canvas));
    });

    let set = move |f: fn(&mut PlaygroundState, f64)| Callback::new(move |v: f64| settings.update(|s| f(s, v)));
    let pick = move |f: fn(&mut PlaygroundState, &str)| Callback::new(move |v: String| settings.update(|s| f(s, &v)));
    let get = move |f: fn(&PlaygroundState) -> f64| Signal::derive(move || settings.with(f));

    let transport = move || {
        let on_step = Callback::new(move |()| runner.update_value(|r| r.single_step = true));
        view! { <Transport playing=playing status=status on_step=on_step on_reset=on_reset /> }
    };

    let svg = move |chart: Chart| Callback::new(move |size| runner.with_value(|r| charts::svg(size, |s| draw_chart(r, chart, s))));
    let charts = move || {
        view! {
            <ChartFigure class="chart function" canvas=function_canvas label="the network's function over the data" name="gradlab-playground-function" svg=svg(Chart::Function)>
                <Tex tex=move || if settings.with(|s| s.param == Parameterization::Ntk) { r"f_\theta(x) = z_L,\ \ z_l = \tfrac{1}{\sqrt{n_{l-1}}}\, W_l\, h_{l-1} + b_l,\ \ h_0 = x,\ h_l = \phi(z_l)" } else { r"f_\theta(x) = z_L,\ \ z_l = W_l\, h_{l-1} + b_l,\ \ h_0 = x,\ h_l = \phi(z_l)" } />" "{move || settings.with(|s| if s.data.classes().is_some() {
                    "Decision boundary: colour is the predicted class, white the boundary; dots are training points (labels as given, noise included)."
                } else {
                    "Fitted function (orange) against the true sin(2πx) (dashed); dots are noisy training points."
                })}
            </ChartFigure>
            <ChartFigure class="chart losses" canvas=loss_canvas label="training and test loss curves" name="gradlab-playground-losses" svg=svg(Chart::Losses)>
                <Tex tex=r"L(\theta) = \tfrac{1}{n}\textstyle\sum_{i=1}^{n} \ell\big(f_\theta(x_i),\, y_i\big)" />" ""Loss on the whole training set (solid) and the held-out test set (dashed), log scale."
            </ChartFigure>
        }
    };

    let controls = move || {
        view! {
            <aside class="controls">
                {transport()}
                <fieldset>
                    <legend>"Data"</legend>
                    <DatasetChoice value=Signal::derive(move || settings.with(|s| s.data))
                        on_change=Callback::new(move |d: DatasetKind| settings.update(|s| {
                            s.data = d;
                            if d.classes().is_none() { s.loss = Loss::Mse; }
                        })) />
                    <Slider label="points" name="n" value=get(|s| s.n as f64)
                        scale=Scale { min: state::POINTS.0 as f64, max: state::POINTS.1 as f64, steps: 100, log: true }
                        format=fmt_int on_change=set(|s, v| s.n = v.round() as usize) />
                    <Slider label="input noise" name="noise" value=get(|s| f64::from(s.noise))
                        scale=Scale { min: 0.0, max: f64::from(state::NOISE.1), steps: 50, log: false }
                        format=fmt_frac on_change=set(|s, v| s.noise = v as f32) />
                    <Slider label="label noise" name="label_noise" value=get(|s| f64::from(s.label_noise))
                        scale=Scale { min: 0.0, max: f64::from(state::LABEL_NOISE.1), steps: 50, log: false }
                        format=fmt_frac on_change=set(|s, v| s.label_noise = v as f32) />
                </fieldset>
                <fieldset>
                    <legend>"Network"</legend>
                    <Slider label="width" name="width" value=get(|s| s.width as f64)
                        scale=Scale { min: state::WIDTH.0 as f64, max: state::WIDTH.1 as f64, steps: 100, log: true }
                        format=fmt_int on_change=set(|s, v| s.width = v.round() as usize) />
                    <Slider label="depth" name="depth" value=get(|s| s.depth as f64)
                        scale=Scale { min: state::DEPTH.0 as f64, max: state::DEPTH.1 as f64, steps: 5, log: false }
                        format=fmt_int on_change=set(|s, v| s.depth = v.round() as usize) />
                    <ActivationChoice value=Signal::derive(move || settings.with(|s| s.act))
                        on_change=Callback::new(move |a| settings.update(|s| s.act = a)) />
                    <ParameterizationChoice value=Signal::derive(move || settings.with(|s| s.param))
                        on_change=Callback::new(move |p| settings.update(|s| s.param = p)) />
                </fieldset>
                <fieldset>
                    <legend>"Training"</legend>
                    <LossChoice value=Signal::derive(move || settings.with(|s| s.loss))
                        classes=Signal::derive(move || settings.with(|s| s.data.classes().is_some()))
                        on_change=Callback::new(move |l| settings.update(|s| s.loss = l)) />
                    <Choice label="optimizer" name="opt" options=Optimizer::NAMES.iter().map(|&n| (n, match n { "normalizedgd" => "normalized GD", "rmsprop" => "RMSProp", "sgd" => "SGD", "adam" => "Adam", other => other })).collect()
                        value=Signal::derive(move || settings.with(|s| s.opt))
                        on_change=pick(|s, v| if let Some(&n) = Optimizer::NAMES.iter().find(|&&n| n == v) { s.opt = n; }) />
                    <Slider label="learning rate" name="lr" value=get(|s| f64::from(s.lr))
                        scale=Scale { min: f64::from(state::LR.0), max: f64::from(state::LR.1), steps: 100, log: true }
                        format=fmt_lr on_change=set(|s, v| s.lr = v as f32) />
                    <Slider label="batch size" name="batch" value=get(|s| if s.batch == 0 { 0.0 } else { (s.batch as f64).log2() + 1.0 })
                        scale=Scale { min: 0.0, max: (state::MAX_BATCH as f64).log2() + 1.0, steps: 11, log: false }
                        format=fmt_batch on_change=set(|s, v| s.batch = if v < 0.5 { 0 } else { 1 << (v.round() as u32 - 1) }) />
                    <SeedInput value=Signal::derive(move || settings.with(|s| s.seed)) max=state::MAX_SEED
                        on_change=Callback::new(move |v| settings.update(|s| s.seed = v)) />
                </fieldset>
                <DataExport name="gradlab-playground"
                    csv=Callback::new(move |()| runner.with_value(|r| Some(losses_csv(&r.progress.history))))
                    json=Callback::new(move |()| runner.with_value(|r| export_json(r, &settings.get_untracked())))
                    config=Callback::new(move |()| state::cli_config(&settings.with_untracked(PlaygroundState::run_config), status.get_untracked().steps)) />
            </aside>
        }
    };

    let open_link = shell::link_to(move || settings.with(PlaygroundState::to_query));
    view! {
        <LabPage lab="playground" embed=embed status=status messages=messages open_link=open_link
            transport=transport controls=controls charts=charts />
    }
}

/// One animation frame: apply pending requests, advance training, and
/// draw when a snapshot arrives.
fn frame(
    r: &mut Runner,
    now: f64,
    playing: RwSignal<bool>,
    status: RwSignal<Status>,
    function_canvas: NodeRef<Canvas>,
    loss_canvas: NodeRef<Canvas>,
) {
    let Some(backend) = r.backend.clone() else {
        return;
    };
    if let Some(s) = r.wanted.take() {
        r.engine = None;
        r.progress = Progress::default();
        r.last = None;
        match Problem::new(s.run_config()).and_then(|p| Engine::new(&backend, p)) {
            Ok(e) => {
                r.engine = Some(e);
                shell::started(status, playing);
            }
            Err(e) => shell::failed(status, &e),
        }
    }
    let Some(engine) = r.engine.as_mut() else {
        return;
    };
    if std::mem::take(&mut r.reset) {
        engine.reset();
        r.progress = Progress::default();
        shell::was_reset(status);
    }
    let taken = engine.steps_taken();
    let result = engine.tick(shell::steps_wanted(r.single_step, playing, status), now, &web::now);
    // "Step" is done once a step was trained, not when any snapshot lands
    // (one asked for before the click may arrive first).
    r.single_step &= engine.steps_taken() == taken;
    match result {
        None => {}
        Some(Err(e)) => status.update(|st| st.phase = Phase::Failed(e.to_string())),
        Some(Ok(snap)) => {
            if r.progress.record(&snap, now, status) {
                playing.set(false);
            }
            r.last = Some(snap);
            r.redraw = true;
        }
    }
    if std::mem::take(&mut r.redraw) {
        draw(r, function_canvas, loss_canvas);
    }
}

/// The playground's two charts.
#[derive(Clone, Copy)]
enum Chart {
    Function,
    Losses,
}

fn draw(r: &Runner, function_canvas: NodeRef<Canvas>, loss_canvas: NodeRef<Canvas>) {
    for (chart, canvas) in [(Chart::Function, function_canvas), (Chart::Losses, loss_canvas)] {
        if let Some(canvas) = canvas.get_untracked() {
            draw_chart(r, chart, &mut Surface::canvas(&canvas));
        }
    }
}

/// Draws `chart` of the latest snapshot on `s`.
fn draw_chart(r: &Runner, chart: Chart, s: &mut Surface<'_>) {
    match (chart, r.engine.as_ref(), r.last.as_ref()) {
        // Diverged predictions are NaN: the data stays, the function goes.
        (Chart::Function, Some(engine), Some(snap)) => draw_function(s, &engine.problem, &engine.grid, &snap.grid),
        (Chart::Losses, ..) => draw_losses(s, &r.progress.history),
        _ => {}
    }
}

/// The loss curves: `step,train_loss,test_loss`.
fn losses_csv(history: &History) -> String {
    let mut csv = String::from("step,train_loss,test_loss\n");
    for (step, train, test) in &history.points {
        csv.push_str(&format!("{step},{train},{}\n", test.map_or(String::new(), |t| t.to_string())));
    }
    csv
}

/// The settings, the run's config, the loss curves, the network's outputs
/// on the drawing grid and the training data.
fn export_json(r: &Runner, s: &PlaygroundState) -> Option<String> {
    let engine = r.engine.as_ref()?;
    let h = &r.progress.history.points;
    let train = &engine.problem.dataset.train;
    let body = serde_json::json!({
        "settings": s.to_query(),
        "config": s.run_config(),
        "losses": {
            "step": h.iter().map(|p| p.0).collect::<Vec<_>>(),
            "train": h.iter().map(|p| p.1).collect::<Vec<_>>(),
            "test": h.iter().map(|p| p.2).collect::<Vec<_>>(),
        },
        "function": {
            "input_dim": engine.problem.spec.input_dim,
            "output_dim": engine.problem.spec.output_dim,
            "grid": engine.grid,
            "outputs": r.last.as_ref().map(|snap| &snap.grid),
        },
        "train": { "x": train.x, "y": train.y },
    });
    Some(body.to_string())
}
