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
    /// Your own 2D classes ([`DataConfig::points`]).
    Points,
    /// Your own 1D regression ([`DataConfig::points`]).
    Curve,
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
            Self::Points => "points",
            Self::Curve => "curve",
        }
    }

    /// Whether the data are [`DataConfig::points`], not drawn.
    #[must_use]
    pub fn own(self) -> bool {
        matches!(self, Self::Points | Self::Curve)
    }

    /// Whether [`DataConfig::classes`] may be more than 2.
    #[must_use]
    pub fn multiclass(self) -> bool {
        matches!(self, Self::Spiral | Self::Blobs | Self::Points)
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
        if matches!(self, Self::Sine | Self::Curve) {
            1
        } else {
            2
        }
    }

    /// Whether the task is classification (not regression).
    #[must_use]
    pub fn classifies(self) -> bool {
        !matches!(self, Self::Sine | Self::Teacher | Self::TanhTeacher | Self::Curve)
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
    /// Spiral (arms) and blobs: the number of classes, 2 to [`MAX_CLASSES`].
    #[serde(default = "default_classes")]
    pub classes: usize,
    /// [`DatasetKind::Points`] and [`DatasetKind::Curve`]: the data,
    /// `[x₁, x₂, class]` or `[x, y]` per point, all of them for training
    /// (`n_train` and `n_test` are not used).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<Vec<f32>>,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            kind: DatasetKind::default(),
            n_train: 256,
            n_test: 256,
            noise: 0.0,
            label_noise: 0.0,
            dim: default_dim(),
            classes: default_classes(),
            points: Vec::new(),
        }
    }
}

/// Most classes a dataset may have.
pub const MAX_CLASSES: usize = 5;

fn default_classes() -> usize {
    2
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
        if self.kind.own() {
            return self.validate_points();
        }
        if self.kind.multiclass() && !(2..=MAX_CLASSES).contains(&self.classes) {
            return bad("classes", format!("{} is not in 2..={MAX_CLASSES}", self.classes));
        }
        if !self.kind.multiclass() && self.classes != 2 {
            return bad("classes", format!("{}: {} has 2 (only spiral and blobs have more)", self.classes, self.kind.name()));
        }
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
        let max_label_noise = if self.kind.classifies() { 0.5 } else { 2.0 };
        if !(self.label_noise.is_finite() && (0.0..=max_label_noise).contains(&self.label_noise)) {
            return bad("label_noise", format!("{} is not in [0, {max_label_noise}]", self.label_noise));
        }
        Ok(())
    }
}

impl DataConfig {
    /// Your own data: at least one point, at most [`MAX_POINTS`], each
    /// `[x₁, x₂, class]` (a whole class below [`MAX_CLASSES`]) or `[x, y]`,
    /// finite and within ±[`MAX_COORDINATE`].
    fn validate_points(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::invalid(Part::Dataset, "points", reason));
        if self.points.is_empty() {
            return bad("has none: add some".into());
        }
        if self.points.len() > MAX_POINTS {
            return Err(Error::TooLarge {
                what: "points",
                got: self.points.len() as u64,
                limit: MAX_POINTS as u64,
                unit: "points",
                within: "gradlab",
            });
        }
        let (width, shape) = if self.kind == DatasetKind::Points { (3, "x1, x2, class") } else { (2, "x, y") };
        for (i, p) in self.points.iter().enumerate() {
            if p.len() != width {
                return bad(format!("point {} has {} values, not {width} ({shape})", i + 1, p.len()));
            }
            if let Some(v) = p.iter().find(|v| !(v.is_finite() && v.abs() <= MAX_COORDINATE)) {
                return bad(format!("point {} has {v}: values are finite, within ±{MAX_COORDINATE}", i + 1));
            }
            if width == 3 && !(p[2].fract() == 0.0 && (0.0..MAX_CLASSES as f32).contains(&p[2])) {
                return bad(format!("point {} has class {}: classes are 0 to {}", i + 1, p[2], MAX_CLASSES - 1));
            }
        }
        Ok(())
    }
}

/// Component `j` of every row of a row-major table `width` wide (a
/// coordinate of every point, a unit at every input).
///
/// # Panics
/// If `width` is 0 (no table is).
pub fn column(values: &[f32], width: usize, j: usize) -> impl Iterator<Item = f32> + '_ {
    values.iter().skip(j).step_by(width).copied()
}

/// Largest coordinate of your own points.
pub const MAX_COORDINATE: f32 = 1e4;

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
    /// Classes of a classification task (labels `0..k`), `None` for regression.
    pub classes: Option<usize>,
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
            return Ok(Self { kind, input_dim: config.dim, train, test, classes: None });
        }
        if kind.own() {
            let d = kind.input_dim();
            let train =
                Split { x: config.points.iter().flat_map(|p| p[..d].to_vec()).collect(), y: config.points.iter().map(|p| p[d]).collect() };
            // Your own points train; there is no held-out set to test on.
            let test = Split { x: Vec::new(), y: Vec::new() };
            let classes = kind.classifies().then(|| (train.y.iter().fold(1.0f32, |m, &c| if c > m { c } else { m }) as usize) + 1);
            return Ok(Self { kind, input_dim: d, train, test, classes });
        }
        let k = config.classes;
        let mut rng = Rng::new(seed, Stream::Data);
        let mut noise_rng = Rng::new(seed, Stream::LabelNoise);
        let d = kind.input_dim();
        let mut train = Split { x: Vec::with_capacity(config.n_train * d), y: Vec::with_capacity(config.n_train) };
        let mut test = Split { x: Vec::with_capacity(config.n_test * d), y: Vec::with_capacity(config.n_test) };
        for i in 0..config.n_train + config.n_test {
            let (x, clean) = sample(kind, i, config.noise, k, &mut rng);
            let is_train = i < config.n_train;
            // Draw the noise for every point so that train/test sizes do not
            // shift the noise of the points they share.
            let (flip, eps) = (noise_rng.uniform(), noise_rng.normal());
            let y = match (kind.classifies(), is_train) {
                // Flipped to another class, uniformly (k = 2 draws nothing more).
                (true, true) if flip < f64::from(config.label_noise) => {
                    let other = if k == 2 { 1.0 } else { 1.0 + (noise_rng.uniform() * (k - 1) as f64).floor() as f32 };
                    (clean + other) % k as f32
                }
                (false, true) => clean + (f64::from(config.label_noise) * eps) as f32,
                _ => clean,
            };
            let split = if is_train { &mut train } else { &mut test };
            split.x.extend_from_slice(&x[..d]);
            split.y.push(y);
        }
        Ok(Self { kind, input_dim: d, train, test, classes: kind.classifies().then_some(k) })
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
        match (self.classes, loss) {
            (None, Loss::Mse) => Ok((1, split.y.clone())),
            (None, _) => Err(Error::invalid(
                Part::Training,
                "loss",
                format!("{} does not fit {}, a regression task: use mse", loss.name(), self.kind.name()),
            )),
            (Some(k), Loss::Mse | Loss::Bce) if k > 2 => {
                Err(Error::invalid(Part::Training, "loss", format!("{} is for two classes; this data has {k}: use softmax", loss.name())))
            }
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
        let (x, y) = match self.kind {
            DatasetKind::Sine => return [(-1.0, 1.0), (-1.6, 1.6)],
            DatasetKind::Curve => ((-1.0, 1.0), (-1.6, 1.6)),
            DatasetKind::Points => ((-1.5, 1.5), (-1.5, 1.5)),
            _ => return [(-1.5, 1.5), (-1.5, 1.5)],
        };
        // Your own points may lie anywhere: the box grows to hold them, with a margin.
        let d = self.input_dim;
        let coords = |j: usize| -> Vec<f32> {
            if j < d {
                column(&self.train.x, d, j).collect()
            } else {
                self.train.y.clone()
            }
        };
        let cover = |(lo, hi): (f32, f32), v: Vec<f32>| {
            let (a, b) = v.iter().fold((lo, hi), |(a, b), &v| (if v < a { v } else { a }, if v > b { v } else { b }));
            let pad = if (a, b) == (lo, hi) { 0.0 } else { 0.08 * (b - a) };
            (a - pad, b + pad)
        };
        [cover(x, coords(0)), cover(y, coords(1))]
    }

    /// Classes of a classification task, `None` for regression.
    #[must_use]
    pub fn classes(&self) -> Option<usize> {
        self.classes
    }
}

/// Point `i` of a dataset: its input (padded to 2D) and clean label.
fn sample(kind: DatasetKind, i: usize, noise: f32, k: usize, rng: &mut Rng) -> ([f32; 2], f32) {
    use std::f64::consts::{PI, TAU};
    let k = if kind.multiclass() { k } else { 2 };
    let class = (i % k) as f64;
    let noise = f64::from(noise);
    let jitter = |rng: &mut Rng| (noise * rng.normal(), noise * rng.normal());
    let (x0, x1, y) = match kind {
        DatasetKind::Spiral => {
            let t = rng.uniform();
            // k arms, a turn apart by 2π/k (π for two).
            let (r, a) = (0.1 + 1.1 * t, class * TAU / k as f64 + 1.75 * TAU * t);
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
            // Two blobs on the diagonal; more on a circle.
            let (c0, c1) = if k == 2 {
                let c = if class == 0.0 { -0.5 } else { 0.5 };
                (c, c)
            } else {
                let a = 1.25 * PI + class * TAU / k as f64;
                (0.8 * libm::cos(a), 0.8 * libm::sin(a))
            };
            let (j0, j1) = jitter(rng);
            (c0 + 0.3 * rng.normal() + j0, c1 + 0.3 * rng.normal() + j1, class)
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
        DatasetKind::Teacher | DatasetKind::TanhTeacher | DatasetKind::Points | DatasetKind::Curve => {
            unreachable!("teacher datasets and your own are not sampled here")
        }
    };
    ([x0 as f32, x1 as f32], y as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: DatasetKind) -> DataConfig {
        DataConfig { kind, n_train: 200, n_test: 100, noise: 0.05, label_noise: 0.1, dim: 20, ..DataConfig::default() }
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
    fn more_classes_are_balanced_and_noise_flips_to_any_other() {
        for kind in [DatasetKind::Spiral, DatasetKind::Blobs] {
            let c = DataConfig { classes: 4, n_train: 4000, n_test: 400, label_noise: 0.3, ..config(kind) };
            let noisy = Dataset::generate(&c, 5).unwrap();
            let clean = Dataset::generate(&DataConfig { label_noise: 0.0, ..c.clone() }, 5).unwrap();
            assert_eq!(noisy.classes(), Some(4));
            for class in 0..4 {
                let n = clean.train.y.iter().filter(|&&y| y == class as f32).count();
                assert_eq!(n, 1000, "{kind:?}: class {class}");
            }
            // Flipped labels are another class, each of the three about equally often.
            let mut to = [0usize; 4];
            for (a, b) in noisy.train.y.iter().zip(&clean.train.y) {
                if a != b {
                    to[((a - b + 4.0) % 4.0) as usize] += 1;
                }
            }
            let flipped: usize = to.iter().sum();
            assert!((flipped as f64 / 4000.0 - 0.3).abs() < 0.03, "{kind:?}: {flipped}");
            assert!(to[1..].iter().all(|&n| (n as f64 / flipped as f64 - 1.0 / 3.0).abs() < 0.05), "{kind:?}: {to:?}");
            let (k, t) = noisy.targets(&noisy.train, Loss::Softmax).unwrap();
            assert_eq!((k, t.len()), (4, 16_000));
            assert!(noisy.targets(&noisy.train, Loss::Bce).unwrap_err().to_string().contains("use softmax"));
        }
        let err = Dataset::generate(&DataConfig { classes: 3, ..config(DatasetKind::Moons) }, 1).unwrap_err();
        assert!(err.to_string().contains("only spiral and blobs"), "{err}");
        assert!(Dataset::generate(&DataConfig { classes: 6, ..config(DatasetKind::Spiral) }, 1).is_err());
        // Two classes are the data they always were.
        let two = Dataset::generate(&config(DatasetKind::Spiral), 3).unwrap();
        assert_eq!(two, Dataset::generate(&DataConfig { classes: 2, ..config(DatasetKind::Spiral) }, 3).unwrap());
    }

    #[test]
    fn your_points_are_the_training_set_and_are_checked() {
        let pts = vec![vec![0.0, 0.0, 0.0], vec![3.0, -2.0, 2.0]];
        let c = DataConfig { kind: DatasetKind::Points, points: pts, ..DataConfig::default() };
        let d = Dataset::generate(&c, 1).unwrap();
        assert_eq!(
            (d.train.x.clone(), d.train.y.clone(), d.test.len(), d.classes()),
            (vec![0.0, 0.0, 3.0, -2.0], vec![0.0, 2.0], 0, Some(3))
        );
        let [(x0, x1), (y0, y1)] = d.domain();
        assert!(x0 <= -1.5 && x1 > 3.0 && y0 < -2.0 && y1 >= 1.5, "the box holds every point");
        let curve = DataConfig { kind: DatasetKind::Curve, points: vec![vec![0.5, 0.25]], ..DataConfig::default() };
        let d = Dataset::generate(&curve, 1).unwrap();
        assert_eq!((d.input_dim, d.classes(), d.train.y.clone()), (1, None, vec![0.25]));
        for (points, says) in [
            (vec![], "has none"),
            (vec![vec![0.0, 0.0]], "point 1 has 2 values, not 3"),
            (vec![vec![0.0, 0.0, 1.0], vec![0.0, f32::NAN, 1.0]], "point 2 has NaN"),
            (vec![vec![0.0, 0.0, 1.5]], "class 1.5"),
            (vec![vec![0.0, 0.0, 5.0]], "class 5"),
            (vec![vec![2e4, 0.0, 0.0]], "within ±10000"),
        ] {
            let err = Dataset::generate(&DataConfig { points, ..c.clone() }, 1).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn every_kind_is_balanced_and_in_the_chart_domain() {
        for kind in DatasetKind::ALL {
            let d = Dataset::generate(&DataConfig { noise: 0.0, label_noise: 0.0, ..config(kind) }, 3).unwrap();
            let [(lo, hi), _] = d.domain();
            assert!(d.train.x.iter().all(|v| (lo..=hi).contains(v)), "{kind:?}");
            if kind.classifies() {
                let ones = d.train.y.iter().filter(|&&y| y == 1.0).count();
                assert!((60..140).contains(&ones), "{kind:?}: {ones}");
            }
        }
    }
}
