//! The page around a lab: the top bar (lab links, theme, embed code,
//! backend badge), the transport, notices and stats, and the root element
//! whose `data-*` attributes tests and host pages read; or, embedded, the
//! charts alone over a slim bar.

use leptos::prelude::*;

use super::flags::{self, link, ThemeChoice};
use super::status::{fmt_accuracy, fmt_loss, Phase, Status};
use crate::charts::{theme, Theme};
use crate::web;

/// The labs, as `(query value, title)`.
pub const LABS: [(&str, &str); 6] = [
    ("playground", "Playground"),
    ("landscape", "Loss landscape"),
    ("dd", "Double descent"),
    ("ntk", "Tangent kernel"),
    ("implicit", "Implicit bias"),
    ("lottery", "Lottery tickets"),
];

/// The backend and its speed.
#[component]
pub fn Badge(
    status: RwSignal<Status>,
    /// Show steps/s (labs that train).
    #[prop(default = true)]
    rate: bool,
) -> impl IntoView {
    view! {
        <div class="badge" title=move || status.with(|s| s.backend_note.clone())>
            <span class=move || if status.with(|s| s.backend.starts_with("webgpu")) { "dot gpu" } else { "dot cpu" }></span>
            <span class="badge-backend">{move || status.with(|s| if s.badge.is_empty() { "finding a GPU…".into() } else { s.badge.clone() })}</span>
            <span class="badge-rate">{move || rate.then(|| status.with(|s| format!("{:.0} steps/s", s.steps_per_s)))}</span>
            {move || status.with(|s| s.backend_switch).map(|other| view! {
                <button name="backend-switch" class="badge-switch"
                    title=format!("Load the page again with backend={other}")
                    on:click=move |_| {
                        flags::set_page_flag("backend", Some(other));
                        web::reload();
                    }>{if other == "gpu" { "use GPU" } else { "use CPU" }}</button>
            })}
        </div>
    }
}

/// "Copy embed code": the `<iframe>` for the page as it is now, copied to
/// the clipboard and shown, selected, for copying by hand.
#[component]
pub fn EmbedCode() -> impl IntoView {
    let snippet = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    view! {
        <button name="embed-code" class="embed-code-button"
            on:click=move |_| {
                let text = web::embed_snippet();
                copied.set(false);
                snippet.set(Some(text.clone()));
                leptos::task::spawn_local(async move { copied.set(web::copy_text(&text).await) });
            }>"Copy embed code"</button>
        {move || snippet.get().map(|text| view! {
            <div class="embed-code" role="dialog" aria-label="embed code">
                <p>{move || if copied.get() { "Copied. " } else { "Copy it (it is selected when you click in it). " }}
                    "Paste it into a slide (reveal.js: put it in a section):"</p>
                <textarea readonly rows="4" on:focus=move |ev| {
                    if let Some(t) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlTextAreaElement>(t).ok()) {
                        t.select();
                    }
                }>{text}</textarea>
                <button name="embed-code-close" on:click=move |_| snippet.set(None)>"Close"</button>
            </div>
        })}
    }
}

/// The page's top bar: the lab links and the badge.
#[component]
pub fn Topbar(
    lab: &'static str,
    status: RwSignal<Status>,
    /// Show steps/s in the badge (labs that train).
    #[prop(default = true)]
    rate: bool,
) -> impl IntoView {
    view! {
        <header class="topbar">
            <h1><a href=link("")>"gradlab"</a></h1>
            <nav class="labs">
                {LABS
                    .iter()
                    .map(|&(key, title)| {
                        let current = (key == lab).then_some("page");
                        view! { <a href=link(&format!("lab={key}")) aria-current=current>{title}</a> }
                    })
                    .collect_view()}
            </nav>
            <span class="spacer"></span>
            <ThemePick />
            {(!lab.is_empty()).then(|| view! { <EmbedCode /> })}
            <Badge status=status rate=rate />
        </header>
    }
}

/// The theme picker: switches the page and redraws the charts at once,
/// and keeps the choice in the URL (so embed code carries it).
#[component]
fn ThemePick() -> impl IntoView {
    let choice = use_context::<ThemeChoice>();
    let pick = move |ev: leptos::ev::Event| {
        if let Some(t) = Theme::named(&event_target_value(&ev)) {
            flags::set_theme(t);
            if let Some(c) = choice {
                c.0.set(t);
            }
            flags::set_page_flag("theme", (t != &theme::LIGHT).then_some(t.name));
            web::dispatch("resize");
        }
    };
    view! {
        <label class="theme-pick">
            <span class="visually-hidden">"theme"</span>
            <select name="theme" title="colour theme" on:change=pick>
                {theme::THEMES
                    .iter()
                    .map(|t| view! { <option value=t.name selected=Theme::current() == *t>{t.name}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Play/pause, one step, reset.
#[component]
pub fn Transport(playing: RwSignal<bool>, status: RwSignal<Status>, on_step: Callback<()>, on_reset: Callback<()>) -> impl IntoView {
    view! {
        <div class="transport" role="group" aria-label="training">
            <PlayButton playing=playing status=status />
            <button name="step" title="one optimizer step" on:click=move |_| {
                playing.set(false);
                on_step.run(());
            }>"Step"</button>
            <button name="reset" title="back to the initial weights" on:click=move |_| reset(playing, status, on_reset)>"Reset"</button>
        </div>
    }
}

/// Play/pause, saying so in the status.
#[component]
pub fn PlayButton(playing: RwSignal<bool>, status: RwSignal<Status>) -> impl IntoView {
    view! {
        <button class="primary" name="play" on:click=move |_| set_playing(playing, status, !playing.get_untracked())>
            {move || if playing.get() { "❚❚ Pause" } else { "▶ Play" }}
        </button>
    }
}

/// Plays or pauses, and says so in the status.
pub fn set_playing(playing: RwSignal<bool>, status: RwSignal<Status>, on: bool) {
    playing.set(on);
    status.update(|s| {
        if matches!(s.phase, Phase::Running | Phase::Paused) {
            s.phase = if on { Phase::Running } else { Phase::Paused };
        }
    });
}

/// Back to the initial weights; a diverged run plays again.
pub fn reset(playing: RwSignal<bool>, status: RwSignal<Status>, on_reset: Callback<()>) {
    on_reset.run(());
    if status.get_untracked().phase == Phase::Diverged {
        playing.set(true);
    }
}

/// The divergence or failure notice, then the dismissible messages.
#[component]
pub fn Notices(status: RwSignal<Status>, messages: RwSignal<Vec<String>>) -> impl IntoView {
    // Every page shows notices: the place to say a theme was not found.
    if let (_, Some(m)) = flags::theme_from_url() {
        messages.update(|v| v.push(m));
    }
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
}

/// Step and losses.
#[component]
pub fn Stats(status: RwSignal<Status>) -> impl IntoView {
    view! {
        <dl class="stats">
            <dt>"step"</dt><dd class="stat-steps">{move || status.with(|s| s.steps)}</dd>
            <dt>"train loss"</dt><dd>{move || status.with(|s| fmt_loss(s.train_loss))}</dd>
            <dt>"test loss"</dt><dd>{move || status.with(|s| fmt_loss(s.test_loss))}</dd>
            {move || status.with(|s| s.accuracy[0].is_some()).then(|| view! {
                <dt>"accuracy (train / test)"</dt><dd class="stat-accuracy">{move || status.with(|s| fmt_accuracy(s.accuracy))}</dd>
            })}
        </dl>
    }
}

/// Extra `data-*` attributes of an element, each following a signal.
pub type DataAttrs = Vec<(&'static str, Signal<String>)>;

/// Keeps `data` on the element `node` refers to.
fn set_data(node: NodeRef<leptos::html::Div>, data: DataAttrs) {
    for (name, value) in data {
        Effect::new(move |_| {
            if let Some(el) = node.get() {
                let _ = el.set_attribute(name, &value.get());
            }
        });
    }
}

/// A lab's parts, as [`LabPage`] lays them out.
pub struct Parts {
    /// The root's class (beside `lab`, which lays every lab out alike).
    pub class: &'static str,
    /// Play/pause or progress: at the top of the controls, or above the
    /// charts with `transport_above`; in an embed, its bar.
    pub transport: ViewFn,
    pub transport_above: bool,
    /// The lab's fieldsets.
    pub controls: ViewFn,
    /// The lab's exports.
    pub exports: ViewFn,
    pub charts: ViewFn,
    /// The root's own `data-*` attributes beside the status ones.
    pub root_data: DataAttrs,
    /// `data-*` attributes of the `.views` element around the charts.
    pub views_data: DataAttrs,
}

/// The lab's root element with the machine-readable status attributes
/// (`data-backend`, `data-steps`, `data-train-loss`, `data-test-loss`,
/// `data-phase`, `data-gpu-buffers`, `data-gpu-bytes`, `data-wasm-bytes`,
/// `data-wasm-live`, `data-worker-live`,
/// and the lab's own) that tests and host pages read.
#[component]
fn StatusRoot(#[prop(into)] class: String, status: RwSignal<Status>, data: DataAttrs, children: Children) -> impl IntoView {
    let root = NodeRef::new();
    set_data(root, data);
    view! {
        <div
            node_ref=root
            class=class
            data-backend=move || status.with(|s| s.backend.clone())
            data-steps=move || status.with(|s| s.steps.to_string())
            data-train-loss=move || status.with(|s| s.train_loss.map(|v| v.to_string()).unwrap_or_default())
            data-test-loss=move || status.with(|s| s.test_loss.map(|v| v.to_string()).unwrap_or_default())
            data-accuracy=move || status.with(|s| s.accuracy.map(|v| v.map(|v| v.to_string()).unwrap_or_default()).join(","))
            data-phase=move || status.with(|s| s.phase.code())
            data-gpu-buffers=move || status.with(|s| s.gpu.buffers.to_string())
            data-gpu-bytes=move || status.with(|s| s.gpu.bytes.to_string())
            data-wasm-bytes=move || status.with(|s| s.wasm_bytes.to_string())
            data-wasm-live=move || status.with(|s| s.wasm_live.to_string())
            data-worker-live=move || status.with(|s| s.worker_live.to_string())
        >
            {children()}
        </div>
    }
}

/// The charts inside their `.views` element (`display: contents`), which
/// carries the pictures' own status attributes.
fn views(charts: &ViewFn, data: DataAttrs) -> impl IntoView {
    let node = NodeRef::new();
    set_data(node, data);
    view! { <div node_ref=node class="views">{charts.run()}</div> }
}

/// A lab's page: the top bar, the controls and the charts with notices
/// and stats; or, embedded, the charts alone over a bar with the
/// transport, the stats and badge (labs that train), and an "open in
/// gradlab" link.
#[component]
pub fn LabPage(
    /// The `lab` query value (the top bar's current link).
    lab: &'static str,
    parts: Parts,
    embed: bool,
    /// The lab trains step by step (stats and steps/s shown).
    trains: bool,
    status: RwSignal<Status>,
    messages: RwSignal<Vec<String>>,
    /// The full page's URL for these settings.
    #[prop(into)]
    open_link: Signal<String>,
) -> impl IntoView {
    let Parts { class, transport, transport_above, controls, exports, charts, root_data, views_data } = parts;
    if embed {
        view! {
            <StatusRoot class=format!("lab {class} embed") status=status data=root_data>
                <div class="embed-charts">{views(&charts, views_data)}</div>
                <div class="embed-bar">
                    {transport.run()}
                    {trains.then(|| view! { <Stats status=status /><Badge status=status /> })}
                    <a class="open" target="_blank" href=open_link>"open in gradlab ↗"</a>
                </div>
                <Notices status=status messages=messages />
            </StatusRoot>
        }
        .into_any()
    } else {
        view! {
            <Topbar lab=lab status=status rate=trains />
            <StatusRoot class=format!("lab {class}") status=status data=root_data>
                <aside class="controls">
                    {(!transport_above).then(|| transport.run())}
                    {controls.run()}
                    {exports.run()}
                </aside>
                <section class="main">
                    <Notices status=status messages=messages />
                    {transport_above.then(|| transport.run())}
                    <div class="charts">{views(&charts, views_data)}</div>
                    {trains.then(|| view! { <Stats status=status /> })}
                </section>
            </StatusRoot>
        }
        .into_any()
    }
}
