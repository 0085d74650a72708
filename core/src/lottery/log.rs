//! What an IMP run records ([`super::ImpRun`]): plain data that the
//! page's charts and exports read.

use super::Imp;
use crate::double_descent::Band;

/// What a model of IMP is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The unpruned net (round 0).
    Dense,
    /// Magnitude-pruned, rewound to `θ_k`.
    Ticket,
    /// The ticket's mask on a fresh initialization.
    Reinit,
    /// A random mask of the ticket's per-layer counts, rewound to `θ_k`.
    Random,
}

impl Kind {
    /// A round's models, in batch order.
    pub const ROUND: [Self; 3] = [Self::Ticket, Self::Reinit, Self::Random];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Dense => "dense",
            Self::Ticket => "ticket",
            Self::Reinit => "reinit",
            Self::Random => "random",
        }
    }
}

/// A model's mean test loss and test accuracy at a step, counted from the
/// dense run's start (a round starts at the rewind step `k`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Checkpoint {
    pub step: u64,
    pub loss: f64,
    pub accuracy: f64,
}

/// One model's record.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelLog {
    /// Which of the run's seeds.
    pub seed: usize,
    pub kind: Kind,
    /// The test set at the checkpoints.
    pub checkpoints: Vec<Checkpoint>,
    /// Test loss and accuracy after training: the last checkpoint's, once
    /// the round is done.
    pub end: Option<(f64, f64)>,
}

impl ModelLog {
    /// The early-stopping iteration: the checkpoint of lowest test loss.
    #[must_use]
    pub fn best(&self) -> Option<(u64, f64)> {
        self.checkpoints.iter().filter(|c| c.loss.is_finite()).min_by(|a, b| a.loss.total_cmp(&b.loss)).map(|c| (c.step, c.loss))
    }
}

/// The dense run (round 0) or one round of IMP.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseLog {
    pub round: u32,
    /// The fraction of prunable weights kept.
    pub kept: f64,
    /// Seed after seed: the dense net, or the round's ticket and controls.
    pub models: Vec<ModelLog>,
    /// Milliseconds from the phase's start to its last result.
    pub ms: Option<f64>,
}

/// What an [`super::ImpRun`] has recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpLog {
    pub imp: Imp,
    pub seeds: usize,
    /// Rounds from this one on train the controls.
    pub controls_from: u32,
    /// The dense run, then each round begun.
    pub phases: Vec<PhaseLog>,
    /// The rewind steps of the stability test (none: no test).
    pub stability_steps: Vec<u64>,
    /// The stability test at each rewind step done.
    pub stability: Vec<StabilityLog>,
    /// Steps trained, summed over models.
    pub done: u64,
}

/// The stability test at one rewind step `k`: for each seed, the test-loss
/// barrier between two copies trained from `θ_k` with different batch
/// orders, of the dense net and of the last round's ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilityLog {
    pub step: u64,
    pub dense: Vec<f64>,
    pub ticket: Vec<f64>,
}

impl ImpLog {
    /// The steps the whole run trains, summed over models.
    #[must_use]
    pub fn total(&self) -> u64 {
        let per_round = |r: u32| if r >= self.controls_from { 3 } else { 1 };
        let rounds: u64 = (1..=self.imp.rounds).map(per_round).sum();
        let stability: u64 = self.stability_steps.iter().map(|k| 4 * (self.imp.steps - k)).sum();
        self.seeds as u64 * (self.imp.steps + rounds * (self.imp.steps - self.imp.rewind) + stability)
    }

    /// True once every round is trained and evaluated.
    #[must_use]
    pub fn rounds_finished(&self) -> bool {
        self.phases.len() == self.imp.rounds as usize + 1 && self.phases.iter().all(|p| p.ms.is_some())
    }

    /// True once the rounds and the stability test are done.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.rounds_finished() && self.stability.len() == self.stability_steps.len()
    }

    /// The stability test's barriers against the rewind step, as bands over
    /// seeds: of the dense net (`ticket` false) or of the last ticket.
    #[must_use]
    pub fn barriers(&self, ticket: bool) -> Vec<(u64, Band)> {
        self.stability.iter().map(|s| (s.step, Band::of(if ticket { &s.ticket } else { &s.dense }))).collect()
    }

    /// Every finished phase's `kind` models after training, as `(kept,
    /// band over seeds)` of test accuracy (or, `accuracy` false, loss).
    #[must_use]
    pub fn ends(&self, kind: Kind, accuracy: bool) -> Vec<(f64, Band)> {
        self.phases
            .iter()
            .filter_map(|p| {
                let v: Vec<f64> =
                    p.models.iter().filter(|m| m.kind == kind).filter_map(|m| m.end.map(|(l, a)| if accuracy { a } else { l })).collect();
                (!v.is_empty()).then(|| (p.kept, Band::of(&v)))
            })
            .collect()
    }

    /// Round `round`'s `kind` models' test loss against step, as a band over
    /// seeds at the checkpoints every seed has reached.
    #[must_use]
    pub fn curve(&self, round: u32, kind: Kind) -> Vec<(u64, Band)> {
        let Some(p) = self.phases.iter().find(|p| p.round == round) else { return Vec::new() };
        let runs: Vec<&[Checkpoint]> = p.models.iter().filter(|m| m.kind == kind).map(|m| m.checkpoints.as_slice()).collect();
        let common = runs.iter().map(|r| r.len()).min().unwrap_or(0);
        (0..common).map(|i| (runs[0][i].step, Band::of(&runs.iter().map(|r| r[i].loss).collect::<Vec<_>>()))).collect()
    }

    /// True if any model's test loss went non-finite.
    #[must_use]
    pub fn diverged(&self) -> bool {
        self.phases.iter().flat_map(|p| &p.models).any(|m| m.checkpoints.iter().any(|c| !c.loss.is_finite()))
    }
}
