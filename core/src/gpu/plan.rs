//! Where everything of a [`super::GpuTrainer`] lives, before any of it is
//! allocated: buffer sizes, offsets into them, metrics slots, and the
//! table of dispatch records every kernel reads its geometry from. Pure
//! arithmetic on the net's layout and the data's sizes, checked against
//! the device's binding limit, tested natively (no GPU).
//!
//! # Buffers
//!
//! | buffer | contents |
//! |---|---|
//! | `params` | the flat vector of [`crate::spec`], model after model |
//! | `optim` | gradients (`P`), then momentum / Adam moments (`state_per_param × P`) |
//! | `acts` | per layer `Z`, `H`, `δ` and frozen gates, `capacity × fan_out` each, model after model |
//! | `data` | train x, train y, test x, test y, grid x (row-major); one block per model with per-model data |
//! | `batch` | mini-batch indices for the steps of one submit, or the rows of a hidden-activations read |
//! | `metrics` | per model: `[norm, step losses.., eval losses.., probe loss, grid, train, test predictions, NTK Gram]` |

use super::gpu_data::{DispatchArgs, LOSS_NONE, LOSS_ONES, NORM_SLOT};
use crate::hidden::MAX_ROWS as HIDDEN_MAX_ROWS;
use crate::spec::ParamLayout;
use crate::train::TrainConfig;
use crate::Error;

/// `metrics[FIRST_STEP_SLOT + s]` holds step `s`'s summed batch loss.
pub(super) const FIRST_STEP_SLOT: u32 = NORM_SLOT + 1;
/// Most training steps encoded in one submit.
pub const MAX_STEPS_PER_SUBMIT: u32 = 256;
/// Mini-batch indices uploaded per submit, at most.
const MAX_BATCH_INDICES: usize = 1 << 22;
/// Preferred rows per evaluation chunk.
const EVAL_CHUNK: usize = 1024;
/// Most training points a GPU Gram covers (its `n²` floats live beside each
/// model's metrics).
pub const NTK_MAX_ROWS: usize = 512;
/// Step-args records a sharpness call needs (see `landscape/hessian.rs`).
pub(super) const HESSIAN_RECORDS: u32 = 2 + super::landscape::MAX_POWER_ITERATIONS;

/// The evaluation sets, in `metrics` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EvalSet {
    Train = 0,
    Test = 1,
    Grid = 2,
}

/// One evaluation set's records and slots.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct EvalPlan {
    pub rows: u32,
    /// Record of the first layer's forward (it reads this set's inputs).
    pub first_forward: u32,
    /// Record of the `evaluate` dispatch.
    pub evaluate: u32,
    pub loss_slot: u32,
    pub pred_off: u32,
}

/// Records of the NTK dispatches, and where the Gram lands in a model's
/// metrics block.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct NtkPlan {
    pub delta: u32,
    pub gram: Vec<u32>,
    pub gram_off: u32,
}

/// Which dispatch-args record each dispatch of a step uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Dispatches {
    pub forward: Vec<u32>,
    pub output_delta: u32,
    pub weight_grad: Vec<u32>,
    /// `backprop[l]` sends δ from layer `l` to `l − 1` (unused at 0).
    pub backprop: Vec<u32>,
    /// Hessian probes: forward and backprop with ReLU gates frozen, and
    /// the forward that stores the reference pre-activations.
    pub gated_forward: Vec<u32>,
    pub gated_backprop: Vec<u32>,
    pub reference_forward: Vec<u32>,
    pub update: u32,
    pub eval: [EvalPlan; 3],
    /// Neural tangent kernels, for scalar outputs and small training sets.
    pub ntk: Option<NtkPlan>,
}

/// Floats of each part of one dataset, and rows of each set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataSizes {
    pub train_x: usize,
    pub train_y: usize,
    pub test_x: usize,
    pub test_y: usize,
    pub grid_x: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub n_grid: usize,
}

/// Offsets (floats) of one dataset's parts within its block of `data`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct DataOffsets {
    pub train_x: usize,
    pub train_y: usize,
    pub test_x: usize,
    pub test_y: usize,
    pub grid: usize,
    /// Floats of one block.
    pub block: usize,
}

/// A trainer's plan. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct TrainerPlan {
    pub models: u32,
    /// Rows of a mini-batch (all of them for full batch).
    pub batch: usize,
    /// Rows of activations each model has room for.
    pub capacity: u32,
    /// Most steps per submit.
    pub k_max: u32,
    pub data: DataOffsets,
    /// Floats between models' data blocks (0: one dataset for all).
    pub data_stride: usize,
    /// Floats between models' activation blocks.
    pub act_stride: u64,
    pub probe_slot: u32,
    /// Floats of one model's metrics block.
    pub metrics_len: u64,
    pub dispatches: Dispatches,
    pub dispatch_args: Vec<DispatchArgs>,
    /// Step records one submit may need.
    pub max_step_records: u32,
    /// Bytes of each buffer, in `STORAGE_BINDINGS` order.
    pub bytes: [u64; 6],
}

pub(super) fn u32_of(v: usize, what: &'static str) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::gpu_limit(what, v as u64, u64::from(u32::MAX)))
}

impl TrainerPlan {
    /// Plans `models` nets of `layout` trained by `config` on data of
    /// `sizes` (one dataset per model with `per_model_data`), every buffer
    /// within `max_binding` bytes.
    ///
    /// # Errors
    /// [`Error::TooLarge`] naming the first buffer or index that does
    /// not fit.
    pub fn new(
        layout: &ParamLayout,
        config: &TrainConfig,
        sizes: DataSizes,
        models: usize,
        per_model_data: bool,
        max_binding: u64,
    ) -> Result<Self, Error> {
        let dout = layout.output_dim();
        let batch = config.batch(sizes.n_train);
        let full_batch = batch >= sizes.n_train;

        // Activations: Z, H, δ and frozen gates per layer, `capacity` rows
        // each (for every model: a row costs `row_bytes` across all of them).
        let width_sum: usize = layout.layers.iter().map(|l| l.fan_out).sum();
        let row_bytes = 4 * width_sum as u64 * 4 * models as u64;
        if batch as u64 * row_bytes > max_binding {
            return Err(Error::gpu_limit("activations (batch size × total width × models)", batch as u64 * row_bytes, max_binding));
        }
        let eval_rows = (max_binding / row_bytes).min(EVAL_CHUNK as u64) as usize;
        let capacity = u32_of(batch.max(eval_rows), "rows")?;
        let k_max =
            if full_batch { MAX_STEPS_PER_SUBMIT } else { (MAX_BATCH_INDICES / batch).clamp(1, MAX_STEPS_PER_SUBMIT as usize) as u32 };

        let train_y = sizes.train_x;
        let test_x = train_y + sizes.train_y;
        let test_y = test_x + sizes.test_x;
        let grid = test_y + sizes.test_y;
        let data = DataOffsets { train_x: 0, train_y, test_x, test_y, grid, block: grid + sizes.grid_x };
        let data_stride = if per_model_data { data.block } else { 0 };

        // Metrics: norm, step-loss slots, eval-loss slots, predictions, Gram.
        let eval_slot = FIRST_STEP_SLOT + k_max;
        let probe_slot = eval_slot + 3;
        let grid_pred = probe_slot + 1;
        let train_pred = grid_pred + u32_of(sizes.n_grid * dout, "grid")?;
        let test_pred = train_pred + u32_of(sizes.n_train * dout, "train predictions")?;
        let gram_off = u64::from(test_pred) + (sizes.n_test * dout) as u64;
        let ntk_fits = dout == 1 && sizes.n_train <= NTK_MAX_ROWS && sizes.n_train <= capacity as usize;
        let metrics_len = gram_off + if ntk_fits { (sizes.n_train * sizes.n_train) as u64 } else { 0 };

        let p = layout.num_params as u64 * models as u64 * 4;
        let act_stride = u64::from(capacity) * row_bytes / 4 / models as u64;
        let datasets = if per_model_data { models } else { 1 } as u64;
        let bytes = [
            p,
            p * (1 + config.optimizer.state_per_param() as u64),
            models as u64 * act_stride * 4,
            data.block as u64 * datasets * 4,
            // Also the row indices of a read of hidden activations.
            if full_batch { 4 } else { u64::from(k_max) * batch as u64 * 4 }.max(HIDDEN_MAX_ROWS as u64 * 4),
            models as u64 * metrics_len * 4,
        ];
        for (bytes, what) in bytes.iter().zip(super::STORAGE_BINDINGS) {
            if *bytes > max_binding {
                return Err(Error::gpu_limit(what, *bytes, max_binding));
            }
        }

        let mut plan = Self {
            models: u32_of(models, "models")?,
            batch,
            capacity,
            k_max,
            data,
            data_stride,
            act_stride,
            probe_slot,
            metrics_len,
            dispatches: Dispatches::default(),
            dispatch_args: Vec::new(),
            max_step_records: 0,
            bytes,
        };
        plan.plan_records(layout, config, sizes, eval_slot, [grid_pred, train_pred, test_pred], ntk_fits.then_some(gram_off))?;
        Ok(plan)
    }

    /// Room for pruning masks after the optimizer state in `optim` (one
    /// float per parameter of every model), read by the update.
    ///
    /// # Errors
    /// [`Error::TooLarge`] if `optim` no longer fits `max_binding`.
    pub fn masked(mut self, max_binding: u64) -> Result<Self, Error> {
        let p = self.bytes[0];
        let off = self.bytes[1] / 4;
        self.bytes[1] += p;
        if self.bytes[1] > max_binding {
            return Err(Error::gpu_limit("optim", self.bytes[1], max_binding));
        }
        self.dispatch_args[self.dispatches.update as usize].mask_off = u32_of(off as usize, "optimizer state")?;
        Ok(self)
    }

    /// Offsets `(z, h, δ, gates)` of each layer's activations in a model's
    /// block of `acts`.
    pub fn act_offsets(&self, layout: &ParamLayout) -> Vec<(usize, usize, usize, usize)> {
        let cap = self.capacity as usize;
        let mut at = 0usize;
        layout
            .layers
            .iter()
            .map(|l| {
                let o = (at, at + cap * l.fan_out, at + 2 * cap * l.fan_out, at + 3 * cap * l.fan_out);
                at += 4 * cap * l.fan_out;
                o
            })
            .collect()
    }

    fn plan_records(
        &mut self,
        layout: &ParamLayout,
        config: &TrainConfig,
        sizes: DataSizes,
        eval_slot: u32,
        [grid_pred, train_pred, test_pred]: [u32; 3],
        gram_off: Option<u64>,
    ) -> Result<(), Error> {
        let offsets = self.act_offsets(layout);
        let d = self.data;
        let [h0, h1, h2] = config.optimizer.hyper();
        let base = |l: usize| -> Result<DispatchArgs, Error> {
            let s = &layout.layers[l];
            let (z, h, delta, gate) = offsets[l];
            let below = |i: usize| if l == 0 { Ok(0) } else { u32_of(i, "activations") };
            Ok(DispatchArgs {
                fan_in: u32_of(s.fan_in, "width")?,
                fan_out: u32_of(s.fan_out, "width")?,
                w_off: u32_of(s.w_offset, "parameters")?,
                b_off: u32_of(s.b_offset, "parameters")?,
                in_off: if l == 0 { u32_of(d.train_x, "data")? } else { u32_of(offsets[l - 1].1, "activations")? },
                in_from_data: u32::from(l == 0),
                z_off: u32_of(z, "activations")?,
                h_off: u32_of(h, "activations")?,
                delta_off: u32_of(delta, "activations")?,
                prev_z_off: below(if l == 0 { 0 } else { offsets[l - 1].0 })?,
                prev_delta_off: below(if l == 0 { 0 } else { offsets[l - 1].2 })?,
                target_off: u32_of(d.train_y, "data")?,
                activation: layout.activation_of(l).code(),
                loss: config.loss.code(),
                optimizer: config.optimizer.code(),
                w_mult: layout.w_mult(s) as f32,
                b_mult: layout.b_mult(s) as f32,
                hyper0: h0,
                hyper1: h1,
                hyper2: h2,
                num_params: u32_of(layout.num_params * self.models as usize, "parameters")?,
                gate_off: u32_of(gate, "activations")?,
                prev_gate_off: below(if l == 0 { 0 } else { offsets[l - 1].3 })?,
                param_stride: u32_of(layout.num_params, "parameters")?,
                act_stride: u32_of(self.act_stride as usize, "activations")?,
                model_slots: u32_of(self.metrics_len as usize, "metrics")?,
                data_stride: u32_of(self.data_stride, "data")?,
                ..DispatchArgs::default()
            })
        };
        let args = &mut self.dispatch_args;
        let mut push = |r: DispatchArgs| {
            args.push(r);
            (args.len() - 1) as u32
        };
        let last = layout.layers.len() - 1;
        let r = &mut self.dispatches;
        // Dropout salts: a hidden layer's output, and δ sent down to it.
        for l in 0..=last {
            r.forward.push(push(DispatchArgs { drop_salt: if l < last { l as u32 + 1 } else { 0 }, ..base(l)? }));
        }
        r.output_delta = push(base(last)?);
        for l in 0..=last {
            r.weight_grad.push(push(base(l)?));
            // Backprop applies the derivative of the layer below.
            let below = if l > 0 { layout.activation_of(l - 1).code() } else { 0 };
            r.backprop.push(push(DispatchArgs { activation: below, drop_salt: l as u32, ..base(l)? }));
        }
        r.update = push(base(0)?);
        for l in 0..=last {
            let gated = DispatchArgs { gated: 1, ..base(l)? };
            r.gated_forward.push(push(gated));
            let below = if l > 0 { layout.activation_of(l - 1).code() } else { 0 };
            r.gated_backprop.push(push(DispatchArgs { activation: below, ..gated }));
            r.reference_forward.push(push(DispatchArgs { z_off: gated.gate_off, ..base(l)? }));
        }
        let sets = [
            (EvalSet::Train, sizes.n_train, d.train_x, Some(d.train_y), train_pred),
            (EvalSet::Test, sizes.n_test, d.test_x, Some(d.test_y), test_pred),
            (EvalSet::Grid, sizes.n_grid, d.grid, None, grid_pred),
        ];
        for (set, rows, x_off, y_off, pred_off) in sets {
            let mut first = base(0)?;
            first.in_off = u32_of(x_off, "data")?;
            let mut eval = base(last)?;
            eval.target_off = u32_of(y_off.unwrap_or(0), "data")?;
            eval.loss = if y_off.is_some() { config.loss.code() } else { LOSS_NONE };
            eval.pred_off = pred_off;
            r.eval[set as usize] = EvalPlan {
                rows: u32_of(rows, "rows")?,
                first_forward: push(first),
                evaluate: push(eval),
                loss_slot: eval_slot + set as u32,
                pred_off,
            };
        }
        if let Some(gram_off) = gram_off {
            let gram_off = u32_of(gram_off as usize, "metrics")?;
            let delta = push(DispatchArgs { loss: LOSS_ONES, ..base(last)? });
            let gram = (0..=last).map(|l| Ok(push(DispatchArgs { pred_off: gram_off, ..base(l)? }))).collect::<Result<_, Error>>()?;
            r.ntk = Some(NtkPlan { delta, gram, gram_off });
        }
        let eval_records: u32 = r.eval.iter().map(|e| e.rows.div_ceil(self.capacity)).sum();
        let hidden_records = (HIDDEN_MAX_ROWS as u32).div_ceil(self.capacity);
        self.max_step_records = self.k_max.max(eval_records).max(HESSIAN_RECORDS).max(hidden_records);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
