//! Small controls shared by the labs: labelled, keyboard-operable, and
//! named so tests and host pages can find them.

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
