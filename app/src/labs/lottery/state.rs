//! The lottery-ticket lab's settings: the net, its data and optimizer, and
//! how iterative magnitude pruning prunes and rewinds.

use gradlab_core::lottery::{Imp, Pruning, Scope};
use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use crate::kit::query::{named, num, pick, LabView, Setting};
use crate::kit::{Checker, LabState};

/// Which picture to show (the embed shows one), or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LtView {
    All,
    Sparsity,
    Training,
    Mask,
    Stability,
}
named!(LtView {
    All = "all",
    Sparsity = "sparsity" / "results against the weights left",
    Training = "training" / "test loss against step",
    Mask = "mask" / "the ticket's mask",
    Stability = "stability" / "stability to batch order",
});
impl LabView for LtView {
    const ALL: Self = Self::All;
}

named!(Scope { Layer = "layer" / "each layer", Global = "global" / "all layers at once" });

/// Whether IMP prunes the output layer's weights too (at the same rate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Keep,
    Prune,
}
named!(Output { Keep = "keep" / "kept whole", Prune = "prune" / "pruned too" });

/// What the sparsity view plots after training.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Accuracy,
    Loss,
}
named!(Metric { Accuracy = "accuracy" / "test accuracy", Loss = "loss" / "test loss" });

/// Everything a person sets in the lottery-ticket lab.
#[derive(Clone, Debug, PartialEq)]
pub struct LotteryState {
    pub data: DatasetKind,
    /// Training points.
    pub n: usize,
    pub noise: f32,
    pub width: usize,
    pub depth: usize,
    pub opt: Optimizer,
    pub lr: f32,
    /// 0 is full batch; else a power of two.
    pub batch: usize,
    /// The fraction of surviving weights pruned each round.
    pub rate: f64,
    pub rounds: u32,
    pub scope: Scope,
    pub output: Output,
    /// Training steps `T` of the dense net and of every round.
    pub steps: u64,
    /// The rewind step `k` (0: the original initialization).
    pub rewind: u64,
    pub seeds: usize,
    pub seed: u64,
    /// The round the training and mask views show (0: the dense net).
    pub round: u32,
    pub metric: Metric,
    pub view: LtView,
}

impl Default for LotteryState {
    /// The setting of the science test in `core::lottery`, where tickets
    /// win: moons, 2→128→128→1 ReLU, Adam 3·10⁻³, batches of 32, T = 2000,
    /// half of each hidden layer pruned a round for five rounds, rewound to
    /// step 100.
    fn default() -> Self {
        Self {
            data: DatasetKind::Moons,
            n: 256,
            noise: 0.2,
            width: 128,
            depth: 2,
            opt: Optimizer::with_defaults("adam").unwrap_or_default(),
            lr: 0.003,
            batch: 32,
            rate: 0.5,
            rounds: 5,
            scope: Scope::Layer,
            output: Output::Keep,
            steps: 2000,
            rewind: 100,
            seeds: 3,
            seed: 1,
            round: 5,
            metric: Metric::Accuracy,
            view: LtView::All,
        }
    }
}

/// Test points of every seed's data.
pub const TEST_POINTS: usize = 500;

type S = LotteryState;

pick!(DATA, data: DatasetKind, "dataset");
num!(N, n: usize, 16, 2000, "points", log 60);
num!(NOISE, noise: f32, 0.0, 0.5, "input noise", linear 50);
num!(WIDTH, width: usize, 4, 512, "width", log 70);
num!(DEPTH, depth: usize, 1, 4, "depth", linear 3);
pick!(OPT, opt: Optimizer, "optimizer");
num!(LR, lr: f32, 1e-4, 1.0, "learning rate", log 80);
num!(BATCH, batch: usize, 0, 1024, "batch size", linear 11);
num!(RATE, rate: f64, 0.05, 0.95, "pruned a round p", linear 18);
num!(ROUNDS, rounds: u32, 1, 10, "rounds R", linear 9);
pick!(SCOPE, scope: Scope, "prune");
pick!(OUTPUT, output: Output, "output layer");
pick!(METRIC, metric: Metric, "sparsity plot");
num!(STEPS, steps: u64, 20, 20_000, "steps T", log 70);
num!(REWIND, rewind: u64, 0, 10_000, "rewind step k", linear 0);
num!(SEEDS, seeds: usize, 1, 5, "seeds", linear 4);
num!(SEED, seed: u64, 0, 1_000_000, "seed", linear 0);
num!(ROUND, round: u32, 0, 10, "round shown", linear 10);
pick!(VIEW, view: LtView, "view");

static SETTINGS: [&dyn Setting<S>; 19] = [
    &DATA, &N, &NOISE, &WIDTH, &DEPTH, &OPT, &LR, &BATCH, &RATE, &ROUNDS, &SCOPE, &OUTPUT, &STEPS, &REWIND, &SEEDS, &SEED, &ROUND, &METRIC,
    &VIEW,
];

impl LabState for LotteryState {
    const LAB: &'static str = "lottery";

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }

    fn reconcile(&mut self, c: &mut Checker) {
        if !self.data.classifies() {
            c.note(format!("{} is a regression task; lottery tickets are judged by accuracy: using moons.", self.data.name()));
            self.data = DatasetKind::Moons;
        }
        crate::kit::query::power_of_two_batch(&mut self.batch, BATCH.hi, c);
    }
}

impl LotteryState {
    /// The dense net's run (seed `self.seed`; IMP's seeds count up from it).
    #[must_use]
    pub fn run_config(&self) -> RunConfig {
        RunConfig {
            model: ModelConfig {
                hidden: vec![self.width; self.depth],
                activation: Activation::Relu,
                parameterization: Parameterization::Standard,
                init: Init::He,
            },
            data: DataConfig {
                kind: self.data,
                n_train: self.n,
                n_test: TEST_POINTS,
                noise: self.noise,
                label_noise: 0.0,
                dim: 20,
                ..DataConfig::default()
            },
            train: TrainConfig {
                batch_size: (self.batch > 0).then_some(self.batch),
                ..TrainConfig::full_batch(Loss::Bce, self.opt, self.lr)
            },
            seed: self.seed,
        }
    }

    /// How IMP prunes and rewinds.
    #[must_use]
    pub fn imp(&self) -> Imp {
        Imp {
            pruning: Pruning { rate: self.rate, scope: self.scope, prune_output: self.output == Output::Prune },
            rounds: self.rounds,
            steps: self.steps,
            rewind: self.rewind_step(),
        }
    }

    /// The rewind step used: `k` where it comes before the end of training,
    /// else `T/10` (the controls say so).
    #[must_use]
    pub fn rewind_step(&self) -> u64 {
        if self.rewind < self.steps {
            self.rewind
        } else {
            self.steps / 10
        }
    }

    /// The rewind steps of the stability test: 0, and 1 %, 5 % and 20 % of
    /// the way through training.
    #[must_use]
    pub fn stability_steps(&self) -> Vec<u64> {
        let mut k: Vec<u64> = [0.0, 0.01, 0.05, 0.2].iter().map(|f| (f * self.steps as f64).round() as u64).collect();
        k.dedup();
        k
    }

    /// The round the training and mask views show (at most the last).
    #[must_use]
    pub fn shown_round(&self) -> u32 {
        self.round.min(self.rounds)
    }

    /// True if `other` runs the same experiment (only what is shown differs).
    #[must_use]
    pub fn same_run(&self, other: &Self) -> bool {
        Self { round: self.round, metric: self.metric, view: self.view, ..other.clone() } == *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::properties::{url_fuzz, url_properties};

    #[test]
    fn round_trips_and_explains_what_it_changed() {
        let s = LotteryState {
            data: DatasetKind::Spiral,
            rate: 0.2,
            rounds: 8,
            round: 3,
            rewind: 0,
            output: Output::Prune,
            metric: Metric::Loss,
            view: LtView::Mask,
            ..LotteryState::default()
        };
        assert!(s.imp().pruning.prune_output);
        let (back, msgs) = LotteryState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = LotteryState::from_query("lab=lottery&steps=100&rewind=500&rounds=2&round=7&batch=48&data=sine");
        assert_eq!((s.batch, s.data), (64, DatasetKind::Moons));
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!((s.rewind_step(), s.imp().rewind, s.shown_round()), (10, 10, 2), "past the end: T/10 and the last round");
        assert!(s.same_run(&LotteryState { round: 0, view: LtView::Training, ..s.clone() }));
        assert!(!s.same_run(&LotteryState { rate: 0.3, ..s.clone() }));
        assert!(s.same_run(&LotteryState { metric: Metric::Loss, ..s.clone() }), "the plotted metric is not a new run");
        assert!(!s.same_run(&LotteryState { output: Output::Prune, ..s.clone() }));
    }

    url_properties!(lottery_urls, LotteryState);
    url_fuzz!(lottery_fuzzed_urls, LotteryState);
}
