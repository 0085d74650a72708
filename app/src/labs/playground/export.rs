//! The playground's data as files: loss curves (CSV), and the settings,
//! run, curves, function on the grid and training data (JSON).

use super::run::Run;
use super::state::PlaygroundState;
use crate::charts::History;
use crate::kit::LabState;

/// The loss curves, and a classifier's accuracies:
/// `step,train_loss,test_loss,train_accuracy,test_accuracy` (empty where
/// there is none).
pub fn losses_csv(history: &History) -> String {
    let mut csv = String::from("step,train_loss,test_loss,train_accuracy,test_accuracy\n");
    let or_empty = |v: Option<f32>| v.map_or(String::new(), |v| v.to_string());
    for p in &history.points {
        let (test, train_acc, test_acc) = (or_empty(p.test), or_empty(p.train_accuracy), or_empty(p.test_accuracy));
        csv.push_str(&format!("{},{},{test},{train_acc},{test_acc}\n", p.step, p.train));
    }
    csv
}

/// The settings, the run's config, the loss curves, the network's outputs
/// on the drawing grid and the training data.
pub fn json(r: &Run, s: &PlaygroundState) -> Option<String> {
    let trainer = r.trainer.as_ref()?;
    let h = &r.progress.history.points;
    let train = &trainer.problem().dataset.train;
    let body = serde_json::json!({
        "settings": s.to_query(),
        "config": s.run_config(),
        "losses": {
            "step": h.iter().map(|p| p.step).collect::<Vec<_>>(),
            "train": h.iter().map(|p| p.train).collect::<Vec<_>>(),
            "test": h.iter().map(|p| p.test).collect::<Vec<_>>(),
            "train_accuracy": h.iter().map(|p| p.train_accuracy).collect::<Vec<_>>(),
            "test_accuracy": h.iter().map(|p| p.test_accuracy).collect::<Vec<_>>(),
            "best_test": r.progress.history.best.map(|(step, loss)| serde_json::json!({ "step": step, "loss": loss })),
        },
        "function": {
            "input_dim": trainer.problem().spec.input_dim,
            "output_dim": trainer.problem().spec.output_dim,
            "grid": trainer.grid(),
            "outputs": r.last.as_ref().map(|snap| &snap.grid),
        },
        "train": { "x": train.x, "y": train.y },
    });
    Some(body.to_string())
}
