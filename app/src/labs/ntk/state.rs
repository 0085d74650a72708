//! The NTK lab's settings: the widest net, its training, and the view.

use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use crate::kit::query::Setting;
use crate::kit::{LabState, Named, Num, Pick};

/// The lab's pictures (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtkView {
    All,
    /// The Gram matrix and its spectrum.
    Kernel,
    /// Kernel drift and weight movement against step, for several widths.
    Drift,
    /// The net's function beside the linearized (kernel) prediction.
    Function,
    /// Residual components along the kernel's eigenvectors, against theory.
    Bias,
}

impl NtkView {
    #[must_use]
    pub fn shows(self, view: Self) -> bool {
        self == Self::All || self == view
    }
}

impl Named for NtkView {
    fn all() -> &'static [Self] {
        &[Self::All, Self::Kernel, Self::Drift, Self::Function, Self::Bias]
    }
    fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Kernel => "kernel",
            Self::Drift => "drift",
            Self::Function => "function",
            Self::Bias => "bias",
        }
    }
}

/// Everything a person sets in the NTK lab.
#[derive(Clone, Debug, PartialEq)]
pub struct NtkState {
    pub width: usize,
    pub depth: usize,
    pub param: Parameterization,
    pub act: Activation,
    pub lr: f32,
    /// Training points (1D regression).
    pub n: usize,
    pub seed: u64,
    /// Steps each net trains.
    pub steps: u64,
    pub view: NtkView,
}

impl Default for NtkState {
    fn default() -> Self {
        Self {
            width: 256,
            depth: 2,
            param: Parameterization::Ntk,
            act: Activation::Tanh,
            lr: 0.1,
            n: 32,
            seed: 1,
            steps: 1000,
            view: NtkView::All,
        }
    }
}

type S = NtkState;

pub static WIDTH: Num<S, usize> =
    Num { key: "width", label: "width", lo: 4, hi: 2048, steps: 90, log: true, get: |s| s.width, set: |s, v| s.width = v };
pub static DEPTH: Num<S, usize> =
    Num { key: "depth", label: "depth", lo: 1, hi: 3, steps: 2, log: false, get: |s| s.depth, set: |s, v| s.depth = v };
pub static PARAM: Pick<S, Parameterization> = Pick { key: "param", label: "parameterization", get: |s| s.param, set: |s, v| s.param = v };
pub static ACT: Pick<S, Activation> = Pick { key: "act", label: "activation", get: |s| s.act, set: |s, v| s.act = v };
pub static LR: Num<S, f32> =
    Num { key: "lr", label: "learning rate", lo: 1e-4, hi: 10.0, steps: 100, log: true, get: |s| s.lr, set: |s, v| s.lr = v };
pub static N: Num<S, usize> = Num { key: "n", label: "points n", lo: 4, hi: 512, steps: 60, log: true, get: |s| s.n, set: |s, v| s.n = v };
pub static SEED: Num<S, u64> =
    Num { key: "seed", label: "seed", lo: 0, hi: 1_000_000, steps: 0, log: false, get: |s| s.seed, set: |s, v| s.seed = v };
pub static STEPS: Num<S, u64> =
    Num { key: "steps", label: "steps", lo: 10, hi: 100_000, steps: 80, log: true, get: |s| s.steps, set: |s, v| s.steps = v };
pub static VIEW: Pick<S, NtkView> = Pick { key: "view", label: "view", get: |s| s.view, set: |s, v| s.view = v };

static SETTINGS: [&dyn Setting<S>; 9] = [&WIDTH, &DEPTH, &PARAM, &ACT, &LR, &N, &SEED, &STEPS, &VIEW];

impl LabState for NtkState {
    const LAB: &'static str = "ntk";

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }
}

impl NtkState {
    /// The widths trained side by side for the drift picture: the chosen
    /// one and up to three narrower by factors of 4 (at least 4 wide).
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = [64, 16, 4, 1].iter().map(|f| self.width / f).filter(|&w| w >= WIDTH.lo).collect();
        w.dedup();
        w
    }

    /// Whether `other` trains the same nets (only the view differs).
    #[must_use]
    pub fn same_run(&self, other: &Self) -> bool {
        Self { view: self.view, ..other.clone() } == *self
    }

    /// The run of width `width`: full-batch gradient descent on MSE, `n`
    /// noisy sine points (no test set).
    #[must_use]
    pub fn run_config(&self, width: usize) -> RunConfig {
        RunConfig {
            model: ModelConfig {
                hidden: vec![width; self.depth],
                activation: self.act,
                parameterization: self.param,
                init: Init::Normal { sigma: 1.0 },
            },
            data: DataConfig { kind: DatasetKind::Sine, n_train: self.n, n_test: 0, noise: 0.1, label_noise: 0.0, dim: 1 },
            train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, self.lr),
            seed: self.seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::properties::url_properties;

    #[test]
    fn round_trips_and_clamps() {
        let s = NtkState { width: 100, depth: 3, param: Parameterization::Standard, lr: 0.01, view: NtkView::Bias, ..NtkState::default() };
        let (back, msgs) = NtkState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = NtkState::from_query("lab=ntk&width=100000&depth=0&lr=nan&view=x&bogus=1");
        assert_eq!((s.width, s.depth, s.lr, s.view), (WIDTH.hi, DEPTH.lo, NtkState::default().lr, NtkView::All));
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert_eq!(NtkState { width: 512, ..s.clone() }.widths(), vec![8, 32, 128, 512]);
        assert_eq!(NtkState { width: 20, ..s.clone() }.widths(), vec![5, 20]);
        assert!(s.same_run(&NtkState { view: NtkView::Drift, ..s.clone() }));
    }

    url_properties!(ntk_urls, NtkState);
}
