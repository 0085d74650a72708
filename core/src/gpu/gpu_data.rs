//! Rust twins of the WGSL argument structs in `shaders/common.wgsl`.
//! Keep in sync: field order, types and size (checked at compile time).

use bytemuck::{Pod, Zeroable};

/// Twin of `DispatchArgs` in `common.wgsl`: the static geometry of one
/// dispatch (one layer, one kernel).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct DispatchArgs {
    pub fan_in: u32,
    pub fan_out: u32,
    pub w_off: u32,
    pub b_off: u32,
    pub in_off: u32,
    pub in_from_data: u32,
    pub z_off: u32,
    pub h_off: u32,
    pub delta_off: u32,
    pub prev_z_off: u32,
    pub prev_delta_off: u32,
    pub target_off: u32,
    pub pred_off: u32,
    pub activation: u32,
    pub loss: u32,
    pub optimizer: u32,
    pub w_mult: f32,
    pub b_mult: f32,
    pub hyper0: f32,
    pub hyper1: f32,
    pub hyper2: f32,
    pub num_params: u32,
    /// Batched training and evaluation of many parameter vectors: floats
    /// between consecutive models in `params` (and `optim`) and in `acts`
    /// (0 for one model). The model is the dispatch's third dimension, or
    /// the workgroup for one-workgroup-per-model kernels.
    pub param_stride: u32,
    pub act_stride: u32,
    /// Hessian probes: ReLU gates frozen at the reference pre-activations
    /// stored at `gate_off` (this layer) and `prev_gate_off` (the one below).
    pub gate_off: u32,
    pub prev_gate_off: u32,
    pub gated: u32,
    /// Batched training: floats between consecutive models' blocks of
    /// `metrics` (0 for one model).
    pub model_slots: u32,
    /// Batched training on one dataset per model: floats between
    /// consecutive models' blocks of `data` (0: one dataset for all).
    pub data_stride: u32,
    /// Pruned training: where the masks (one per parameter of every model,
    /// 1 kept, 0 pruned) start in `optim`, after the optimizer state; 0
    /// for none.
    pub mask_off: u32,
    /// Dropout on this layer's output (forward) or on the layer below's
    /// (backprop): that layer's index + 1; 0 for none.
    pub drop_salt: u32,
}

/// Twin of `StepArgs` in `common.wgsl`: what changes between steps and
/// evaluation chunks.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct StepArgs {
    pub lr: f32,
    pub weight_decay: f32,
    pub bias1: f32,
    pub bias2: f32,
    pub n_rows: u32,
    pub full_batch: u32,
    pub row_base: u32,
    pub batch_off: u32,
    pub slot: u32,
    pub accumulate: u32,
    /// Index of the first model of a batched evaluation chunk.
    pub model_base: u32,
    /// A signed step for Hessian probes: `θ ± scale·v`.
    pub scale: f32,
    /// A training step's [`crate::dropout::Dropout`] (all 0: none).
    pub drop_p: f32,
    pub drop_scale: f32,
    pub drop_key: u32,
}

const _: () = assert!(std::mem::size_of::<DispatchArgs>() == 124);
const _: () = assert!(std::mem::size_of::<StepArgs>() == 60);

/// `metrics[NORM_SLOT]` holds ‖g + λθ‖ (twin of `NORM_SLOT` in WGSL).
pub const NORM_SLOT: u32 = 0;

/// `loss` code that only copies predictions (twin of `LOSS_NONE`).
pub const LOSS_NONE: u32 = 3;

/// `loss` code that seeds backprop with `∂f/∂f = 1` (twin of `LOSS_ONES`).
pub const LOSS_ONES: u32 = 4;
