//! The implicit-bias lab's settings: the view, and each experiment's own
//! rows (least squares, separable classification, matrix completion).

use gradlab_core::implicit::lstsq::Method;

use crate::kit::query::{named, num, pick, LabView, Setting};
use crate::kit::LabState;

/// The lab's experiments (the embed shows one), or all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImplicitView {
    All,
    Lstsq,
    Margin,
    Matrix,
}
named!(ImplicitView {
    All = "all",
    Lstsq = "lstsq" / "least squares",
    Margin = "margin" / "separable classification",
    Matrix = "matrix" / "matrix completion",
});
impl LabView for ImplicitView {
    const ALL: Self = Self::All;
}

named!(Method: ALL; Gd / "gradient descent", Momentum / "heavy ball (β = 0.9)", Adam / "Adam", Sign / "sign descent");

/// Everything a person sets in the implicit-bias lab.
#[derive(Clone, Debug, PartialEq)]
pub struct ImplicitState {
    pub view: ImplicitView,
    pub seed: u64,
    // Least squares.
    /// Equations.
    pub m: usize,
    /// Unknowns.
    pub n: usize,
    /// `x₀`'s scale (0: from zero).
    pub init: f64,
    pub opt: Method,
    pub lr: f64,
    pub steps: u64,
    // Separable classification.
    pub points: usize,
    pub margin: f64,
    pub margin_lr: f64,
    pub margin_steps: u64,
    // Matrix completion.
    pub size: usize,
    pub rank: usize,
    /// Chance that each entry is drawn.
    pub observed: f64,
    pub depth: usize,
    /// The product's scale at initialization.
    pub alpha: f64,
    pub matrix_lr: f64,
    pub matrix_steps: u64,
}

impl Default for ImplicitState {
    fn default() -> Self {
        Self {
            view: ImplicitView::All,
            seed: 1,
            m: 1,
            n: 2,
            init: 0.0,
            opt: Method::Gd,
            lr: 0.1,
            steps: 5000,
            points: 40,
            margin: 0.05,
            margin_lr: 1.0,
            margin_steps: 1_000_000,
            size: 20,
            rank: 2,
            observed: 0.4,
            depth: 2,
            alpha: 1e-3,
            matrix_lr: 0.1,
            matrix_steps: 5000,
        }
    }
}

type S = ImplicitState;

pick!(VIEW, view: ImplicitView, "view");
num!(SEED, seed: u64, 0, 1_000_000, "seed", linear 0);
num!(M, m: usize, 1, 31, "equations m", linear 30);
num!(N, n: usize, 2, 64, "unknowns n", linear 62);
num!(INIT, init: f64, 0.0, 3.0, "start ‖x₀‖ scale", linear 30);
pick!(OPT, opt: Method, "optimizer");
num!(LR, lr: f64, 1e-3, 2.0, "learning rate", log 100);
num!(STEPS, steps: u64, 10, 100_000, "steps", log 80);
num!(POINTS, points: usize, 2, 200, "points", log 60);
num!(MARGIN, margin: f64, 0.01, 0.5, "margin", log 60);
num!(MARGIN_LR, margin_lr: f64, 1e-3, 10.0, "learning rate", log 100);
num!(MARGIN_STEPS, margin_steps: u64, 100, 10_000_000, "steps", log 50);
num!(SIZE, size: usize, 8, 64, "size n", log 60);
num!(RANK, rank: usize, 1, 5, "target rank r", linear 4);
num!(OBSERVED, observed: f64, 0.05, 0.95, "entries drawn", linear 90);
num!(DEPTH, depth: usize, 2, 4, "depth", linear 2);
num!(ALPHA, alpha: f64, 1e-4, 1.0, "initialization α", log 80);
num!(MATRIX_LR, matrix_lr: f64, 1e-3, 1.0, "learning rate", log 100);
num!(MATRIX_STEPS, matrix_steps: u64, 10, 100_000, "steps", log 80);

static SETTINGS: [&dyn Setting<S>; 19] = [
    &VIEW,
    &M,
    &N,
    &INIT,
    &OPT,
    &LR,
    &STEPS,
    &POINTS,
    &MARGIN,
    &MARGIN_LR,
    &MARGIN_STEPS,
    &SIZE,
    &RANK,
    &OBSERVED,
    &DEPTH,
    &ALPHA,
    &MATRIX_LR,
    &MATRIX_STEPS,
    &SEED,
];

impl LabState for ImplicitState {
    const LAB: &'static str = "implicit";

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }
}

impl ImplicitState {
    /// The equations used: `m`, or `n − 1` where `m` asks for as many as
    /// the unknowns or more (each row keeps its own range, so the URL
    /// keeps what was asked, and the page says what is used).
    #[must_use]
    pub fn equations(&self) -> usize {
        self.m.min(self.n - 1)
    }

    /// The least-squares part (a change here restarts only that run).
    #[must_use]
    pub fn lstsq_key(&self) -> (usize, usize, u64, u64, u64, Method, u64) {
        (self.m, self.n, self.init.to_bits(), self.lr.to_bits(), self.steps, self.opt, self.seed)
    }

    #[must_use]
    pub fn margin_key(&self) -> (usize, u64, u64, u64, u64) {
        (self.points, self.margin.to_bits(), self.margin_lr.to_bits(), self.margin_steps, self.seed)
    }

    #[must_use]
    pub fn matrix_key(&self) -> (usize, usize, u64, usize, u64, u64, u64, u64) {
        (
            self.size,
            self.rank,
            self.observed.to_bits(),
            self.depth,
            self.alpha.to_bits(),
            self.matrix_lr.to_bits(),
            self.matrix_steps,
            self.seed,
        )
    }

    /// The initialization scales trained side by side: the chosen `α`,
    /// `√α` and 1 (one where `α` is 1).
    #[must_use]
    pub fn alphas(&self) -> Vec<f64> {
        let mut a = vec![self.alpha, self.alpha.sqrt(), 1.0];
        a.dedup_by(|x, y| (*x / *y - 1.0).abs() < 1e-9);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::properties::{url_fuzz, url_properties};

    #[test]
    fn round_trips_and_poses_underdetermined_problems() {
        let s = ImplicitState { view: ImplicitView::Matrix, m: 3, n: 9, opt: Method::Adam, alpha: 0.01, ..ImplicitState::default() };
        let (back, msgs) = ImplicitState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = ImplicitState::from_query("lab=implicit&m=9&n=4&size=6&opt=newton&view=x");
        assert_eq!((s.m, s.equations(), s.n, s.size, s.opt, s.view), (9, 3, 4, 8, Method::Gd, ImplicitView::All));
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert_eq!(ImplicitState::default().alphas().len(), 3);
        assert_eq!(ImplicitState { alpha: 1.0, ..s }.alphas(), vec![1.0]);
    }

    url_properties!(implicit_urls, ImplicitState);
    url_fuzz!(implicit_urls_fuzzed, ImplicitState);
}
