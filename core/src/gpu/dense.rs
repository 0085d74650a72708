//! Owner of `shaders/dense.wgsl`: dense layers forward, their weight
//! gradients, and backprop through them, one result element or a 4 × 4
//! block of them per invocation ([`Pipelines::pick`]), every model of a
//! batch as the dispatch's third dimension.
//! CPU twin: [`crate::cpu::forward`] and [`crate::cpu::loss_and_grad`].
//! Also the reads of hidden activations out of a forward pass (CPU twin:
//! [`Hidden::compute`]).

use super::gpu_data::StepArgs;
use super::kernels::{Compiler, Lazy};
use super::{GpuTrainer, PendingRead};
use crate::hidden::{Hidden, Rows};
use crate::spec::LayerShape;
use crate::{Error, Part};

/// The pipelines of `dense.wgsl`: each kernel one result element an
/// invocation, and its blocked twin a 4 × 4 block.
#[derive(Clone, Debug)]
pub struct Pipelines {
    forward: [Lazy; 2],
    weight_grad: [Lazy; 2],
    backprop: [Lazy; 2],
    /// Layers this wide and wider, reading their input from `acts`, run
    /// the blocked kernels: [`BLOCKED_FROM`] (`usize::MAX`: none, as the
    /// dense benchmark compares).
    pub blocked_from: usize,
}

/// A kernel of `dense.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Forward,
    WeightGrad,
    Backprop,
}

/// The narrowest layer that runs the blocked kernels by default. On
/// lavapipe (`core/benches/dense.rs`) blocks trained the playground's
/// 2→64→64→1 about 2× faster and nets of width 256 and 1024 2.5–3×
/// faster; at width 8 the two ran alike. No real GPU has measured them.
pub const BLOCKED_FROM: usize = 16;

impl Pipelines {
    pub(super) fn new(c: &Compiler<'_>) -> Self {
        let pair = |entry: &str| [c.pipeline(entry), c.pipeline(&format!("{entry}_blocked"))];
        Self { forward: pair("forward"), weight_grad: pair("weight_grad"), backprop: pair("backprop"), blocked_from: BLOCKED_FROM }
    }

    /// `op`'s pipeline for layer `l` of shape `s`, and its workgroups
    /// `(x, y)` for `rows` rows (per model): blocked where the layer reads
    /// its input from `acts` and is [`Self::blocked_from`] wide.
    pub(super) fn pick(&self, op: Op, l: usize, s: &LayerShape, rows: u32) -> (&Lazy, (u32, u32)) {
        let blocked = l > 0 && s.fan_in >= self.blocked_from;
        let (fan_in, fan_out) = (s.fan_in as u32, s.fan_out as u32);
        let (pipelines, (r, c)) = match op {
            Op::Forward => (&self.forward, (rows, fan_out)),
            Op::WeightGrad => (&self.weight_grad, (fan_out, fan_in)),
            Op::Backprop => (&self.backprop, (rows, fan_in)),
        };
        // The weight gradient's last column is the bias: one more element
        // a row, or one more block.
        let bias = u32::from(op == Op::WeightGrad);
        if blocked {
            (&pipelines[1], groups(r.div_ceil(4), c.div_ceil(4) + bias))
        } else {
            (&pipelines[0], groups(r, c + bias))
        }
    }
}

/// Workgroups `(x, y)` of a dense kernel (`@workgroup_size(256)`, elements
/// numbered across x and then y) covering `rows × cols` result elements.
#[must_use]
pub(super) fn groups(rows: u32, cols: u32) -> (u32, u32) {
    let groups = (rows * cols).div_ceil(256);
    (groups.min(65_535), groups.div_ceil(65_535))
}

impl GpuTrainer {
    /// Encodes the forward pass for `rows` rows from layer `from` on (the
    /// layers below kept their outputs in `acts`), the first layer from
    /// record `first` (which names the input set), layer `l > 0` from
    /// `rest[l]`.
    pub(super) fn encode_forward(&self, pass: &mut wgpu::ComputePass<'_>, first: u32, rest: &[u32], step: u32, rows: u32, from: usize) {
        for (l, s) in self.layout.layers.iter().enumerate().skip(from) {
            let (pipeline, (x, y)) = self.kernels.dense.pick(Op::Forward, l, s, rows);
            pass.set_pipeline(pipeline);
            self.bind(pass, if l == 0 { first } else { rest[l] }, step);
            pass.dispatch_workgroups(x, y, self.plan.models);
        }
    }

    /// Encodes the gradient of the loss on `rows` rows (step record `s`)
    /// into the first `P` floats of group 0's `optim` binding; `gated`
    /// freezes ReLU gates at the last reference forward. With `frozen_kept`
    /// the frozen layers' outputs in `acts` are this batch's already (full
    /// batch, a later step of the same submit) and are not recomputed.
    pub(super) fn encode_gradient(&self, pass: &mut wgpu::ComputePass<'_>, s: u32, rows: u32, gated: bool, frozen_kept: bool) {
        let d = &self.plan.dispatches;
        let (forward, backprop) = if gated { (&d.gated_forward, &d.gated_backprop) } else { (&d.forward, &d.backprop) };
        let from = if frozen_kept { self.config.frozen_layers } else { 0 };
        let models = self.plan.models;
        self.encode_forward(pass, forward[0], forward, s, rows, from);
        pass.set_pipeline(&self.kernels.loss.output_delta);
        self.bind(pass, d.output_delta, s);
        pass.dispatch_workgroups(models, 1, 1);
        // Frozen layers get no gradient (their part of `optim` stays zero,
        // so the update leaves them be), and need no δ from above.
        let frozen = self.config.frozen_layers;
        for l in (frozen..self.layout.layers.len()).rev() {
            let shape = &self.layout.layers[l];
            let (pipeline, (x, y)) = self.kernels.dense.pick(Op::WeightGrad, l, shape, rows);
            pass.set_pipeline(pipeline);
            self.bind(pass, d.weight_grad[l], s);
            pass.dispatch_workgroups(x, y, models);
            if l > frozen {
                self.encode_backprop(pass, l, backprop[l], s, rows);
            }
        }
    }

    /// Encodes backprop through layer `l > 0` (record `record`, step
    /// record `s`): the δ of layer `l − 1` from layer `l`'s.
    pub(super) fn encode_backprop(&self, pass: &mut wgpu::ComputePass<'_>, l: usize, record: u32, s: u32, rows: u32) {
        let (pipeline, (x, y)) = self.kernels.dense.pick(Op::Backprop, l, &self.layout.layers[l], rows);
        pass.set_pipeline(pipeline);
        self.bind(pass, record, s);
        pass.dispatch_workgroups(x, y, self.plan.models);
    }
}

/// Hidden activations on their way back from the GPU.
#[derive(Debug)]
pub struct PendingHidden {
    read: PendingRead,
    rows: usize,
    widths: Vec<usize>,
}

impl PendingHidden {
    /// The activations, once they have arrived.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Hidden, Error>> {
        self.read.try_take().map(|r| r.and_then(|v| Hidden::new(self.rows, self.widths.clone(), v)))
    }

    /// Blocks until they are there (native only).
    ///
    /// # Errors
    /// [`Error::Device`] if the readback fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Hidden, Error> {
        Hidden::new(self.rows, self.widths.clone(), self.read.wait(device)?)
    }
}

impl GpuTrainer {
    /// Starts reading the gradient of the mean training loss over the
    /// first `rows` training points (weight decay not included), at the
    /// first model's current parameters. It is computed where a step's
    /// gradient goes, which the next step overwrites: training is untouched.
    ///
    /// # Errors
    /// [`Error::Invalid`] for no rows, more than the training set, or more
    /// than one batch of activations holds.
    pub fn read_gradient(&mut self, rows: usize) -> Result<PendingRead, Error> {
        let n = self.sampler_n().min(self.plan.capacity as usize);
        if !(1..=n).contains(&rows) {
            return Err(Error::invalid(Part::Request, "gradient rows", format!("{rows} not in 1..={n}")));
        }
        self.write_steps(&[StepArgs { n_rows: rows as u32, full_batch: 1, slot: self.plan.probe_slot, ..StepArgs::default() }]);
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::read_gradient") });
        {
            let mut pass = encoder
                .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::read_gradient"), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage_group, &[]);
            self.encode_gradient(&mut pass, 0, rows as u32, false, false);
        }
        self.queue.submit([encoder.finish()]);
        Ok(PendingRead::new(&self.device, &self.queue, &self.optim, 0, self.layout.num_params as u64))
    }

    /// Runs the first model's forward pass on `rows` of their set and
    /// starts reading every hidden layer's activations back, out of
    /// `acts`, a chunk of rows at a time (the row indices go where a
    /// mini-batch's would).
    ///
    /// # Errors
    /// As [`Rows::check`].
    pub fn read_hidden(&mut self, rows: &Rows) -> Result<PendingHidden, Error> {
        let set = self.plan.dispatches.eval[rows.set as usize];
        let widths = Hidden::widths(&self.layout);
        rows.check(set.rows as usize, widths.iter().sum())?;
        let n = rows.index.len() as u32;
        let cap = self.plan.capacity;
        let records: Vec<StepArgs> =
            (0..n.div_ceil(cap)).map(|c| StepArgs { n_rows: (n - c * cap).min(cap), batch_off: c * cap, ..StepArgs::default() }).collect();
        self.write_steps(&records);
        self.queue.write_buffer(&self.batch, 0, bytemuck::cast_slice(&rows.index));
        let staging = PendingRead::staging(&self.device, u64::from(n) * widths.iter().sum::<usize>() as u64);
        let offsets = self.plan.act_offsets(&self.layout);
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::read_hidden") });
        for (c, r) in records.iter().enumerate() {
            {
                let mut pass = encoder
                    .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::read_hidden"), timestamp_writes: None });
                pass.set_bind_group(0, &self.storage_group, &[]);
                self.encode_forward(&mut pass, set.first_forward, &self.plan.dispatches.forward, c as u32, r.n_rows, 0);
            }
            let mut layer_start = 0u64;
            for (l, &w) in widths.iter().enumerate() {
                let (w, rows_before) = (w as u64, u64::from(r.batch_off));
                let dst = (layer_start + rows_before * w) * 4;
                encoder.copy_buffer_to_buffer(&self.acts, offsets[l].1 as u64 * 4, &staging, dst, u64::from(r.n_rows) * w * 4);
                layer_start += u64::from(n) * w;
            }
        }
        Ok(PendingHidden { read: PendingRead::submit(&self.queue, encoder, staging), rows: n as usize, widths })
    }
}
