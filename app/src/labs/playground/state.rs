//! The playground's settings: one row per URL key (range, slider, parser),
//! and the run they describe.

use gradlab_core::{
    Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, Schedule, TrainConfig,
};

use super::own::{PgData, PTS};
use crate::kit::query::{named, num, pick, Setting};
use crate::kit::{Checker, LabState};

/// Which pictures the page shows beside the losses (an embed shows them
/// alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgView {
    /// What the whole network computes.
    Function,
    /// Every neuron's picture, and the weights between them.
    Network,
    /// The last hidden layer's picture of the data, and the linear regions.
    Hidden,
    /// Activations and gradients layer by layer, at initialization and now.
    Depth,
}
named!(PgView {
    Function = "function" / "the function",
    Network = "network" / "every neuron",
    Hidden = "hidden" / "the hidden representation",
    Depth = "depth" / "depth and initialization",
});

/// How the weights start (the scale of [`Init`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitScheme {
    He,
    Xavier,
    /// `σ/√fan_in`, σ from the slider.
    Normal,
}
named!(InitScheme { He = "he" / "He (√(2/fan_in))", Xavier = "xavier" / "Xavier (√(2/(fan_in + fan_out)))", Normal = "normal" / "σ/√fan_in" });

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

/// Everything a person sets in the playground.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaygroundState {
    pub data: PgData,
    /// Spiral arms or blobs (2 to 5; other datasets have 2).
    pub classes: usize,
    /// Your own points (`data=points` or `curve`), as [`DataConfig::points`].
    pub points: Vec<Vec<f32>>,
    /// The class a click adds.
    pub class: usize,
    /// Training points; the test set has as many.
    pub n: usize,
    pub noise: f32,
    pub label_noise: f32,
    pub width: usize,
    pub depth: usize,
    pub act: Activation,
    pub param: Parameterization,
    pub init: InitScheme,
    /// The scale of [`InitScheme::Normal`].
    pub sigma: f32,
    pub loss: Loss,
    /// The rule; its hyperparameters are `beta`, `beta2` and `alpha`
    /// ([`Self::optimizer`]).
    pub opt: Optimizer,
    /// Momentum's and Nesterov's β, Adam's β₁.
    pub beta: f32,
    /// Adam's β₂.
    pub beta2: f32,
    /// RMSProp's α.
    pub alpha: f32,
    pub lr: f32,
    pub sched: PgSchedule,
    /// Steps between the step schedule's drops, and its factor.
    pub every: usize,
    pub gamma: f32,
    /// The cosine schedule's length.
    pub total: usize,
    /// Steps of linear warmup before the schedule.
    pub warmup: usize,
    /// L2 weight decay λ (`g ← ∇L + λθ`), changed live like the rate.
    pub wd: f32,
    /// Probability of dropping each hidden unit in a training step.
    pub dropout: f32,
    /// Train the same net beside on shuffled labels.
    pub random: RandomLabels,
    /// 0 is full batch; else a power of two.
    pub batch: usize,
    pub seed: u64,
    pub view: PgView,
    /// The neuron the network view enlarges: its layer (1 to `depth`;
    /// 0 is the output) and its index in that layer ([`Self::focus`]).
    pub layer: usize,
    pub unit: usize,
}

impl Default for PlaygroundState {
    fn default() -> Self {
        Self {
            data: PgData(DatasetKind::Spiral),
            classes: 2,
            points: Vec::new(),
            class: 0,
            n: 256,
            noise: 0.05,
            label_noise: 0.0,
            width: 32,
            depth: 2,
            act: Activation::Relu,
            param: Parameterization::Standard,
            init: InitScheme::He,
            sigma: 1.0,
            loss: Loss::Bce,
            opt: Optimizer::with_defaults("adam").unwrap_or_default(),
            beta: 0.9,
            beta2: 0.999,
            alpha: 0.99,
            lr: 0.01,
            sched: PgSchedule::Constant,
            every: 1000,
            gamma: 0.5,
            total: 2000,
            warmup: 0,
            wd: 0.0,
            dropout: 0.0,
            random: RandomLabels::Off,
            batch: 0,
            seed: 1,
            view: PgView::Function,
            layer: 0,
            unit: 0,
        }
    }
}

type S = PlaygroundState;

pick!(DATA, data: PgData, "dataset");
num!(CLASSES, classes: usize, 2, 5, "classes", linear 3);
num!(CLASS, class: usize, 0, 4, "class to add", linear 4);
num!(N, n: usize, 10, 5000, "points", log 100);
num!(NOISE, noise: f32, 0.0, 0.5, "input noise", linear 50);
num!(LABEL_NOISE, label_noise: f32, 0.0, 0.5, "label noise", linear 50);
num!(WIDTH, width: usize, 1, 1024, "width", log 100);
num!(DEPTH, depth: usize, 1, 16, "depth", linear 15);
pick!(ACT, act: Activation, "activation");
pick!(PARAM, param: Parameterization, "parameterization");
pick!(INIT, init: InitScheme, "initialization");
num!(SIGMA, sigma: f32, 0.1, 4.0, "σ", log 100);
pick!(LOSS, loss: Loss, "loss");
pick!(OPT, opt: Optimizer, "optimizer");
num!(BETA, beta: f32, 0.0, 0.99, "β (momentum)", linear 99);
num!(BETA2, beta2: f32, 0.9, 0.999, "β₂", linear 99, shown |v| format!("{v:.3}"));
num!(ALPHA, alpha: f32, 0.9, 0.999, "α", linear 99, shown |v| format!("{v:.3}"));
num!(LR, lr: f32, 1e-4, 10.0, "learning rate", log 100);
pick!(SCHED, sched: PgSchedule, "schedule");
num!(EVERY, every: usize, 10, 100_000, "every (steps)", log 40);
num!(GAMMA, gamma: f32, 0.05, 0.95, "factor γ", linear 18);
num!(TOTAL, total: usize, 10, 100_000, "over (steps)", log 40);
num!(WARMUP, warmup: usize, 0, 10_000, "warmup (steps)", linear 100);
num!(DROPOUT, dropout: f32, 0.0, 0.9, "dropout", linear 18, shown |v| if v == 0.0 { "off".to_owned() } else { format!("{v:.2}") });
pick!(RANDOM, random: RandomLabels, "random labels");
num!(WD, wd: f32, 0.0, 0.01, "weight decay", linear 100, shown |v| if v == 0.0 { "off".to_owned() } else { format!("{v:.1e}") });
// Mini-batch sizes: 0 (full batch) or a power of two up to the maximum.
num!(BATCH, batch: usize, 0, 1024, "batch size", linear 11);
num!(SEED, seed: u64, 0, 1_000_000, "seed", linear 0);
pick!(VIEW, view: PgView, "view");
num!(LAYER, layer: usize, 0, 16, "layer", linear 16);
num!(UNIT, unit: usize, 0, 1023, "unit", linear 0);

static SETTINGS: [&dyn Setting<S>; 32] = [
    &DATA,
    &CLASSES,
    &PTS,
    &CLASS,
    &N,
    &NOISE,
    &LABEL_NOISE,
    &WIDTH,
    &DEPTH,
    &ACT,
    &PARAM,
    &INIT,
    &SIGMA,
    &LOSS,
    &OPT,
    &BETA,
    &BETA2,
    &ALPHA,
    &LR,
    &SCHED,
    &EVERY,
    &GAMMA,
    &TOTAL,
    &WARMUP,
    &WD,
    &DROPOUT,
    &BATCH,
    &RANDOM,
    &SEED,
    &VIEW,
    &LAYER,
    &UNIT,
];

impl LabState for PlaygroundState {
    const LAB: &'static str = "playground";
    const NAMED: bool = false;

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }

    fn reconcile(&mut self, c: &mut Checker) {
        if !self.data.classifies() && self.loss != Loss::Mse {
            if c.given("loss") {
                c.note(format!("{} is a regression task: using the mse loss.", self.data.name()));
            }
            self.loss = Loss::Mse;
        }
        crate::kit::query::power_of_two_batch(&mut self.batch, BATCH.hi, c);
    }
}

impl PlaygroundState {
    /// The neuron the network view enlarges, `(layer, unit)`, within the
    /// net (the output's first unit where the settings name none of it).
    #[must_use]
    pub fn focus(&self) -> (usize, usize) {
        let units = match (self.layer, self.loss()) {
            (0, Loss::Softmax) => self.classes(),
            (0, _) => 1,
            _ => self.width,
        };
        if self.layer <= self.depth && self.unit < units {
            (self.layer, self.unit)
        } else {
            (0, 0)
        }
    }

    /// The classes of the data (1 for regression): the `classes` setting
    /// where the dataset has a choice, your points' labels, else 2.
    #[must_use]
    pub fn classes(&self) -> usize {
        match self.data.0 {
            _ if !self.data.classifies() => 1,
            DatasetKind::Points => self.own_points().iter().map(|p| p[2] as usize + 1).max().unwrap_or(2).max(2),
            k if k.multiclass() => self.classes,
            _ => 2,
        }
    }

    /// The loss that trains: softmax where there are more than two classes.
    #[must_use]
    pub fn loss(&self) -> Loss {
        if self.classes() > 2 {
            Loss::Softmax
        } else {
            self.loss
        }
    }

    /// Your points that fit the dataset chosen (`[x₁, x₂, class]` for
    /// points, `[x, y]` for a curve); none for a drawn dataset.
    #[must_use]
    pub fn own_points(&self) -> &[Vec<f32>] {
        let width = match self.data.0 {
            DatasetKind::Points => 3,
            DatasetKind::Curve => 2,
            _ => return &[],
        };
        if self.points.first().is_some_and(|p| p.len() == width) {
            &self.points
        } else {
            &[]
        }
    }

    /// Whether a run of `self` goes on as `other` from its next step: only
    /// what [`TrainConfig::retunes_to`] lets change does, besides what is
    /// shown (the rate, its schedule, weight decay, dropout, the batch size
    /// and the optimizer's hyperparameters).
    #[must_use]
    pub fn retunes_to(&self, other: &Self) -> bool {
        let tuned = Self {
            lr: other.lr,
            sched: other.sched,
            every: other.every,
            gamma: other.gamma,
            total: other.total,
            warmup: other.warmup,
            wd: other.wd,
            dropout: other.dropout,
            batch: other.batch,
            beta: other.beta,
            beta2: other.beta2,
            alpha: other.alpha,
            ..self.clone()
        };
        tuned.same_run(other)
    }

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

    /// Whether `other` trains the same run (only what is shown differs).
    #[must_use]
    pub fn same_run(&self, other: &Self) -> bool {
        Self { view: self.view, layer: self.layer, unit: self.unit, class: self.class, ..other.clone() } == *self
    }

    /// The run these settings describe (the same JSON the CLI reads).
    #[must_use]
    pub fn run_config(&self) -> RunConfig {
        RunConfig {
            model: ModelConfig {
                hidden: vec![self.width; self.depth],
                activation: self.act,
                parameterization: self.param,
                init: match self.init {
                    InitScheme::He => Init::He,
                    InitScheme::Xavier => Init::Xavier,
                    InitScheme::Normal => Init::Normal { sigma: self.sigma },
                },
            },
            data: DataConfig {
                kind: self.data.0,
                classes: if self.data.multiclass() && !self.data.own() { self.classes } else { 2 },
                points: self.own_points().to_vec(),
                n_train: self.n,
                n_test: self.n,
                noise: self.noise,
                label_noise: self.label_noise,
                dim: 20,
            },
            train: TrainConfig {
                batch_size: (self.batch > 0).then_some(self.batch),
                weight_decay: self.wd,
                dropout: self.dropout,
                schedule: self.schedule(),
                warmup: self.warmup as u32,
                ..TrainConfig::full_batch(self.loss(), self.optimizer(), self.lr)
            },
            seed: self.seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::export::cli_config;
    use crate::kit::properties::{url_fuzz, url_properties};

    #[test]
    fn defaults_round_trip_and_every_default_is_a_valid_run() {
        let s = PlaygroundState::default();
        let (back, msgs) = PlaygroundState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        gradlab_core::Problem::new(s.run_config()).unwrap();
    }

    #[test]
    fn every_choice_round_trips() {
        for data in DatasetKind::ALL.map(PgData) {
            for act in Activation::ALL {
                for opt in Optimizer::DEFAULTS {
                    let s = PlaygroundState {
                        data,
                        act,
                        opt,
                        loss: if data.classifies() { Loss::Softmax } else { Loss::Mse },
                        lr: 0.0316,
                        batch: 64,
                        ..PlaygroundState::default()
                    };
                    let (back, msgs) = PlaygroundState::from_query(&format!("?{}", s.to_query()));
                    assert_eq!(back, s);
                    assert!(msgs.is_empty());
                    gradlab_core::Problem::new(s.run_config()).unwrap();
                }
            }
        }
    }

    #[test]
    fn out_of_range_values_are_clamped_with_messages() {
        let (s, msgs) = PlaygroundState::from_query("width=99999&lr=banana&data=nope&batch=100&colour=red");
        assert_eq!(s.width, WIDTH.hi);
        assert_eq!(s.lr, PlaygroundState::default().lr);
        assert_eq!(s.data, PgData(DatasetKind::Spiral));
        assert_eq!(s.batch, 128);
        assert_eq!(msgs.len(), 4, "{msgs:?}");
    }

    #[test]
    fn negative_and_fractional_counts_are_explained() {
        let (s, msgs) = PlaygroundState::from_query("depth=-3&width=2.5&seed=-1");
        assert_eq!((s.depth, s.width, s.seed), (DEPTH.lo, PlaygroundState::default().width, 0));
        assert!(msgs.iter().any(|m| m.contains("depth=-3 is below the minimum 1")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("width=2.5 is not a whole number")), "{msgs:?}");
        assert_eq!(msgs.len(), 3, "{msgs:?}");
    }

    #[test]
    fn nan_and_infinite_floats_are_refused() {
        let (s, msgs) = PlaygroundState::from_query("lr=NaN&noise=inf");
        assert_eq!(s.lr, PlaygroundState::default().lr);
        assert_eq!(s.noise, NOISE.hi);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
    }

    /// Regression: a repeated key threw away every setting of the URL, and
    /// counts past 2³² (wasm's usize) were "not a whole number".
    #[test]
    fn repeated_keys_and_huge_counts_are_read() {
        let (s, msgs) = PlaygroundState::from_query("width=8&width=16&depth=4294967296&data=moons");
        assert_eq!((s.width, s.depth, s.data), (16, DEPTH.hi, PgData(DatasetKind::Moons)));
        assert!(msgs.iter().any(|m| m.contains("width is given 2 times")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("depth=4294967296 is above the maximum 16")), "{msgs:?}");
        assert_eq!(msgs.len(), 2, "{msgs:?}");
    }

    #[test]
    fn messages_quote_a_short_prefix_of_long_values() {
        let long = "x".repeat(10_000);
        let (_, msgs) = PlaygroundState::from_query(&format!("lr={long}&data={long}"));
        assert_eq!(msgs.len(), 2);
        assert!(msgs.iter().all(|m| m.chars().count() < 200), "{msgs:?}");
    }

    #[test]
    fn exported_configs_read_back_as_the_same_run() {
        let s = PlaygroundState { batch: 32, opt: Optimizer::Momentum { beta: 0.9 }, ..PlaygroundState::default() };
        let text = cli_config(&s.run_config(), 500);
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let map = value.as_object_mut().unwrap();
        assert_eq!(map.remove("steps"), Some(500.into()));
        assert_eq!(map.remove("backend"), Some("cpu".into()));
        let back: RunConfig = serde_json::from_value(value).unwrap();
        assert_eq!(back, s.run_config());
        assert!(cli_config(&s.run_config(), 0).contains("\"steps\": 1000"));
        assert!(cli_config(&s.run_config(), 1 << 40).contains("\"steps\": 1000000"));
    }

    #[test]
    fn regression_forces_mse() {
        let (s, msgs) = PlaygroundState::from_query("data=sine&loss=bce");
        assert_eq!(s.loss, Loss::Mse);
        assert_eq!(msgs.len(), 1);
        let (s, msgs) = PlaygroundState::from_query("data=sine");
        assert_eq!(s.loss, Loss::Mse);
        assert!(msgs.is_empty());
    }

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

    url_properties!(playground_urls, PlaygroundState);
    url_fuzz!(playground_fuzzed_urls, PlaygroundState);
}
