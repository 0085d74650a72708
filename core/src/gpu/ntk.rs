//! Owner of `shaders/ntk.wgsl`: empirical neural tangent kernels on the
//! GPU: a forward pass over the training set, a backward pass of `f`
//! itself (δ = 1 at the output), and one `gram_layer` dispatch per layer,
//! every model of the batch at once. CPU twin: [`crate::ntk::cross_gram`]
//! (the maths is in [`crate::ntk`]).

use super::gpu_data::StepArgs;
use super::kernels::{Compiler, Lazy};
use super::plan::NTK_MAX_ROWS;
use super::{dense, GpuTrainer, PendingRead};
use crate::{Error, Part};

/// The pipeline of `ntk.wgsl`.
#[derive(Clone, Debug)]
pub struct Pipelines {
    pub gram_layer: Lazy,
}

impl Pipelines {
    pub(super) fn new(c: &Compiler<'_>) -> Self {
        Self { gram_layer: c.pipeline("gram_layer") }
    }
}

/// Grams on their way back: one `n × n` row-major matrix per model.
#[derive(Debug)]
pub struct PendingGrams {
    read: PendingRead,
    models: usize,
    block: usize,
    off: usize,
    n: usize,
}

impl PendingGrams {
    /// Every model's Gram, once they have arrived.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Vec<Vec<f32>>, Error>> {
        self.read.try_take().map(|r| r.map(|raw| self.parse(&raw)))
    }

    /// Blocks until every model's Gram is there (native only).
    ///
    /// # Errors
    /// [`Error::Device`] if the readback fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Vec<Vec<f32>>, Error> {
        Ok(self.parse(&self.read.wait(device)?))
    }

    fn parse(&self, raw: &[f32]) -> Vec<Vec<f32>> {
        (0..self.models).map(|m| raw[m * self.block + self.off..][..self.n * self.n].to_vec()).collect()
    }
}

impl GpuTrainer {
    /// Starts computing every model's empirical NTK `Θ(X, X)` on the
    /// training set at the current parameters, and reading it back.
    ///
    /// # Errors
    /// [`Error::Invalid`] unless the net has one output and at most
    /// [`NTK_MAX_ROWS`] training points.
    pub fn ntk_gram(&mut self) -> Result<PendingGrams, Error> {
        let Some(ntk) = self.plan.dispatches.ntk.clone() else {
            let reason = format!(
                "needs one output and at most {NTK_MAX_ROWS} training points on the GPU (this run: {} outputs, {} points)",
                self.layout.output_dim(),
                self.sampler_n()
            );
            return Err(Error::invalid(Part::Request, "NTK", reason));
        };
        let n = self.sampler_n() as u32;
        let first = StepArgs { n_rows: n, full_batch: 1, slot: self.plan.probe_slot, ..StepArgs::default() };
        self.write_steps(&[first, StepArgs { accumulate: 1, ..first }]);
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::ntk_gram") });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::ntk_gram"), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage_group, &[]);
            let d = &self.plan.dispatches;
            let models = self.plan.models;
            self.encode_forward(&mut pass, d.forward[0], &d.forward, 0, n, 0);
            pass.set_pipeline(&self.kernels.loss.output_delta);
            self.bind(&mut pass, ntk.delta, 0);
            pass.dispatch_workgroups(models, 1, 1);
            for l in (1..self.layout.layers.len()).rev() {
                self.encode_backprop(&mut pass, l, d.backprop[l], 0, n);
            }
            pass.set_pipeline(&self.kernels.ntk.gram_layer);
            let (x, y) = dense::groups(n.div_ceil(4), n.div_ceil(4));
            for (l, &record) in ntk.gram.iter().enumerate() {
                self.bind(&mut pass, record, u32::from(l > 0));
                pass.dispatch_workgroups(x, y, models);
            }
        }
        self.queue.submit([encoder.finish()]);
        let block = self.plan.metrics_len as usize;
        let off = ntk.gram_off as usize;
        let len = (self.plan.models as usize - 1) * block + off + (n * n) as usize;
        Ok(PendingGrams {
            read: PendingRead::new(&self.device, &self.queue, &self.metrics, 0, len as u64),
            models: self.plan.models as usize,
            block,
            off,
            n: n as usize,
        })
    }
}
