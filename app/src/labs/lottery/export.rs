//! The lottery-ticket run as files: every model's result after each round
//! (a row each in CSV), and in JSON the settings, the accuracy bands
//! against sparsity, every model's test-loss curve and the stability
//! test's barriers.

use gradlab_core::lottery::{ImpLog, Kind};

use super::state::LotteryState;
use crate::kit::LabState;

/// `round,kept,seed,model,test_loss,test_accuracy,best_step,best_test_loss`:
/// a row per model trained (the dense nets in round 0).
pub fn csv(log: &ImpLog, _s: &LotteryState) -> String {
    let mut csv = String::from("round,kept,seed,model,test_loss,test_accuracy,best_step,best_test_loss\n");
    for p in &log.phases {
        for m in &p.models {
            let Some((loss, accuracy)) = m.end else { continue };
            let (step, best) = m.best().map_or((String::new(), String::new()), |(s, l)| (s.to_string(), l.to_string()));
            csv.push_str(&format!("{},{},{},{},{loss},{accuracy},{step},{best}\n", p.round, p.kept, m.seed, m.kind.name()));
        }
    }
    csv
}

/// The settings, each kind's accuracy band against sparsity, and every
/// model's record.
pub fn json(log: &ImpLog, s: &LotteryState) -> String {
    let kinds = [Kind::Dense, Kind::Ticket, Kind::Reinit, Kind::Random];
    let bands: serde_json::Map<String, serde_json::Value> = kinds
        .iter()
        .map(|&k| {
            let points =
                log.ends(k, true).into_iter().map(|(kept, b)| serde_json::json!({ "kept": kept, "accuracy": b })).collect::<Vec<_>>();
            (k.name().to_owned(), points.into())
        })
        .collect();
    let phases: Vec<serde_json::Value> = log
        .phases
        .iter()
        .map(|p| {
            serde_json::json!({
                "round": p.round,
                "kept": p.kept,
                "ms": p.ms,
                "models": p.models.iter().map(|m| serde_json::json!({
                    "seed": m.seed,
                    "model": m.kind.name(),
                    "test_loss": m.end.map(|e| e.0),
                    "test_accuracy": m.end.map(|e| e.1),
                    "best_step": m.best().map(|b| b.0),
                    "step": m.checkpoints.iter().map(|c| c.step).collect::<Vec<_>>(),
                    "test_losses": m.checkpoints.iter().map(|c| c.loss).collect::<Vec<_>>(),
                    "test_accuracies": m.checkpoints.iter().map(|c| c.accuracy).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let stability: Vec<serde_json::Value> = log
        .stability
        .iter()
        .map(|st| serde_json::json!({ "rewind_step": st.step, "dense_barrier": st.dense, "ticket_barrier": st.ticket }))
        .collect();
    serde_json::json!({ "settings": s.to_query(), "accuracy_against_kept": bands, "phases": phases, "stability": stability }).to_string()
}
