//! Every job a lab runs off the page's main thread, and what each sends
//! back (see [`crate::kit::worker`]): one list, since the worker reads them
//! all. Each lab's tasks live in its folder (`jobs.rs`).

use std::rc::Rc;

use gradlab_core::double_descent::trained::{StepSizes, Training};
use gradlab_core::double_descent::{InNoise, RfConfig, SweepLog};
use gradlab_core::engine::rate::{Rate, Workload};
use gradlab_core::engine::Backend;
use gradlab_core::gpu::Snapshot;
use gradlab_core::{wire, RunConfig};
use serde::{Deserialize, Serialize};

use super::double_descent::jobs as dd;
use super::ntk::jobs::{AtInit, AtInitTask, EigenvaluesTask};
use crate::kit::backend::RateTask;
use crate::kit::net_task::NetTask;
use crate::kit::probe::{Probe, Probed};
use crate::kit::remote::Setup;
use crate::kit::worker::Task;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// One net training on the CPU, its snapshots sent at the eye's rate
    /// ([`crate::kit::remote`]).
    Train { config: RunConfig, setup: Setup },
    /// Double descent: one exact curve over `seeds` seeds from `cfg.seed`,
    /// at the feature counts `xs` (model-wise) or, with `sample_p`, the
    /// training-set sizes `xs` at that many features.
    DdCurve { cfg: RfConfig, xs: Vec<usize>, seeds: usize, sample_p: Option<usize> },
    /// Double descent: a trained sweep's step sizes, one per group.
    DdStepSizes { cfg: RfConfig, widths: Vec<usize>, seeds: usize, training: Training },
    /// The NTK lab: the kernel of `config`'s net at initialization.
    NtkAtInit { config: RunConfig },
    /// The eigenvalues of a symmetric `n × n` matrix, largest first.
    Eigenvalues {
        #[serde(with = "wire::vec_f64")]
        matrix: Vec<f64>,
    },
    /// Double descent: a whole trained sweep, on the CPU.
    DdSweep { cfg: RfConfig, widths: Vec<usize>, seeds: usize, training: Training, steps: u64 },
    /// How fast the CPU does `work` ([`Rate`]: the backend choice, the
    /// bench page).
    Rate { work: Workload, ms: f64, deadline_ms: f64 },
}

/// What the page tells a running net ([`Job::Train`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    Play,
    Pause,
    /// This many steps, then paused.
    Steps(u64),
    /// Back to the initial parameters.
    Reset,
    /// Answer `probe` at the current parameters, as [`Update::Probed`].
    Probe {
        id: u32,
        probe: Probe,
    },
    /// The page no longer wants the answer to probe `id`.
    Forget(u32),
    /// Train on with this configuration from the next step (checked by
    /// the page: [`gradlab_core::TrainConfig::retuned`]).
    Retune(gradlab_core::TrainConfig),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Update {
    Snapshot(Snapshot),
    /// The parameters of the snapshot that follows.
    Params(#[serde(with = "wire::vec_f32")] Vec<f32>),
    Probed {
        id: u32,
        result: Result<Probed, String>,
    },
    /// The job could not start.
    Failed(String),
    /// The next point of seed `seed`'s curve.
    DdPoint {
        seed: usize,
        train: InNoise,
        test: InNoise,
    },
    DdStepSizes(Result<Vec<f32>, String>),
    NtkAtInit(Result<AtInit, String>),
    Eigenvalues(#[serde(with = "wire::vec_f64")] Vec<f64>),
    /// The rate ([`Job::Rate`]), or why the work cannot run.
    Rate(Result<f64, String>),
    /// The sweep so far, and why it stopped if it did.
    DdSweep {
        log: SweepLog,
        error: Option<String>,
    },
}

impl Job {
    /// The computation, ready to step.
    #[must_use]
    pub fn task(&self) -> Box<dyn Task> {
        match self.clone() {
            Self::Train { config, setup } => Box::new(NetTask::new(config, setup, crate::web::now)),
            Self::NtkAtInit { config } => Box::new(AtInitTask(Some(config))),
            Self::Eigenvalues { matrix } => Box::new(EigenvaluesTask(Some(matrix))),
            Self::DdCurve { cfg, xs, seeds, sample_p } => Box::new(dd::CurveTask::new(cfg, xs, seeds, sample_p)),
            Self::DdStepSizes { cfg, widths, seeds, training } => {
                Box::new(dd::StepSizesTask(StepSizes::new(&cfg, &widths, seeds, training)))
            }
            Self::DdSweep { cfg, widths, seeds, training, steps } => Box::new(dd::SweepTask::new(cfg, widths, seeds, training, steps)),
            Self::Rate { work, ms, deadline_ms } => {
                let cpu = Rc::new(Backend::Cpu { reason: "the worker".into() });
                Box::new(RateTask(Rate::new(&cpu, &work, ms, deadline_ms).map_err(|e| e.to_string())))
            }
        }
    }
}
