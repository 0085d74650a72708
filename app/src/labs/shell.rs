//! What every lab page shares: the run's [`Status`] and its `data-*`
//! attributes, the top bar with the lab links and the backend badge, the
//! transport buttons, the notices, and finding the backend.

use std::rc::Rc;

use gradlab_core::gpu::Snapshot;
use leptos::prelude::*;

use crate::charts::{theme, History, Theme};
use crate::engine::Backend;
use crate::host::{self, HostMessage};
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
    #[must_use]
    pub fn code(&self) -> &'static str {
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

/// Steps/s, loss history and divergence from the stream of snapshots.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub history: History,
    /// `(time ms, step)` of the previous snapshot.
    rate_mark: Option<(f64, u64)>,
}

impl Progress {
    /// Records `snap` (taken at `now` ms) into the history and `status`;
    /// returns whether the run has diverged (`train::diverged` against the
    /// first training loss).
    pub fn record(&mut self, snap: &Snapshot, now: f64, status: RwSignal<Status>) -> bool {
        if let Some((t0, s0)) = self.rate_mark {
            if snap.step > s0 && now > t0 {
                let rate = (snap.step - s0) as f64 / (now - t0) * 1000.0;
                status.update(|st| st.steps_per_s = if st.steps_per_s > 0.0 { 0.8 * st.steps_per_s + 0.2 * rate } else { rate });
            }
        }
        self.rate_mark = Some((now, snap.step));
        self.history.push(snap.step, snap.train_loss, snap.test_loss);
        let first = self.history.points.first().map_or(snap.train_loss, |p| p.1);
        let diverged = snap.diverged() || gradlab_core::train::diverged(first, snap.train_loss);
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
        diverged
    }
}

/// Page flags kept in the address bar beside a lab's settings: `play=0`
/// (start paused, [`autoplay`]), `host=<origin>` ([`listen_to_host`]) and
/// `theme=light|dark|projector` ([`theme_from_url`]).
const PAGE_FLAGS: [&str; 3] = ["play", "host", "theme"];

/// The theme the URL asks for, and a message if it names none.
#[must_use]
pub fn theme_from_url() -> (&'static Theme, Option<String>) {
    match page_flag("theme") {
        None => (&theme::LIGHT, None),
        Some(name) => match Theme::named(&name) {
            Some(t) => (t, None),
            None => {
                let names: Vec<&str> = theme::THEMES.iter().map(|t| t.name).collect();
                (&theme::LIGHT, Some(format!("theme={name} is not one of {}; using light.", names.join(", "))))
            }
        },
    }
}

/// The page's theme, as a signal links follow (from the context
/// [`provide_theme`] sets up).
#[derive(Clone, Copy)]
struct ThemeChoice(RwSignal<&'static Theme>);

/// Puts the page in the URL's theme and shares it with every component.
pub fn provide_theme() {
    let theme = theme_from_url().0;
    set_theme(theme);
    provide_context(ThemeChoice(RwSignal::new(theme)));
}

/// A link within gradlab to `query` (no `?`) that keeps the page's theme.
#[must_use]
pub fn link(query: &str) -> Signal<String> {
    let query = query.to_owned();
    link_to(move || query.clone())
}

/// A link to the query `query()` returns, keeping the page's theme.
pub fn link_to(query: impl Fn() -> String + Send + Sync + 'static) -> Signal<String> {
    let theme = use_context::<ThemeChoice>().map(|c| c.0);
    Signal::derive(move || {
        let query = query();
        let t = theme.map_or(&theme::LIGHT, |t| t.get());
        let flag = if t == &theme::LIGHT { String::new() } else { format!("theme={}", t.name) };
        match (query.is_empty(), flag.is_empty()) {
            (_, true) => format!("./?{query}"),
            (true, false) => format!("./?{flag}"),
            (false, false) => format!("./?{query}&{flag}"),
        }
    })
}

/// Puts the page (CSS, `data-theme` on `<html>`) and its charts in `theme`.
fn set_theme(theme: &'static Theme) {
    Theme::set(theme);
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme.name);
    }
}

/// Sets (or, with `None`, removes) a page flag in the address bar.
fn set_page_flag(key: &str, value: Option<&str>) {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(web::search().trim_start_matches('?')).unwrap_or_default();
    pairs.retain(|(k, _)| k != key);
    if let Some(v) = value {
        pairs.push((key.to_owned(), v.to_owned()));
    }
    web::replace_query(&serde_urlencoded::to_string(pairs).unwrap_or_default());
}

/// A key's value in the page's query.
fn page_flag(key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(web::search().trim_start_matches('?'))
        .unwrap_or_default()
        .into_iter()
        .find_map(|(k, v)| (k == key).then_some(v))
}

/// Writes a lab's settings into the address bar, keeping the embed flag
/// and the page flags, so a reload (reveal.js, a shared link) comes back
/// the same.
pub fn show_in_url(query: &str, embed: bool) {
    let mut q = query.to_owned();
    if embed {
        q.push_str("&embed=1");
    }
    for key in PAGE_FLAGS {
        if let Some(v) = page_flag(key) {
            q.push('&');
            q.push_str(&serde_urlencoded::to_string([(key, v)]).unwrap_or_default());
        }
    }
    web::replace_query(&q);
}

/// Whether a lab starts training on load; `play=0` in the URL waits for
/// the first press of Play (or a host's `play`).
#[must_use]
pub fn autoplay() -> bool {
    page_flag("play").as_deref() != Some("0")
}

/// Marks a fresh run (new settings) in the status.
pub fn started(status: RwSignal<Status>, playing: RwSignal<bool>) {
    let phase = if playing.get_untracked() { Phase::Running } else { Phase::Paused };
    status.update(|st| {
        st.phase = phase;
        st.steps = 0;
        st.train_loss = None;
        st.test_loss = None;
    });
}

/// Shows why settings cannot run.
pub fn failed(status: RwSignal<Status>, e: &gradlab_core::Error) {
    status.update(|st| st.phase = Phase::Failed(format!("This configuration cannot run: {e}")));
}

/// A reset clears a divergence.
pub fn was_reset(status: RwSignal<Status>) {
    status.update(|st| {
        if st.phase == Phase::Diverged {
            st.phase = Phase::Running;
        }
    });
}

/// Steps to ask of the engine this frame: one after "Step", as many as
/// fit while playing, none while paused or diverged.
#[must_use]
pub fn steps_wanted(single_step: bool, playing: RwSignal<bool>, status: RwSignal<Status>) -> Option<u32> {
    let diverged = status.with_untracked(|s| s.phase == Phase::Diverged);
    if single_step {
        Some(1)
    } else if playing.get_untracked() && !diverged {
        Some(u32::MAX)
    } else {
        None
    }
}

/// Finds WebGPU (or the reason there is none), fills in the badge, and
/// hands the backend to `ready`.
pub fn find_backend(status: RwSignal<Status>, messages: RwSignal<Vec<String>>, ready: impl FnOnce(Rc<Backend>) + 'static) {
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
        ready(Rc::new(backend));
    });
}

/// Calls `redraw` when the window is resized.
pub fn on_resize(redraw: impl Fn() + 'static) {
    if let Some(w) = web_sys::window() {
        let f = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(redraw);
        let _ = w.add_event_listener_with_callback("resize", wasm_bindgen::JsCast::unchecked_ref(f.as_ref()));
        f.forget();
    }
}

/// A loss as the stats show it.
#[must_use]
pub fn fmt_loss(v: Option<f32>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v.is_finite() => format!("{v:.4}"),
        Some(_) => "NaN".into(),
    }
}

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
        </div>
    }
}

/// The labs, as `(query value, title)`.
pub const LABS: [(&str, &str); 4] =
    [("playground", "Playground"), ("landscape", "Loss landscape"), ("dd", "Double descent"), ("ntk", "Tangent kernel")];

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
            set_theme(t);
            if let Some(c) = choice {
                c.0.set(t);
            }
            set_page_flag("theme", (t != &theme::LIGHT).then_some(t.name));
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
fn set_playing(playing: RwSignal<bool>, status: RwSignal<Status>, on: bool) {
    playing.set(on);
    status.update(|s| {
        if matches!(s.phase, Phase::Running | Phase::Paused) {
            s.phase = if on { Phase::Running } else { Phase::Paused };
        }
    });
}

/// Back to the initial weights; a diverged run plays again.
fn reset(playing: RwSignal<bool>, status: RwSignal<Status>, on_reset: Callback<()>) {
    on_reset.run(());
    if status.get_untracked().phase == Phase::Diverged {
        playing.set(true);
    }
}

/// What a host page may do to a lab (see [`listen_to_host`]).
#[derive(Clone, Copy)]
pub struct HostHooks {
    /// Applies a new query (the lab parses and checks it like its URL).
    pub apply: Callback<String>,
    pub status: RwSignal<Status>,
    /// Play/pause and reset, for labs that train step by step.
    pub transport: Option<(RwSignal<bool>, Callback<()>)>,
}

/// The [`HostHooks::apply`] of a lab whose settings parse from a query
/// with `parse` (its messages shown as notices).
pub fn apply_query<S: Send + Sync + 'static>(
    settings: RwSignal<S>,
    messages: RwSignal<Vec<String>>,
    parse: fn(&str) -> (S, Vec<String>),
) -> Callback<String> {
    Callback::new(move |query: String| {
        let (s, notes) = parse(&query);
        settings.set(s);
        messages.update(|m| m.extend(notes));
    })
}

/// Lets the page that embeds this widget steer it with `postMessage`
/// (protocol in [`crate::host`]; README, "Host control"). With `host=<origin>`
/// in the widget's URL, only messages from that origin are obeyed.
pub fn listen_to_host(hooks: HostHooks) {
    let pinned = page_flag("host");
    web::on_message(move |e| {
        if !host::origin_allowed(pinned.as_deref(), &e.origin()) {
            return;
        }
        let Some(message) = host::parse(&web::message_json(e)) else { return };
        match (message, hooks.transport) {
            (HostMessage::Set(params), _) => hooks.apply.run(host::merge_query(&web::search(), &params)),
            (HostMessage::Play, Some((playing, _))) => set_playing(playing, hooks.status, true),
            (HostMessage::Pause, Some((playing, _))) => set_playing(playing, hooks.status, false),
            (HostMessage::Reset, Some((playing, on_reset))) => reset(playing, hooks.status, on_reset),
            (HostMessage::Status, _) => {
                let st = hooks.status.get_untracked();
                let reply = serde_json::json!({
                    "gradlab": host::VERSION,
                    "type": "status",
                    "query": web::search().trim_start_matches('?'),
                    "phase": st.phase.code(),
                    "steps": st.steps,
                    "backend": st.backend,
                    "train_loss": st.train_loss,
                });
                web::reply(e, &reply.to_string());
            }
            _ => {}
        }
    });
}

/// The divergence or failure notice, then the dismissible messages.
#[component]
pub fn Notices(status: RwSignal<Status>, messages: RwSignal<Vec<String>>) -> impl IntoView {
    // Every page shows notices: the place to say a theme was not found.
    if let (_, Some(m)) = theme_from_url() {
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
        </dl>
    }
}

/// The lab's root element with the machine-readable status attributes
/// (`data-backend`, `data-steps`, `data-train-loss`, `data-test-loss`,
/// `data-phase`) that tests and host pages read.
#[component]
pub fn StatusRoot(#[prop(into)] class: String, status: RwSignal<Status>, children: Children) -> impl IntoView {
    view! {
        <div
            class=class
            data-backend=move || status.with(|s| s.backend.clone())
            data-steps=move || status.with(|s| s.steps.to_string())
            data-train-loss=move || status.with(|s| s.train_loss.map(|v| v.to_string()).unwrap_or_default())
            data-test-loss=move || status.with(|s| s.test_loss.map(|v| v.to_string()).unwrap_or_default())
            data-phase=move || status.with(|s| s.phase.code())
        >
            {children()}
        </div>
    }
}

/// A lab's page: the top bar, the controls and the charts with notices
/// and stats; or, embedded, the charts alone over a bar with the
/// transport, the stats, the badge and an "open in gradlab" link.
#[component]
pub fn LabPage(
    /// The `lab` query value (and the root's class).
    lab: &'static str,
    embed: bool,
    status: RwSignal<Status>,
    messages: RwSignal<Vec<String>>,
    /// The full page's URL for these settings.
    #[prop(into)]
    open_link: Signal<String>,
    #[prop(into)] transport: ViewFn,
    #[prop(into)] controls: ViewFn,
    #[prop(into)] charts: ViewFn,
) -> impl IntoView {
    if embed {
        view! {
            <StatusRoot class=format!("{lab} embed") status=status>
                <div class="embed-charts">{charts.run()}</div>
                <div class="embed-bar">
                    {transport.run()}
                    <Stats status=status />
                    <Badge status=status />
                    <a class="open" target="_blank" href=open_link>"open in gradlab ↗"</a>
                </div>
                <Notices status=status messages=messages />
            </StatusRoot>
        }
        .into_any()
    } else {
        view! {
            <Topbar lab=lab status=status />
            <StatusRoot class=lab status=status>
                {controls.run()}
                <section class="main">
                    <Notices status=status messages=messages />
                    <div class="charts">{charts.run()}</div>
                    <Stats status=status />
                </section>
            </StatusRoot>
        }
        .into_any()
    }
}
