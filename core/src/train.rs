//! What training means in gradlab, independent of where it runs: losses,
//! optimizers, learning-rate schedules, weight decay and batch sampling.
//!
//! Both backends draw their batches from [`BatchSampler`] and their per-step
//! constants from [`StepParams::at`], and apply the update rule written
//! once in [`Optimizer::update`] (the WGSL in `optimizer.wgsl` mirrors it),
//! so a GPU run can be checked step for step against the CPU.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Part};
use crate::rng::{Rng, Stream};

/// Losses, all averaged over the batch (PyTorch's conventions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Mean over samples and outputs of `(f − y)²`.
    #[default]
    Mse,
    /// Binary cross-entropy on one logit, targets 0/1.
    Bce,
    /// Softmax cross-entropy on one logit per class, one-hot targets.
    Softmax,
}

impl Loss {
    pub const ALL: [Self; 3] = [Self::Mse, Self::Bce, Self::Softmax];

    /// The code the shaders use for this loss (`loss.wgsl`).
    #[must_use]
    pub fn code(self) -> u32 {
        self as u32
    }

    /// Fraction of the rows of `outputs` (`n × k` row-major) that predict
    /// the class their encoded `targets` name ([`crate::Dataset::targets`]):
    /// with one output its sign (targets ±1 under MSE, 0/1 under BCE), with
    /// several the largest. A non-finite output is never right. Meaningful
    /// for classification only; 0 rows give 0.
    #[must_use]
    pub fn accuracy(self, outputs: &[f32], targets: &[f32], k: usize) -> f32 {
        let threshold = if self == Self::Bce { 0.5 } else { 0.0 };
        let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b]));
        let right = outputs
            .chunks_exact(k)
            .zip(targets.chunks_exact(k))
            .filter(|(f, t)| {
                f.iter().all(|v| v.is_finite()) && if k == 1 { (f[0] > 0.0) == (t[0] > threshold) } else { argmax(f) == argmax(t) }
            })
            .count();
        (right as f64 / (outputs.len() / k.max(1)).max(1) as f64) as f32
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Mse => "mse",
            Self::Bce => "bce",
            Self::Softmax => "softmax",
        }
    }
}

/// Optimizers. Weight decay `λ` is coupled (L2): every rule sees
/// `g ← ∇L + λθ`, as PyTorch's `weight_decay` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Optimizer {
    /// `θ ← θ − η g`
    #[default]
    Sgd,
    /// Heavy ball: `v ← βv + g; θ ← θ − η v`
    Momentum { beta: f32 },
    /// `v ← βv + g; θ ← θ − η (g + βv)`
    Nesterov { beta: f32 },
    /// With bias correction: `θ ← θ − η m̂ / (√v̂ + ε)`
    Adam { beta1: f32, beta2: f32, eps: f32 },
    /// `v ← αv + (1−α)g²; θ ← θ − η g / (√v + ε)`
    RmsProp { alpha: f32, eps: f32 },
    /// `θ ← θ − η g / (‖g‖ + ε)`, the norm over all parameters.
    NormalizedGd { eps: f32 },
}

impl Optimizer {
    pub const NAMES: [&'static str; 6] = ["sgd", "momentum", "nesterov", "adam", "rmsprop", "normalizedgd"];

    /// Every rule with its usual hyperparameters, in [`Self::NAMES`] order.
    pub const DEFAULTS: [Self; 6] = [
        Self::Sgd,
        Self::Momentum { beta: 0.9 },
        Self::Nesterov { beta: 0.9 },
        Self::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
        Self::RmsProp { alpha: 0.99, eps: 1e-8 },
        Self::NormalizedGd { eps: 1e-8 },
    ];

    /// The optimizer called `name` with its usual hyperparameters.
    #[must_use]
    pub fn with_defaults(name: &str) -> Option<Self> {
        Self::DEFAULTS.into_iter().find(|o| o.name() == name)
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sgd => "sgd",
            Self::Momentum { .. } => "momentum",
            Self::Nesterov { .. } => "nesterov",
            Self::Adam { .. } => "adam",
            Self::RmsProp { .. } => "rmsprop",
            Self::NormalizedGd { .. } => "normalizedgd",
        }
    }

    /// The code the shaders use for this rule (`optimizer.wgsl`).
    #[must_use]
    pub fn code(self) -> u32 {
        match self {
            Self::Sgd => 0,
            Self::Momentum { .. } => 1,
            Self::Nesterov { .. } => 2,
            Self::Adam { .. } => 3,
            Self::RmsProp { .. } => 4,
            Self::NormalizedGd { .. } => 5,
        }
    }

    /// Optimizer state per parameter (0, 1 or 2 floats).
    #[must_use]
    pub fn state_per_param(self) -> usize {
        match self {
            Self::Sgd | Self::NormalizedGd { .. } => 0,
            Self::Momentum { .. } | Self::Nesterov { .. } | Self::RmsProp { .. } => 1,
            Self::Adam { .. } => 2,
        }
    }

    /// `(β₁ or β or α, β₂, ε)` as the shaders read them.
    #[must_use]
    pub fn hyper(self) -> [f32; 3] {
        match self {
            Self::Sgd => [0.0, 0.0, 0.0],
            Self::Momentum { beta } | Self::Nesterov { beta } => [beta, 0.0, 0.0],
            Self::Adam { beta1, beta2, eps } => [beta1, beta2, eps],
            Self::RmsProp { alpha, eps } => [alpha, 0.0, eps],
            Self::NormalizedGd { eps } => [0.0, 0.0, eps],
        }
    }

    fn validate(self) -> Result<(), Error> {
        let unit = |name: &str, v: f32| {
            if v.is_finite() && (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(Part::Training, "optimizer", format!("{} {name} = {v} is not in [0, 1)", self.name())))
            }
        };
        let positive = |name: &str, v: f32| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(Part::Training, "optimizer", format!("{} {name} = {v} must be positive", self.name())))
            }
        };
        match self {
            Self::Sgd => Ok(()),
            Self::Momentum { beta } | Self::Nesterov { beta } => unit("beta", beta),
            Self::Adam { beta1, beta2, eps } => unit("beta1", beta1).and(unit("beta2", beta2)).and(positive("eps", eps)),
            Self::RmsProp { alpha, eps } => unit("alpha", alpha).and(positive("eps", eps)),
            Self::NormalizedGd { eps } => positive("eps", eps),
        }
    }

    /// One update of every parameter, in place. `state` holds
    /// [`Self::state_per_param`] slices of `params.len()` each. `grad_norm`
    /// is `‖m ⊙ (∇L + λθ)‖`, needed by normalized GD only.
    ///
    /// A `mask` `m` (1 kept, 0 pruned) multiplies the gradient and the
    /// updated parameter: a pruned weight, zero, stays exactly zero under
    /// every rule, and its optimizer state stays zero.
    ///
    /// This is the reference rule; `optimizer.wgsl` is its GPU twin.
    pub fn update(self, params: &mut [f32], grads: &[f32], state: &mut [f32], step: StepParams, grad_norm: f32, mask: Option<&[f32]>) {
        let n = params.len();
        let (lr, wd) = (step.lr, step.weight_decay);
        let [h0, h1, h2] = self.hyper();
        for i in 0..n {
            let keep = mask.map_or(1.0, |m| m[i]);
            let g = keep * (grads[i] + wd * params[i]);
            let delta = match self {
                Self::Sgd => g,
                Self::Momentum { .. } => {
                    state[i] = h0 * state[i] + g;
                    state[i]
                }
                Self::Nesterov { .. } => {
                    state[i] = h0 * state[i] + g;
                    g + h0 * state[i]
                }
                Self::Adam { .. } => {
                    state[i] = h0 * state[i] + (1.0 - h0) * g;
                    state[n + i] = h1 * state[n + i] + (1.0 - h1) * g * g;
                    let m_hat = state[i] / step.bias1;
                    let v_hat = state[n + i] / step.bias2;
                    m_hat / (v_hat.sqrt() + h2)
                }
                Self::RmsProp { .. } => {
                    state[i] = h0 * state[i] + (1.0 - h0) * g * g;
                    g / (state[i].sqrt() + h2)
                }
                Self::NormalizedGd { .. } => g / (grad_norm + h2),
            };
            params[i] = keep * (params[i] - lr * delta);
        }
    }
}

/// Learning rate as a function of the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Schedule {
    #[default]
    Constant,
    /// Multiply by `gamma` every `every` steps.
    Step { every: u32, gamma: f32 },
    /// Cosine from `lr` down to `lr·min_ratio` over `total` steps, then flat.
    Cosine { total: u32, min_ratio: f32 },
}

impl Schedule {
    /// Learning rate at `step` (0-based) for base rate `lr`.
    #[must_use]
    pub fn lr(self, lr: f32, step: u64) -> f32 {
        match self {
            Self::Constant => lr,
            Self::Step { every, gamma } => {
                let k = step / u64::from(every.max(1));
                (f64::from(lr) * f64::from(gamma).powf(k as f64)) as f32
            }
            Self::Cosine { total, min_ratio } => {
                let t = (step as f64 / f64::from(total.max(1))).min(1.0);
                let lo = f64::from(lr) * f64::from(min_ratio);
                (lo + 0.5 * (f64::from(lr) - lo) * (1.0 + (std::f64::consts::PI * t).cos())) as f32
            }
        }
    }

    fn validate(self) -> Result<(), Error> {
        let ok = match self {
            Self::Constant => true,
            Self::Step { every, gamma } => every > 0 && gamma.is_finite() && gamma > 0.0,
            Self::Cosine { total, min_ratio } => total > 0 && (0.0..=1.0).contains(&min_ratio),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(Part::Training, "schedule", format!("{self:?} is out of range")))
        }
    }
}

/// How to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    #[serde(default)]
    pub loss: Loss,
    #[serde(default)]
    pub optimizer: Optimizer,
    pub lr: f32,
    #[serde(default)]
    pub schedule: Schedule,
    /// Steps of linear warmup before the schedule: step `t < warmup` trains
    /// at `lr·(t+1)/warmup`, and the schedule then starts from its step 0.
    #[serde(default)]
    pub warmup: u32,
    #[serde(default)]
    pub weight_decay: f32,
    /// Probability of dropping each hidden unit in a training step
    /// ([`crate::dropout`]); evaluation uses the whole net.
    #[serde(default)]
    pub dropout: f32,
    /// Mini-batch size; `None` (or ≥ the training set) is full batch.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Leading layers kept at their initial values: 1 on a two-layer net
    /// trains the readout only (random-features regression). Needs
    /// `weight_decay = 0`, which would otherwise shrink them.
    #[serde(default)]
    pub frozen_layers: usize,
}

impl TrainConfig {
    /// Full-batch training at a constant `lr`: no weight decay, no frozen
    /// layers.
    #[must_use]
    pub fn full_batch(loss: Loss, optimizer: Optimizer, lr: f32) -> Self {
        Self {
            loss,
            optimizer,
            lr,
            schedule: Schedule::Constant,
            warmup: 0,
            weight_decay: 0.0,
            dropout: 0.0,
            batch_size: None,
            frozen_layers: 0,
        }
    }
}

/// Largest learning rate accepted (anything above diverges at once).
pub const MAX_LR: f32 = 100.0;
/// Most warmup steps.
pub const MAX_WARMUP: u32 = 1_000_000;
/// Largest dropout probability accepted (a kept unit is scaled by
/// `1/(1−p)`: 10 at most).
pub const MAX_DROPOUT: f32 = 0.9;

impl TrainConfig {
    /// # Errors
    /// [`Error::Invalid`] naming the first value out of range.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= MAX_LR) {
            return Err(Error::invalid(Part::Training, "lr", format!("{} is not in (0, {MAX_LR}]", self.lr)));
        }
        if !(self.weight_decay.is_finite() && (0.0..=1.0).contains(&self.weight_decay)) {
            return Err(Error::invalid(Part::Training, "weight_decay", format!("{} is not in [0, 1]", self.weight_decay)));
        }
        if self.frozen_layers > 0 && self.weight_decay != 0.0 {
            return Err(Error::invalid(Part::Training, "weight_decay", "must be 0 with frozen layers (decay would shrink them)"));
        }
        if !(self.dropout.is_finite() && (0.0..=MAX_DROPOUT).contains(&self.dropout)) {
            return Err(Error::invalid(Part::Training, "dropout", format!("{} is not in [0, {MAX_DROPOUT}]", self.dropout)));
        }
        if self.frozen_layers > 0 && self.dropout != 0.0 {
            return Err(Error::invalid(Part::Training, "dropout", "must be 0 with frozen layers (their outputs are computed once)"));
        }
        if self.warmup > MAX_WARMUP {
            return Err(Error::invalid(Part::Training, "warmup", format!("{} steps is more than {MAX_WARMUP}", self.warmup)));
        }
        if self.batch_size == Some(0) {
            return Err(Error::invalid(Part::Training, "batch_size", "must be at least 1"));
        }
        self.optimizer.validate()?;
        self.schedule.validate()
    }

    /// Effective batch size for a training set of `n` points.
    #[must_use]
    pub fn batch(&self, n: usize) -> usize {
        self.batch_size.map_or(n, |b| b.min(n))
    }

    /// Whether a run training with `self` can go on with `other` from its
    /// next step: the learning rate, its schedule and warmup, the weight
    /// decay, dropout, the batch size and the optimizer's hyperparameters may
    /// differ; the optimizer itself (the shape of its state), the loss and
    /// the frozen layers stay.
    #[must_use]
    pub fn retunes_to(&self, other: &Self) -> bool {
        let optimizer = if other.optimizer.name() == self.optimizer.name() { other.optimizer } else { self.optimizer };
        let free = Self {
            lr: other.lr,
            schedule: other.schedule,
            warmup: other.warmup,
            weight_decay: other.weight_decay,
            dropout: other.dropout,
            batch_size: other.batch_size,
            optimizer,
            ..self.clone()
        };
        free == *other
    }

    /// The learning rate of step `t` (0-based): the warmup's ramp, then
    /// the schedule.
    #[must_use]
    pub fn lr_at(&self, t: u64) -> f32 {
        let w = u64::from(self.warmup);
        if t < w {
            (f64::from(self.lr) * (t + 1) as f64 / w as f64) as f32
        } else {
            self.schedule.lr(self.lr, t - w)
        }
    }

    /// `other` for a run training with `self`, checked.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `other` is out of range or changes more than
    /// [`Self::retunes_to`] allows.
    pub fn retuned(&self, other: &Self) -> Result<Self, Error> {
        other.validate()?;
        if !self.retunes_to(other) {
            let reason =
                "only the learning rate, its schedule, weight decay, dropout, the batch size and the optimizer's hyperparameters change mid-run";
            return Err(Error::invalid(Part::Training, "retune", reason));
        }
        Ok(other.clone())
    }

    /// Constants of step `t` (0-based).
    #[must_use]
    pub fn step_params(&self, t: u64) -> StepParams {
        let [b1, b2, _] = self.optimizer.hyper();
        let k = (t + 1) as f64; // Adam's bias correction counts from 1
        let correction = |beta: f32| {
            if beta > 0.0 {
                (1.0 - f64::from(beta).powf(k)) as f32
            } else {
                1.0
            }
        };
        StepParams { lr: self.lr_at(t), weight_decay: self.weight_decay, bias1: correction(b1), bias2: correction(b2) }
    }
}

/// How far the training loss may grow over its value at step 0 before the
/// run counts as diverged.
pub const DIVERGENCE_FACTOR: f32 = 1e4;

/// Whether a run has blown up: its loss is no longer a finite number, or
/// it grew [`DIVERGENCE_FACTOR`]-fold over `first` (the loss at step 0,
/// floored at 1 so that runs starting near zero are not flagged by noise).
/// The edge of stability's spikes stay far below this; gradient descent
/// past `2/λ_max` grows geometrically and crosses it within tens of steps.
#[must_use]
pub fn diverged(first: f32, loss: f32) -> bool {
    let floor = if first > 1.0 { first } else { 1.0 }; // NaN → 1
    !loss.is_finite() || loss > DIVERGENCE_FACTOR * floor
}

/// Everything about one step that does not depend on the data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepParams {
    pub lr: f32,
    pub weight_decay: f32,
    /// Adam's `1 − β₁ᵗ` (1 for other rules).
    pub bias1: f32,
    /// Adam's `1 − β₂ᵗ` (1 for other rules).
    pub bias2: f32,
}

/// Which training points each step sees.
///
/// Mini-batches are consecutive chunks of a stream of seeded permutations
/// of `0..n`, one permutation per epoch, the epochs laid end to end; so
/// every batch has the same size and every point is seen once per epoch
/// (a batch may straddle two epochs). Full batch is `0..n` every step.
#[derive(Clone, Debug)]
pub struct BatchSampler {
    n: usize,
    batch: usize,
    rng: Rng,
    perm: Vec<u32>,
    pos: usize,
}

impl BatchSampler {
    #[must_use]
    pub fn new(n: usize, batch: usize, seed: u64) -> Self {
        Self { n, batch: batch.min(n), rng: Rng::new(seed, Stream::Batches), perm: Vec::new(), pos: n }
    }

    /// Batches of `batch` from now on: the next one starts a new epoch,
    /// its permutation drawn from where this sampler's stream is.
    #[must_use]
    pub fn rebatched(&self, batch: usize) -> Self {
        Self { n: self.n, batch: batch.min(self.n), rng: self.rng.clone(), perm: Vec::new(), pos: self.n }
    }

    #[must_use]
    pub fn is_full_batch(&self) -> bool {
        self.batch == self.n
    }

    #[must_use]
    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// Appends the indices of the next batch to `out`.
    pub fn next_into(&mut self, out: &mut Vec<u32>) {
        if self.is_full_batch() {
            out.extend(0..self.n as u32);
            return;
        }
        let mut need = self.batch;
        while need > 0 {
            if self.pos == self.n {
                self.perm.clear();
                self.perm.extend(0..self.n as u32);
                self.rng.shuffle(&mut self.perm);
                self.pos = 0;
            }
            let take = need.min(self.n - self.pos);
            out.extend_from_slice(&self.perm[self.pos..self.pos + take]);
            self.pos += take;
            need -= take;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(optimizer: Optimizer) -> TrainConfig {
        TrainConfig::full_batch(Loss::Mse, optimizer, 0.1)
    }

    /// Runs two steps of `opt` on θ = [1, −2] with fixed gradients.
    fn two_steps(opt: Optimizer, wd: f32) -> Vec<f32> {
        let mut c = config(opt);
        c.weight_decay = wd;
        let mut p = vec![1.0f32, -2.0];
        let mut state = vec![0.0; 2 * opt.state_per_param()];
        for (t, g) in [[0.5f32, 1.0], [0.25, -1.0]].iter().enumerate() {
            let eff: Vec<f32> = g.iter().zip(&p).map(|(g, p)| g + wd * p).collect();
            let norm = eff.iter().map(|v| v * v).sum::<f32>().sqrt();
            opt.update(&mut p, g, &mut state, c.step_params(t as u64), norm, None);
        }
        p
    }

    #[test]
    fn accuracy_reads_each_loss_encoding() {
        // MSE targets ±1, BCE 0/1: the output's sign decides; NaN is wrong.
        assert_eq!(Loss::Mse.accuracy(&[0.3, -2.0, 0.1, f32::NAN], &[1.0, -1.0, -1.0, -1.0], 1), 0.5);
        assert_eq!(Loss::Bce.accuracy(&[0.3, -2.0, -0.1], &[1.0, 0.0, 1.0], 1), 2.0 / 3.0);
        // Softmax: the largest output against the one-hot target.
        let f = [0.1, 2.0, -1.0, /* */ 3.0, 0.0, 0.0];
        assert_eq!(Loss::Softmax.accuracy(&f, &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 3), 0.5);
        assert_eq!(Loss::Softmax.accuracy(&[], &[], 3), 0.0);
    }

    fn close(a: &[f32], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((f64::from(*x) - y).abs() < 1e-6, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn sgd_by_hand() {
        close(&two_steps(Optimizer::Sgd, 0.0), &[1.0 - 0.05 - 0.025, -2.0 - 0.1 + 0.1]);
        // With weight decay 0.5: g₁ = [1, 0] → θ = [0.9, −2]; g₂ = [0.7, −2] → [0.83, −1.8].
        close(&two_steps(Optimizer::Sgd, 0.5), &[0.83, -1.8]);
    }

    #[test]
    fn momentum_and_nesterov_by_hand() {
        // v₁ = g₁, v₂ = 0.9 v₁ + g₂ = [0.7, −0.1].
        close(&two_steps(Optimizer::Momentum { beta: 0.9 }, 0.0), &[1.0 - 0.05 - 0.07, -2.0 - 0.1 + 0.01]);
        // Nesterov steps by g + βv: step 1 [0.95, 1.9], step 2 [0.25 + 0.63, −1 − 0.09].
        close(&two_steps(Optimizer::Nesterov { beta: 0.9 }, 0.0), &[1.0 - 0.095 - 0.088, -2.0 - 0.19 + 0.109]);
    }

    #[test]
    fn adam_by_hand() {
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
        let mut theta = [1.0f64, -2.0];
        let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
        for (t, g) in [[0.5f64, 1.0], [0.25, -1.0]].iter().enumerate() {
            let k = (t + 1) as i32;
            for i in 0..2 {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                let (mh, vh) = (m[i] / (1.0 - b1.powi(k)), v[i] / (1.0 - b2.powi(k)));
                theta[i] -= 0.1 * mh / (vh.sqrt() + eps);
            }
        }
        // The first Adam step moves every coordinate by lr·sign(g).
        assert!((theta[0] - (1.0 - 0.1 - 0.1)).abs() < 0.02);
        close(&two_steps(Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 }, 0.0), &theta);
    }

    #[test]
    fn rmsprop_and_normalized_gd_by_hand() {
        // v₁ = 0.01 g₁²: step = g/√v = ±10 → θ = [0, −3].
        // v₂ = 0.99 v₁ + 0.01 g₂² = [0.003100, 0.0199]: step = g₂/√v₂.
        let v2: [f64; 2] = [0.99 * 0.0025 + 0.01 * 0.0625, 0.99 * 0.01 + 0.01];
        let expect = [0.0 - 0.1 * 0.25 / v2[0].sqrt(), -3.0 + 0.1 * 1.0 / v2[1].sqrt()];
        close(&two_steps(Optimizer::RmsProp { alpha: 0.99, eps: 1e-8 }, 0.0), &expect);
        // Normalized GD moves exactly lr per step.
        let n1 = (0.25f64 + 1.0).sqrt();
        let n2 = (0.0625f64 + 1.0).sqrt();
        close(
            &two_steps(Optimizer::NormalizedGd { eps: 1e-8 }, 0.0),
            &[1.0 - 0.1 * 0.5 / n1 - 0.1 * 0.25 / n2, -2.0 - 0.1 / n1 + 0.1 / n2],
        );
    }

    #[test]
    fn schedules() {
        assert_eq!(Schedule::Step { every: 10, gamma: 0.5 }.lr(1.0, 25), 0.25);
        let cos = Schedule::Cosine { total: 100, min_ratio: 0.1 };
        assert!((cos.lr(1.0, 0) - 1.0).abs() < 1e-6);
        assert!((cos.lr(1.0, 50) - 0.55).abs() < 1e-6);
        assert!((cos.lr(1.0, 500) - 0.1).abs() < 1e-6);
        // Warmup ramps to the rate in 4 steps, then the schedule starts at its own step 0.
        let warm = TrainConfig { warmup: 4, schedule: Schedule::Step { every: 2, gamma: 0.5 }, ..config(Optimizer::Sgd) };
        let lrs: Vec<f32> = (0..8).map(|t| warm.lr_at(t) / 0.1).collect();
        close(&lrs, &[0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 0.5, 0.5]);
        assert!(TrainConfig { warmup: MAX_WARMUP + 1, ..warm.clone() }.validate().is_err());
    }

    #[test]
    fn minibatches_cover_each_epoch_once_and_repeat_by_seed() {
        let mut s = BatchSampler::new(10, 4, 9);
        let mut seen = Vec::new();
        for _ in 0..5 {
            s.next_into(&mut seen);
        }
        // 20 indices = two whole epochs, each a permutation of 0..10.
        for epoch in seen.chunks(10) {
            let mut e = epoch.to_vec();
            e.sort_unstable();
            assert_eq!(e, (0..10).collect::<Vec<_>>());
        }
        let mut again = Vec::new();
        let mut s2 = BatchSampler::new(10, 4, 9);
        for _ in 0..5 {
            s2.next_into(&mut again);
        }
        assert_eq!(seen, again);
    }

    #[test]
    fn bad_hyperparameters_are_refused() {
        let mut c = config(Optimizer::Adam { beta1: 1.5, beta2: 0.999, eps: 1e-8 });
        let err = c.validate().unwrap_err();
        assert!(matches!(&err, Error::Invalid { part: Part::Training, field: "optimizer", reason } if reason.contains("beta1")), "{err}");
        c.optimizer = Optimizer::Sgd;
        c.lr = f32::INFINITY;
        assert!(matches!(c.validate(), Err(Error::Invalid { field: "lr", .. })));
    }
}
