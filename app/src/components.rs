//! Small controls shared by the labs: labelled, keyboard-operable, and
//! named so tests and host pages can find them.

use gradlab_core::{Activation, DatasetKind, Loss, Parameterization};
use leptos::prelude::*;

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

/// The dataset picker.
#[component]
pub fn DatasetChoice(#[prop(into)] value: Signal<DatasetKind>, on_change: Callback<DatasetKind>) -> impl IntoView {
    let options = DatasetKind::ALL.iter().map(|d| (d.name(), d.name())).collect();
    let pick = Callback::new(move |v: String| {
        if let Some(d) = DatasetKind::ALL.into_iter().find(|d| d.name() == v) {
            on_change.run(d);
        }
    });
    view! { <Choice label="dataset" name="data" options=options value=Signal::derive(move || value.get().name()) on_change=pick /> }
}

/// The activation picker.
#[component]
pub fn ActivationChoice(#[prop(into)] value: Signal<Activation>, on_change: Callback<Activation>) -> impl IntoView {
    let options = Activation::ALL.iter().map(|a| (a.name(), a.name())).collect();
    let pick = Callback::new(move |v: String| {
        if let Some(a) = Activation::ALL.into_iter().find(|a| a.name() == v) {
            on_change.run(a);
        }
    });
    view! { <Choice label="activation" name="act" options=options value=Signal::derive(move || value.get().name()) on_change=pick /> }
}

/// The parameterization picker.
#[component]
pub fn ParameterizationChoice(#[prop(into)] value: Signal<Parameterization>, on_change: Callback<Parameterization>) -> impl IntoView {
    let options = vec![("standard", "standard"), ("ntk", "NTK (1/√fan-in)")];
    let pick = Callback::new(move |v: String| {
        if let Some(p) = Parameterization::ALL.into_iter().find(|p| p.name() == v) {
            on_change.run(p);
        }
    });
    view! { <Choice label="parameterization" name="param" options=options value=Signal::derive(move || value.get().name()) on_change=pick /> }
}

/// The loss picker; regression data (`classes` false) allows MSE only.
#[component]
pub fn LossChoice(#[prop(into)] value: Signal<Loss>, #[prop(into)] classes: Signal<bool>, on_change: Callback<Loss>) -> impl IntoView {
    let options = Loss::ALL
        .iter()
        .map(|l| {
            (
                l.name(),
                match l {
                    Loss::Mse => "mean squared error",
                    Loss::Bce => "binary cross-entropy",
                    Loss::Softmax => "softmax cross-entropy",
                },
            )
        })
        .collect();
    let pick = Callback::new(move |v: String| {
        if let Some(l) = Loss::ALL.into_iter().find(|l| l.name() == v) {
            if classes.get_untracked() || l == Loss::Mse {
                on_change.run(l);
            }
        }
    });
    view! { <Choice label="loss" name="loss" options=options value=Signal::derive(move || value.get().name()) on_change=pick /> }
}

/// The seed: a number field and a dice button for a fresh one.
#[component]
pub fn SeedInput(#[prop(into)] value: Signal<u64>, max: u64, on_change: Callback<u64>) -> impl IntoView {
    view! {
        <label class="control">
            <span class="control-label">"seed"</span>
            <input type="number" name="seed" min="0" max=max.to_string()
                prop:value=move || value.get().to_string()
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                        on_change.run(v.min(max));
                    }
                } />
            <button name="reseed" title="a new random seed" aria-label="new seed"
                on:click=move |_| on_change.run((js_sys::Math::random() * max as f64) as u64)>"⚄"</button>
        </label>
    }
}

/// A formula, typeset by KaTeX.
#[component]
pub fn Tex(#[prop(into)] tex: TextProp) -> impl IntoView {
    view! { <span class="tex" inner_html=move || crate::web::katex(&tex.get())></span> }
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
    canvas: NodeRef<leptos::html::Canvas>,
    label: &'static str,
    /// The download's file name without its extension.
    name: &'static str,
    /// Draws the chart as SVG at a size (see [`ChartExport`]).
    svg: Callback<(u32, u32), String>,
    children: Children,
) -> impl IntoView {
    view! {
        <figure class=class class:hidden=move || hidden.get()>
            <canvas node_ref=canvas role="img" aria-label=label></canvas>
            <ChartExport canvas=canvas name=name svg=svg />
            <figcaption>{children()}</figcaption>
        </figure>
    }
}

/// Downloads of one chart: its canvas as PNG, and as SVG the same chart
/// drawn again by `svg` (given the canvas's CSS size). Hidden in embeds.
#[component]
fn ChartExport(
    canvas: NodeRef<leptos::html::Canvas>,
    /// The file name without its extension.
    name: &'static str,
    svg: Callback<(u32, u32), String>,
) -> impl IntoView {
    view! {
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
                        crate::web::download(&format!("{name}.svg"), "image/svg+xml", &svg.run(size));
                    }
                }>"SVG"</button>
        </div>
    }
}

/// Downloads of a lab's data: `{name}.csv`, `{name}.json` and the run's
/// config for the command-line tool, `{name}-config.json`. Each callback
/// returns the file's text, `None` while there is nothing to export.
#[component]
pub fn DataExport(
    name: &'static str,
    csv: Callback<(), Option<String>>,
    json: Callback<(), Option<String>>,
    config: Callback<(), String>,
) -> impl IntoView {
    let save = move |file: String, mime: &'static str, text: Option<String>| {
        if let Some(text) = text {
            crate::web::download(&file, mime, &text);
        }
    };
    view! {
        <fieldset class="data-export">
            <legend>"Export"</legend>
            <div class="transport">
                <button name="csv" title="the data behind the charts, as CSV" on:click=move |_| save(format!("{name}.csv"), "text/csv", csv.run(()))>"CSV"</button>
                <button name="json" title="the settings and the data behind the charts, as JSON"
                    on:click=move |_| save(format!("{name}.json"), "application/json", json.run(()))>"JSON"</button>
                <button name="config" title="this run for the command-line tool: gradlab CONFIG.json"
                    on:click=move |_| save(format!("{name}-config.json"), "application/json", Some(config.run(())))>"Config"</button>
            </div>
        </fieldset>
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
