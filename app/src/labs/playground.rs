//! The playground: pick data and a network, train it live, watch its
//! function and its losses.

use std::rc::Rc;

use gradlab_core::gpu::Snapshot;
use gradlab_core::{Activation, DatasetKind, Loss, Optimizer, Parameterization, Problem};
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::charts::{draw_function, draw_losses, History};
use crate::components::{Choice, Scale, Slider};
use crate::engine::{Backend, Engine};
use crate::state::{self, PlaygroundState};
use crate::web;

/// Where a run stands, as the page and `data-phase` show it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Phase {
    #[default]
    Starting,
    Running,
    Paused,
    Diverged,
    Failed(String),
}

impl Phase {
    fn code(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Diverged => "diverged",
            Self::Failed(_) => "failed",
        }
    }
}

/// What the page shows about the run; mirrored in `data-*` attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    /// `data-backend`: `webgpu: <adapter>` or `cpu`.
    pub backend: String,
    /// The badge's words, and its tooltip.
    pub badge: String,
    pub backend_note: String,
    pub steps: u64,
    pub train_loss: Option<f32>,
    pub test_loss: Option<f32>,
    pub steps_per_s: f64,
    pub phase: Phase,
}

/// Everything the animation loop owns (not reactive, not `Send`).
#[derive(Default)]
struct Runner {
    backend: Option<Rc<Backend>>,
    engine: Option<Engine>,
    /// Settings to rebuild the engine with at the next frame.
    wanted: Option<PlaygroundState>,
    reset: bool,
    single_step: bool,
    history: History,
    last: Option<Snapshot>,
    /// `(time ms, step)` of the previous snapshot, for steps/s.
    rate_mark: Option<(f64, u64)>,
    redraw: bool,
    scratch: Option<web_sys::HtmlCanvasElement>,
}

fn fmt_int(v: f64) -> String {
    format!("{}", v.round())
}
fn fmt_lr(v: f64) -> String {
    if v >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.1e}")
    }
}
fn fmt_frac(v: f64) -> String {
    format!("{v:.2}")
}
fn fmt_batch(v: f64) -> String {
    if v < 0.5 {
        "full".into()
    } else {
        fmt_int(2f64.powf(v.round() - 1.0))
    }
}
fn fmt_loss(v: Option<f32>) -> String {
    v.map_or_else(
        || "–".into(),
        |v| {
            if v.is_finite() {
                format!("{v:.4}")
            } else {
                "NaN".into()
            }
        },
    )
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
    let playing = RwSignal::new(true);
    let function_canvas = NodeRef::<Canvas>::new();
    let loss_canvas = NodeRef::<Canvas>::new();
    let runner = StoredValue::new_local(Runner::default());

    // The URL and the engine follow the settings.
    Effect::new(move |_| {
        let s = settings.get();
        let mut query = s.to_query();
        if embed {
            query.push_str("&embed=1");
        }
        web::replace_query(&query);
        runner.update_value(|r| r.wanted = Some(s));
    });

    leptos::task::spawn_local(async move {
        let backend = web::find_backend().await;
        status.update(|s| {
            s.backend = backend.label();
            (s.badge, s.backend_note) = match &backend {
                Backend::Gpu { name, .. } => (format!("WebGPU · {name}"), format!("Training on the GPU through WebGPU ({name}).")),
                Backend::Cpu { reason } => ("CPU fallback".into(), format!("WebGPU is unavailable ({reason}).")),
            };
        });
        if let Backend::Cpu { reason } = &backend {
            messages.update(|m| m.push(format!("WebGPU is unavailable ({reason}), so training runs on the CPU, more slowly.")));
        }
        runner.update_value(|r| r.backend = Some(Rc::new(backend)));
    });

    if let Some(w) = web_sys::window() {
        let on_resize = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || runner.update_value(|r| r.redraw = true));
        let _ = w.add_event_listener_with_callback("resize", wasm_bindgen::JsCast::unchecked_ref(on_resize.as_ref()));
        on_resize.forget();
    }

    web::animation_loop(move |now| {
        runner.update_value(|r| frame(r, now, playing, status, function_canvas, loss_canvas));
    });

    let set = move |f: fn(&mut PlaygroundState, f64)| Callback::new(move |v: f64| settings.update(|s| f(s, v)));
    let pick = move |f: fn(&mut PlaygroundState, &str)| Callback::new(move |v: String| settings.update(|s| f(s, &v)));
    let get = move |f: fn(&PlaygroundState) -> f64| Signal::derive(move || settings.with(f));

    let transport = move || {
        view! {
            <div class="transport" role="group" aria-label="training">
                <button
                    class="primary"
                    name="play"
                    on:click=move |_| {
                        let now_playing = !playing.get_untracked();
                        playing.set(now_playing);
                        status.update(|s| {
                            if matches!(s.phase, Phase::Running | Phase::Paused) {
                                s.phase = if now_playing { Phase::Running } else { Phase::Paused };
                            }
                        });
                    }
                >
                    {move || if playing.get() { "❚❚ Pause" } else { "▶ Play" }}
                </button>
                <button name="step" title="one optimizer step" on:click=move |_| {
                    playing.set(false);
                    runner.update_value(|r| r.single_step = true);
                }>"Step"</button>
                <button name="reset" title="back to the initial weights" on:click=move |_| {
                    runner.update_value(|r| r.reset = true);
                    if status.get_untracked().phase == Phase::Diverged {
                        playing.set(true);
                    }
                }>"Reset"</button>
            </div>
        }
    };

    let badge = move || {
        view! {
            <div class="badge" title=move || status.with(|s| s.backend_note.clone())>
                <span class=move || if status.with(|s| s.backend.starts_with("webgpu")) { "dot gpu" } else { "dot cpu" }></span>
                <span class="badge-backend">{move || status.with(|s| if s.badge.is_empty() { "finding a GPU…".into() } else { s.badge.clone() })}</span>
                <span class="badge-rate">{move || status.with(|s| format!("{:.0} steps/s", s.steps_per_s))}</span>
            </div>
        }
    };

    let notices = move || {
        view! {
            <div class="notices" role="status">
                {move || match status.with(|s| s.phase.clone()) {
                    Phase::Diverged => Some(view! { <p class="notice danger">"Diverged — lower the learning rate, then press Reset."</p> }.into_any()),
                    Phase::Failed(e) => Some(view! { <p class="notice danger">{e}</p> }.into_any()),
                    _ => None,
                }}
                {move || {
                    messages.get().into_iter().enumerate().map(|(i, m)| view! {
                        <p class="notice">
                            <span>{m}</span>
                            <button class="dismiss" aria-label="dismiss" title="dismiss"
                                on:click=move |_| messages.update(|all| { all.remove(i); })>"×"</button>
                        </p>
                    }).collect_view()
                }}
            </div>
        }
    };

    let stats = move || {
        view! {
            <dl class="stats">
                <dt>"step"</dt><dd class="stat-steps">{move || status.with(|s| s.steps)}</dd>
                <dt>"train loss"</dt><dd>{move || status.with(|s| fmt_loss(s.train_loss))}</dd>
                <dt>"test loss"</dt><dd>{move || status.with(|s| fmt_loss(s.test_loss))}</dd>
            </dl>
        }
    };

    let charts = move || {
        view! {
            <figure class="chart function">
                <canvas node_ref=function_canvas aria-label="the network's function over the data"></canvas>
                <figcaption>{move || settings.with(|s| if s.data.classes().is_some() {
                    "Decision boundary: colour is the predicted class, white the boundary; dots are training points (labels as given, noise included)."
                } else {
                    "Fitted function (orange) against the true sin(2πx) (dashed); dots are noisy training points."
                })}</figcaption>
            </figure>
            <figure class="chart losses">
                <canvas node_ref=loss_canvas aria-label="training and test loss curves"></canvas>
                <figcaption>"Loss on the whole training set (solid) and the held-out test set (dashed), log scale."</figcaption>
            </figure>
        }
    };

    let controls = move || {
        view! {
            <aside class="controls">
                {transport()}
                <fieldset>
                    <legend>"Data"</legend>
                    <Choice label="dataset" name="data" options=DatasetKind::ALL.iter().map(|d| (d.name(), d.name())).collect()
                        value=Signal::derive(move || settings.with(|s| s.data.name()))
                        on_change=pick(|s, v| {
                            if let Some(d) = DatasetKind::ALL.into_iter().find(|d| d.name() == v) {
                                s.data = d;
                                if d.classes().is_none() { s.loss = Loss::Mse; }
                            }
                        }) />
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
                    <Choice label="activation" name="act" options=Activation::ALL.iter().map(|a| (a.name(), a.name())).collect()
                        value=Signal::derive(move || settings.with(|s| s.act.name()))
                        on_change=pick(|s, v| if let Some(a) = Activation::ALL.into_iter().find(|a| a.name() == v) { s.act = a; }) />
                    <Choice label="parameterization" name="param" options=vec![("standard", "standard"), ("ntk", "NTK (1/√fan-in)")]
                        value=Signal::derive(move || settings.with(|s| s.param.name()))
                        on_change=pick(|s, v| if let Some(p) = Parameterization::ALL.into_iter().find(|p| p.name() == v) { s.param = p; }) />
                </fieldset>
                <fieldset>
                    <legend>"Training"</legend>
                    <Choice label="loss" name="loss" options=Loss::ALL.iter().map(|l| (l.name(), match l { Loss::Mse => "mean squared error", Loss::Bce => "binary cross-entropy", Loss::Softmax => "softmax cross-entropy" })).collect()
                        value=Signal::derive(move || settings.with(|s| s.loss.name()))
                        on_change=pick(|s, v| if let Some(l) = Loss::ALL.into_iter().find(|l| l.name() == v) {
                            if s.data.classes().is_some() || l == Loss::Mse { s.loss = l; }
                        }) />
                    <Choice label="optimizer" name="opt" options=Optimizer::NAMES.iter().map(|&n| (n, match n { "normalizedgd" => "normalized GD", "rmsprop" => "RMSProp", "sgd" => "SGD", "adam" => "Adam", other => other })).collect()
                        value=Signal::derive(move || settings.with(|s| s.opt))
                        on_change=pick(|s, v| if let Some(&n) = Optimizer::NAMES.iter().find(|&&n| n == v) { s.opt = n; }) />
                    <Slider label="learning rate" name="lr" value=get(|s| f64::from(s.lr))
                        scale=Scale { min: f64::from(state::LR.0), max: f64::from(state::LR.1), steps: 100, log: true }
                        format=fmt_lr on_change=set(|s, v| s.lr = v as f32) />
                    <Slider label="batch size" name="batch" value=get(|s| if s.batch == 0 { 0.0 } else { (s.batch as f64).log2() + 1.0 })
                        scale=Scale { min: 0.0, max: (state::MAX_BATCH as f64).log2() + 1.0, steps: 11, log: false }
                        format=fmt_batch on_change=set(|s, v| s.batch = if v < 0.5 { 0 } else { 1 << (v.round() as u32 - 1) }) />
                    <label class="control">
                        <span class="control-label">"seed"</span>
                        <input type="number" name="seed" min="0" max=state::MAX_SEED.to_string()
                            prop:value=move || settings.with(|s| s.seed.to_string())
                            on:change=move |ev| {
                                if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                                    settings.update(|s| s.seed = v.min(state::MAX_SEED));
                                }
                            } />
                        <button name="reseed" title="a new random seed" aria-label="new seed"
                            on:click=move |_| settings.update(|s| s.seed = (js_sys::Math::random() * state::MAX_SEED as f64) as u64)>"⚄"</button>
                    </label>
                </fieldset>
            </aside>
        }
    };

    let root_attrs = move |class: &'static str| {
        view! {
            <div
                class=class
                data-backend=move || status.with(|s| s.backend.clone())
                data-steps=move || status.with(|s| s.steps.to_string())
                data-train-loss=move || status.with(|s| s.train_loss.map(|v| v.to_string()).unwrap_or_default())
                data-test-loss=move || status.with(|s| s.test_loss.map(|v| v.to_string()).unwrap_or_default())
                data-phase=move || status.with(|s| s.phase.code())
            >
                {if embed {
                    view! {
                        <div class="embed-charts">{charts()}</div>
                        <div class="embed-bar">
                            {transport()}
                            {stats()}
                            {badge()}
                            <a class="open" target="_blank" href=move || format!("./?{}", settings.with(PlaygroundState::to_query))>"open in gradlab ↗"</a>
                        </div>
                        {notices()}
                    }
                    .into_any()
                } else {
                    view! {
                        {controls()}
                        <section class="main">
                            {notices()}
                            <div class="charts">{charts()}</div>
                            {stats()}
                        </section>
                    }
                    .into_any()
                }}
            </div>
        }
    };

    if embed {
        root_attrs("playground embed").into_any()
    } else {
        view! {
            <header class="topbar">
                <h1>"gradlab"</h1>
                <span class="lab-name">"Playground"</span>
                <span class="spacer"></span>
                {badge()}
            </header>
            {root_attrs("playground")}
        }
        .into_any()
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
        r.history = History::default();
        r.last = None;
        r.rate_mark = None;
        match Problem::new(s.run_config()).and_then(|p| Engine::new(&backend, p)) {
            Ok(e) => {
                r.engine = Some(e);
                let phase = if playing.get_untracked() { Phase::Running } else { Phase::Paused };
                status.update(|st| {
                    st.phase = phase;
                    st.steps = 0;
                    st.train_loss = None;
                    st.test_loss = None;
                });
            }
            Err(e) => status.update(|st| st.phase = Phase::Failed(format!("This configuration cannot run: {e}"))),
        }
    }
    let Some(engine) = r.engine.as_mut() else {
        return;
    };
    if std::mem::take(&mut r.reset) {
        engine.reset();
        r.history = History::default();
        r.rate_mark = None;
        status.update(|st| {
            if matches!(st.phase, Phase::Diverged) {
                st.phase = Phase::Running;
            }
        });
    }
    let diverged = status.with_untracked(|s| s.phase == Phase::Diverged);
    let steps = if r.single_step {
        Some(1)
    } else if playing.get_untracked() && !diverged {
        Some(u32::MAX)
    } else {
        None
    };
    match engine.tick(steps, now, &web::now) {
        None => {}
        Some(Err(e)) => status.update(|st| st.phase = Phase::Failed(e.to_string())),
        Some(Ok(snap)) => {
            r.single_step = false;
            if let Some((t0, s0)) = r.rate_mark {
                if snap.step > s0 && now > t0 {
                    let rate = (snap.step - s0) as f64 / (now - t0) * 1000.0;
                    status.update(|st| st.steps_per_s = if st.steps_per_s > 0.0 { 0.8 * st.steps_per_s + 0.2 * rate } else { rate });
                }
            }
            r.rate_mark = Some((now, snap.step));
            r.history.push(snap.step, snap.train_loss, snap.test_loss);
            let diverged = snap.diverged();
            status.update(|st| {
                st.steps = snap.step;
                st.train_loss = Some(snap.train_loss);
                st.test_loss = snap.test_loss;
                if diverged {
                    st.phase = Phase::Diverged;
                } else if st.phase == Phase::Diverged {
                    st.phase = Phase::Running;
                }
            });
            if diverged {
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

fn draw(r: &mut Runner, function_canvas: NodeRef<Canvas>, loss_canvas: NodeRef<Canvas>) {
    let (Some(engine), Some(snap)) = (r.engine.as_ref(), r.last.as_ref()) else {
        return;
    };
    if let Some(canvas) = function_canvas.get_untracked() {
        let scratch = r.scratch.get_or_insert_with(|| {
            let doc = web_sys::window().and_then(|w| w.document()).expect("a document");
            wasm_bindgen::JsCast::unchecked_into(doc.create_element("canvas").expect("a canvas"))
        });
        // Diverged predictions are NaN: the data stays, the function goes.
        draw_function(&canvas, scratch, &engine.problem, &engine.grid, &snap.grid);
    }
    if let Some(canvas) = loss_canvas.get_untracked() {
        draw_losses(&canvas, &r.history);
    }
}
