//! Underdetermined least squares: `Ax = b` with `A ∈ ℝ^{m×n}`, `m < n`,
//! has a whole affine subspace of solutions. Gradient descent on
//! `½‖Ax − b‖²` moves only in the row space of `A`, so from `x₀` it ends at
//! the solution nearest `x₀`: `x₀ + A⁺(b − Ax₀)` (from zero, the
//! minimum-norm solution `A⁺b`). Heavy-ball momentum keeps to the same row
//! space. Adam and sign descent rescale each coordinate, leave it, and end
//! elsewhere on the solution set.

use nalgebra::{DMatrix, DVector};

use crate::rng::{Rng, Stream};

/// The optimizers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Gd,
    /// Heavy ball, β = 0.9.
    Momentum,
    Adam,
    /// `x ← x − η_t sign(∇)`, with `η_t = η/√(1 + t/100)` so that it
    /// settles (a constant step only ever hops around the solution set).
    Sign,
}

impl Method {
    pub const ALL: [Self; 4] = [Self::Gd, Self::Momentum, Self::Adam, Self::Sign];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Momentum => "momentum",
            Self::Adam => "adam",
            Self::Sign => "sign",
        }
    }
}

/// Heavy ball's momentum.
const MOMENTUM: f64 = 0.9;

/// A seeded problem: `A`'s entries `N(0, 1/n)` (so `‖A‖ ≈ 1 + √(m/n)`
/// whatever the size), `b`'s `N(0, 1)`, and the start `x₀`, `init` times a
/// unit-variance Gaussian vector scaled by `1/√n`.
#[derive(Clone, Debug)]
pub struct Problem {
    pub a: DMatrix<f64>,
    pub b: DVector<f64>,
    pub x0: DVector<f64>,
}

impl Problem {
    /// # Panics
    /// If `m ≥ n` or `m == 0` (the caller's settings rule that out).
    #[must_use]
    pub fn new(m: usize, n: usize, init: f64, seed: u64) -> Self {
        assert!(0 < m && m < n, "underdetermined: 0 < m < n");
        let mut rng = Rng::new(seed, Stream::Data);
        let scale = 1.0 / (n as f64).sqrt();
        let a = DMatrix::from_fn(m, n, |_, _| rng.normal() * scale);
        let b = DVector::from_fn(m, |_, _| rng.normal());
        let mut rng = Rng::new(seed, Stream::Init);
        let x0 = DVector::from_fn(n, |_, _| init * scale * rng.normal());
        Self { a, b, x0 }
    }

    /// `A⁺`, by SVD.
    #[must_use]
    pub fn pinv(&self) -> DMatrix<f64> {
        self.a.clone().pseudo_inverse(1e-12).expect("eps is positive")
    }

    /// The minimum-norm solution `A⁺b`.
    #[must_use]
    pub fn min_norm(&self) -> DVector<f64> {
        self.pinv() * &self.b
    }

    /// The solution nearest `x`: `x + A⁺(b − Ax)`.
    #[must_use]
    pub fn nearest(&self, x: &DVector<f64>) -> DVector<f64> {
        x + self.pinv() * (&self.b - &self.a * x)
    }

    /// `‖Ax − b‖`.
    #[must_use]
    pub fn residual(&self, x: &DVector<f64>) -> f64 {
        (&self.a * x - &self.b).norm()
    }

    /// The largest stable gradient-descent step, `2/‖A‖²`.
    #[must_use]
    pub fn max_lr(&self) -> f64 {
        let top = self.a.singular_values().max();
        2.0 / (top * top)
    }
}

/// One optimizer's path from `x₀`.
#[derive(Clone, Debug)]
pub struct Descent {
    pub method: Method,
    pub lr: f64,
    pub x: DVector<f64>,
    pub steps: u64,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Descent {
    #[must_use]
    pub fn new(p: &Problem, method: Method, lr: f64) -> Self {
        let n = p.x0.len();
        Self { method, lr, x: p.x0.clone(), steps: 0, m: vec![0.0; n], v: vec![0.0; n] }
    }

    /// One step on `½‖Ax − b‖²`. Returns whether `x` is still finite.
    pub fn step(&mut self, p: &Problem) -> bool {
        let g = p.a.tr_mul(&(&p.a * &self.x - &p.b));
        self.steps += 1;
        match self.method {
            Method::Gd => self.x.axpy(-self.lr, &g, 1.0),
            Method::Momentum => {
                for (i, gi) in g.iter().enumerate() {
                    self.m[i] = MOMENTUM * self.m[i] + gi;
                    self.x[i] -= self.lr * self.m[i];
                }
            }
            Method::Adam => super::adam(self.x.as_mut_slice(), g.as_slice(), &mut self.m, &mut self.v, self.steps, self.lr),
            Method::Sign => {
                let eta = self.lr / (1.0 + self.steps as f64 / 100.0).sqrt();
                for (xi, gi) in self.x.iter_mut().zip(g.iter()) {
                    if *gi != 0.0 {
                        *xi -= eta * gi.signum();
                    }
                }
            }
        }
        self.x.iter().all(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &Problem, method: Method, lr: f64, steps: u64) -> Descent {
        let mut d = Descent::new(p, method, lr);
        for _ in 0..steps {
            assert!(d.step(p));
        }
        d
    }

    #[test]
    fn exact_answers_solve_and_are_nearest() {
        let p = Problem::new(3, 8, 1.0, 4);
        let mn = p.min_norm();
        assert!(p.residual(&mn) < 1e-12);
        // Orthogonal to the null space: any other solution is longer.
        let null = DMatrix::<f64>::identity(8, 8) - p.pinv() * &p.a;
        assert!((null * &mn).norm() < 1e-12);
        let near = p.nearest(&p.x0);
        assert!(p.residual(&near) < 1e-12);
        // x₀ − near lies in the row space: orthogonal to every null direction.
        let step = &p.x0 - &near;
        assert!((step.clone() - p.pinv() * (&p.a * &step)).norm() < 1e-12);
    }

    #[test]
    fn gradient_descent_finds_the_nearest_solution() {
        for (m, n) in [(1, 2), (2, 3), (5, 20)] {
            let zero = Problem::new(m, n, 0.0, 7);
            let lr = 0.5 * zero.max_lr();
            for method in [Method::Gd, Method::Momentum] {
                let lr = if method == Method::Momentum { lr * 0.1 } else { lr };
                let d = run(&zero, method, lr, 20_000);
                let mn = zero.min_norm();
                assert!((&d.x - &mn).norm() / mn.norm() < 1e-6, "{method:?} {m}×{n}: {}", (&d.x - &mn).norm());
            }
            let from = Problem::new(m, n, 2.0, 7);
            let d = run(&from, Method::Gd, lr, 20_000);
            let near = from.nearest(&from.x0);
            assert!((&d.x - &near).norm() / near.norm() < 1e-6);
            // And that is not the minimum-norm solution.
            assert!((&near - from.min_norm()).norm() > 0.1);
        }
    }

    #[test]
    fn adam_and_sign_descent_land_elsewhere() {
        // 5 equations, 20 unknowns, from zero. Both reach the solution set
        // (small residual) but not its minimum-norm point: their
        // per-coordinate steps leave the row space of A, and nothing pulls
        // the null-space part they pick up back (the gradient has none).
        // Measured: Adam rel. distance 0.68, sign descent 0.75.
        let p = Problem::new(5, 20, 0.0, 7);
        let mn = p.min_norm();
        for (method, lr) in [(Method::Adam, 0.01), (Method::Sign, 0.01)] {
            let d = run(&p, method, lr, 20_000);
            assert!(p.residual(&d.x) < 2e-3, "{method:?}: residual {}", p.residual(&d.x));
            let rel = (&d.x - &mn).norm() / mn.norm();
            assert!((0.5..0.9).contains(&rel), "{method:?}: {rel}");
            // Longer than the minimum-norm solution, as any other solution is.
            assert!(d.x.norm() > mn.norm() * 1.1);
        }
    }
}
