//! The double-descent lab's settings: the random-features experiment, the
//! trained nets beside it, and the view.

use gradlab_core::double_descent::trained::Training;
use gradlab_core::double_descent::{Feature, RfConfig, Teacher};

use crate::kit::query::Setting;
use crate::kit::{Checker, LabState, Named, Num, Pick};

/// Which curves to show (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DdView {
    All,
    Model,
    Sample,
    /// Test error against training step (needs a trained sweep).
    Epoch,
}

impl DdView {
    #[must_use]
    pub fn shows(self, view: Self) -> bool {
        self == Self::All || self == view
    }
}

impl Named for DdView {
    fn all() -> &'static [Self] {
        &[Self::All, Self::Model, Self::Sample, Self::Epoch]
    }
    fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Model => "model",
            Self::Sample => "sample",
            Self::Epoch => "epoch",
        }
    }
}

impl Named for Teacher {
    fn all() -> &'static [Self] {
        &[Self::Linear, Self::Nonlinear]
    }
    fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Nonlinear => "nonlinear",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Nonlinear => "2·tanh(linear)",
        }
    }
}

impl Named for Feature {
    fn all() -> &'static [Self] {
        &[Self::Relu, Self::Tanh]
    }
    fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Tanh => "tanh",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Self::Relu => "ReLU",
            Self::Tanh => "tanh",
        }
    }
}

/// Trained nets beside the exact curve: off, readout only, every layer.
impl Named for Option<Training> {
    fn all() -> &'static [Self] {
        &[None, Some(Training::Readout), Some(Training::Full)]
    }
    fn name(self) -> &'static str {
        match self {
            None => "off",
            Some(Training::Readout) => "readout",
            Some(Training::Full) => "full",
        }
    }
    fn text(self) -> &'static str {
        match self {
            None => "off",
            Some(Training::Readout) => "readout only",
            Some(Training::Full) => "every layer",
        }
    }
}

/// Everything a person sets in the double-descent lab.
#[derive(Clone, Debug, PartialEq)]
pub struct DdState {
    /// Training points (model-wise curve).
    pub n: usize,
    pub d: usize,
    pub noise: f64,
    /// 0 (minimum norm) or at least [`RIDGE_MIN`].
    pub ridge: f64,
    pub teacher: Teacher,
    pub feature: Feature,
    pub seeds: usize,
    pub seed: u64,
    /// Features of the sample-wise curve.
    pub p: usize,
    /// Trained nets beside the exact curve (`None`: off).
    pub train: Option<Training>,
    /// Steps each trained net takes.
    pub steps: u64,
    pub view: DdView,
}

impl Default for DdState {
    fn default() -> Self {
        Self {
            n: 100,
            d: 20,
            noise: 0.5,
            ridge: 0.0,
            teacher: Teacher::Linear,
            feature: Feature::Relu,
            seeds: 5,
            seed: 1,
            p: 100,
            train: None,
            steps: 2000,
            view: DdView::All,
        }
    }
}

/// The smallest ridge λ above 0 (the slider's first step).
pub const RIDGE_MIN: f64 = 1e-6;

type S = DdState;

pub static N: Num<S, usize> =
    Num { key: "n", label: "samples n", lo: 20, hi: 300, steps: 56, log: true, get: |s| s.n, set: |s, v| s.n = v };
pub static D: Num<S, usize> =
    Num { key: "d", label: "input dim d", lo: 1, hi: 100, steps: 40, log: true, get: |s| s.d, set: |s, v| s.d = v };
pub static NOISE: Num<S, f64> =
    Num { key: "noise", label: "label noise σ", lo: 0.0, hi: 2.0, steps: 80, log: false, get: |s| s.noise, set: |s, v| s.noise = v };
pub static RIDGE: Num<S, f64> =
    Num { key: "ridge", label: "ridge λ", lo: 0.0, hi: 10.0, steps: 70, log: false, get: |s| s.ridge, set: |s, v| s.ridge = v };
pub static TEACHER: Pick<S, Teacher> = Pick { key: "teacher", label: "teacher", get: |s| s.teacher, set: |s, v| s.teacher = v };
pub static FEATURE: Pick<S, Feature> = Pick { key: "feature", label: "features", get: |s| s.feature, set: |s, v| s.feature = v };
pub static SEEDS: Num<S, usize> =
    Num { key: "seeds", label: "seeds", lo: 1, hi: 10, steps: 9, log: false, get: |s| s.seeds, set: |s, v| s.seeds = v };
pub static SEED: Num<S, u64> =
    Num { key: "seed", label: "seed", lo: 0, hi: 1_000_000, steps: 0, log: false, get: |s| s.seed, set: |s, v| s.seed = v };
pub static P: Num<S, usize> =
    Num { key: "p", label: "p (sample-wise)", lo: 2, hi: 600, steps: 80, log: true, get: |s| s.p, set: |s, v| s.p = v };
pub static TRAIN: Pick<S, Option<Training>> = Pick { key: "train", label: "train", get: |s| s.train, set: |s, v| s.train = v };
pub static STEPS: Num<S, u64> =
    Num { key: "steps", label: "steps", lo: 10, hi: 20_000, steps: 60, log: true, get: |s| s.steps, set: |s, v| s.steps = v };
pub static VIEW: Pick<S, DdView> = Pick { key: "view", label: "view", get: |s| s.view, set: |s, v| s.view = v };

static SETTINGS: [&dyn Setting<S>; 12] = [&N, &D, &NOISE, &RIDGE, &TEACHER, &FEATURE, &SEEDS, &SEED, &P, &TRAIN, &STEPS, &VIEW];

impl LabState for DdState {
    const LAB: &'static str = "dd";

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }

    fn reconcile(&mut self, c: &mut Checker) {
        if self.ridge > 0.0 && self.ridge < RIDGE_MIN {
            c.note(format!("ridge={} is below the smallest ridge {RIDGE_MIN:e}; using {RIDGE_MIN:e} (or 0 for none).", self.ridge));
            self.ridge = RIDGE_MIN;
        }
    }
}

impl DdState {
    /// True if `other` computes the same exact curves (only σ, which
    /// enters as a quadratic, or the view differ).
    #[must_use]
    pub fn same_curves(&self, other: &Self) -> bool {
        Self { noise: self.noise, view: self.view, ..other.clone() } == *self
    }

    /// True if `other` trains the same sweep (only the exact curve's ridge,
    /// the sample-wise p or the view differ).
    #[must_use]
    pub fn same_sweep(&self, other: &Self) -> bool {
        Self { ridge: self.ridge, p: self.p, view: self.view, ..other.clone() } == *self
    }

    /// The experiment (σ is applied when drawing: curves are quadratic in it).
    #[must_use]
    pub fn config(&self) -> RfConfig {
        RfConfig {
            n: self.n,
            n_test: 500,
            d: self.d,
            noise: self.noise,
            ridge: self.ridge,
            teacher: self.teacher,
            feature: self.feature,
            seed: self.seed,
        }
    }

    /// The width at which a two-layer net's parameters `p(d + 2) + 1` number n.
    #[must_use]
    pub fn params_threshold(&self) -> f64 {
        ((self.n as f64 - 1.0) / (self.d as f64 + 2.0)).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::properties::url_properties;

    #[test]
    fn round_trips_and_clamps() {
        let s = DdState {
            n: 150,
            ridge: 0.01,
            teacher: Teacher::Nonlinear,
            train: Some(Training::Full),
            steps: 500,
            view: DdView::Epoch,
            ..DdState::default()
        };
        let (back, msgs) = DdState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = DdState::from_query("lab=dd&n=5000&noise=-1&ridge=1e-9&view=3d&train=all&steps=99999999");
        assert_eq!((s.n, s.noise, s.ridge, s.view, s.train, s.steps), (N.hi, 0.0, RIDGE_MIN, DdView::All, None, STEPS.hi));
        assert_eq!(msgs.len(), 6, "every change is named, the ridge's too: {msgs:?}");
        assert!(s.same_sweep(&DdState { ridge: 1.0, p: 7, ..s.clone() }));
        assert!(!s.same_sweep(&DdState { noise: 1.0, ..s.clone() }));
    }

    url_properties!(double_descent_urls, DdState);
}
