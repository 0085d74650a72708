//! Seeded toy datasets: 2D two-class problems and 1D regression.
//!
//! Points are i.i.d. by index, so the first `n_train` are the training set
//! and the next `n_test` the test set. Label noise touches the training set
//! only: the test set measures the clean task, as in the double-descent
//! literature. Same seed, same data on every platform ([`crate::rng`]).

use serde::{Deserialize, Serialize};

use crate::double_descent::Teacher;
use crate::error::{Error, Part};
use crate::rng::{Rng, Stream};
use crate::train::Loss;

/// Points per dataset (train + test) that gradlab accepts.
pub const MAX_POINTS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    #[default]
    Spiral,
    Circles,
    Xor,
    Blobs,
    Moons,
    /// 1D regression: `y = sin(2πx)` on `x ∈ [-1, 1]`.
    Sine,
    /// Regression in `dim` dimensions, Gaussian inputs, a linear teacher
    /// (double descent; [`crate::double_descent::teacher_data`]).
    Teacher,
    /// The same with the teacher `2·tanh(xᵀβ)`.
    TanhTeacher,
}

impl DatasetKind {
    pub const ALL: [Self; 6] = [Self::Spiral, Self::Circles, Self::Xor, Self::Blobs, Self::Moons, Self::Sine];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Spiral => "spiral",
            Self::Circles => "circles",
            Self::Xor => "xor",
            Self::Blobs => "blobs",
            Self::Moons => "moons",
            Self::Sine => "sine",
            Self::Teacher => "teacher",
            Self::TanhTeacher => "tanhteacher",
        }
    }

    /// The teacher of a teacher dataset.
    #[must_use]
    pub fn teacher(self) -> Option<Teacher> {
        match self {
            Self::Teacher => Some(Teacher::Linear),
            Self::TanhTeacher => Some(Teacher::Nonlinear),
            _ => None,
        }
    }

    /// Input dimension of the toy datasets (teachers take theirs from
    /// [`DataConfig::dim`]).
    #[must_use]
    pub fn input_dim(self) -> usize {
        if self == Self::Sine {
            1
        } else {
            2
        }
    }

    /// Number of classes, or `None` for regression.
    #[must_use]
    pub fn classes(self) -> Option<usize> {
        (!matches!(self, Self::Sine | Self::Teacher | Self::TanhTeacher)).then_some(2)
    }
}

/// How to draw a dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    #[serde(default)]
    pub kind: DatasetKind,
    pub n_train: usize,
    pub n_test: usize,
    /// Classification: standard deviation of the jitter added to inputs.
    #[serde(default)]
    pub noise: f32,
    /// Classification: probability that a training label is flipped.
    /// Regression: standard deviation of noise added to training targets.
    #[serde(default)]
    pub label_noise: f32,
    /// Teacher datasets: the input dimension (1 to [`MAX_DIM`]).
    #[serde(default = "default_dim")]
    pub dim: usize,
}

/// Widest teacher input.
pub const MAX_DIM: usize = 1024;

fn default_dim() -> usize {
    20
}

impl DataConfig {
    /// # Errors
    /// [`Error::Invalid`] for sizes or noise levels out of range.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |field, reason: String| Err(Error::invalid(Part::Dataset, field, reason));
        if self.n_train == 0 {
            return bad("n_train", "must be at least 1".into());
        }
        let points = self.n_train.saturating_add(self.n_test);
        if points > MAX_POINTS {
            return Err(Error::TooLarge {
                what: "n_train + n_test",
                got: points as u64,
                limit: MAX_POINTS as u64,
                unit: "points",
                within: "gradlab",
            });
        }
        if self.kind.teacher().is_some() && !(1..=MAX_DIM).contains(&self.dim) {
            return bad("dim", format!("{} is not in 1..={MAX_DIM}", self.dim));
        }
        if !(self.noise.is_finite() && (0.0..=1.0).contains(&self.noise)) {
            return bad("noise", format!("{} is not in [0, 1]", self.noise));
        }
        let max_label_noise = if self.kind.classes().is_some() { 0.5 } else { 2.0 };
        if !(self.label_noise.is_finite() && (0.0..=max_label_noise).contains(&self.label_noise)) {
            return bad("label_noise", format!("{} is not in [0, {max_label_noise}]", self.label_noise));
        }
        Ok(())
    }
}

/// Inputs and raw labels of one split: `x` is `n × input_dim` row-major;
/// `y` holds one value per point, the class index (as `f32`) or the
/// regression target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Split {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
}

impl Split {
    #[must_use]
    pub fn len(&self) -> usize {
        self.y.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dataset {
    pub kind: DatasetKind,
    pub input_dim: usize,
    pub train: Split,
    pub test: Split,
}

impl Dataset {
    /// # Errors
    /// [`Error::Invalid`] if the config is out of range.
    pub fn generate(config: &DataConfig, seed: u64) -> Result<Self, Error> {
        config.validate()?;
        let kind = config.kind;
        if let Some(teacher) = kind.teacher() {
            let t = crate::double_descent::teacher_data(config.dim, teacher, config.n_train, config.n_test, seed);
            let rows = |x: &nalgebra::DMatrix<f64>| x.row_iter().flat_map(|r| r.iter().map(|&v| v as f32).collect::<Vec<_>>()).collect();
            let sigma = f64::from(config.label_noise);
            let train = Split { x: rows(&t.x), y: t.signal.iter().zip(&t.noise).map(|(s, e)| (s + sigma * e) as f32).collect() };
            let test = Split { x: rows(&t.x_test), y: t.test.iter().map(|&v| v as f32).collect() };
            return Ok(Self { kind, input_dim: config.dim, train, test });
        }
        let mut rng = Rng::new(seed, Stream::Data);
        let mut noise_rng = Rng::new(seed, Stream::LabelNoise);
        let d = kind.input_dim();
        let mut train = Split { x: Vec::with_capacity(config.n_train * d), y: Vec::with_capacity(config.n_train) };
        let mut test = Split { x: Vec::with_capacity(config.n_test * d), y: Vec::with_capacity(config.n_test) };
        for i in 0..config.n_train + config.n_test {
            let (x, clean) = sample(kind, i, config.noise, &mut rng);
            let is_train = i < config.n_train;
            // Draw the noise for every point so that train/test sizes do not
            // shift the noise of the points they share.
            let (flip, eps) = (noise_rng.uniform(), noise_rng.normal());
            let y = match (kind.classes(), is_train) {
                (Some(_), true) if flip < f64::from(config.label_noise) => 1.0 - clean,
                (None, true) => clean + (f64::from(config.label_noise) * eps) as f32,
                _ => clean,
            };
            let split = if is_train { &mut train } else { &mut test };
            split.x.extend_from_slice(&x[..d]);
            split.y.push(y);
        }
        Ok(Self { kind, input_dim: d, train, test })
    }

    /// Width of the model output and encoded targets (`n × width`) for a loss.
    ///
    /// | task | MSE | binary CE | softmax CE |
    /// |---|---|---|---|
    /// | 2 classes | 1 output, targets ±1 | 1 output, targets 0/1 | 2 outputs, one-hot |
    /// | regression | 1 output, the value | error | error |
    ///
    /// # Errors
    /// [`Error::Invalid`] for cross-entropy on a regression task.
    pub fn targets(&self, split: &Split, loss: Loss) -> Result<(usize, Vec<f32>), Error> {
        match (self.kind.classes(), loss) {
            (None, Loss::Mse) => Ok((1, split.y.clone())),
            (None, _) => Err(Error::invalid(
                Part::Training,
                "loss",
                format!("{} does not fit {}, a regression task: use mse", loss.name(), self.kind.name()),
            )),
            (Some(_), Loss::Mse) => Ok((1, split.y.iter().map(|&c| 2.0 * c - 1.0).collect())),
            (Some(_), Loss::Bce) => Ok((1, split.y.clone())),
            (Some(k), Loss::Softmax) => {
                let mut t = vec![0.0; split.len() * k];
                for (i, &c) in split.y.iter().enumerate() {
                    t[i * k + c as usize] = 1.0;
                }
                Ok((k, t))
            }
        }
    }

    /// The input box charts show: `[lo, hi]` per input dimension.
    #[must_use]
    pub fn domain(&self) -> [(f32, f32); 2] {
        if self.kind == DatasetKind::Sine {
            [(-1.0, 1.0), (-1.6, 1.6)]
        } else {
            [(-1.5, 1.5), (-1.5, 1.5)]
        }
    }
}

/// Point `i` of a dataset: its input (padded to 2D) and clean label.
fn sample(kind: DatasetKind, i: usize, noise: f32, rng: &mut Rng) -> ([f32; 2], f32) {
    use std::f64::consts::{PI, TAU};
    let class = (i % 2) as f64;
    let noise = f64::from(noise);
    let jitter = |rng: &mut Rng| (noise * rng.normal(), noise * rng.normal());
    let (x0, x1, y) = match kind {
        DatasetKind::Spiral => {
            let t = rng.uniform();
            let (r, a) = (0.1 + 1.1 * t, class * PI + 1.75 * TAU * t);
            let (j0, j1) = jitter(rng);
            (r * libm::cos(a) + j0, r * libm::sin(a) + j1, class)
        }
        DatasetKind::Circles => {
            let a = TAU * rng.uniform();
            let r = if class == 0.0 { 1.0 } else { 0.45 };
            let (j0, j1) = jitter(rng);
            (r * libm::cos(a) + j0, r * libm::sin(a) + j1, class)
        }
        DatasetKind::Xor => {
            let (u, v) = (2.0 * rng.uniform() - 1.0, 2.0 * rng.uniform() - 1.0);
            let label = f64::from(u8::from(u * v > 0.0));
            let (j0, j1) = jitter(rng);
            (1.2 * u + j0, 1.2 * v + j1, label)
        }
        DatasetKind::Blobs => {
            let c = if class == 0.0 { -0.5 } else { 0.5 };
            let (j0, j1) = jitter(rng);
            (c + 0.3 * rng.normal() + j0, c + 0.3 * rng.normal() + j1, class)
        }
        DatasetKind::Moons => {
            let t = PI * rng.uniform();
            let (u, v) = if class == 0.0 { (libm::cos(t), libm::sin(t)) } else { (1.0 - libm::cos(t), 0.5 - libm::sin(t)) };
            let (j0, j1) = jitter(rng);
            (0.9 * (u - 0.5) + j0, 0.9 * (v - 0.25) + j1, class)
        }
        DatasetKind::Sine => {
            let x = 2.0 * rng.uniform() - 1.0;
            (x, 0.0, libm::sin(TAU * x))
        }
        DatasetKind::Teacher | DatasetKind::TanhTeacher => unreachable!("teacher datasets come from double_descent::teacher_data"),
    };
    ([x0 as f32, x1 as f32], y as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: DatasetKind) -> DataConfig {
        DataConfig { kind, n_train: 200, n_test: 100, noise: 0.05, label_noise: 0.1, dim: 20 }
    }

    #[test]
    fn same_seed_same_data_and_pinned_values() {
        let a = Dataset::generate(&config(DatasetKind::Spiral), 3).unwrap();
        let b = Dataset::generate(&config(DatasetKind::Spiral), 3).unwrap();
        assert_eq!(a, b);
        // Pinned so that a change of generator (or platform maths) shows up.
        let sum: f64 = a.train.x.iter().map(|&v| f64::from(v)).sum();
        assert_eq!(format!("{sum:.6}"), "6.740203");
    }

    #[test]
    fn label_noise_flips_about_the_asked_fraction_of_train_only() {
        let mut c = config(DatasetKind::Blobs);
        c.n_train = 4000;
        c.n_test = 4000;
        c.label_noise = 0.2;
        let noisy = Dataset::generate(&c, 3).unwrap();
        c.label_noise = 0.0;
        let clean = Dataset::generate(&c, 3).unwrap();
        let flipped = noisy.train.y.iter().zip(&clean.train.y).filter(|(a, b)| a != b).count();
        assert!((flipped as f64 / 4000.0 - 0.2).abs() < 0.03, "{flipped}");
        assert_eq!(noisy.test, clean.test);
        assert_eq!(noisy.train.x, clean.train.x);
    }

    #[test]
    fn targets_follow_the_loss() {
        let d = Dataset::generate(&config(DatasetKind::Xor), 3).unwrap();
        let (k, t) = d.targets(&d.train, Loss::Softmax).unwrap();
        assert_eq!(k, 2);
        assert!(t.chunks(2).all(|r| r.iter().sum::<f32>() == 1.0));
        let (_, t) = d.targets(&d.train, Loss::Mse).unwrap();
        assert!(t.iter().all(|&v| v == 1.0 || v == -1.0));
        let sine = Dataset::generate(&config(DatasetKind::Sine), 3).unwrap();
        assert!(sine.targets(&sine.train, Loss::Bce).is_err());
    }

    #[test]
    fn bad_configs_are_refused_with_a_reason() {
        let mut c = config(DatasetKind::Moons);
        c.n_train = 9_000;
        c.n_test = 2_000;
        let err = Dataset::generate(&c, 3).unwrap_err();
        assert!(matches!(err, Error::TooLarge { what: "n_train + n_test", got: 11_000, limit, .. } if limit == MAX_POINTS as u64), "{err}");
        c.n_train = 10;
        c.label_noise = f32::NAN;
        let err = Dataset::generate(&c, 3).unwrap_err();
        assert!(matches!(err, Error::Invalid { part: Part::Dataset, field: "label_noise", .. }), "{err}");
        assert_eq!(err.to_string(), "invalid dataset: label_noise NaN is not in [0, 0.5]");
    }

    #[test]
    fn every_kind_is_balanced_and_in_the_chart_domain() {
        for kind in DatasetKind::ALL {
            let d = Dataset::generate(&DataConfig { noise: 0.0, label_noise: 0.0, ..config(kind) }, 3).unwrap();
            let [(lo, hi), _] = d.domain();
            assert!(d.train.x.iter().all(|v| (lo..=hi).contains(v)), "{kind:?}");
            if kind.classes().is_some() {
                let ones = d.train.y.iter().filter(|&&y| y == 1.0).count();
                assert!((60..140).contains(&ones), "{kind:?}: {ones}");
            }
        }
    }
}
