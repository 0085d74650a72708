//! The playground's data as files: loss curves (CSV), and the settings,
//! run, curves, function on the grid and training data (JSON).

use super::run::Run;
use super::state::PlaygroundState;
use crate::charts::History;
use crate::kit::LabState;

/// The loss curves: `step,train_loss,test_loss`.
pub fn losses_csv(history: &History) -> String {
    let mut csv = String::from("step,train_loss,test_loss\n");
    for (step, train, test) in &history.points {
        csv.push_str(&format!("{step},{train},{}\n", test.map_or(String::new(), |t| t.to_string())));
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
            "step": h.iter().map(|p| p.0).collect::<Vec<_>>(),
            "train": h.iter().map(|p| p.1).collect::<Vec<_>>(),
            "test": h.iter().map(|p| p.2).collect::<Vec<_>>(),
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
