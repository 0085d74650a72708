//! The NTK lab's settings: the widest net, its training, and the view.

use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use crate::kit::query::{named, num, pick, LabView, Setting};
use crate::kit::LabState;

/// The lab's pictures (the embed shows one): the Gram matrix and its
/// spectrum; kernel drift and weight movement against step for several
/// widths; the net's function beside the linearized (kernel) prediction;
/// residual components along the kernel's eigenvectors against theory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtkView {
    All,
    Kernel,
    Drift,
    Function,
    Bias,
}
named!(NtkView { All = "all", Kernel = "kernel", Drift = "drift", Function = "function", Bias = "bias" });
impl LabView for NtkView {
    const ALL: Self = Self::All;
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

num!(WIDTH, width: usize, 4, 2048, "width", log 90);
num!(DEPTH, depth: usize, 1, 3, "depth", linear 2);
pick!(PARAM, param: Parameterization, "parameterization");
pick!(ACT, act: Activation, "activation");
num!(LR, lr: f32, 1e-4, 10.0, "learning rate", log 100);
num!(N, n: usize, 4, 512, "points n", log 60);
num!(SEED, seed: u64, 0, 1_000_000, "seed", linear 0);
num!(STEPS, steps: u64, 10, 100_000, "steps", log 80);
pick!(VIEW, view: NtkView, "view");

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
            data: DataConfig {
                kind: DatasetKind::Sine,
                n_train: self.n,
                n_test: 0,
                noise: 0.1,
                label_noise: 0.0,
                dim: 1,
                ..DataConfig::default()
            },
            train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, self.lr),
            seed: self.seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::properties::{url_fuzz, url_properties};

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
    url_fuzz!(ntk_fuzzed_urls, NtkState);
}
