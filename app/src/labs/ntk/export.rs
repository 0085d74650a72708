//! The NTK lab's data as files: spectra at initialization and now, and
//! kernel drift and weight movement per width.

use super::run::Nets;
use super::state::NtkState;
use crate::kit::LabState;

/// `series,x,value` rows: both spectra (x = index), drift and movement of
/// each width (x = step).
pub fn csv(nets: &Nets) -> String {
    let (s0, st) = nets.spectra();
    let mut csv = String::from("series,x,value\n");
    for (name, sp) in [("spectrum_init", &s0), ("spectrum_now", &st)] {
        for (i, v) in sp.unwrap_or_default().iter().enumerate() {
            csv.push_str(&format!("{name},{},{v}\n", i + 1));
        }
    }
    for w in &nets.runs {
        for r in &w.records {
            csv.push_str(&format!("kernel_drift_width{},{},{}\n", w.width, r.step, r.drift));
            csv.push_str(&format!("weight_movement_width{},{},{}\n", w.width, r.step, r.movement));
        }
    }
    csv
}

/// The settings, both spectra, and drift and movement per width.
pub fn json(nets: &Nets, s: &NtkState) -> String {
    let (s0, st) = nets.spectra();
    let drift: Vec<_> = nets
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
        "step_now": nets.main().records.last().map(|r| r.step),
        "drift": drift,
    });
    body.to_string()
}
