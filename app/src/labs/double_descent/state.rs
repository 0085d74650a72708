//! The double-descent lab's settings: the random-features experiment, the
//! trained nets beside it, and the view.

use gradlab_core::double_descent::trained::Training;
use gradlab_core::double_descent::{feature_counts, Feature, RfConfig, Teacher};

use crate::kit::query::{named, num, pick, LabView, Setting};
use crate::kit::{Checker, LabState};

/// Which curves to show (the embed shows one); `Epoch` (test error
/// against training step) needs a trained sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DdView {
    All,
    Model,
    Sample,
    Epoch,
}
named!(DdView { All = "all", Model = "model", Sample = "sample", Epoch = "epoch" });
impl LabView for DdView {
    const ALL: Self = Self::All;
}

named!(Teacher { Linear = "linear", Nonlinear = "nonlinear" / "2·tanh(linear)" });
named!(Feature { Relu = "relu" / "ReLU", Tanh = "tanh" });

/// Trained nets beside the exact curve: none, or which layers train.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Train {
    Off,
    Readout,
    Full,
}
named!(Train { Off = "off", Readout = "readout" / "readout only", Full = "full" / "every layer" });

impl Train {
    /// What trains, if anything.
    #[must_use]
    pub fn training(self) -> Option<Training> {
        match self {
            Self::Off => None,
            Self::Readout => Some(Training::Readout),
            Self::Full => Some(Training::Full),
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
    /// Trained nets beside the exact curve.
    pub train: Train,
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
            train: Train::Off,
            steps: 2000,
            view: DdView::All,
        }
    }
}

/// The smallest ridge λ above 0 (the slider's first step).
pub const RIDGE_MIN: f64 = 1e-6;

type S = DdState;

num!(N, n: usize, 20, 300, "samples n", log 56);
num!(D, d: usize, 1, 100, "input dim d", log 40);
num!(NOISE, noise: f64, 0.0, 2.0, "label noise σ", linear 80);
// The ridge's slider is the lab's own: 0, then log steps (see `mod.rs`).
num!(RIDGE, ridge: f64, 0.0, 10.0, "ridge λ", linear 70);
pick!(TEACHER, teacher: Teacher, "teacher");
pick!(FEATURE, feature: Feature, "features");
num!(SEEDS, seeds: usize, 1, 10, "seeds", linear 9);
num!(SEED, seed: u64, 0, 1_000_000, "seed", linear 0);
num!(P, p: usize, 2, 600, "p (sample-wise)", log 80);
pick!(TRAIN, train: Train, "train");
num!(STEPS, steps: u64, 10, 20_000, "steps", log 60);
pick!(VIEW, view: DdView, "view");

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

    /// The feature counts (widths) of the model-wise curve, and of the
    /// trained sweep.
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        feature_counts(self.n, 10.0, super::run::POINTS)
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
    use crate::kit::properties::{url_fuzz, url_properties};

    #[test]
    fn round_trips_and_clamps() {
        let s = DdState {
            n: 150,
            ridge: 0.01,
            teacher: Teacher::Nonlinear,
            train: Train::Full,
            steps: 500,
            view: DdView::Epoch,
            ..DdState::default()
        };
        let (back, msgs) = DdState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = DdState::from_query("lab=dd&n=5000&noise=-1&ridge=1e-9&view=3d&train=all&steps=99999999");
        assert_eq!((s.n, s.noise, s.ridge, s.view, s.train, s.steps), (N.hi, 0.0, RIDGE_MIN, DdView::All, Train::Off, STEPS.hi));
        assert_eq!(msgs.len(), 6, "every change is named, the ridge's too: {msgs:?}");
        assert!(s.same_sweep(&DdState { ridge: 1.0, p: 7, ..s.clone() }));
        assert!(!s.same_sweep(&DdState { noise: 1.0, ..s.clone() }));
    }

    url_properties!(double_descent_urls, DdState);
    url_fuzz!(double_descent_fuzzed_urls, DdState);
}
