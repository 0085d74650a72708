//! Owner of `shaders/loss.wgsl`: the loss at the output layer (its
//! gradient for training, its value and the predictions for evaluation,
//! and one loss per model for batched landscape probes). CPU twin:
//! [`crate::cpu::loss`]. Also what an evaluation brings back: a
//! [`Snapshot`] of losses and predictions, read without blocking.

use super::gpu_data::StepArgs;
use super::kernels::{Compiler, Lazy};
use super::plan::{EvalPlan, EvalSet, FIRST_STEP_SLOT};
use super::{GpuTrainer, PendingRead};
use crate::train::{Loss, TrainConfig};
use crate::Error;

/// The pipelines of `loss.wgsl`.
#[derive(Clone, Debug)]
pub struct Pipelines {
    pub output_delta: Lazy,
    pub evaluate: Lazy,
    pub model_loss: Lazy,
}

impl Pipelines {
    pub(super) fn new(c: &Compiler<'_>) -> Self {
        Self { output_delta: c.pipeline("output_delta"), evaluate: c.pipeline("evaluate"), model_loss: c.pipeline("model_loss") }
    }
}

/// Turns summed losses into means.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Norm {
    /// Outputs per sample that MSE averages over (1 for cross-entropy).
    per_sample: usize,
    batch: usize,
}

impl Norm {
    /// The means of `config`'s loss over `outputs` per sample, batches of
    /// `batch` rows.
    pub(crate) fn of(config: &TrainConfig, outputs: usize, batch: usize) -> Self {
        Self { per_sample: if config.loss == Loss::Mse { outputs } else { 1 }, batch }
    }

    pub(crate) fn mean(self, sum: f32, rows: usize) -> f32 {
        (f64::from(sum) / (rows * self.per_sample).max(1) as f64) as f32
    }
}

/// What a [`GpuTrainer::read_snapshot`] brings back (or the CPU computes;
/// it crosses from a worker as JSON, NaN and all: [`crate::wire`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Steps done when the snapshot was taken.
    pub step: u64,
    /// Mean batch loss of each step of the last training submit.
    #[serde(with = "crate::wire::vec_f32")]
    pub batch_losses: Vec<f32>,
    /// Mean loss on the whole training set, at `step`.
    #[serde(with = "crate::wire::f32")]
    pub train_loss: f32,
    /// Mean loss on the test set (`None` without one).
    #[serde(with = "crate::wire::option_f32")]
    pub test_loss: Option<f32>,
    /// Fraction of the training set classified right (`None` for
    /// regression): [`Loss::accuracy`].
    #[serde(with = "crate::wire::option_f32")]
    pub train_accuracy: Option<f32>,
    /// Fraction of the test set classified right (`None` for regression or
    /// without a test set).
    #[serde(with = "crate::wire::option_f32")]
    pub test_accuracy: Option<f32>,
    /// Outputs on the grid, `grid rows × output_dim`.
    #[serde(with = "crate::wire::vec_f32")]
    pub grid: Vec<f32>,
    /// The same net trained beside this one on shuffled labels
    /// ([`crate::Problem::shuffled_labels`]), if asked: its losses and
    /// accuracies (its grid left empty).
    pub beside: Option<Box<Snapshot>>,
}

impl Snapshot {
    /// True if any loss went non-finite.
    #[must_use]
    pub fn diverged(&self) -> bool {
        !self.train_loss.is_finite() || self.test_loss.is_some_and(|l| !l.is_finite()) || self.batch_losses.iter().any(|l| !l.is_finite())
    }
}

/// A snapshot on its way back from the GPU.
#[derive(Debug)]
pub struct PendingSnapshot {
    read: PendingRead,
    /// Models in the read, and floats between their metrics blocks.
    models: usize,
    block: usize,
    step: u64,
    batch_steps: u32,
    norm: Norm,
    sets: [EvalPlan; 3],
    out: usize,
    loss: Loss,
    /// Each dataset's training and test targets, for a classifier.
    targets: Option<std::sync::Arc<[[Vec<f32>; 2]]>>,
}

impl PendingSnapshot {
    /// The (first model's) snapshot, once it has arrived.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Snapshot, Error>> {
        self.read.try_take().map(|r| r.map(|raw| self.parse(&raw, 0)))
    }

    /// Blocks until the (first model's) snapshot is there (native only).
    ///
    /// # Errors
    /// [`Error::Device`] if the readback fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Snapshot, Error> {
        let raw = self.read.wait(device)?;
        Ok(self.parse(&raw, 0))
    }

    /// Every model's snapshot, once they have arrived.
    #[must_use]
    pub fn try_take_all(&self) -> Option<Result<Vec<Snapshot>, Error>> {
        self.read.try_take().map(|r| r.map(|raw| self.parse_all(&raw)))
    }

    /// Blocks until every model's snapshot is there (native only).
    ///
    /// # Errors
    /// [`Error::Device`] if the readback fails.
    pub fn wait_all(&self, device: &wgpu::Device) -> Result<Vec<Snapshot>, Error> {
        let raw = self.read.wait(device)?;
        Ok(self.parse_all(&raw))
    }

    /// The first model's snapshot with the second's beside it, once they
    /// have arrived (a run with a net on shuffled labels).
    #[must_use]
    pub fn try_take_with_beside(&self) -> Option<Result<Snapshot, Error>> {
        self.try_take_all().map(|r| {
            r.map(|mut all| {
                let mut first = all.remove(0);
                first.beside = all.into_iter().next().map(|b| Box::new(Snapshot { grid: Vec::new(), ..b }));
                first
            })
        })
    }

    fn parse_all(&self, raw: &[f32]) -> Vec<Snapshot> {
        (0..self.models).map(|m| self.parse(&raw[m * self.block..], m)).collect()
    }

    /// Model `m`'s snapshot from its metrics block.
    fn parse(&self, raw: &[f32], m: usize) -> Snapshot {
        let [train, test, grid] = self.sets;
        let batch_losses = (0..self.batch_steps).map(|s| self.norm.mean(raw[(FIRST_STEP_SLOT + s) as usize], self.norm.batch)).collect();
        let loss = |p: EvalPlan| self.norm.mean(raw[p.loss_slot as usize], p.rows as usize);
        let predictions = |p: EvalPlan| &raw[p.pred_off as usize..p.pred_off as usize + p.rows as usize * self.out];
        let accuracy = |set: usize| {
            let targets = self.targets.as_ref()?;
            let p = self.sets[set];
            (p.rows > 0).then(|| self.loss.accuracy(predictions(p), &targets[m.min(targets.len() - 1)][set], self.out))
        };
        Snapshot {
            step: self.step,
            batch_losses,
            train_loss: loss(train),
            test_loss: (test.rows > 0).then(|| loss(test)),
            train_accuracy: accuracy(EvalSet::Train as usize),
            test_accuracy: accuracy(EvalSet::Test as usize),
            grid: predictions(grid).to_vec(),
            beside: None,
        }
    }
}

impl GpuTrainer {
    /// Evaluates the current parameters on the training set, the test set
    /// and the grid (losses and predictions into `metrics`), in chunks of
    /// at most `capacity` rows.
    pub fn evaluate(&mut self) {
        let mut records = Vec::new();
        let mut chunks = Vec::new(); // (set, record index, rows)
        for plan in self.plan.dispatches.eval {
            let mut start = 0;
            while start < plan.rows {
                let rows = (plan.rows - start).min(self.plan.capacity);
                chunks.push((plan, records.len() as u32, rows));
                records.push(StepArgs {
                    n_rows: rows,
                    full_batch: 1,
                    row_base: start,
                    slot: plan.loss_slot,
                    accumulate: u32::from(start > 0),
                    ..StepArgs::default()
                });
                start += rows;
            }
        }
        self.write_steps(&records);
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::evaluate") });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::evaluate"), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage_group, &[]);
            for (plan, step, rows) in chunks {
                self.encode_forward(&mut pass, plan.first_forward, &self.plan.dispatches.forward, step, rows, 0);
                pass.set_pipeline(&self.kernels.loss.evaluate);
                self.bind(&mut pass, plan.evaluate, step);
                pass.dispatch_workgroups(self.plan.models, 1, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Evaluates, then starts reading losses and grid predictions back.
    pub fn read_snapshot(&mut self) -> PendingSnapshot {
        self.evaluate();
        // The grid's predictions, and a classifier's on the training and
        // test sets for its accuracy.
        let out = self.layout.output_dim() as u64;
        let sets =
            if self.targets.is_some() { &self.plan.dispatches.eval[..] } else { &self.plan.dispatches.eval[EvalSet::Grid as usize..] };
        let len = sets.iter().map(|p| u64::from(p.pred_off) + u64::from(p.rows) * out).max().unwrap_or(0);
        let all = u64::from(self.plan.models - 1) * self.plan.metrics_len + len;
        PendingSnapshot {
            read: PendingRead::new(&self.device, &self.queue, &self.metrics, 0, all),
            models: self.plan.models as usize,
            block: self.plan.metrics_len as usize,
            step: self.step,
            batch_steps: self.last_submit_steps,
            norm: Norm::of(&self.config, self.layout.output_dim(), self.plan.batch),
            sets: self.plan.dispatches.eval,
            out: self.layout.output_dim(),
            loss: self.config.loss,
            targets: self.targets.clone(),
        }
    }

    /// Starts reading the predictions on a set, as of the last
    /// [`Self::evaluate`] (`rows × output_dim`).
    #[must_use]
    pub fn read_predictions(&self, set: EvalSet) -> PendingRead {
        let plan = self.plan.dispatches.eval[set as usize];
        let len = u64::from(plan.rows) * self.layout.output_dim() as u64;
        debug_assert!(u64::from(plan.pred_off) + len <= self.plan.metrics_len);
        PendingRead::new(&self.device, &self.queue, &self.metrics, u64::from(plan.pred_off), len)
    }
}
