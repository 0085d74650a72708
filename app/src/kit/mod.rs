//! The lab kit: what every lab does, written once.
//!
//! A lab is two types: its settings ([`LabState`], a table of URL rows in
//! `state.rs`) and its run ([`LabRun`]: what it computes each frame and
//! how it draws its charts, in `run.rs` and `charts.rs`). [`use_lab`] then
//! does the rest: reads the settings from the URL (with a message for
//! every value it had to change), writes them back as they change, finds
//! the backend, listens to a host page, and runs the animation loop that
//! hands the run its frames and redraws its charts when they changed. The
//! [`LabKit`] handle it returns builds the page: sliders and selects from
//! the table rows, the transport, each chart's canvas and downloads, the
//! exports, and the [`page::LabPage`] around them.
//!
//! The parts: [`query`] (URL rows and the two-stage parser), [`Frame`]
//! (what a run sees of a frame), [`status`] (phase, status, progress),
//! [`controls`] (sliders, selects, fieldsets, figures), [`export`],
//! [`page`] (top bar, notices, stats, embed bar), [`host`] (the
//! `postMessage` protocol) and [`flags`] (page flags, themes, links).

pub mod backend;
pub mod controls;
pub mod export;
pub mod flags;
mod frame;
pub mod host;
pub mod net_task;
pub mod page;
pub mod probe;
#[cfg(test)]
pub mod properties;
pub mod query;
pub mod remote;
pub mod status;
pub mod worker;

pub use backend::find_backend;

use std::rc::Rc;

use gradlab_core::engine::Backend;
use gradlab_core::gpu::memory;
use gradlab_core::RunConfig;
use leptos::html::Canvas;
use leptos::prelude::*;

use self::export::{cli_config, DataExport};
pub use self::frame::Frame;
use self::page::{LabPage, Transport};
pub use self::query::{Checker, LabState, LabView, Named, Num, Pick};
use self::status::{Phase, Status};
use crate::charts::Surface;
use crate::web;

/// A lab's run: what it computes each animation frame, and its charts.
pub trait LabRun: Default + 'static {
    type State: LabState;
    /// The lab's charts (an enum).
    type Chart: Copy + Send + Sync + 'static;
    /// Whether the lab trains step by step: Play/Pause, Step, Reset, and a
    /// host's `play`/`pause`/`reset`.
    const TRANSPORT: bool = true;

    /// New settings: the first ones, then every change (`old`, the last).
    fn configure(&mut self, f: &mut Frame<'_, Self::State>, s: &Self::State, old: Option<&Self::State>);

    /// Back to the start (Reset, or a host's `reset`).
    fn reset(&mut self, _f: &mut Frame<'_, Self::State>, _s: &Self::State) {}

    /// One animation frame: train, collect results, start new work.
    /// Returns whether the charts need redrawing.
    fn tick(&mut self, f: &mut Frame<'_, Self::State>, s: &Self::State) -> bool;

    /// Draws `chart` as it stands (nothing while it has no data).
    fn draw(&self, s: &Self::State, chart: Self::Chart, surface: &mut Surface<'_>);

    /// The data behind the charts as CSV and as JSON (`None`: not yet).
    fn csv(&self, s: &Self::State) -> Option<String>;
    fn json(&self, s: &Self::State) -> Option<String>;

    /// A click on `chart`: the settings it asks for, if any (the network
    /// view's neurons enlarge when clicked).
    fn click(&self, _s: &Self::State, _chart: Self::Chart, _at: Click) -> Option<Self::State> {
        None
    }

    /// The run as the command-line tool reads it (labs with one).
    fn cli_run(_s: &Self::State) -> Option<RunConfig> {
        None
    }
}

/// A lab's reactive state: its settings and what the page shows.
pub struct Lab<S: 'static> {
    pub settings: RwSignal<S>,
    pub messages: RwSignal<Vec<String>>,
    pub status: RwSignal<Status>,
    pub playing: RwSignal<bool>,
    /// Counts the frames in which the run's charts changed; what a page
    /// shows of the run follows it ([`LabKit::watch`]).
    pub revision: RwSignal<u64>,
    pub embed: bool,
}

impl<S> Clone for Lab<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Lab<S> {}

/// Everything the animation loop owns (not reactive, not `Send`).
struct Kit<R: LabRun> {
    run: R,
    backend: Option<Rc<Backend>>,
    /// Settings to apply at the next frame.
    wanted: Option<R::State>,
    state: Option<R::State>,
    reset: bool,
    single_step: bool,
    redraw: bool,
    /// Each chart, its canvas, and whether it is to be drawn again.
    charts: Vec<(R::Chart, NodeRef<Canvas>, bool)>,
    /// Where the next frame's drawing starts.
    next_chart: usize,
    /// When the memory attributes were last written (ms).
    memory_at: f64,
}

/// Milliseconds of a frame spent drawing charts, after the first.
const DRAW_BUDGET_MS: f64 = 8.0;

/// Milliseconds between updates of the heaps' sizes in the status.
const MEMORY_EVERY_MS: f64 = 250.0;

impl<R: LabRun> Default for Kit<R> {
    fn default() -> Self {
        Self {
            run: R::default(),
            backend: None,
            wanted: None,
            state: None,
            reset: false,
            single_step: false,
            redraw: false,
            charts: Vec::new(),
            next_chart: 0,
            memory_at: f64::NEG_INFINITY,
        }
    }
}

impl<R: LabRun> Kit<R> {
    fn frame(&mut self, now: f64, lab: Lab<R::State>) {
        let Some(mut backend) = self.backend.clone() else { return };
        if let Some(why) = backend.lost() {
            // The run's buffers died with the device: start it again on the CPU.
            backend = backend::after_loss(lab.status, lab.messages, &why);
            self.backend = Some(Rc::clone(&backend));
            self.run = R::default();
            self.wanted = self.wanted.take().or_else(|| self.state.take());
            self.state = None;
        }
        let first = self.state.is_none();
        let mut f = Frame { backend: &backend, now, lab, single_step: &mut self.single_step };
        if let Some(s) = self.wanted.take() {
            self.run.configure(&mut f, &s, self.state.as_ref());
            self.state = Some(s);
            self.redraw = true;
            if first {
                // Training and drawing start next frame, after the page's
                // first layout, which a chart's size would otherwise force
                // inside this task (50–130 ms of a lab's start-up here).
                return;
            }
        }
        let Some(s) = &self.state else { return };
        if std::mem::take(&mut self.reset) {
            self.run.reset(&mut f, s);
            lab.status.update(|st| {
                if st.phase == Phase::Diverged {
                    st.phase = Phase::Running;
                }
            });
        }
        self.redraw |= self.run.tick(&mut f, s);
        if std::mem::take(&mut self.redraw) {
            lab.revision.update(|r| *r += 1);
            self.charts.iter_mut().for_each(|c| c.2 = true);
        }
        // The stale charts, taking turns, for DRAW_BUDGET_MS a frame (at
        // least one): a frame that changed five charts does not draw them
        // all in one task. Charts of other views are drawn when their view
        // is chosen (a new view is new settings: a redraw).
        let start = web::now();
        for _ in 0..self.charts.len() {
            let i = self.next_chart % self.charts.len();
            self.next_chart = i + 1;
            let (chart, canvas, stale) = &mut self.charts[i];
            if !std::mem::take(stale) {
                continue;
            }
            if let Some(canvas) = canvas.get_untracked().filter(|c| c.closest(".hidden").ok().flatten().is_none()) {
                self.run.draw(s, *chart, &mut Surface::canvas(&canvas));
                if web::now() - start > DRAW_BUDGET_MS {
                    break;
                }
            }
        }
        // What the page holds, for the memory soak: the GPU buffers as they
        // change, the heaps (which change with every frame) a few times a second.
        let held = memory::held();
        if lab.status.with_untracked(|st| st.gpu != held) || now - self.memory_at > MEMORY_EVERY_MS {
            self.memory_at = now;
            let (wasm_bytes, wasm_live, worker_live) = (web::wasm_bytes(), web::live_bytes(), worker::worker_live_bytes());
            lab.status.update(|st| (st.gpu, st.wasm_bytes, st.wasm_live, st.worker_live) = (held, wasm_bytes, wasm_live, worker_live));
        }
    }
}

/// A lab's handle for building its page (cheap to copy).
pub struct LabKit<R: LabRun> {
    pub lab: Lab<R::State>,
    kit: StoredValue<Kit<R>, LocalStorage>,
}

impl<R: LabRun> Clone for LabKit<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R: LabRun> Copy for LabKit<R> {}

/// A chart's canvas and its SVG export, for [`ChartFigure`].
#[derive(Clone, Copy)]
pub struct ChartSlot {
    pub canvas: NodeRef<Canvas>,
    /// Draws the chart again as an SVG document of a size.
    pub svg: Callback<(u32, u32), String>,
    /// A click on the chart ([`LabRun::click`]).
    pub click: Callback<Click>,
}

/// Where a chart was clicked, as fractions of its width and height from
/// its top left corner (the drawing scales with the canvas), and whether
/// shift was held.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Click {
    pub x: f64,
    pub y: f64,
    /// The chart's width over its height.
    pub aspect: f64,
    pub shift: bool,
}

/// Sets up a lab: settings from the URL, the URL following the settings,
/// the backend, host control, redraws on resize, and the animation loop.
pub fn use_lab<R: LabRun>(embed: bool) -> LabKit<R> {
    let (initial, mut first_messages) = R::State::from_query(&web::search());
    // Only the playground opens for a `lab` it is not (any unknown one).
    if let Some(asked) = flags::page_flag("lab").filter(|l| l != R::State::LAB) {
        let labs: Vec<&str> = page::LABS.iter().map(|l| l.0).collect();
        let asked = query::quote(&asked);
        first_messages.insert(0, format!("lab={asked} is not one of {}; showing the {}.", labs.join(", "), R::State::LAB));
    }
    let lab = Lab {
        settings: RwSignal::new(initial),
        messages: RwSignal::new(first_messages),
        status: RwSignal::new(Status::default()),
        playing: RwSignal::new(flags::autoplay()),
        revision: RwSignal::new(0),
        embed,
    };
    let kit = StoredValue::new_local(Kit::<R>::default());
    Effect::new(move |_| {
        let s = lab.settings.get();
        flags::show_in_url(&s.to_query(), embed);
        kit.update_value(|k| k.wanted = Some(s));
    });
    find_backend(lab.status, lab.messages, move |backend| kit.update_value(|k| k.backend = Some(backend)));
    let handle = LabKit { lab, kit };
    host::listen(lab, R::TRANSPORT, Callback::new(move |()| handle.reset()));
    if let Some(w) = web_sys::window() {
        let redraw = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || kit.update_value(|k| k.redraw = true));
        let _ = w.add_event_listener_with_callback("resize", wasm_bindgen::JsCast::unchecked_ref(redraw.as_ref()));
        redraw.forget();
    }
    web::animation_loop(move |now| kit.update_value(|k| k.frame(now, lab)));
    handle
}

impl<R: LabRun> LabKit<R> {
    /// Settings as a signal.
    #[must_use]
    pub fn settings(self) -> RwSignal<R::State> {
        self.lab.settings
    }

    /// Reads the settings.
    pub fn with<T>(self, f: impl FnOnce(&R::State) -> T) -> T {
        self.lab.settings.with(f)
    }

    /// Changes the settings (and applies the rules between them).
    pub fn set(self, f: impl FnOnce(&mut R::State)) {
        self.lab.settings.update(|s| {
            f(s);
            s.settle();
        });
    }

    /// A chart's canvas, registered to be drawn by [`LabRun::draw`].
    #[must_use]
    pub fn chart(self, chart: R::Chart) -> ChartSlot {
        let canvas = NodeRef::new();
        self.kit.update_value(|k| k.charts.push((chart, canvas, true)));
        let kit = self.kit;
        let svg = Callback::new(move |size| {
            kit.with_value(|k| match &k.state {
                Some(s) => crate::charts::svg(size, |surface| k.run.draw(s, chart, surface)),
                None => crate::charts::svg(size, |_| {}),
            })
        });
        let click = Callback::new(move |at| {
            let wanted = kit.with_value(|k| k.state.as_ref().and_then(|s| k.run.click(s, chart, at)));
            if let Some(s) = wanted {
                self.set(|now| *now = s);
            }
        });
        ChartSlot { canvas, svg, click }
    }

    /// Something the page shows of the run, kept up to date as it runs.
    pub fn watch<T: Send + Sync + 'static>(self, f: impl Fn(&R) -> T + Send + Sync + 'static) -> Signal<T> {
        let (kit, revision) = (self.kit, self.lab.revision);
        Signal::derive(move || {
            revision.track();
            kit.with_value(|k| f(&k.run))
        })
    }

    /// Asks for a reset (the lab's [`LabRun::reset`]) at the next frame.
    pub fn reset(self) {
        self.kit.update_value(|k| k.reset = true);
    }

    /// Play/Pause, Step, Reset.
    pub fn transport(self) -> impl IntoView {
        let kit = self.kit;
        let on_step = Callback::new(move |()| kit.update_value(|k| k.single_step = true));
        let on_reset = Callback::new(move |()| self.reset());
        view! { <Transport playing=self.lab.playing status=self.lab.status on_step=on_step on_reset=on_reset /> }
    }

    /// The lab's exports: CSV, JSON, and the CLI config where it has one.
    pub fn exports(self) -> impl IntoView {
        let kit = self.kit;
        let data = move |json: bool| {
            Callback::new(move |()| kit.with_value(|k| k.state.as_ref().and_then(|s| if json { k.run.json(s) } else { k.run.csv(s) })))
        };
        let (settings, status) = (self.lab.settings, self.lab.status);
        let config = R::cli_run(&settings.get_untracked()).is_some().then(|| {
            Callback::new(move |()| {
                let run = R::cli_run(&settings.get_untracked())?;
                Some(cli_config(&run, status.get_untracked().steps))
            })
        });
        view! { <DataExport lab=R::State::LAB csv=data(false) json=data(true) config=config /> }
    }

    /// The page around the lab's parts (see [`LabPage`]); the exports
    /// are the kit's.
    pub fn page(self, parts: page::Parts) -> impl IntoView {
        let Lab { settings, messages, status, embed, .. } = self.lab;
        let open_link = flags::link_to(move || settings.with(LabState::to_query));
        view! {
            <LabPage lab=R::State::LAB parts=parts embed=embed trains=R::TRANSPORT status=status messages=messages open_link=open_link />
        }
    }

    /// The parts of a lab whose transport is the kit's ([`Self::transport`]).
    pub fn parts(self, class: &'static str, controls: ViewFn, charts: ViewFn) -> page::Parts {
        page::Parts {
            class,
            transport: ViewFn::from(move || self.transport()),
            transport_above: false,
            controls,
            exports: ViewFn::from(move || self.exports()),
            charts,
            root_data: Vec::new(),
            views_data: Vec::new(),
        }
    }
}
