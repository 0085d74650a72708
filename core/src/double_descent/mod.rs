//! Double descent, exactly: random-features regression (Rahimi & Recht
//! 2007; Mei & Montanari 2019) with the minimum-norm least-squares readout
//! (or ridge), in f64.
//!
//! Model: `f(x) = (b + Σ_j a_j φ(w_jᵀx))/√p` with fixed `w_j ~ N(0, I/d)`
//! and only the readout `(a, b)` fitted, to `n` noisy samples of a
//! teacher; `b` is an intercept, like the output bias of a two-layer net
//! whose first layer is frozen, so such a net trained by gradient descent
//! from a zero readout lands on exactly this fit. With `Φ` the `n × (p+1)`
//! feature matrix (a column of ones last), the fitted readout minimises
//! `(1/n)‖Φa − y‖² + λ‖a‖²`; at `λ = 0` it is the minimum-norm least-squares
//! solution `a = Φ⁺y`, which is also where gradient descent from `a = 0`
//! converges ([`min_norm_readout`]; tested). As `p + 1` crosses `n` the model
//! starts to interpolate the noisy labels, `Φ`'s smallest non-zero singular
//! value goes to zero, and the test error peaks (the interpolation
//! threshold); past it, more features mean a smaller minimum norm and a
//! falling test error. Ridge `λ > 0` bounds `‖a‖` and removes the peak.
//!
//! Features are nested (the first `p` of one draw), so a curve over `p` is
//! one sweep of rank-one updates of the kernel matrices `ΦΦᵀ`, and each fit
//! is one symmetric eigendecomposition of an `n × n` matrix. A sample-wise
//! curve past `n = p + 1` fits in feature space instead (`(p+1)²`, rank-one
//! updates over the points), since the two forms predict the same.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::rng::{Rng, Stream};

mod sweep_run;
pub mod trained;

pub use sweep_run::{Record, SweepLog, SweepRun};

/// What the labels are a noisy copy of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Teacher {
    /// `y = xᵀβ*` with `‖β*‖ = 1`.
    #[default]
    Linear,
    /// `y = 2·tanh(xᵀβ*)`: a target no finite feature set fits exactly.
    Nonlinear,
}

/// The random features' non-linearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    #[default]
    Relu,
    Tanh,
}

/// One random-features experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RfConfig {
    /// Training points.
    pub n: usize,
    /// Test points.
    pub n_test: usize,
    /// Input dimension.
    pub d: usize,
    /// Label noise standard deviation σ.
    pub noise: f64,
    /// Ridge λ (0: minimum-norm interpolation).
    pub ridge: f64,
    pub teacher: Teacher,
    pub feature: Feature,
    pub seed: u64,
}

/// Feature counts for a model-wise curve over `n` training points: log
/// spaced from 1 to `max_ratio·n`, plus points dense around `p = n`
/// (`n` itself included). Sorted, no repeats.
#[must_use]
pub fn feature_counts(n: usize, max_ratio: f64, count: usize) -> Vec<usize> {
    let top = (max_ratio * n as f64).max(2.0);
    let mut ps: Vec<usize> = (0..count).map(|i| top.powf(i as f64 / (count - 1).max(1) as f64).round() as usize).collect();
    ps.extend([0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.35, 1.5].iter().map(|r| ((r * n as f64).round() as usize).max(1)));
    ps.sort_unstable();
    ps.dedup();
    ps
}

/// One seed's data, teacher and features. Labels are `s + σe`: the
/// teacher's signal `s` plus unit noise `e` scaled by σ; the test labels are
/// the clean signal (the test error measures the task, not the noise).
struct Draw {
    phi: DMatrix<f64>,
    phi_test: DMatrix<f64>,
    signal: DVector<f64>,
    noise: DVector<f64>,
    test: DVector<f64>,
}

/// A teacher's data: `n × d` inputs with i.i.d. N(0, 1) entries, the
/// clean targets `signal`, unit label noise `noise` (the training labels
/// are `signal + σ·noise`), and a clean test set. Points are drawn one after
/// another, so the first `n` of a larger draw are the draw of `n`.
/// [`crate::data`]'s teacher datasets are this data, in f32.
#[derive(Clone, Debug)]
pub struct TeacherData {
    pub x: DMatrix<f64>,
    pub signal: DVector<f64>,
    pub noise: DVector<f64>,
    pub x_test: DMatrix<f64>,
    pub test: DVector<f64>,
}

/// Draws [`TeacherData`] in `d` dimensions.
#[must_use]
pub fn teacher_data(d: usize, teacher: Teacher, n: usize, n_test: usize, seed: u64) -> TeacherData {
    let mut rng = Rng::new(seed, Stream::Data);
    let d = d.max(1);
    let beta: Vec<f64> = {
        let b: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
        b.iter().map(|v| v / norm).collect()
    };
    let target = |x: &DMatrix<f64>, i: usize| {
        let z: f64 = x.row(i).iter().zip(&beta).map(|(a, b)| a * b).sum();
        match teacher {
            Teacher::Linear => z,
            Teacher::Nonlinear => 2.0 * z.tanh(),
        }
    };
    let x = DMatrix::from_row_iterator(n, d, (0..n * d).map(|_| rng.normal()).collect::<Vec<_>>());
    let x_test = DMatrix::from_row_iterator(n_test, d, (0..n_test * d).map(|_| rng.normal()).collect::<Vec<_>>());
    let mut noise_rng = Rng::new(seed, Stream::LabelNoise);
    TeacherData {
        signal: DVector::from_fn(n, |i, _| target(&x, i)),
        noise: DVector::from_fn(n, |_, _| noise_rng.normal()),
        test: DVector::from_fn(n_test, |i, _| target(&x_test, i)),
        x,
        x_test,
    }
}

fn draw(cfg: &RfConfig, seed: u64, n: usize, p_max: usize) -> Draw {
    let data = teacher_data(cfg.d, cfg.teacher, n, cfg.n_test, seed);
    let d = data.x.ncols();
    // Row by row from the init stream: exactly the first layer that
    // `MlpSpec::init_params(seed)` gives a net of width p ≤ p_max with
    // `Init::Normal { sigma: 1 }` (std 1/√d), so a trained net with its
    // first layer frozen has these very features.
    let mut rng = Rng::new(seed, Stream::Init);
    let w = DMatrix::from_row_iterator(p_max, d, (0..p_max * d).map(|_| rng.normal() / (d as f64).sqrt()).collect::<Vec<_>>());
    let act = |z: f64| match cfg.feature {
        Feature::Relu => z.max(0.0),
        Feature::Tanh => z.tanh(),
    };
    let phi = (&data.x * w.transpose()).map(act);
    let phi_test = (&data.x_test * w.transpose()).map(act);
    Draw { phi, phi_test, signal: data.signal, noise: data.noise, test: data.test }
}

/// A mean squared error as a function of the label-noise level σ:
/// `a + 2bσ + cσ²` (the fit is linear in the labels), so dragging σ costs
/// nothing once a curve is computed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct InNoise {
    #[serde(with = "crate::wire::f64")]
    pub a: f64,
    #[serde(with = "crate::wire::f64")]
    pub b: f64,
    #[serde(with = "crate::wire::f64")]
    pub c: f64,
}

impl InNoise {
    /// `‖u + σv‖²/len`.
    fn of(u: &DVector<f64>, v: &DVector<f64>) -> Self {
        let len = u.len().max(1) as f64;
        Self { a: u.norm_squared() / len, b: u.dot(v) / len, c: v.norm_squared() / len }
    }

    #[must_use]
    pub fn at(self, sigma: f64) -> f64 {
        self.a + 2.0 * self.b * sigma + self.c * sigma * sigma
    }
}

/// One seed's curve: train and test error at each point, for any σ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeedCurve {
    pub train: Vec<InNoise>,
    pub test: Vec<InNoise>,
}

/// Train and test mean squared error at each point of a curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Errors {
    pub train: Vec<f64>,
    pub test: Vec<f64>,
}

impl SeedCurve {
    #[must_use]
    pub fn at(&self, sigma: f64) -> Errors {
        Errors { train: self.train.iter().map(|e| e.at(sigma)).collect(), test: self.test.iter().map(|e| e.at(sigma)).collect() }
    }

    fn push(&mut self, g: &DMatrix<f64>, k: &DMatrix<f64>, dr: &Draw, n: usize, ridge: f64) {
        let fit = Fit::new(g.clone(), n as f64 * ridge);
        let (s, e) = (dr.signal.rows(0, n).into_owned(), dr.noise.rows(0, n).into_owned());
        let (cs, ce) = (fit.apply(&s), fit.apply(&e));
        self.train.push(InNoise::of(&(g * &cs - &s), &(g * &ce - &e)));
        self.test.push(InNoise::of(&(k * &cs - &dr.test), &(k * &ce)));
    }

    /// The same fit in feature space, for more points than features: with
    /// `F` the `n × q` scaled features (`f_test` the test set's) and
    /// `a = FᵀF`, the readout is `(a + nλ)⁺Fᵀy`, which predicts exactly what
    /// the kernel form `F(FᵀF)⁺… = (FFᵀ)⁺` does (push-through), at `q³`
    /// instead of `n³`.
    fn push_primal(&mut self, a: &DMatrix<f64>, f: &DMatrix<f64>, f_test: &DMatrix<f64>, dr: &Draw, n: usize, ridge: f64) {
        let fit = Fit::new(a.clone(), n as f64 * ridge);
        let (s, e) = (dr.signal.rows(0, n).into_owned(), dr.noise.rows(0, n).into_owned());
        let (ws, we) = (fit.apply(&f.tr_mul(&s)), fit.apply(&f.tr_mul(&e)));
        self.train.push(InNoise::of(&(f * &ws - &s), &(f * &we - &e)));
        self.test.push(InNoise::of(&(f_test * &ws - &dr.test), &(f_test * &we)));
    }
}

/// One seed's curve, computed one point at a time ([`Sweep::step`]) so a
/// page can spread the work over frames.
pub struct Sweep {
    cfg: RfConfig,
    dr: Draw,
    kind: SweepKind,
    curve: SeedCurve,
}

enum SweepKind {
    /// Feature counts, with running sums of φ_jφ_jᵀ (train × train, test ×
    /// train) over the features added so far.
    Model { ps: Vec<usize>, s: DMatrix<f64>, t: DMatrix<f64>, done: usize },
    /// Training-set sizes at a fixed `p`; past `q = p + 1` points, the
    /// running sum `a` of `f_if_iᵀ` over the scaled feature rows added so
    /// far (`rows` of them), with `f` every row and `f_test` the test set's.
    Sample { p: usize, ns: Vec<usize>, f: DMatrix<f64>, f_test: DMatrix<f64>, a: DMatrix<f64>, rows: usize },
}

impl Sweep {
    /// Model-wise: every feature count in `ps` (ascending), with seed
    /// `seed`'s `n = cfg.n` points and nested features.
    #[must_use]
    pub fn model_wise(cfg: &RfConfig, ps: &[usize], seed: u64) -> Self {
        let p_max = ps.iter().copied().max().unwrap_or(1);
        let dr = draw(cfg, seed, cfg.n, p_max);
        // The sums start with the intercept's column of ones.
        let kind = SweepKind::Model {
            ps: ps.to_vec(),
            s: DMatrix::from_element(cfg.n, cfg.n, 1.0),
            t: DMatrix::from_element(cfg.n_test, cfg.n, 1.0),
            done: 0,
        };
        Self { cfg: cfg.clone(), dr, kind, curve: SeedCurve { train: Vec::new(), test: Vec::new() } }
    }

    /// Sample-wise: `p` features, every training-set size in `ns`
    /// (ascending; the first `n` points of one draw).
    #[must_use]
    pub fn sample_wise(cfg: &RfConfig, p: usize, ns: &[usize], seed: u64) -> Self {
        let n_max = ns.iter().copied().max().unwrap_or(1);
        let dr = draw(cfg, seed, n_max, p);
        // φ/√p and the intercept's column of ones (also over √p).
        let scaled = |phi: &DMatrix<f64>| (phi.clone().insert_column(p, 1.0)) / (p as f64).sqrt();
        let (f, f_test) = (scaled(&dr.phi), scaled(&dr.phi_test));
        Self {
            cfg: cfg.clone(),
            dr,
            kind: SweepKind::Sample { p, ns: ns.to_vec(), a: DMatrix::zeros(p + 1, p + 1), rows: 0, f, f_test },
            curve: SeedCurve { train: Vec::new(), test: Vec::new() },
        }
    }

    /// Computes the next point; `false` once every point is done.
    pub fn step(&mut self) -> bool {
        let i = self.curve.test.len();
        let ridge = self.cfg.ridge;
        match &mut self.kind {
            SweepKind::Model { ps, s, t, done } => {
                let Some(&p) = ps.get(i) else { return false };
                while *done < p {
                    let col = self.dr.phi.column(*done);
                    s.ger(1.0, &col, &col, 1.0);
                    t.ger(1.0, &self.dr.phi_test.column(*done), &col, 1.0);
                    *done += 1;
                }
                // Kernel matrices of φ/√p.
                let (g, k) = (&*s / p as f64, &*t / p as f64);
                self.curve.push(&g, &k, &self.dr, self.cfg.n, ridge);
            }
            SweepKind::Sample { p, ns, f, f_test, a, rows } => {
                let Some(&n) = ns.get(i) else { return false };
                if n <= *p + 1 {
                    let head = f.rows(0, n);
                    let (g, k) = (head * head.transpose(), &*f_test * head.transpose());
                    self.curve.push(&g, &k, &self.dr, n, ridge);
                } else {
                    while *rows < n {
                        let row = f.row(*rows).transpose();
                        a.ger(1.0, &row, &row, 1.0);
                        *rows += 1;
                    }
                    self.curve.push_primal(a, &f.rows(0, n).into_owned(), f_test, &self.dr, n, ridge);
                }
            }
        }
        true
    }

    /// The points computed so far.
    #[must_use]
    pub fn curve(&self) -> &SeedCurve {
        &self.curve
    }

    /// Runs to the end.
    #[must_use]
    pub fn finish(mut self) -> SeedCurve {
        while self.step() {}
        self.curve
    }
}

/// Model-wise curve of one seed (see [`Sweep::model_wise`]).
#[must_use]
pub fn model_wise(cfg: &RfConfig, ps: &[usize], seed: u64) -> SeedCurve {
    Sweep::model_wise(cfg, ps, seed).finish()
}

/// Sample-wise curve of one seed (see [`Sweep::sample_wise`]).
#[must_use]
pub fn sample_wise(cfg: &RfConfig, p: usize, ns: &[usize], seed: u64) -> SeedCurve {
    Sweep::sample_wise(cfg, p, ns, seed).finish()
}

/// Training-set sizes for a sample-wise curve at `p` features: log spaced
/// from `p/8` to `4p`, dense around `n = p`. Sorted, no repeats, each ≥ 2.
#[must_use]
pub fn sample_counts(p: usize, count: usize) -> Vec<usize> {
    let (lo, hi) = ((p as f64 / 8.0).max(2.0), 4.0 * p as f64);
    let mut ns: Vec<usize> = (0..count).map(|i| (lo * (hi / lo).powf(i as f64 / (count - 1).max(1) as f64)).round() as usize).collect();
    ns.extend([0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25].iter().map(|r| ((r * p as f64).round() as usize).max(2)));
    ns.sort_unstable();
    ns.dedup();
    ns
}

/// `(G + shift·I)⁺` for symmetric PSD `G`, applied to vectors; eigenvalues
/// below rounding count as zero when `shift = 0` (the pseudo-inverse: the
/// minimum-norm solution).
struct Fit {
    eig: SymmetricEigen<f64, nalgebra::Dyn>,
    inverse: DVector<f64>,
}

impl Fit {
    fn new(g: DMatrix<f64>, shift: f64) -> Self {
        let eig = SymmetricEigen::new(g);
        let top = eig.eigenvalues.iter().fold(0.0f64, |m, &v| if v > m { v } else { m });
        let tol = top * 1e-10;
        let inverse = eig.eigenvalues.map(|l| if shift > 0.0 || l > tol { 1.0 / (l + shift) } else { 0.0 });
        Self { eig, inverse }
    }

    fn apply(&self, y: &DVector<f64>) -> DVector<f64> {
        let qy = self.eig.eigenvectors.tr_mul(y).component_mul(&self.inverse);
        &self.eig.eigenvectors * qy
    }
}

/// The minimum-norm least-squares readout `a = Φ⁺y` of `Φ` (`n × p`),
/// by SVD.
#[must_use]
pub fn min_norm_readout(phi: &DMatrix<f64>, y: &DVector<f64>) -> DVector<f64> {
    phi.clone().pseudo_inverse(1e-12).map_or_else(|_| DVector::zeros(phi.ncols()), |pinv| pinv * y)
}

/// Median and quartiles of values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Band {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Band {
    /// Of finite values (NaN if none).
    #[must_use]
    pub fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let q = |f: f64| if v.is_empty() { f64::NAN } else { v[((v.len() - 1) as f64 * f).round() as usize] };
        Self { median: q(0.5), lo: q(0.25), hi: q(0.75) }
    }
}

/// Median and quartile band over several seeds' errors at each point; a
/// seed still in progress (fewer points) counts where it has them.
#[must_use]
pub fn bands(runs: &[Errors]) -> (Vec<Band>, Vec<Band>) {
    let len = runs.iter().map(|r| r.test.len()).max().unwrap_or(0);
    let at = |f: fn(&Errors) -> &Vec<f64>, i: usize| Band::of(&runs.iter().filter_map(|r| f(r).get(i).copied()).collect::<Vec<_>>());
    ((0..len).map(|i| at(|r| &r.train, i)).collect(), (0..len).map(|i| at(|r| &r.test, i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(noise: f64, ridge: f64) -> RfConfig {
        RfConfig { n: 100, n_test: 400, d: 20, noise, ridge, teacher: Teacher::Linear, feature: Feature::Relu, seed: 1 }
    }

    fn median_test_curve(cfg: &RfConfig) -> (Vec<usize>, Vec<f64>) {
        let ps = feature_counts(cfg.n, 10.0, 24);
        let runs: Vec<Errors> = (0..5).map(|s| model_wise(cfg, &ps, cfg.seed + s).at(cfg.noise)).collect();
        let (_, test) = bands(&runs);
        (ps, test.iter().map(|b| b.median).collect())
    }

    /// With label noise the min-norm test error peaks at the interpolation
    /// threshold p ≈ n, above both the under- and the over-parameterized
    /// ends, and the training error reaches zero there.
    #[test]
    fn test_error_peaks_at_the_interpolation_threshold() {
        let cfg = config(0.5, 0.0);
        let (ps, test) = median_test_curve(&cfg);
        let (i_peak, peak) = test.iter().enumerate().fold((0, f64::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
        let ratio = ps[i_peak] as f64 / cfg.n as f64;
        assert!((0.8..=1.25).contains(&ratio), "peak at p/n = {ratio}: {:?}", ps.iter().zip(&test).collect::<Vec<_>>());
        assert!(peak > 3.0 * test[0] && peak > 3.0 * test[test.len() - 1], "a real peak: {test:?}");
        let beyond = model_wise(&cfg, &[2 * cfg.n], 1).at(cfg.noise);
        assert!(beyond.train[0] < 1e-12, "interpolates past the threshold: {}", beyond.train[0]);
    }

    /// A large ridge removes the peak: the test error then falls with p
    /// (never rising by more than 2% from one p to the next).
    #[test]
    fn a_large_ridge_removes_the_peak() {
        let (ps, test) = median_test_curve(&config(0.5, 0.1));
        for (w, p) in test.windows(2).zip(ps.windows(2)) {
            assert!(w[1] <= 1.02 * w[0], "rises from p = {} to {}: {test:?}", p[0], p[1]);
        }
    }

    /// Gradient descent on the readout from a = 0 converges to the
    /// minimum-norm interpolant Φ⁺y (its iterates never leave Φ's row space).
    #[test]
    fn gradient_descent_from_zero_finds_the_min_norm_solution() {
        let cfg = RfConfig { n: 10, n_test: 1, d: 4, noise: 0.3, ridge: 0.0, teacher: Teacher::Nonlinear, feature: Feature::Tanh, seed: 3 };
        let dr = draw(&cfg, 3, cfg.n, 30);
        let y = &dr.signal + &dr.noise * cfg.noise;
        let phi = &dr.phi / 30f64.sqrt();
        let target = min_norm_readout(&phi, &y);
        // Step below 2/λ_max of the loss (1/n)‖Φa − y‖²'s Hessian 2ΦᵀΦ/n.
        let lambda = SymmetricEigen::new(phi.tr_mul(&phi) * (2.0 / 10.0)).eigenvalues.max();
        let mut a = DVector::zeros(30);
        for _ in 0..200_000 {
            let grad = phi.tr_mul(&(&phi * &a - &y)) * (2.0 / 10.0);
            a -= grad * (1.0 / lambda);
        }
        assert!((&a - &target).norm() < 1e-8 * target.norm(), "GD {a} vs Φ⁺y {target}");
        // And the kernel form used for the curves gives the same fit.
        let c = Fit::new(&phi * phi.transpose(), 0.0).apply(&y);
        assert!((phi.tr_mul(&c) - &target).norm() < 1e-8 * target.norm());
    }

    /// The noise level enters as a quadratic: evaluating the stored curve
    /// at σ equals fitting labels drawn with σ.
    #[test]
    fn errors_are_quadratic_in_the_noise_level() {
        let cfg = RfConfig { n: 30, n_test: 50, ..config(0.0, 0.0) };
        let curve = model_wise(&cfg, &[10, 30, 90], 2);
        let dr = draw(&cfg, 2, cfg.n, 90);
        for (i, p) in [10usize, 30, 90].into_iter().enumerate() {
            let sigma = 0.7;
            let y = &dr.signal + &dr.noise * sigma;
            // The first p features and the intercept's column of ones.
            let with_ones = |m: &DMatrix<f64>| m.columns(0, p).into_owned().insert_column(p, 1.0);
            let a = min_norm_readout(&with_ones(&dr.phi), &y);
            let test = (with_ones(&dr.phi_test) * &a - &dr.test).norm_squared() / 50.0;
            let got = curve.test[i].at(sigma);
            assert!((got - test).abs() < 1e-6 * test.max(1.0), "p = {p}: {got} vs {test}");
        }
    }

    /// Sample-wise points on both sides of `n = p + 1` (kernel form below,
    /// feature space above) against the readout solved directly: `Φ⁺y` by
    /// SVD without ridge, the normal equations by Cholesky with one.
    #[test]
    fn sample_wise_points_match_a_direct_solve_on_both_sides_of_the_threshold() {
        let p = 12;
        let ns = [5, 12, 13, 14, 40];
        for ridge in [0.0, 0.01] {
            let cfg = RfConfig { n: 40, n_test: 60, ..config(0.0, ridge) };
            let curve = sample_wise(&cfg, p, &ns, 3);
            let dr = draw(&cfg, 3, 40, p);
            let sigma = 0.4;
            for (i, &n) in ns.iter().enumerate() {
                let f = dr.phi.rows(0, n).into_owned().insert_column(p, 1.0) / (p as f64).sqrt();
                let f_test = dr.phi_test.clone().insert_column(p, 1.0) / (p as f64).sqrt();
                let y = dr.signal.rows(0, n) + dr.noise.rows(0, n) * sigma;
                let a = if ridge == 0.0 {
                    min_norm_readout(&f, &y)
                } else {
                    let normal = f.tr_mul(&f) + DMatrix::identity(p + 1, p + 1) * (n as f64 * ridge);
                    normal.cholesky().expect("positive definite").solve(&f.tr_mul(&y))
                };
                let train = (&f * &a - &y).norm_squared() / n as f64;
                let test = (&f_test * &a - &dr.test).norm_squared() / 60.0;
                let (got_train, got_test) = (curve.train[i].at(sigma), curve.test[i].at(sigma));
                assert!((got_test - test).abs() < 1e-6 * test.max(1.0), "λ {ridge}, n = {n}: test {got_test} vs {test}");
                assert!((got_train - train).abs() < 1e-6 * train.max(1.0), "λ {ridge}, n = {n}: train {got_train} vs {train}");
            }
        }
    }

    /// Sample-wise: with p fixed, the test error peaks where n crosses p.
    #[test]
    fn sample_wise_test_error_peaks_at_n_equal_p() {
        let cfg = config(0.5, 0.0);
        let p = 60;
        let ns: Vec<usize> = (1..=24).map(|i| i * 10).collect();
        let runs: Vec<Errors> = (0..5).map(|s| sample_wise(&cfg, p, &ns, 1 + s).at(cfg.noise)).collect();
        let (_, test) = bands(&runs);
        let med: Vec<f64> = test.iter().map(|b| b.median).collect();
        let i_peak = (0..med.len()).fold(0, |b, i| if med[i] > med[b] { i } else { b });
        let ratio = ns[i_peak] as f64 / p as f64;
        assert!((0.8..=1.25).contains(&ratio), "peak at n/p = {ratio}: {med:?}");
    }

    /// Logs cross to the page as JSON ([`crate::wire`]): a diverged error
    /// comes back diverged, a finite one exactly.
    #[test]
    fn non_finite_errors_survive_json() {
        let back = |r: &Record| serde_json::from_str::<Record>(&serde_json::to_string(r).unwrap()).unwrap();
        let diverged = back(&Record { step: 3, train: f64::NAN, test: f64::INFINITY });
        assert!(diverged.step == 3 && diverged.train.is_nan() && diverged.test == f64::INFINITY);
        let fine = Record { step: 1, train: 0.25, test: 1e-300 };
        assert_eq!(back(&fine), fine);
    }

    #[test]
    fn feature_counts_cover_the_threshold_densely() {
        let ps = feature_counts(100, 10.0, 20);
        assert_eq!(ps[0], 1);
        assert_eq!(*ps.last().unwrap(), 1000);
        assert!(ps.contains(&100) && ps.contains(&95) && ps.contains(&105));
        assert!(ps.windows(2).all(|w| w[0] < w[1]));
    }
}
