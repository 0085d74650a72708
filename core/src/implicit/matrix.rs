//! Matrix completion by a factorized model. A rank-`r` PSD target `T`
//! (`n × n`) is seen on a symmetric set `Ω` of its entries; the model
//! `X = UUᵀ` (depth 2) or `X = W_L⋯W_1` (depth 3, 4) trains by gradient
//! descent on `(1/2p)‖P_Ω(X − T)‖²_F`, `p` the observed fraction, from
//! factors whose product starts at scale `α`. Every completion of the seen
//! entries has zero loss; from a small `α` gradient descent learns the
//! target's singular values one at a time (largest first, each after a
//! plateau) and ends near the minimum nuclear norm completion, which here
//! is `T` itself; from `α ≈ 1` it keeps much of its random start.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::rng::{Rng, Stream};

/// A seeded completion problem. The target is `Q diag(s) Qᵀ`, `Q` an
/// orthonormal `n × r` basis, eigenvalues `s_k = 2^{1−k}` (1, ½, ¼, …:
/// distinct, so the plateaus are apart). Each entry is drawn with
/// probability `observed`; as `T` is symmetric, a drawn entry shows its
/// mirror too, so about `1 − (1 − observed)²` of the entries are seen.
#[derive(Clone, Debug)]
pub struct Completion {
    pub target: DMatrix<f64>,
    /// 1 where seen, 0 elsewhere (symmetric).
    pub mask: DMatrix<f64>,
    /// The fraction of entries seen.
    pub seen: f64,
}

impl Completion {
    #[must_use]
    pub fn new(n: usize, rank: usize, observed: f64, seed: u64) -> Self {
        let mut rng = Rng::new(seed, Stream::Data);
        let g = DMatrix::from_fn(n, rank, |_, _| rng.normal());
        let q = g.qr().q();
        let s = DMatrix::from_diagonal(&nalgebra::DVector::from_fn(rank, |k, _| 0.5f64.powi(k as i32)));
        let target = &q * s * q.transpose();
        let mut mask = DMatrix::zeros(n, n);
        for i in 0..n {
            for j in i..n {
                let (a, b) = (rng.uniform(), rng.uniform());
                if a < observed || (i != j && b < observed) {
                    mask[(i, j)] = 1.0;
                    mask[(j, i)] = 1.0;
                }
            }
        }
        let seen = (mask.sum() / (n * n) as f64).max(1.0 / (n * n) as f64);
        Self { target, mask, seen }
    }

    #[must_use]
    pub fn n(&self) -> usize {
        self.target.nrows()
    }

    /// `P_Ω(X − T)`.
    #[must_use]
    pub fn residual(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        (x - &self.target).component_mul(&self.mask)
    }

    /// `‖P_Ω⊥(X − T)‖_F / ‖P_Ω⊥(T)‖_F`: how well the unseen entries are
    /// recovered (0: exactly).
    #[must_use]
    pub fn unseen_error(&self, x: &DMatrix<f64>) -> f64 {
        let hidden = self.mask.map(|m| 1.0 - m);
        (x - &self.target).component_mul(&hidden).norm() / self.target.component_mul(&hidden).norm()
    }
}

/// Singular values, largest first; NaN for a matrix with a non-finite
/// entry (on which nalgebra's SVD iterates forever).
#[must_use]
pub fn singular_values(x: &DMatrix<f64>) -> Vec<f64> {
    if !x.iter().all(|v| v.is_finite()) {
        return vec![f64::NAN; x.nrows().min(x.ncols())];
    }
    let mut s: Vec<f64> = x.singular_values().iter().copied().collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// The effective rank `exp(H(p))`, `p = s/Σs` (Roy & Vetterli 2007): 1 for
/// a rank-1 matrix, `n` for a multiple of the identity.
#[must_use]
pub fn effective_rank(s: &[f64]) -> f64 {
    let total: f64 = s.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let h: f64 = s.iter().map(|&v| v / total).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
    h.exp()
}

/// The factorized model in training.
#[derive(Clone, Debug)]
pub struct Factorized {
    /// 2: `X = UUᵀ` (one factor). 3 or 4: `X = W_L⋯W_1` (`factors[0]` is `W_1`).
    pub depth: usize,
    pub factors: Vec<DMatrix<f64>>,
    pub alpha: f64,
    pub lr: f64,
    pub steps: u64,
}

impl Factorized {
    /// Factors with i.i.d. `N(0, 1/n)` entries times `α^{1/2}` (depth 2)
    /// or `α^{1/L}`, so the product starts at scale `α`. The random start
    /// depends on the seed, not on `α`: a sweep over `α` shares it.
    #[must_use]
    pub fn new(n: usize, depth: usize, alpha: f64, lr: f64, seed: u64) -> Self {
        let mut rng = Rng::new(seed, Stream::Init);
        let count = if depth == 2 { 1 } else { depth };
        let scale = alpha.powf(1.0 / depth as f64) / (n as f64).sqrt();
        let factors = (0..count).map(|_| DMatrix::from_fn(n, n, |_, _| scale * rng.normal())).collect();
        Self { depth, factors, alpha, lr, steps: 0 }
    }

    /// The end-to-end matrix `X`.
    #[must_use]
    pub fn product(&self) -> DMatrix<f64> {
        if self.depth == 2 {
            let u = &self.factors[0];
            return u * u.transpose();
        }
        let mut x = self.factors[0].clone();
        for w in &self.factors[1..] {
            x = w * x;
        }
        x
    }

    /// One gradient step; returns `X` before it, and whether it and the
    /// factors are still finite (no step is taken from a non-finite `X`).
    pub fn step(&mut self, c: &Completion) -> (DMatrix<f64>, bool) {
        let x = self.product();
        if !x.iter().all(|v| v.is_finite()) {
            return (x, false);
        }
        let r = c.residual(&x) / c.seen;
        self.steps += 1;
        if self.depth == 2 {
            // ∇_U = (R + Rᵀ)U/p = 2RU/p (R symmetric).
            let g = 2.0 * &r * &self.factors[0];
            self.factors[0] -= self.lr * g;
        } else {
            // ∇W_k = (W_L⋯W_{k+1})ᵀ R (W_{k−1}⋯W_1)ᵀ.
            let count = self.factors.len();
            let mut below = Vec::with_capacity(count); // below[k] = W_{k−1}⋯W_1 (identity for k = 0)
            let mut acc = DMatrix::identity(c.n(), c.n());
            for w in &self.factors {
                below.push(acc.clone());
                acc = w * acc;
            }
            let mut above = DMatrix::identity(c.n(), c.n()); // W_L⋯W_{k+1}
            let mut grads = vec![DMatrix::zeros(0, 0); count];
            for k in (0..count).rev() {
                grads[k] = above.tr_mul(&r) * below[k].transpose();
                above = &above * &self.factors[k];
            }
            for (w, g) in self.factors.iter_mut().zip(&grads) {
                *w -= self.lr * g;
            }
        }
        let finite = self.factors.iter().all(|w| w.iter().all(|v| v.is_finite()));
        (x, finite)
    }
}

/// The minimum nuclear norm completion, `argmin ‖X‖_* s.t. P_Ω(X) = P_Ω(T)`,
/// by ADMM on `‖X‖_* + 𝟙{P_Ω Z = P_Ω T}`, `X = Z` (Boyd et al. 2011, §5):
/// the X-step shrinks singular values, the Z-step puts the seen entries
/// back. It converges to the exact minimizer (no smoothing bias, unlike
/// singular value thresholding at a finite τ); one [`Self::iterate`] per
/// call, so a caller can spread it over frames.
#[derive(Clone, Debug)]
pub struct NuclearMin {
    pub x: DMatrix<f64>,
    z: DMatrix<f64>,
    /// The scaled dual variable `Λ/ρ`.
    u: DMatrix<f64>,
    rho: f64,
    pub iterations: usize,
    /// The primal and dual residuals, `‖X − Z‖_F + ρ‖Z − Z_prev‖_F`, at
    /// the last iteration.
    pub change: f64,
}

/// When the ADMM is done: primal and dual change below this (relative to `‖T‖_F`).
pub const NUCLEAR_TOL: f64 = 1e-10;

impl NuclearMin {
    #[must_use]
    pub fn new(c: &Completion) -> Self {
        let seen = c.target.component_mul(&c.mask);
        let n = c.n();
        Self { x: seen.clone(), z: seen, u: DMatrix::zeros(n, n), rho: 10.0 / c.target.norm(), iterations: 0, change: f64::INFINITY }
    }

    #[must_use]
    pub fn done(&self, c: &Completion) -> bool {
        self.change <= NUCLEAR_TOL * c.target.norm()
    }

    /// One ADMM iteration.
    pub fn iterate(&mut self, c: &Completion) {
        // X = prox_{‖·‖_*/ρ}(Z − U): shrink the eigenvalues (everything here is symmetric).
        let v = &self.z - &self.u;
        let sym = (&v + v.transpose()) * 0.5;
        let eig = SymmetricEigen::new(sym);
        let shrink = eig.eigenvalues.map(|l| l.signum() * (l.abs() - 1.0 / self.rho).max(0.0));
        self.x = &eig.eigenvectors * DMatrix::from_diagonal(&shrink) * eig.eigenvectors.transpose();
        // Z: X + U with the seen entries put back.
        let free = &self.x + &self.u;
        let z = c.target.component_mul(&c.mask) + free.component_mul(&c.mask.map(|m| 1.0 - m));
        let dual = self.rho * (&z - &self.z).norm();
        self.z = z;
        self.u += &self.x - &self.z;
        let primal = (&self.x - &self.z).norm();
        self.change = primal + dual;
        self.iterations += 1;
        // Residual balancing (Boyd et al. §3.4.1): keep the two within 10×.
        if primal > 10.0 * dual {
            self.rho *= 2.0;
            self.u *= 0.5;
        } else if dual > 10.0 * primal {
            self.rho *= 0.5;
            self.u *= 2.0;
        }
    }

    /// The dual certificate `Λ = ρU`: supported on `Ω` and a subgradient of
    /// `‖·‖_*` at `X` when `X` is optimal.
    #[must_use]
    pub fn dual(&self) -> DMatrix<f64> {
        -self.rho * &self.u
    }

    /// The completion, `Z` (which holds the seen entries exactly).
    #[must_use]
    pub fn completion(&self) -> &DMatrix<f64> {
        &self.z
    }
}

/// `‖X‖_*` (NaN for a non-finite `X`).
#[must_use]
pub fn nuclear_norm(x: &DMatrix<f64>) -> f64 {
    singular_values(x).iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_gradients_match_finite_differences() {
        let c = Completion::new(6, 2, 0.5, 1);
        for depth in [2, 3, 4] {
            let m = Factorized::new(6, depth, 0.5, 0.0, 2);
            let loss = |m: &Factorized| 0.5 * c.residual(&m.product()).norm_squared() / c.seen;
            let mut stepped = m.clone();
            stepped.lr = 1.0;
            stepped.step(&c);
            let h = 1e-6;
            for k in 0..m.factors.len() {
                for (i, j) in [(0, 0), (2, 5), (4, 1)] {
                    let (mut a, mut b) = (m.clone(), m.clone());
                    a.factors[k][(i, j)] += h;
                    b.factors[k][(i, j)] -= h;
                    let fd = (loss(&a) - loss(&b)) / (2.0 * h);
                    let g = m.factors[k][(i, j)] - stepped.factors[k][(i, j)];
                    assert!((fd - g).abs() < 1e-7 * (1.0 + g.abs()), "depth {depth} factor {k}: {fd} vs {g}");
                }
            }
        }
    }

    #[test]
    fn the_nuclear_minimum_meets_its_optimality_conditions() {
        // Seed 3: enough is seen for the target to be the answer.
        let c = Completion::new(20, 2, 0.4, 3);
        let mut admm = NuclearMin::new(&c);
        while !admm.done(&c) && admm.iterations < 20_000 {
            admm.iterate(&c);
        }
        assert!(admm.done(&c), "{} after {}", admm.change, admm.iterations);
        let x = admm.completion();
        // Feasible: the seen entries are the target's.
        assert!(c.residual(x).norm() < 1e-12);
        // Optimal: Λ lives on Ω and is a subgradient of ‖·‖_* at X
        // (Λ = U₁V₁ᵀ + W, U₁ᵀW = 0, WV₁ = 0, ‖W‖ ≤ 1).
        let lambda = admm.dual();
        let off = lambda.component_mul(&c.mask.map(|m| 1.0 - m)).norm();
        assert!(off < 1e-8, "Λ off Ω: {off}");
        let svd = x.clone().svd(true, true);
        let r = svd.singular_values.iter().filter(|&&s| s > 1e-8).count();
        let (u1, v1t) = (svd.u.unwrap().columns(0, r).into_owned(), svd.v_t.unwrap().rows(0, r).into_owned());
        let w = &lambda - &u1 * &v1t;
        assert!((u1.tr_mul(&w)).norm() < 1e-6 && (&w * v1t.transpose()).norm() < 1e-6);
        assert!(w.singular_values().max() <= 1.0 + 1e-6);
        // Here that is the rank-2 target itself.
        assert_eq!(r, 2);
        assert!((x - &c.target).norm() / c.target.norm() < 1e-6);
    }

    #[test]
    fn small_initialization_finds_the_low_rank_completion() {
        // Rank 2, n = 20, 40 % of entries drawn (64 % seen with mirrors).
        let c = Completion::new(20, 2, 0.4, 1);
        let train = |alpha: f64| {
            let mut m = Factorized::new(20, 2, alpha, 0.1, 1);
            for _ in 0..20_000 {
                assert!(m.step(&c).1);
            }
            m.product()
        };
        let small = train(1e-3);
        let (err, rank) = (c.unseen_error(&small), effective_rank(&singular_values(&small)));
        // Measured: error 0.017, effective rank 2.10.
        assert!(err < 0.05 && (rank - 2.0).abs() < 0.25, "α = 1e-3: error {err}, effective rank {rank}");
        // From α = 1 it keeps its random start where nothing is seen.
        // Measured: error 3.6, effective rank 11.
        let large = c.unseen_error(&train(1.0));
        assert!(large > 20.0 * err, "α = 1: error {large}");
        // Here GD's completion is not the minimum nuclear norm one: that
        // one has a smaller nuclear norm (1.485 against 1.520) but misses
        // the unseen entries by 20 % (Arora et al. 2019: the implicit
        // regularization is not a norm).
        let mut admm = NuclearMin::new(&c);
        while !admm.done(&c) && admm.iterations < 20_000 {
            admm.iterate(&c);
        }
        let min = admm.completion();
        assert!(nuclear_norm(min) < nuclear_norm(&small) - 0.01);
        assert!(c.unseen_error(min) > 5.0 * err);
    }

    #[test]
    fn a_diverging_run_stops_and_says_so() {
        // A tenth of the entries seen and a step far past stable: the
        // factors blow up. The run says so, and no SVD runs on inf or NaN
        // (nalgebra's would never return).
        let c = Completion::new(20, 2, 0.05, 1);
        let mut m = Factorized::new(20, 3, 1.0, 1.0, 1);
        let steps = (0..1000).take_while(|_| m.step(&c).1).count();
        assert!(steps < 1000, "diverged");
        assert!(singular_values(&DMatrix::from_element(3, 3, f64::INFINITY)).iter().all(|v| v.is_nan()));
        assert!(nuclear_norm(&DMatrix::from_element(2, 2, f64::NAN)).is_nan());
    }
}
