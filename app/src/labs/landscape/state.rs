//! The landscape lab's settings: the run (full batch), and the picture.

use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use gradlab_core::landscape::GRID_SIZES;

use crate::kit::controls::fmt_frac;
use crate::kit::query::{named, num, pick, LabView, Setting};
use crate::kit::{Checker, LabState};

/// Which of the lab's views to show (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    All,
    Contour,
    Slice,
    Sharpness,
    Connect,
}
named!(View { All = "all", Contour = "contour", Slice = "slice", Sharpness = "sharpness", Connect = "connect" });
impl LabView for View {
    const ALL: Self = Self::All;
}

/// The plane the contour view slices along: Li et al.'s two
/// filter-normalized random directions, or the top two principal
/// components of the trajectory so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneKind {
    Random,
    Pca,
}
named!(PlaneKind { Random = "random" / "random, filter-normalized", Pca = "pca" / "trajectory PCA" });

/// Full-batch gradient descent, plain or with heavy-ball momentum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Gd,
    Momentum,
}
named!(Method { Gd = "gd" / "gradient descent", Momentum = "momentum" / "heavy ball (β = 0.9)" });

/// Contours of log₁₀ loss, or of the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossScale {
    Log,
    Linear,
}
named!(LossScale { Log = "log" / "log₁₀ loss", Linear = "linear" / "loss" });

/// Momentum's β in the landscape lab.
pub const MOMENTUM: f32 = 0.9;

/// Everything a person sets in the landscape lab.
#[derive(Clone, Debug, PartialEq)]
pub struct LandscapeState {
    pub data: DatasetKind,
    pub n: usize,
    pub width: usize,
    pub depth: usize,
    pub act: Activation,
    pub param: Parameterization,
    pub loss: Loss,
    pub opt: Method,
    pub lr: f32,
    pub seed: u64,
    /// Grid points per side.
    pub grid: usize,
    /// Half-width of the random plane's square, in filter-normalized units.
    pub range: f32,
    pub scale: LossScale,
    pub plane: PlaneKind,
    pub view: View,
}

impl Default for LandscapeState {
    fn default() -> Self {
        // Sharpens from ~38 to the edge 2/η = 50 in ~1500 steps, then
        // hovers there (see landscape::hessian's edge-of-stability test).
        Self {
            data: DatasetKind::Sine,
            n: 128,
            width: 32,
            depth: 2,
            act: Activation::Tanh,
            param: Parameterization::Standard,
            loss: Loss::Mse,
            opt: Method::Gd,
            lr: 0.04,
            seed: 1,
            grid: 32,
            range: 1.0,
            scale: LossScale::Log,
            plane: PlaneKind::Random,
            view: View::All,
        }
    }
}

type S = LandscapeState;

pick!(DATA, data: DatasetKind, "dataset");
num!(N, n: usize, 16, 1024, "points", log 60);
num!(WIDTH, width: usize, 1, 512, "width", log 90);
num!(DEPTH, depth: usize, 1, 4, "depth", linear 3);
pick!(ACT, act: Activation, "activation");
pick!(PARAM, param: Parameterization, "parameterization");
pick!(LOSS, loss: Loss, "loss");
pick!(OPT, opt: Method, "optimizer");
num!(LR, lr: f32, 1e-3, 2.0, "learning rate", log 100);
num!(SEED, seed: u64, 0, 1_000_000, "seed", linear 0);
num!(GRID, grid: usize, GRID_SIZES.0, GRID_SIZES.1, "grid", linear 112, shown |v| format!("{0}×{0}", v.round()));
num!(RANGE, range: f32, 0.05, 5.0, "range", log 80, shown fmt_frac);
pick!(SCALE, scale: LossScale, "scale");
pick!(PLANE, plane: PlaneKind, "plane");
pick!(VIEW, view: View, "view");

static SETTINGS: [&dyn Setting<S>; 15] =
    [&DATA, &N, &WIDTH, &DEPTH, &ACT, &PARAM, &LOSS, &OPT, &LR, &SEED, &GRID, &RANGE, &SCALE, &PLANE, &VIEW];

impl LabState for LandscapeState {
    const LAB: &'static str = "landscape";

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }

    fn reconcile(&mut self, c: &mut Checker) {
        if !self.data.classifies() && self.loss != Loss::Mse {
            c.note(format!("{} is a regression task: using the mse loss.", self.data.name()));
            self.loss = Loss::Mse;
        }
    }
}

impl LandscapeState {
    /// Whether a change from `old` to `self` needs a new run (the other
    /// settings only change what is drawn; net B is trained only for the
    /// connectivity view).
    #[must_use]
    pub fn same_run(&self, old: &Self) -> bool {
        self.run_config() == old.run_config() && (old.view.shows(View::Connect) || !self.view.shows(View::Connect))
    }

    /// The learning rate past which gradient descent on a quadratic with
    /// curvature λ diverges, as a bound on λ: `2/η` for GD, `(2 + 2β)/η`
    /// for heavy-ball momentum.
    #[must_use]
    pub fn edge(&self) -> f64 {
        let beta = if self.opt == Method::Momentum { f64::from(MOMENTUM) } else { 0.0 };
        (2.0 + 2.0 * beta) / f64::from(self.lr)
    }

    /// How [`LandscapeState::edge`] is written.
    #[must_use]
    pub fn edge_label(&self) -> &'static str {
        match self.opt {
            Method::Momentum => "(2+2β)/η",
            Method::Gd => "2/η",
        }
    }

    /// Contours of log₁₀ loss.
    #[must_use]
    pub fn log(&self) -> bool {
        self.scale == LossScale::Log
    }

    /// The run: full batch, the data's standard noise, no weight decay.
    #[must_use]
    pub fn run_config(&self) -> RunConfig {
        RunConfig {
            model: ModelConfig { hidden: vec![self.width; self.depth], activation: self.act, parameterization: self.param, init: Init::He },
            data: DataConfig {
                kind: self.data,
                n_train: self.n,
                n_test: self.n,
                noise: 0.1,
                label_noise: 0.0,
                dim: 20,
                ..DataConfig::default()
            },
            train: TrainConfig::full_batch(
                self.loss,
                match self.opt {
                    Method::Momentum => Optimizer::Momentum { beta: MOMENTUM },
                    Method::Gd => Optimizer::Sgd,
                },
                self.lr,
            ),
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
    fn round_trips_and_clamps() {
        let s = LandscapeState {
            grid: 64,
            range: 0.5,
            scale: LossScale::Linear,
            plane: PlaneKind::Pca,
            view: View::Connect,
            opt: Method::Momentum,
            ..LandscapeState::default()
        };
        let (back, msgs) = LandscapeState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        gradlab_core::Problem::new(s.run_config()).unwrap();
        let (s, msgs) = LandscapeState::from_query("lab=landscape&grid=1000&lr=-1&plane=tilted&n=5");
        assert_eq!((s.grid, s.lr, s.plane, s.n), (GRID.hi, LR.lo, PlaneKind::Random, N.lo));
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!((LandscapeState::default().edge() - 50.0).abs() < 1e-4);
        let other = LandscapeState { grid: 16, view: View::Slice, ..LandscapeState::default() };
        assert!(other.same_run(&LandscapeState::default()));
        assert!(!LandscapeState { lr: 0.1, ..LandscapeState::default() }.same_run(&LandscapeState::default()));
        assert!(cli_config(&s.run_config(), 0).contains("\"steps\": 1000"));
    }

    url_properties!(landscape_urls, LandscapeState);
    url_fuzz!(landscape_fuzzed_urls, LandscapeState);
}
