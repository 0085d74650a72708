//! Controls shared by the labs: labelled, keyboard-operable, and named
//! after the URL key they set, so tests and host pages can find them.
//! Sliders and selects come from a lab's settings table ([`Num`],
//! [`Pick`]), so their ranges are the parser's.

use gradlab_core::{Activation, DatasetKind, Loss, Optimizer, Parameterization};
use leptos::prelude::*;

use super::query::{named, LabState, Named, Num, Number, Pick};

/// Maps a value to a slider position in `0..=steps` and back, linearly or
/// on a log scale.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub steps: u32,
    pub log: bool,
}

impl Scale {
    #[must_use]
    pub fn position(self, v: f64) -> f64 {
        let t = if self.log { (v.ln() - self.min.ln()) / (self.max.ln() - self.min.ln()) } else { (v - self.min) / (self.max - self.min) };
        (t.clamp(0.0, 1.0) * f64::from(self.steps)).round()
    }

    #[must_use]
    pub fn value(self, position: f64) -> f64 {
        let t = (position / f64::from(self.steps)).clamp(0.0, 1.0);
        if self.log {
            (self.min.ln() + t * (self.max.ln() - self.min.ln())).exp()
        } else {
            self.min + t * (self.max - self.min)
        }
    }
}

/// A whole number as a slider shows it.
#[must_use]
pub fn fmt_int(v: f64) -> String {
    format!("{}", v.round())
}

/// A learning rate (or any log-scale value) as a slider shows it.
#[must_use]
pub fn fmt_lr(v: f64) -> String {
    if v >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.1e}")
    }
}

/// A fraction as a slider shows it.
#[must_use]
pub fn fmt_frac(v: f64) -> String {
    format!("{v:.2}")
}

impl<S, T: Number> Num<S, T> {
    /// The slider's scale.
    #[must_use]
    pub fn scale(&self) -> Scale {
        Scale { min: self.lo.to_f64(), max: self.hi.to_f64(), steps: self.steps, log: self.log }
    }

    /// How the slider shows a value: the row's own way, or whole numbers,
    /// or two digits.
    #[must_use]
    pub fn format(&self) -> fn(f64) -> String {
        match (self.shown, T::WHOLE, self.log) {
            (Some(shown), ..) => shown,
            (None, true, _) => fmt_int,
            (None, false, true) => fmt_lr,
            (None, false, false) => fmt_frac,
        }
    }
}

impl<S: LabState, T: Number> Num<S, T> {
    /// This setting's slider, on `settings`.
    pub fn slider(&'static self, settings: RwSignal<S>) -> impl IntoView {
        let format = self.format();
        let value = Signal::derive(move || settings.with(|s| (self.get)(s).to_f64()));
        let on_change = Callback::new(move |v: f64| {
            settings.update(|s| {
                (self.set)(s, self.clamp(T::from_f64(v)));
                s.settle();
            });
        });
        view! { <Slider label=self.label name=self.key value=value scale=self.scale() format=format on_change=on_change /> }
    }
}

impl<S: LabState, T: Named> Pick<S, T> {
    /// This setting's select, on `settings`.
    pub fn select(&'static self, settings: RwSignal<S>) -> impl IntoView {
        let options = T::all().iter().map(|v| (v.name(), v.text())).collect();
        let value = Signal::derive(move || settings.with(|s| (self.get)(s).name()));
        let on_change = Callback::new(move |name: String| {
            if let Some(v) = T::named(&name) {
                settings.update(|s| {
                    (self.set)(s, v);
                    s.settle();
                });
            }
        });
        view! { <Choice label=self.label name=self.key options=options value=value on_change=on_change /> }
    }
}

/// A labelled range slider showing its value.
#[component]
pub fn Slider(
    /// Visible label and accessible name.
    label: &'static str,
    /// The `name` attribute: the URL key this slider sets.
    name: &'static str,
    /// Current value.
    #[prop(into)]
    value: Signal<f64>,
    /// Value range and resolution.
    scale: Scale,
    /// How the value is shown.
    format: fn(f64) -> String,
    /// Receives the new value as the slider moves.
    on_change: Callback<f64>,
) -> impl IntoView {
    view! {
        <label class="control">
            <span class="control-label">{label}</span>
            <input
                type="range"
                name=name
                min="0"
                max=scale.steps.to_string()
                step="1"
                prop:value=move || scale.position(value.get()).to_string()
                aria-valuetext=move || format(value.get())
                on:input=move |ev| {
                    if let Ok(p) = event_target_value(&ev).parse::<f64>() {
                        on_change.run(scale.value(p));
                    }
                }
            />
            <output>{move || format(value.get())}</output>
        </label>
    }
}

/// A labelled select.
#[component]
pub fn Choice(
    /// Visible label and accessible name.
    label: &'static str,
    /// The `name` attribute: the URL key this select sets.
    name: &'static str,
    /// `(value, shown text)` pairs.
    options: Vec<(&'static str, &'static str)>,
    /// The selected value.
    #[prop(into)]
    value: Signal<&'static str>,
    /// Receives the chosen value.
    on_change: Callback<String>,
) -> impl IntoView {
    view! {
        <label class="control">
            <span class="control-label">{label}</span>
            <select name=name on:change=move |ev| on_change.run(event_target_value(&ev))>
                {options
                    .into_iter()
                    .map(|(v, text)| view! { <option value=v selected=move || value.get() == v>{text}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

// gradlab-core's enums keep their own names; the page adds the texts.
named!(DatasetKind: ALL);
named!(Activation: ALL);
named!(Parameterization: ALL; Ntk / "NTK (1/√fan-in)");
named!(Loss: ALL; Mse / "mean squared error", Bce / "binary cross-entropy", Softmax / "softmax cross-entropy");
named!(Optimizer: DEFAULTS; Sgd / "SGD", Adam / "Adam", RmsProp / "RMSProp", NormalizedGd / "normalized GD");

/// A row of a settings table as a control: a slider or a select.
pub trait Control<S>: Sync {
    fn control(&'static self, settings: RwSignal<S>) -> AnyView;
}

impl<S: LabState, T: Number> Control<S> for Num<S, T> {
    fn control(&'static self, settings: RwSignal<S>) -> AnyView {
        self.slider(settings).into_any()
    }
}

impl<S: LabState, T: Named> Control<S> for Pick<S, T> {
    fn control(&'static self, settings: RwSignal<S>) -> AnyView {
        self.select(settings).into_any()
    }
}

/// A fieldset of controls under a legend.
pub fn fieldset<S: LabState>(legend: &'static str, settings: RwSignal<S>, rows: &[&'static dyn Control<S>]) -> impl IntoView {
    let controls: Vec<AnyView> = rows.iter().map(|row| row.control(settings)).collect();
    view! {
        <fieldset>
            <legend>{legend}</legend>
            {controls}
        </fieldset>
    }
}

/// The network fieldset: width and depth sliders, activation and
/// parameterization, from a lab's rows.
pub fn network<S: LabState>(
    settings: RwSignal<S>,
    width: &'static Num<S, usize>,
    depth: &'static Num<S, usize>,
    act: &'static Pick<S, Activation>,
    param: &'static Pick<S, Parameterization>,
) -> impl IntoView {
    fieldset("Network", settings, &[width, depth, act, param])
}

/// The seed: a number field and a dice button for a fresh one.
pub fn seed<S: LabState>(settings: RwSignal<S>, row: &'static Num<S, u64>) -> impl IntoView {
    let max = row.hi;
    let set = move |v: u64| settings.update(|s| (row.set)(s, v.min(max)));
    view! {
        <label class="control">
            <span class="control-label">"seed"</span>
            <input type="number" name=row.key min="0" max=max.to_string()
                prop:value=move || settings.with(|s| (row.get)(s).to_string())
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                        set(v);
                    }
                } />
            <button name="reseed" title="a new random seed" aria-label="new seed"
                on:click=move |_| set((js_sys::Math::random() * max as f64) as u64)>"⚄"</button>
        </label>
    }
}

/// A formula, typeset by KaTeX after the page is built ([`web::katex_later`]);
/// a new formula replaces the old one once typeset.
#[component]
pub fn Tex(#[prop(into)] tex: TextProp) -> impl IntoView {
    let html = RwSignal::new(String::new());
    Effect::new(move |_| crate::web::katex_later(tex.get().to_string(), move |h| _ = html.try_set(h.to_owned())));
    view! { <span class="tex" inner_html=html></span> }
}

/// A chart: its canvas (an image to screen readers, described by `label`),
/// its downloads and its caption (the children).
#[component]
pub fn ChartFigure(
    /// The figure's classes (`chart` and the chart's own).
    class: &'static str,
    /// Whether the view leaves this chart out.
    #[prop(into, default = Signal::stored(false))]
    hidden: Signal<bool>,
    /// The canvas and SVG export ([`super::LabKit::chart`]).
    chart: super::ChartSlot,
    label: &'static str,
    /// The download's file name without its extension.
    name: &'static str,
    children: Children,
) -> impl IntoView {
    let canvas = chart.canvas;
    view! {
        <figure class=class class:hidden=move || hidden.get()>
            <canvas node_ref=canvas role="img" aria-label=label on:click=move |e: leptos::ev::MouseEvent| {
                if let Some(c) = canvas.get_untracked() {
                    let (w, h) = (f64::from(c.client_width().max(1)), f64::from(c.client_height().max(1)));
                    let at = super::Click { x: f64::from(e.offset_x()) / w, y: f64::from(e.offset_y()) / h, aspect: w / h, shift: e.shift_key() };
                    chart.click.run(at);
                }
            }></canvas>
            <div class="chart-export">
                <button name="png" title="download this chart as a PNG image" aria-label=format!("download {name}.png")
                    on:click=move |_| {
                        if let Some(c) = canvas.get_untracked() {
                            crate::web::download_png(&format!("{name}.png"), &c);
                        }
                    }>"PNG"</button>
                <button name="svg" title="download this chart as an SVG vector image" aria-label=format!("download {name}.svg")
                    on:click=move |_| {
                        if let Some(c) = canvas.get_untracked() {
                            let size = (c.client_width().max(50) as u32, c.client_height().max(50) as u32);
                            crate::web::download(&format!("{name}.svg"), "image/svg+xml", &chart.svg.run(size));
                        }
                    }>"SVG"</button>
            </div>
            <figcaption>{children()}</figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::Scale;

    #[test]
    fn log_scale_round_trips_its_ends_and_middle() {
        let s = Scale { min: 1e-4, max: 10.0, steps: 100, log: true };
        assert_eq!(s.position(1e-4), 0.0);
        assert_eq!(s.position(10.0), 100.0);
        assert!((s.value(s.position(0.01)) - 0.01).abs() < 1e-3);
        assert_eq!(s.position(1e9), 100.0);
    }
}
