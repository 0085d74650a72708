//! The GPU backend: the same training as [`crate::cpu`], in WGSL compute
//! shaders through wgpu.
//!
//! Tiny networks are bound by dispatch and readback latency, not FLOPs, so:
//! parameters, optimizer state and data live on the GPU from creation on;
//! one submit encodes up to `k_max` whole training steps in a single
//! compute pass (per-step constants come from one buffer through dynamic
//! offsets); results come back through [`PendingRead`], never by
//! blocking. The caller owns the `Device` and `Queue` (tests bring a
//! lavapipe one, the app the browser's), and builds [`Kernels`] once.
//!
//! # Buffers
//!
//! | buffer | contents |
//! |---|---|
//! | `params` | the flat vector of [`crate::spec`] |
//! | `optim` | gradients (`P`), then momentum / Adam moments (`state_per_param × P`) |
//! | `acts` | per layer `Z`, `H`, `δ`, each `capacity × fan_out` |
//! | `data` | train x, train y, test x, test y, grid x (row-major); one such block per model with [`GpuTrainer::with_datasets`] |
//! | `batch` | mini-batch indices for the steps of one submit |
//! | `metrics` | `[norm, step losses.., eval losses.., probe loss, grid, train, test predictions]` |
//!
//! Two more things run on the same kernels: [`LossProbe`] evaluates the
//! loss at many points of a plane through parameter space as one batched
//! dispatch sequence, and [`GpuTrainer::sharpness`] runs power iteration on
//! Hessian-vector products.

mod gpu_data;
mod hessian;
mod kernels;
pub mod memory;
mod ntk;
mod probe;
mod readback;
pub mod shaders;

pub use gpu_data::{DispatchArgs, StepArgs};
pub use hessian::MAX_POWER_ITERATIONS;
use kernels::Records;
pub use kernels::{Kernels, STORAGE_BINDINGS};
use memory::GpuBuffer;
pub use ntk::{PendingGrams, NTK_MAX_ROWS};
pub use probe::{LossProbe, PendingLosses};
pub use readback::PendingRead;

use crate::config::Problem;
use crate::spec::ParamLayout;
use crate::train::{BatchSampler, Loss, Optimizer, TrainConfig};
use crate::Error;
use gpu_data::{LOSS_NONE, LOSS_ONES, NORM_SLOT};

/// `metrics[FIRST_STEP_SLOT + s]` holds step `s`'s summed batch loss.
const FIRST_STEP_SLOT: u32 = NORM_SLOT + 1;

/// Most training steps encoded in one submit.
pub const MAX_STEPS_PER_SUBMIT: u32 = 256;
/// Mini-batch indices uploaded per submit, at most.
const MAX_BATCH_INDICES: usize = 1 << 22;
/// Preferred rows per evaluation chunk.
const EVAL_CHUNK: usize = 1024;

/// The evaluation sets, in `metrics` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalSet {
    Train = 0,
    Test = 1,
    Grid = 2,
}

#[derive(Clone, Copy, Debug, Default)]
struct EvalPlan {
    rows: u32,
    /// Record of the first layer's forward (it reads this set's inputs).
    first_forward: u32,
    /// Record of the `evaluate` dispatch.
    evaluate: u32,
    loss_slot: u32,
    pred_off: u32,
}

/// Which dispatch-args record each dispatch of a step uses.
#[derive(Clone, Debug, Default)]
struct Plan {
    forward: Vec<u32>,
    output_delta: u32,
    weight_grad: Vec<u32>,
    /// `backprop[l]` sends δ from layer `l` to `l − 1` (unused at 0).
    backprop: Vec<u32>,
    /// Hessian probes: forward and backprop with ReLU gates frozen, and
    /// the forward that stores the reference pre-activations.
    gated_forward: Vec<u32>,
    gated_backprop: Vec<u32>,
    reference_forward: Vec<u32>,
    update: u32,
    eval: [EvalPlan; 3],
    /// Neural tangent kernels, for scalar outputs and small training sets.
    ntk: Option<ntk::NtkPlan>,
}

/// What a [`GpuTrainer::read_snapshot`] brings back.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Steps done when the snapshot was taken.
    pub step: u64,
    /// Mean batch loss of each step of the last training submit.
    pub batch_losses: Vec<f32>,
    /// Mean loss on the whole training set, at `step`.
    pub train_loss: f32,
    /// Mean loss on the test set (`None` without one).
    pub test_loss: Option<f32>,
    /// Outputs on the grid, `grid rows × output_dim`.
    pub grid: Vec<f32>,
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
}

impl PendingSnapshot {
    /// The (first model's) snapshot, once it has arrived.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Snapshot, Error>> {
        self.read.try_take().map(|r| r.map(|raw| self.parse(&raw)))
    }

    /// Blocks until the (first model's) snapshot is there (native only).
    ///
    /// # Errors
    /// [`Error::Gpu`] if the readback fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Snapshot, Error> {
        let raw = self.read.wait(device)?;
        Ok(self.parse(&raw))
    }

    /// Every model's snapshot, once they have arrived.
    #[must_use]
    pub fn try_take_all(&self) -> Option<Result<Vec<Snapshot>, Error>> {
        self.read.try_take().map(|r| r.map(|raw| self.parse_all(&raw)))
    }

    /// Blocks until every model's snapshot is there (native only).
    ///
    /// # Errors
    /// [`Error::Gpu`] if the readback fails.
    pub fn wait_all(&self, device: &wgpu::Device) -> Result<Vec<Snapshot>, Error> {
        let raw = self.read.wait(device)?;
        Ok(self.parse_all(&raw))
    }

    fn parse_all(&self, raw: &[f32]) -> Vec<Snapshot> {
        (0..self.models).map(|m| self.parse(&raw[m * self.block..])).collect()
    }

    fn parse(&self, raw: &[f32]) -> Snapshot {
        let [train, test, grid] = self.sets;
        let batch_losses = (0..self.batch_steps).map(|s| self.norm.mean(raw[(FIRST_STEP_SLOT + s) as usize], self.norm.batch)).collect();
        let loss = |p: EvalPlan| self.norm.mean(raw[p.loss_slot as usize], p.rows as usize);
        let grid_start = grid.pred_off as usize;
        Snapshot {
            step: self.step,
            batch_losses,
            train_loss: loss(train),
            test_loss: (test.rows > 0).then(|| loss(test)),
            grid: raw[grid_start..grid_start + grid.rows as usize * self.out].to_vec(),
        }
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
    pub(crate) fn mean(self, sum: f32, rows: usize) -> f32 {
        (f64::from(sum) / (rows * self.per_sample).max(1) as f64) as f32
    }
}

/// A training run on the GPU. See the module docs.
#[derive(Debug)]
pub struct GpuTrainer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    kernels: Kernels,
    params: GpuBuffer,
    optim: GpuBuffer,
    metrics: GpuBuffer,
    batch: GpuBuffer,
    acts: GpuBuffer,
    data: GpuBuffer,
    storage_group: wgpu::BindGroup,
    records: Records,
    layout: ParamLayout,
    config: TrainConfig,
    seed: u64,
    sampler: BatchSampler,
    step: u64,
    last_submit_steps: u32,
    plan: Plan,
    capacity: u32,
    k_max: u32,
    norm: Norm,
    metrics_len: u64,
    /// Models trained side by side (see [`GpuTrainer::new`]).
    models: u32,
    batch_scratch: Vec<u32>,
    /// `metrics` slot for the loss of Hessian probes.
    probe_slot: u32,
    hessian: Option<hessian::HessianState>,
}

/// Workgroups `(x, y)` of a dense kernel (`@workgroup_size(256)` in
/// dense.wgsl, elements numbered across x and then y) covering `rows × cols`
/// result elements.
fn dense_groups(rows: u32, cols: u32) -> (u32, u32) {
    let groups = (rows * cols).div_ceil(256);
    (groups.min(65_535), groups.div_ceil(65_535))
}

fn u32_of(v: usize, what: &'static str) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::DeviceLimit { what, needed: v as u64, limit: u64::from(u32::MAX) })
}

impl GpuTrainer {
    /// Uploads `problem`'s data, `params` and `grid_x` (points to predict
    /// on, `rows × input_dim`) and prepares every dispatch.
    ///
    /// `params` may hold several parameter vectors of the problem's spec,
    /// one after the other: the trainer then trains that many models side
    /// by side, as one batch dimension of every dispatch, on the same data
    /// and batches (a width sweep embeds narrower nets with
    /// [`crate::MlpSpec::embed_params`]). Reads return every model's values,
    /// model after model.
    ///
    /// # Errors
    /// [`Error::DeviceLimit`] if a buffer would exceed the device's limits
    /// (the message says which and by how much); [`Error::InvalidConfig`]
    /// for a `params` length that is not a whole number of models, or
    /// normalized GD (its norm is per model) with several models.
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        kernels: &Kernels,
        problem: &Problem,
        params: &[f32],
        grid_x: &[f32],
    ) -> Result<Self, Error> {
        Self::with_datasets(device, queue, kernels, problem, &[problem], params, grid_x)
    }

    /// As [`Self::new`], with model `m` trained and evaluated on
    /// `datasets[m]`'s data (one dataset per model, all of `problem`'s
    /// sizes; a single one is shared): seeds of a sweep that differ in
    /// their data as well as their initialization. The net, the training
    /// configuration and the batch order are `problem`'s.
    ///
    /// # Errors
    /// As [`Self::new`], and [`Error::InvalidConfig`] if the datasets are
    /// not one per model or differ in size.
    pub fn with_datasets(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        kernels: &Kernels,
        problem: &Problem,
        datasets: &[&Problem],
        params: &[f32],
        grid_x: &[f32],
    ) -> Result<Self, Error> {
        let layout = problem.spec.layout();
        let config = problem.config.train.clone();
        let (din, dout) = (layout.input_dim(), layout.output_dim());
        let models = params.len() / layout.num_params;
        if models == 0 || !params.len().is_multiple_of(layout.num_params) {
            return Err(Error::InvalidConfig(format!(
                "{} parameters are not a whole number of models of {}",
                params.len(),
                layout.num_params
            )));
        }
        if models > 1 && matches!(config.optimizer, Optimizer::NormalizedGd { .. }) {
            return Err(Error::InvalidConfig("normalized GD cannot train several models side by side".into()));
        }
        let sizes = |p: &Problem| (p.dataset.train.x.len(), p.train_targets.len(), p.dataset.test.x.len(), p.test_targets.len());
        if !(datasets.len() == 1 || datasets.len() == models) || datasets.iter().any(|d| sizes(d) != sizes(problem)) {
            return Err(Error::InvalidConfig(format!(
                "{} datasets for {models} models: give one shared dataset or one per model, all of the problem's sizes",
                datasets.len()
            )));
        }
        let limits = device.limits();
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);

        let n_train = problem.dataset.train.len();
        let n_test = problem.dataset.test.len();
        let n_grid = grid_x.len() / din;
        let batch = config.batch(n_train);
        let sampler = BatchSampler::new(n_train, batch, problem.config.seed);

        // Activations: Z, H, δ and frozen gates per layer, `capacity` rows each.
        // (for every model: a row costs `row_bytes` across all of them).
        let width_sum: usize = layout.layers.iter().map(|l| l.fan_out).sum();
        let row_bytes = 4 * width_sum as u64 * 4 * models as u64;
        if batch as u64 * row_bytes > max_binding {
            return Err(Error::DeviceLimit {
                what: "activations (batch size × total width × models)",
                needed: batch as u64 * row_bytes,
                limit: max_binding,
            });
        }
        let eval_rows = (max_binding / row_bytes).min(EVAL_CHUNK as u64) as usize;
        let capacity = u32_of(batch.max(eval_rows), "rows")?;

        let k_max = if sampler.is_full_batch() {
            MAX_STEPS_PER_SUBMIT
        } else {
            (MAX_BATCH_INDICES / batch).clamp(1, MAX_STEPS_PER_SUBMIT as usize) as u32
        };

        // Data, per dataset: train x, train y, test x, test y, grid x.
        let train_x = 0;
        let train_y = train_x + problem.dataset.train.x.len();
        let test_x = train_y + problem.train_targets.len();
        let test_y = test_x + problem.dataset.test.x.len();
        let grid_off = test_y + problem.test_targets.len();
        let block = grid_off + grid_x.len();
        let mut data = Vec::with_capacity(block * datasets.len());
        for d in datasets {
            data.extend_from_slice(&d.dataset.train.x);
            data.extend_from_slice(&d.train_targets);
            data.extend_from_slice(&d.dataset.test.x);
            data.extend_from_slice(&d.test_targets);
            data.extend_from_slice(grid_x);
        }
        let data_stride = if datasets.len() > 1 { block } else { 0 };

        // Metrics: norm, step-loss slots, eval-loss slots, predictions.
        let eval_slot = FIRST_STEP_SLOT + k_max;
        let probe_slot = eval_slot + 3;
        let grid_pred = probe_slot + 1;
        let train_pred = grid_pred + u32_of(n_grid * dout, "grid")?;
        let test_pred = train_pred + u32_of(n_train * dout, "train predictions")?;
        let gram_off = u64::from(test_pred) + (n_test * dout) as u64;
        let ntk_fits = dout == 1 && n_train <= NTK_MAX_ROWS && n_train <= capacity as usize;
        let metrics_len = gram_off + if ntk_fits { (n_train * n_train) as u64 } else { 0 };

        let create = |label: &'static str, bytes: u64, usage: wgpu::BufferUsages| -> Result<GpuBuffer, Error> {
            if bytes > max_binding {
                return Err(Error::DeviceLimit { what: label, needed: bytes, limit: max_binding });
            }
            Ok(GpuBuffer::new(device, label, bytes, usage))
        };
        let rw = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let p = params.len() as u64 * 4;
        let params_buf = create("params", p, rw)?;
        queue.write_buffer(&params_buf, 0, bytemuck::cast_slice(params));
        let optim = create("optim", p * (1 + config.optimizer.state_per_param() as u64), rw)?;
        let act_stride = u64::from(capacity) * row_bytes / 4 / models as u64;
        let acts = create("acts", models as u64 * act_stride * 4, rw)?;
        let data_buf = create("data", data.len() as u64 * 4, rw)?;
        queue.write_buffer(&data_buf, 0, bytemuck::cast_slice(&data));
        let batch_buf = create("batch indices", if sampler.is_full_batch() { 4 } else { u64::from(k_max) * batch as u64 * 4 }, rw)?;
        let metrics = create("metrics", models as u64 * metrics_len * 4, rw)?;

        // Dispatch-args records.
        let mut records: Vec<DispatchArgs> = Vec::new();
        let mut push = |r: DispatchArgs| {
            records.push(r);
            (records.len() - 1) as u32
        };
        let cap = capacity as usize;
        let mut offsets = Vec::new(); // (z, h, delta, gate) per layer
        let mut at = 0usize;
        for l in &layout.layers {
            offsets.push((at, at + cap * l.fan_out, at + 2 * cap * l.fan_out, at + 3 * cap * l.fan_out));
            at += 4 * cap * l.fan_out;
        }
        let [h0, h1, h2] = config.optimizer.hyper();
        let base = |l: usize| -> Result<DispatchArgs, Error> {
            let s = &layout.layers[l];
            let (z, h, delta, gate) = offsets[l];
            Ok(DispatchArgs {
                fan_in: u32_of(s.fan_in, "width")?,
                fan_out: u32_of(s.fan_out, "width")?,
                w_off: u32_of(s.w_offset, "parameters")?,
                b_off: u32_of(s.b_offset, "parameters")?,
                in_off: if l == 0 { train_x as u32 } else { u32_of(offsets[l - 1].1, "activations")? },
                in_from_data: u32::from(l == 0),
                z_off: u32_of(z, "activations")?,
                h_off: u32_of(h, "activations")?,
                delta_off: u32_of(delta, "activations")?,
                prev_z_off: if l == 0 { 0 } else { offsets[l - 1].0 as u32 },
                prev_delta_off: if l == 0 { 0 } else { offsets[l - 1].2 as u32 },
                target_off: u32_of(train_y, "data")?,
                activation: layout.activation_of(l).code(),
                loss: config.loss.code(),
                optimizer: config.optimizer.code(),
                w_mult: layout.w_mult(s) as f32,
                b_mult: layout.b_mult(s) as f32,
                hyper0: h0,
                hyper1: h1,
                hyper2: h2,
                num_params: u32_of(params.len(), "parameters")?,
                gate_off: u32_of(gate, "activations")?,
                prev_gate_off: if l == 0 { 0 } else { offsets[l - 1].3 as u32 },
                param_stride: u32_of(layout.num_params, "parameters")?,
                act_stride: u32_of(act_stride as usize, "activations")?,
                model_slots: u32_of(metrics_len as usize, "metrics")?,
                data_stride: u32_of(data_stride, "data")?,
                ..DispatchArgs::default()
            })
        };
        let last = layout.layers.len() - 1;
        let mut plan = Plan::default();
        for l in 0..=last {
            plan.forward.push(push(base(l)?));
        }
        plan.output_delta = push(base(last)?);
        for l in 0..=last {
            plan.weight_grad.push(push(base(l)?));
            // Backprop applies the derivative of the layer below.
            let below = if l > 0 { layout.activation_of(l - 1).code() } else { 0 };
            plan.backprop.push(push(DispatchArgs { activation: below, ..base(l)? }));
        }
        plan.update = push(base(0)?);
        for l in 0..=last {
            let gated = DispatchArgs { gated: 1, ..base(l)? };
            plan.gated_forward.push(push(gated));
            let below = if l > 0 { layout.activation_of(l - 1).code() } else { 0 };
            plan.gated_backprop.push(push(DispatchArgs { activation: below, ..gated }));
            plan.reference_forward.push(push(DispatchArgs { z_off: gated.gate_off, ..base(l)? }));
        }
        let sets = [
            (EvalSet::Train, n_train, train_x, Some(train_y), train_pred),
            (EvalSet::Test, n_test, test_x, Some(test_y), test_pred),
            (EvalSet::Grid, n_grid, grid_off, None, grid_pred),
        ];
        for (set, rows, x_off, y_off, pred_off) in sets {
            let mut first = base(0)?;
            first.in_off = u32_of(x_off, "data")?;
            let mut eval = base(last)?;
            eval.target_off = u32_of(y_off.unwrap_or(0), "data")?;
            eval.loss = if y_off.is_some() { config.loss.code() } else { LOSS_NONE };
            eval.pred_off = pred_off;
            plan.eval[set as usize] = EvalPlan {
                rows: u32_of(rows, "rows")?,
                first_forward: push(first),
                evaluate: push(eval),
                loss_slot: eval_slot + set as u32,
                pred_off,
            };
        }
        if ntk_fits {
            let gram_off = u32_of(gram_off as usize, "metrics")?;
            let delta = push(DispatchArgs { loss: LOSS_ONES, ..base(last)? });
            let gram = (0..=last).map(|l| Ok(push(DispatchArgs { pred_off: gram_off, ..base(l)? }))).collect::<Result<_, Error>>()?;
            plan.ntk = Some(ntk::NtkPlan { delta, gram, gram_off });
        }
        let eval_records: u32 = plan.eval.iter().map(|e| e.rows.div_ceil(capacity)).sum();
        let max_steps = k_max.max(eval_records).max(hessian::RECORDS);
        let records = Records::new(device, kernels, "GpuTrainer::records", &records, max_steps);
        let storage_group =
            kernels.storage_group(device, "GpuTrainer::storage_group", [&params_buf, &optim, &acts, &data_buf, &batch_buf, &metrics]);

        Ok(Self {
            device: device.clone(),
            queue: queue.clone(),
            kernels: kernels.clone(),
            params: params_buf,
            optim,
            metrics,
            batch: batch_buf,
            acts,
            data: data_buf,
            storage_group,
            records,
            norm: Norm { per_sample: if config.loss == Loss::Mse { dout } else { 1 }, batch },
            layout,
            config,
            seed: problem.config.seed,
            sampler,
            step: 0,
            last_submit_steps: 0,
            plan,
            capacity,
            k_max,
            metrics_len,
            models: models as u32,
            batch_scratch: Vec::new(),
            probe_slot,
            hessian: None,
        })
    }

    #[must_use]
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    #[must_use]
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Starts over from `params`: optimizer state zeroed, step 0, the
    /// batch order of step 0.
    pub fn reset(&mut self, params: &[f32]) {
        self.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(params));
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::reset") });
        encoder.clear_buffer(&self.optim, 0, None);
        self.queue.submit([encoder.finish()]);
        self.sampler = BatchSampler::new(self.sampler_n(), self.sampler.batch_size(), self.seed);
        self.step = 0;
        self.last_submit_steps = 0;
        if let Some(h) = &mut self.hessian {
            h.started = false;
        }
    }

    fn sampler_n(&self) -> usize {
        self.plan.eval[EvalSet::Train as usize].rows as usize
    }

    fn write_steps(&self, steps: &[StepArgs]) {
        self.records.write_steps(&self.queue, steps);
    }

    fn bind(&self, pass: &mut wgpu::ComputePass<'_>, record: u32, step: u32) {
        self.records.bind(pass, record, step);
    }

    /// Encodes the forward pass for `rows` rows from layer `from` on (the
    /// layers below kept their outputs in `acts`), the first layer from
    /// record `first` (which names the input set), layer `l > 0` from
    /// `rest[l]`.
    fn encode_forward(&self, pass: &mut wgpu::ComputePass<'_>, first: u32, rest: &[u32], step: u32, rows: u32, from: usize) {
        pass.set_pipeline(&self.kernels.forward);
        for (l, s) in self.layout.layers.iter().enumerate().skip(from) {
            self.bind(pass, if l == 0 { first } else { rest[l] }, step);
            let (x, y) = dense_groups(rows, s.fan_out as u32);
            pass.dispatch_workgroups(x, y, self.models);
        }
    }

    /// Encodes the gradient of the loss on `rows` rows (step record `s`)
    /// into the first `P` floats of group 0's `optim` binding; `gated`
    /// freezes ReLU gates at the last reference forward. With `frozen_kept`
    /// the frozen layers' outputs in `acts` are this batch's already (full
    /// batch, a later step of the same submit) and are not recomputed.
    fn encode_gradient(&self, pass: &mut wgpu::ComputePass<'_>, s: u32, rows: u32, gated: bool, frozen_kept: bool) {
        let (forward, backprop) =
            if gated { (&self.plan.gated_forward, &self.plan.gated_backprop) } else { (&self.plan.forward, &self.plan.backprop) };
        let from = if frozen_kept { self.config.frozen_layers } else { 0 };
        self.encode_forward(pass, forward[0], forward, s, rows, from);
        pass.set_pipeline(&self.kernels.output_delta);
        self.bind(pass, self.plan.output_delta, s);
        pass.dispatch_workgroups(self.models, 1, 1);
        // Frozen layers get no gradient (their part of `optim` stays zero,
        // so the update leaves them be), and need no δ from above.
        let frozen = self.config.frozen_layers;
        for l in (frozen..self.layout.layers.len()).rev() {
            let shape = &self.layout.layers[l];
            pass.set_pipeline(&self.kernels.weight_grad);
            self.bind(pass, self.plan.weight_grad[l], s);
            let (x, y) = dense_groups(shape.fan_out as u32, shape.fan_in as u32 + 1);
            pass.dispatch_workgroups(x, y, self.models);
            if l > frozen {
                pass.set_pipeline(&self.kernels.backprop);
                self.bind(pass, backprop[l], s);
                let (x, y) = dense_groups(rows, shape.fan_in as u32);
                pass.dispatch_workgroups(x, y, self.models);
            }
        }
    }

    /// Workgroups of 256 covering every parameter, as `(x, y)`.
    fn param_groups(&self) -> (u32, u32) {
        let groups = (self.layout.num_params as u32 * self.models).div_ceil(256);
        (groups.min(65_535), groups.div_ceil(65_535))
    }

    /// Runs `steps` optimizer steps (in submits of at most `k_max`).
    pub fn train(&mut self, steps: u32) {
        let mut left = steps;
        while left > 0 {
            let k = left.min(self.k_max);
            self.submit_steps(k);
            left -= k;
        }
    }

    fn submit_steps(&mut self, k: u32) {
        let b = self.sampler.batch_size() as u32;
        let full = self.sampler.is_full_batch();
        self.batch_scratch.clear();
        let records: Vec<StepArgs> = (0..k)
            .map(|s| {
                let sp = self.config.step_params(self.step + u64::from(s));
                if !full {
                    self.sampler.next_into(&mut self.batch_scratch);
                }
                StepArgs {
                    lr: sp.lr,
                    weight_decay: sp.weight_decay,
                    bias1: sp.bias1,
                    bias2: sp.bias2,
                    n_rows: b,
                    full_batch: u32::from(full),
                    batch_off: s * b,
                    slot: FIRST_STEP_SLOT + s,
                    ..StepArgs::default()
                }
            })
            .collect();
        self.write_steps(&records);
        if !full {
            self.queue.write_buffer(&self.batch, 0, bytemuck::cast_slice(&self.batch_scratch));
        }
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::train") });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::train"), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage_group, &[]);
            let (gx, gy) = self.param_groups();
            for s in 0..k {
                self.encode_gradient(&mut pass, s, b, false, full && s > 0);
                if matches!(self.config.optimizer, Optimizer::NormalizedGd { .. }) {
                    pass.set_pipeline(&self.kernels.grad_norm);
                    self.bind(&mut pass, self.plan.update, s);
                    pass.dispatch_workgroups(1, 1, 1);
                }
                pass.set_pipeline(&self.kernels.update);
                self.bind(&mut pass, self.plan.update, s);
                pass.dispatch_workgroups(gx, gy, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
        self.step += u64::from(k);
        self.last_submit_steps = k;
    }

    /// Evaluates the current parameters on the training set, the test set
    /// and the grid (losses and predictions into `metrics`).
    pub fn evaluate(&mut self) {
        let mut records = Vec::new();
        let mut chunks = Vec::new(); // (set, record index, rows)
        for plan in self.plan.eval {
            let mut start = 0;
            while start < plan.rows {
                let rows = (plan.rows - start).min(self.capacity);
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
                self.encode_forward(&mut pass, plan.first_forward, &self.plan.forward, step, rows, 0);
                pass.set_pipeline(&self.kernels.evaluate);
                self.bind(&mut pass, plan.evaluate, step);
                pass.dispatch_workgroups(self.models, 1, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Evaluates, then starts reading losses and grid predictions back.
    pub fn read_snapshot(&mut self) -> PendingSnapshot {
        self.evaluate();
        let grid = self.plan.eval[EvalSet::Grid as usize];
        let len = u64::from(grid.pred_off) + u64::from(grid.rows) * self.layout.output_dim() as u64;
        let all = u64::from(self.models - 1) * self.metrics_len + len;
        PendingSnapshot {
            read: PendingRead::new(&self.device, &self.queue, &self.metrics, 0, all),
            models: self.models as usize,
            block: self.metrics_len as usize,
            step: self.step,
            batch_steps: self.last_submit_steps,
            norm: self.norm,
            sets: self.plan.eval,
            out: self.layout.output_dim(),
        }
    }

    /// Starts reading the predictions on a set, as of the last
    /// [`Self::evaluate`] (`rows × output_dim`).
    #[must_use]
    pub fn read_predictions(&self, set: EvalSet) -> PendingRead {
        let plan = self.plan.eval[set as usize];
        let len = u64::from(plan.rows) * self.layout.output_dim() as u64;
        debug_assert!(u64::from(plan.pred_off) + len <= self.metrics_len);
        PendingRead::new(&self.device, &self.queue, &self.metrics, u64::from(plan.pred_off), len)
    }

    /// Every model's parameters, model after model.
    #[must_use]
    pub fn read_params(&self) -> PendingRead {
        PendingRead::new(&self.device, &self.queue, &self.params, 0, self.layout.num_params as u64 * u64::from(self.models))
    }

    /// The gradient of the last step's batch loss, at the parameters before
    /// that step's update (weight decay not included), model after model.
    #[must_use]
    pub fn read_grads(&self) -> PendingRead {
        PendingRead::new(&self.device, &self.queue, &self.optim, 0, self.layout.num_params as u64 * u64::from(self.models))
    }

    /// Models trained side by side.
    #[must_use]
    pub fn models(&self) -> usize {
        self.models as usize
    }

    #[must_use]
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The queue and kernels this trainer runs on (to build a
    /// [`LossProbe`] beside it).
    #[must_use]
    pub fn queue_and_kernels(&self) -> (&wgpu::Queue, &Kernels) {
        (&self.queue, &self.kernels)
    }
}

/// A device on the first adapter wgpu finds among `backends`, with that
/// adapter's limits: the browser's WebGPU for the app, lavapipe or a real
/// GPU for native tools.
///
/// # Errors
/// [`Error::NoAdapter`] if there is no adapter, [`Error::Gpu`] if it
/// refuses a device.
pub async fn request_device(backends: wgpu::Backends) -> Result<(wgpu::Adapter, wgpu::Device, wgpu::Queue), Error> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let adapter = instance.request_adapter(&wgpu::RequestAdapterOptions::default()).await.map_err(|e| Error::NoAdapter(e.to_string()))?;
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("gradlab"),
            required_limits: adapter.limits(),
            ..wgpu::DeviceDescriptor::default()
        })
        .await
        .map_err(|e| Error::Gpu(format!("no GPU device: {e}")))?;
    Ok((adapter, device, queue))
}
