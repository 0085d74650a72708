//! The landscape lab's settings: the run (full batch), and the picture.

use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use crate::kit::query::Setting;
use crate::kit::{Checker, LabState, Named, Num, Pick};

/// Which of the lab's views to show (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    All,
    Contour,
    Slice,
    Sharpness,
    Connect,
}

impl View {
    /// Whether `self` (the page's choice) shows `view`.
    #[must_use]
    pub fn shows(self, view: Self) -> bool {
        self == Self::All || self == view
    }
}

impl Named for View {
    fn all() -> &'static [Self] {
        &[Self::All, Self::Contour, Self::Slice, Self::Sharpness, Self::Connect]
    }
    fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Contour => "contour",
            Self::Slice => "slice",
            Self::Sharpness => "sharpness",
            Self::Connect => "connect",
        }
    }
}

/// The plane the contour view slices along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneKind {
    /// Li et al.'s two filter-normalized random directions.
    Random,
    /// The top two principal components of the trajectory so far.
    Pca,
}

impl Named for PlaneKind {
    fn all() -> &'static [Self] {
        &[Self::Random, Self::Pca]
    }
    fn name(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Pca => "pca",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Self::Random => "random, filter-normalized",
            Self::Pca => "trajectory PCA",
        }
    }
}

/// Full-batch gradient descent, plain or with heavy-ball momentum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Gd,
    Momentum,
}

impl Named for Method {
    fn all() -> &'static [Self] {
        &[Self::Gd, Self::Momentum]
    }
    fn name(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Momentum => "momentum",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Self::Gd => "gradient descent",
            Self::Momentum => "heavy ball (β = 0.9)",
        }
    }
}

/// Contours of log₁₀ loss, or of the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossScale {
    Log,
    Linear,
}

impl Named for LossScale {
    fn all() -> &'static [Self] {
        &[Self::Log, Self::Linear]
    }
    fn name(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Linear => "linear",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Self::Log => "log₁₀ loss",
            Self::Linear => "loss",
        }
    }
}

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

pub static DATA: Pick<S, DatasetKind> = Pick { key: "data", label: "dataset", get: |s| s.data, set: |s, v| s.data = v };
pub static N: Num<S, usize> = Num { key: "n", label: "points", lo: 16, hi: 1024, steps: 60, log: true, get: |s| s.n, set: |s, v| s.n = v };
pub static WIDTH: Num<S, usize> =
    Num { key: "width", label: "width", lo: 1, hi: 512, steps: 90, log: true, get: |s| s.width, set: |s, v| s.width = v };
pub static DEPTH: Num<S, usize> =
    Num { key: "depth", label: "depth", lo: 1, hi: 4, steps: 3, log: false, get: |s| s.depth, set: |s, v| s.depth = v };
pub static ACT: Pick<S, Activation> = Pick { key: "act", label: "activation", get: |s| s.act, set: |s, v| s.act = v };
pub static PARAM: Pick<S, Parameterization> = Pick { key: "param", label: "parameterization", get: |s| s.param, set: |s, v| s.param = v };
pub static LOSS: Pick<S, Loss> = Pick { key: "loss", label: "loss", get: |s| s.loss, set: |s, v| s.loss = v };
pub static OPT: Pick<S, Method> = Pick { key: "opt", label: "optimizer", get: |s| s.opt, set: |s, v| s.opt = v };
pub static LR: Num<S, f32> =
    Num { key: "lr", label: "learning rate", lo: 1e-3, hi: 2.0, steps: 100, log: true, get: |s| s.lr, set: |s, v| s.lr = v };
pub static SEED: Num<S, u64> =
    Num { key: "seed", label: "seed", lo: 0, hi: 1_000_000, steps: 0, log: false, get: |s| s.seed, set: |s, v| s.seed = v };
pub static GRID: Num<S, usize> = Num {
    key: "grid",
    label: "grid",
    lo: gradlab_core::landscape::GRID_SIZES.0,
    hi: gradlab_core::landscape::GRID_SIZES.1,
    steps: 112,
    log: false,
    get: |s| s.grid,
    set: |s, v| s.grid = v,
};
pub static RANGE: Num<S, f32> =
    Num { key: "range", label: "range", lo: 0.05, hi: 5.0, steps: 80, log: true, get: |s| s.range, set: |s, v| s.range = v };
pub static SCALE: Pick<S, LossScale> = Pick { key: "scale", label: "scale", get: |s| s.scale, set: |s, v| s.scale = v };
pub static PLANE: Pick<S, PlaneKind> = Pick { key: "plane", label: "plane", get: |s| s.plane, set: |s, v| s.plane = v };
pub static VIEW: Pick<S, View> = Pick { key: "view", label: "view", get: |s| s.view, set: |s, v| s.view = v };

static SETTINGS: [&dyn Setting<S>; 15] =
    [&DATA, &N, &WIDTH, &DEPTH, &ACT, &PARAM, &LOSS, &OPT, &LR, &SEED, &GRID, &RANGE, &SCALE, &PLANE, &VIEW];

impl LabState for LandscapeState {
    const LAB: &'static str = "landscape";

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }

    fn reconcile(&mut self, c: &mut Checker) {
        if self.data.classes().is_none() && self.loss != Loss::Mse {
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
            data: DataConfig { kind: self.data, n_train: self.n, n_test: self.n, noise: 0.1, label_noise: 0.0, dim: 20 },
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
    use crate::kit::cli_config;
    use crate::kit::properties::url_properties;

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
}
