//! The implicit-bias lab's data as files: every recorded step of each
//! shown experiment, and (JSON) the exact answers beside them.

use super::margin::Margin;
use super::run::Run;
use super::state::ImplicitState;
use crate::kit::LabState;

/// `experiment,series,step,value` rows.
pub fn csv(run: &Run) -> String {
    let mut csv = String::from("experiment,series,step,value\n");
    let mut row = |e: &str, series: &str, step: u64, v: f64| csv.push_str(&format!("{e},{series},{step},{v}\n"));
    if let Some(l) = &run.lstsq {
        for r in &l.history {
            row("lstsq", "distance_to_min_norm", r.step, r.to_min_norm);
            row("lstsq", "distance_to_nearest", r.step, r.to_nearest);
            row("lstsq", "residual", r.step, r.residual);
        }
    }
    if let Some(m) = &run.margin {
        for (logistic, h) in m.runs.iter().zip(&m.history) {
            let name = logistic.method.name().replace(' ', "_");
            for r in h {
                row("margin", &format!("{name}_angle"), r.step, r.angle);
                row("margin", &format!("{name}_norm"), r.step, r.norm);
                row("margin", &format!("{name}_margin"), r.step, r.margin);
            }
        }
    }
    if let Some(m) = &run.matrix {
        for (model, h) in m.models.iter().zip(&m.history) {
            let a = model.alpha;
            for r in h {
                row("matrix", &format!("alpha{a}_unseen_error"), r.step, r.error);
                row("matrix", &format!("alpha{a}_effective_rank"), r.step, r.rank);
                row("matrix", &format!("alpha{a}_nuclear_norm"), r.step, r.nuclear);
                for (k, s) in r.singular.iter().enumerate() {
                    row("matrix", &format!("alpha{a}_sigma{}", k + 1), r.step, *s);
                }
            }
        }
    }
    csv
}

/// The settings, each experiment's exact answer and where the optimizers are.
pub fn json(run: &Run, s: &ImplicitState) -> String {
    let lstsq = run.lstsq.as_ref().map(|l| {
        serde_json::json!({
            "min_norm": l.min_norm.as_slice(),
            "nearest_to_x0": l.nearest.as_slice(),
            "x0": l.problem.x0.as_slice(),
            "x": l.descent.x.as_slice(),
            "step": l.descent.steps,
            "readout": l.readout(),
        })
    });
    let margin = run.margin.as_ref().map(|m: &Margin| {
        serde_json::json!({
            "svm_w": m.svm.w,
            "svm_margin": 1.0 / m.svm.w[0].hypot(m.svm.w[1]),
            "support": m.svm.support(),
            "optimizers": m.runs.iter().map(|r| serde_json::json!({"method": r.method.name(), "lr": r.lr, "w": r.w, "step": r.steps})).collect::<Vec<_>>(),
        })
    });
    let matrix = run.matrix.as_ref().map(|m| {
        serde_json::json!({
            "seen_fraction": m.c.seen,
            "trained_on": if m.on_gpu() { "gpu, f32" } else { "cpu, f64" },
            "min_nuclear_norm": m.nuclear_min(),
            "models": m.models.iter().zip(&m.history).map(|(model, h)| serde_json::json!({
                "alpha": model.alpha,
                "step": h.last().map(|r| r.step),
                "unseen_error": h.last().map(|r| r.error),
                "effective_rank": h.last().map(|r| r.rank),
                "nuclear_norm": h.last().map(|r| r.nuclear),
            })).collect::<Vec<_>>(),
        })
    });
    serde_json::json!({ "settings": s.to_query(), "lstsq": lstsq, "margin": margin, "matrix": matrix }).to_string()
}
