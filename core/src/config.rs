//! A whole run as one serde value: the format the CLI reads, the app
//! exports, and experiments build on. [`Problem`] is its checked form.

use serde::{Deserialize, Serialize};

use crate::data::{DataConfig, Dataset};
use crate::spec::{Activation, Init, MlpSpec, Parameterization};
use crate::train::TrainConfig;
use crate::{Error, Part};

/// The architecture without its input and output widths, which follow
/// from the dataset and the loss.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub hidden: Vec<usize>,
    #[serde(default)]
    pub activation: Activation,
    #[serde(default)]
    pub parameterization: Parameterization,
    #[serde(default)]
    pub init: Init,
}

/// The most steps one `gradlab` CLI run takes.
pub const MAX_RUN_STEPS: u32 = 1_000_000;

/// One training run: model, data, training and the seed behind all of
/// their randomness (data, initial weights, batch order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub model: ModelConfig,
    pub data: DataConfig,
    pub train: TrainConfig,
    #[serde(default)]
    pub seed: u64,
}

/// Which part of the data a loss is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Subset {
    Train,
    Test,
}

/// A checked [`RunConfig`] with its data drawn and targets encoded.
#[derive(Clone, Debug)]
pub struct Problem {
    pub config: RunConfig,
    pub spec: MlpSpec,
    pub dataset: Dataset,
    /// Training targets, `n_train × output_dim` row-major.
    pub train_targets: Vec<f32>,
    /// Test targets, `n_test × output_dim` row-major.
    pub test_targets: Vec<f32>,
}

impl Problem {
    /// # Errors
    /// The first thing in the config that is out of range, or a loss that
    /// does not fit the task.
    pub fn new(config: RunConfig) -> Result<Self, Error> {
        config.train.validate()?;
        let dataset = Dataset::generate(&config.data, config.seed)?;
        let (output_dim, train_targets) = dataset.targets(&dataset.train, config.train.loss)?;
        let (_, test_targets) = dataset.targets(&dataset.test, config.train.loss)?;
        let spec = MlpSpec {
            input_dim: dataset.input_dim,
            hidden: config.model.hidden.clone(),
            output_dim,
            activation: config.model.activation,
            parameterization: config.model.parameterization,
            init: config.model.init,
        };
        spec.validate()?;
        if config.train.frozen_layers > spec.hidden.len() {
            let layers = spec.hidden.len() + 1;
            let reason = format!("{} leaves nothing to train: the net has {layers} layers", config.train.frozen_layers);
            return Err(Error::invalid(Part::Training, "frozen_layers", reason));
        }
        Ok(Self { config, spec, dataset, train_targets, test_targets })
    }

    /// Inputs (`n × input_dim`) and encoded targets (`n × output_dim`) of
    /// a subset, row-major.
    #[must_use]
    pub fn subset(&self, subset: Subset) -> (&[f32], &[f32]) {
        match subset {
            Subset::Train => (&self.dataset.train.x, &self.train_targets),
            Subset::Test => (&self.dataset.test.x, &self.test_targets),
        }
    }

    /// The same problem with its training labels shuffled (a seeded
    /// permutation of the rows, so every class keeps its count) and its
    /// test set as it was: the random-labels experiment of Zhang et al.
    /// (2017). A net can still fit these labels, by memorizing them, and
    /// then predicts the true test labels at chance.
    #[must_use]
    pub fn shuffled_labels(&self) -> Self {
        let n = self.dataset.train.len();
        let k = self.train_targets.len() / n.max(1);
        let mut out = self.clone();
        for (i, j) in self.label_shuffle().into_iter().enumerate() {
            out.dataset.train.y[i] = self.dataset.train.y[j];
            out.train_targets[i * k..(i + 1) * k].copy_from_slice(&self.train_targets[j * k..(j + 1) * k]);
        }
        out
    }

    /// Where [`Self::shuffled_labels`] takes point `i`'s label from.
    fn label_shuffle(&self) -> Vec<usize> {
        let mut perm: Vec<usize> = (0..self.dataset.train.len()).collect();
        crate::rng::Rng::new(self.config.seed, crate::rng::Stream::Shuffle).shuffle(&mut perm);
        perm
    }

    /// The fraction of training points whose [`Self::shuffled_labels`]
    /// label is their own (about one in the number of classes): where a
    /// net that memorized the shuffled labels should test.
    #[must_use]
    pub fn shuffled_agreement(&self) -> f32 {
        let y = &self.dataset.train.y;
        let same = self.label_shuffle().into_iter().enumerate().filter(|&(i, j)| y[i] == y[j]).count();
        same as f32 / y.len().max(1) as f32
    }

    #[must_use]
    pub fn init_params(&self) -> Vec<f32> {
        self.spec.init_params(self.config.seed)
    }

    /// A CPU trainer on the training set, from the initial parameters.
    #[must_use]
    pub fn cpu_trainer(&self) -> crate::CpuTrainer {
        crate::CpuTrainer::new(
            self.spec.layout(),
            self.config.train.clone(),
            self.init_params(),
            self.dataset.train.x.clone(),
            self.train_targets.clone(),
            self.config.seed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_bad_keys_are_named() {
        let json = r#"{
            "model": {"hidden": [16], "activation": "tanh"},
            "data": {"kind": "moons", "n_train": 64, "n_test": 32},
            "train": {"loss": "bce", "optimizer": {"kind": "adam", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, "lr": 0.01},
            "seed": 4
        }"#;
        let c: RunConfig = serde_json::from_str(json).unwrap();
        let p = Problem::new(c).unwrap();
        assert_eq!((p.spec.input_dim, p.spec.output_dim), (2, 1));
        let err = serde_json::from_str::<RunConfig>(&json.replace("\"lr\"", "\"rate\"")).unwrap_err().to_string();
        assert!(err.contains("rate"), "{err}");
    }

    #[test]
    fn frozen_layers_are_checked() {
        let json = r#"{
            "model": {"hidden": [8]},
            "data": {"kind": "sine", "n_train": 16, "n_test": 0},
            "train": {"lr": 0.1, "frozen_layers": 1}
        }"#;
        let c: RunConfig = serde_json::from_str(json).unwrap();
        Problem::new(c.clone()).unwrap();
        let mut decayed = c.clone();
        decayed.train.weight_decay = 0.1;
        assert!(Problem::new(decayed).unwrap_err().to_string().contains("weight_decay"));
        let mut all = c;
        all.train.frozen_layers = 2;
        assert!(Problem::new(all).unwrap_err().to_string().contains("nothing to train"));
    }
}
