//! Owner of `shaders/dense.wgsl`: dense layers forward, their weight
//! gradients, and backprop through them, one result element per
//! invocation, every model of a batch as the dispatch's third dimension.
//! CPU twin: [`crate::cpu::forward`] and [`crate::cpu::loss_and_grad`].

use super::kernels::Compiler;
use super::GpuTrainer;

/// The pipelines of `dense.wgsl`.
#[derive(Clone, Debug)]
pub struct Pipelines {
    pub forward: wgpu::ComputePipeline,
    pub weight_grad: wgpu::ComputePipeline,
    pub backprop: wgpu::ComputePipeline,
}

impl Pipelines {
    pub(super) fn new(c: &Compiler<'_>) -> Self {
        Self { forward: c.pipeline("forward"), weight_grad: c.pipeline("weight_grad"), backprop: c.pipeline("backprop") }
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
        pass.set_pipeline(&self.kernels.dense.forward);
        for (l, s) in self.layout.layers.iter().enumerate().skip(from) {
            self.bind(pass, if l == 0 { first } else { rest[l] }, step);
            let (x, y) = groups(rows, s.fan_out as u32);
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
            pass.set_pipeline(&self.kernels.dense.weight_grad);
            self.bind(pass, d.weight_grad[l], s);
            let (x, y) = groups(shape.fan_out as u32, shape.fan_in as u32 + 1);
            pass.dispatch_workgroups(x, y, models);
            if l > frozen {
                pass.set_pipeline(&self.kernels.dense.backprop);
                self.bind(pass, backprop[l], s);
                let (x, y) = groups(rows, shape.fan_in as u32);
                pass.dispatch_workgroups(x, y, models);
            }
        }
    }
}
