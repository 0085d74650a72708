//! The playground's settings: one row per URL key (range, slider, parser),
//! and the run they describe.

use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use super::own::{PgData, PTS};
use super::training::{PgSchedule, RandomLabels, ALPHA, BETA, BETA2, DROPOUT, EVERY, GAMMA, RANDOM, SCHED, TOTAL, WARMUP};
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
num!(LR, lr: f32, 1e-4, 10.0, "learning rate", log 100);
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
mod tests;
