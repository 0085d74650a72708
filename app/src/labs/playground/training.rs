//! The playground's training as a person steers it: the optimizer's
//! hyperparameters, the rate's schedule and warmup, dropout, a net beside
//! on shuffled labels, and which changes a running net takes without a
//! restart.

use gradlab_core::{Optimizer, RunConfig, Schedule};

use super::state::PlaygroundState;
use crate::kit::query::{named, num, pick};

/// How the learning rate moves over the run (after the warmup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgSchedule {
    Constant,
    /// Times γ every `every` steps.
    Step,
    /// Half a cosine down to 0 over `total` steps.
    Cosine,
}
named!(PgSchedule { Constant = "constant" / "constant", Step = "step" / "step decay", Cosine = "cosine" / "cosine decay" });

/// Whether the same net trains beside on shuffled labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomLabels {
    Off,
    /// A second net, from the same start, on the training labels shuffled.
    Beside,
}
named!(RandomLabels { Off = "off" / "off", Beside = "beside" / "a second net beside" });

type S = PlaygroundState;

num!(BETA, beta: f32, 0.0, 0.99, "β (momentum)", linear 99);
num!(BETA2, beta2: f32, 0.9, 0.999, "β₂", linear 99, shown |v| format!("{v:.3}"));
num!(ALPHA, alpha: f32, 0.9, 0.999, "α", linear 99, shown |v| format!("{v:.3}"));
pick!(SCHED, sched: PgSchedule, "schedule");
num!(EVERY, every: usize, 10, 100_000, "every (steps)", log 40);
num!(GAMMA, gamma: f32, 0.05, 0.95, "factor γ", linear 18);
num!(TOTAL, total: usize, 10, 100_000, "over (steps)", log 40);
num!(WARMUP, warmup: usize, 0, 10_000, "warmup (steps)", linear 100);
num!(DROPOUT, dropout: f32, 0.0, 0.9, "dropout", linear 18, shown |v| if v == 0.0 { "off".to_owned() } else { format!("{v:.2}") });
pick!(RANDOM, random: RandomLabels, "random labels");

impl PlaygroundState {
    /// The optimizer with its hyperparameters from the sliders.
    #[must_use]
    pub fn optimizer(&self) -> Optimizer {
        match self.opt {
            Optimizer::Momentum { .. } => Optimizer::Momentum { beta: self.beta },
            Optimizer::Nesterov { .. } => Optimizer::Nesterov { beta: self.beta },
            Optimizer::Adam { eps, .. } => Optimizer::Adam { beta1: self.beta, beta2: self.beta2, eps },
            Optimizer::RmsProp { eps, .. } => Optimizer::RmsProp { alpha: self.alpha, eps },
            other => other,
        }
    }

    /// The learning-rate schedule after the warmup.
    #[must_use]
    pub fn schedule(&self) -> Schedule {
        match self.sched {
            PgSchedule::Constant => Schedule::Constant,
            PgSchedule::Step => Schedule::Step { every: self.every as u32, gamma: self.gamma },
            PgSchedule::Cosine => Schedule::Cosine { total: self.total as u32, min_ratio: 0.0 },
        }
    }

    /// Whether `other` trains the same run: the same configuration and net
    /// beside (what is only shown, or a setting the run does not use,
    /// differs).
    #[must_use]
    pub fn same_run(&self, other: &Self) -> bool {
        self.random == other.random && self.run_config() == other.run_config()
    }

    /// Whether a run of `self` goes on as `other` from its next step: only
    /// the training differs, as [`gradlab_core::TrainConfig::retunes_to`]
    /// allows (the rate, its schedule, weight decay, dropout, the batch size
    /// and the optimizer's hyperparameters).
    #[must_use]
    pub fn retunes_to(&self, other: &Self) -> bool {
        let (a, b) = (self.run_config(), other.run_config());
        self.random == other.random && RunConfig { train: b.train.clone(), ..a.clone() } == b && a.train.retunes_to(&b.train)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_weight_decay_retune_and_the_rest_restarts() {
        let s = PlaygroundState::default();
        assert!(s.retunes_to(&PlaygroundState { lr: 0.1, wd: 1e-3, ..s.clone() }));
        let tuned =
            PlaygroundState { sched: PgSchedule::Cosine, warmup: 100, batch: 32, beta: 0.5, beta2: 0.99, dropout: 0.2, ..s.clone() };
        assert!(s.retunes_to(&tuned));
        assert!(s.run_config().train.retunes_to(&tuned.run_config().train), "the trainers take it too");
        assert!(!s.retunes_to(&PlaygroundState { opt: Optimizer::Sgd, ..s.clone() }), "another optimizer restarts");
        assert!(!s.retunes_to(&PlaygroundState { width: 8, lr: 0.1, ..s.clone() }));
        assert!(!s.retunes_to(&PlaygroundState { seed: 9, ..s.clone() }));
        let (a, b) = (s.run_config().train, PlaygroundState { wd: 1e-3, ..s.clone() }.run_config().train);
        assert!(a.retunes_to(&b) && b.weight_decay == 1e-3, "the trainers take it too");
    }
}
