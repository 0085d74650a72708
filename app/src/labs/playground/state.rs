//! The playground's settings: one row per URL key (range, slider, parser),
//! and the run they describe.

use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};

use crate::kit::query::Setting;
use crate::kit::{Checker, LabState, Named, Num, Pick};

/// Everything a person sets in the playground.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaygroundState {
    pub data: DatasetKind,
    /// Training points; the test set has as many.
    pub n: usize,
    pub noise: f32,
    pub label_noise: f32,
    pub width: usize,
    pub depth: usize,
    pub act: Activation,
    pub param: Parameterization,
    pub loss: Loss,
    pub opt: Optimizer,
    pub lr: f32,
    /// 0 is full batch; else a power of two.
    pub batch: usize,
    pub seed: u64,
}

impl Default for PlaygroundState {
    fn default() -> Self {
        Self {
            data: DatasetKind::Spiral,
            n: 256,
            noise: 0.05,
            label_noise: 0.0,
            width: 32,
            depth: 2,
            act: Activation::Relu,
            param: Parameterization::Standard,
            loss: Loss::Bce,
            opt: Optimizer::with_defaults("adam").unwrap_or_default(),
            lr: 0.01,
            batch: 0,
            seed: 1,
        }
    }
}

type S = PlaygroundState;

pub static DATA: Pick<S, DatasetKind> = Pick { key: "data", label: "dataset", get: |s| s.data, set: |s, v| s.data = v };
pub static N: Num<S, usize> = Num { key: "n", label: "points", lo: 10, hi: 5000, steps: 100, log: true, get: |s| s.n, set: |s, v| s.n = v };
pub static NOISE: Num<S, f32> =
    Num { key: "noise", label: "input noise", lo: 0.0, hi: 0.5, steps: 50, log: false, get: |s| s.noise, set: |s, v| s.noise = v };
pub static LABEL_NOISE: Num<S, f32> = Num {
    key: "label_noise",
    label: "label noise",
    lo: 0.0,
    hi: 0.5,
    steps: 50,
    log: false,
    get: |s| s.label_noise,
    set: |s, v| s.label_noise = v,
};
pub static WIDTH: Num<S, usize> =
    Num { key: "width", label: "width", lo: 1, hi: 1024, steps: 100, log: true, get: |s| s.width, set: |s, v| s.width = v };
pub static DEPTH: Num<S, usize> =
    Num { key: "depth", label: "depth", lo: 1, hi: 6, steps: 5, log: false, get: |s| s.depth, set: |s, v| s.depth = v };
pub static ACT: Pick<S, Activation> = Pick { key: "act", label: "activation", get: |s| s.act, set: |s, v| s.act = v };
pub static PARAM: Pick<S, Parameterization> = Pick { key: "param", label: "parameterization", get: |s| s.param, set: |s, v| s.param = v };
pub static LOSS: Pick<S, Loss> = Pick { key: "loss", label: "loss", get: |s| s.loss, set: |s, v| s.loss = v };
pub static OPT: Pick<S, Optimizer> = Pick { key: "opt", label: "optimizer", get: |s| s.opt, set: |s, v| s.opt = v };
pub static LR: Num<S, f32> =
    Num { key: "lr", label: "learning rate", lo: 1e-4, hi: 10.0, steps: 100, log: true, get: |s| s.lr, set: |s, v| s.lr = v };
/// Mini-batch sizes: 0 (full batch) or a power of two up to the maximum.
pub static BATCH: Num<S, usize> =
    Num { key: "batch", label: "batch size", lo: 0, hi: 1024, steps: 11, log: false, get: |s| s.batch, set: |s, v| s.batch = v };
pub static SEED: Num<S, u64> =
    Num { key: "seed", label: "seed", lo: 0, hi: 1_000_000, steps: 0, log: false, get: |s| s.seed, set: |s, v| s.seed = v };

impl Named for Optimizer {
    fn all() -> &'static [Self] {
        &Self::DEFAULTS
    }
    fn name(self) -> &'static str {
        Optimizer::name(self)
    }
    fn text(self) -> &'static str {
        match self {
            Self::NormalizedGd { .. } => "normalized GD",
            Self::RmsProp { .. } => "RMSProp",
            Self::Sgd => "SGD",
            Self::Adam { .. } => "Adam",
            other => other.name(),
        }
    }
}

static SETTINGS: [&dyn Setting<S>; 13] = [&DATA, &N, &NOISE, &LABEL_NOISE, &WIDTH, &DEPTH, &ACT, &PARAM, &LOSS, &OPT, &LR, &BATCH, &SEED];

impl LabState for PlaygroundState {
    const LAB: &'static str = "playground";
    const NAMED: bool = false;

    fn settings() -> &'static [&'static dyn Setting<Self>] {
        &SETTINGS
    }

    fn reconcile(&mut self, c: &mut Checker) {
        if self.data.classes().is_none() && self.loss != Loss::Mse {
            if c.given("loss") {
                c.note(format!("{} is a regression task: using the mse loss.", self.data.name()));
            }
            self.loss = Loss::Mse;
        }
        if self.batch != 0 && !self.batch.is_power_of_two() {
            let p = self.batch.next_power_of_two().min(BATCH.hi);
            c.note(format!("batch={} is not a power of two; using {p}.", self.batch));
            self.batch = p;
        }
    }
}

impl PlaygroundState {
    /// The run these settings describe (the same JSON the CLI reads).
    #[must_use]
    pub fn run_config(&self) -> RunConfig {
        RunConfig {
            model: ModelConfig { hidden: vec![self.width; self.depth], activation: self.act, parameterization: self.param, init: Init::He },
            data: DataConfig {
                kind: self.data,
                n_train: self.n,
                n_test: self.n,
                noise: self.noise,
                label_noise: self.label_noise,
                dim: 20,
            },
            train: TrainConfig {
                batch_size: (self.batch > 0).then_some(self.batch),
                ..TrainConfig::full_batch(self.loss, self.opt, self.lr)
            },
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
    fn defaults_round_trip_and_every_default_is_a_valid_run() {
        let s = PlaygroundState::default();
        let (back, msgs) = PlaygroundState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        gradlab_core::Problem::new(s.run_config()).unwrap();
    }

    #[test]
    fn every_choice_round_trips() {
        for data in DatasetKind::ALL {
            for act in Activation::ALL {
                for opt in Optimizer::DEFAULTS {
                    let s = PlaygroundState {
                        data,
                        act,
                        opt,
                        loss: if data.classes().is_some() { Loss::Softmax } else { Loss::Mse },
                        lr: 0.0316,
                        batch: 64,
                        ..PlaygroundState::default()
                    };
                    let (back, msgs) = PlaygroundState::from_query(&format!("?{}", s.to_query()));
                    assert_eq!(back, s);
                    assert!(msgs.is_empty());
                    gradlab_core::Problem::new(s.run_config()).unwrap();
                }
            }
        }
    }

    #[test]
    fn out_of_range_values_are_clamped_with_messages() {
        let (s, msgs) = PlaygroundState::from_query("width=99999&lr=banana&data=nope&batch=100&colour=red");
        assert_eq!(s.width, WIDTH.hi);
        assert_eq!(s.lr, PlaygroundState::default().lr);
        assert_eq!(s.data, DatasetKind::Spiral);
        assert_eq!(s.batch, 128);
        assert_eq!(msgs.len(), 4, "{msgs:?}");
    }

    #[test]
    fn negative_and_fractional_counts_are_explained() {
        let (s, msgs) = PlaygroundState::from_query("depth=-3&width=2.5&seed=-1");
        assert_eq!((s.depth, s.width, s.seed), (DEPTH.lo, PlaygroundState::default().width, 0));
        assert!(msgs.iter().any(|m| m.contains("depth=-3 is below the minimum 1")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("width=2.5 is not a whole number")), "{msgs:?}");
        assert_eq!(msgs.len(), 3, "{msgs:?}");
    }

    #[test]
    fn nan_and_infinite_floats_are_refused() {
        let (s, msgs) = PlaygroundState::from_query("lr=NaN&noise=inf");
        assert_eq!(s.lr, PlaygroundState::default().lr);
        assert_eq!(s.noise, NOISE.hi);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
    }

    /// Regression: a repeated key threw away every setting of the URL, and
    /// counts past 2³² (wasm's usize) were "not a whole number".
    #[test]
    fn repeated_keys_and_huge_counts_are_read() {
        let (s, msgs) = PlaygroundState::from_query("width=8&width=16&depth=4294967296&data=moons");
        assert_eq!((s.width, s.depth, s.data), (16, DEPTH.hi, DatasetKind::Moons));
        assert!(msgs.iter().any(|m| m.contains("width is given 2 times")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("depth=4294967296 is above the maximum 6")), "{msgs:?}");
        assert_eq!(msgs.len(), 2, "{msgs:?}");
    }

    #[test]
    fn messages_quote_a_short_prefix_of_long_values() {
        let long = "x".repeat(10_000);
        let (_, msgs) = PlaygroundState::from_query(&format!("lr={long}&data={long}"));
        assert_eq!(msgs.len(), 2);
        assert!(msgs.iter().all(|m| m.chars().count() < 200), "{msgs:?}");
    }

    #[test]
    fn exported_configs_read_back_as_the_same_run() {
        let s = PlaygroundState { batch: 32, opt: Optimizer::Momentum { beta: 0.9 }, ..PlaygroundState::default() };
        let text = cli_config(&s.run_config(), 500);
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let map = value.as_object_mut().unwrap();
        assert_eq!(map.remove("steps"), Some(500.into()));
        assert_eq!(map.remove("backend"), Some("cpu".into()));
        let back: RunConfig = serde_json::from_value(value).unwrap();
        assert_eq!(back, s.run_config());
        assert!(cli_config(&s.run_config(), 0).contains("\"steps\": 1000"));
        assert!(cli_config(&s.run_config(), 1 << 40).contains("\"steps\": 1000000"));
    }

    #[test]
    fn regression_forces_mse() {
        let (s, msgs) = PlaygroundState::from_query("data=sine&loss=bce");
        assert_eq!(s.loss, Loss::Mse);
        assert_eq!(msgs.len(), 1);
        let (s, msgs) = PlaygroundState::from_query("data=sine");
        assert_eq!(s.loss, Loss::Mse);
        assert!(msgs.is_empty());
    }

    url_properties!(playground_urls, PlaygroundState);
}
