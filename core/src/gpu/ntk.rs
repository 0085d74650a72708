//! Empirical neural tangent kernels on the GPU: a forward pass over the
//! training set, a backward pass of `f` itself (δ = 1 at the output), and
//! one `gram_layer` dispatch per layer (`ntk.wgsl`), every model of the
//! batch at once. The CPU twin and the maths are in [`crate::ntk`].

use super::{dense_groups, GpuTrainer, PendingRead, StepArgs};
use crate::Error;

/// Most training points a GPU Gram covers (its `n²` floats live beside each
/// model's metrics).
pub const NTK_MAX_ROWS: usize = 512;

/// Records of the NTK dispatches, and where the Gram lands in a model's
/// metrics block.
#[derive(Clone, Debug)]
pub(super) struct NtkPlan {
    pub delta: u32,
    pub gram: Vec<u32>,
    pub gram_off: u32,
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
    /// [`Error::Gpu`] if the readback fails.
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
    /// [`Error::InvalidConfig`] unless the net has one output and at most
    /// [`NTK_MAX_ROWS`] training points.
    pub fn ntk_gram(&mut self) -> Result<PendingGrams, Error> {
        let Some(ntk) = self.plan.ntk.clone() else {
            return Err(Error::InvalidConfig(format!(
                "the GPU NTK needs one output and at most {NTK_MAX_ROWS} training points (this run: {} outputs, {} points)",
                self.layout.output_dim(),
                self.sampler_n()
            )));
        };
        let n = self.sampler_n() as u32;
        let first = StepArgs { n_rows: n, full_batch: 1, slot: self.probe_slot, ..StepArgs::default() };
        self.write_steps(&[first, StepArgs { accumulate: 1, ..first }]);
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::ntk_gram") });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::ntk_gram"), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage_group, &[]);
            self.encode_forward(&mut pass, self.plan.forward[0], &self.plan.forward, 0, n, 0);
            pass.set_pipeline(&self.kernels.output_delta);
            self.bind(&mut pass, ntk.delta, 0);
            pass.dispatch_workgroups(self.models, 1, 1);
            for (l, shape) in self.layout.layers.iter().enumerate().skip(1).rev() {
                pass.set_pipeline(&self.kernels.backprop);
                self.bind(&mut pass, self.plan.backprop[l], 0);
                let (x, y) = dense_groups(n, shape.fan_in as u32);
                pass.dispatch_workgroups(x, y, self.models);
            }
            pass.set_pipeline(&self.kernels.gram_layer);
            let (x, y) = dense_groups(n, n);
            for (l, &record) in ntk.gram.iter().enumerate() {
                self.bind(&mut pass, record, u32::from(l > 0));
                pass.dispatch_workgroups(x, y, self.models);
            }
        }
        self.queue.submit([encoder.finish()]);
        let block = self.metrics_len as usize;
        let off = ntk.gram_off as usize;
        let len = (self.models as usize - 1) * block + off + (n * n) as usize;
        Ok(PendingGrams {
            read: PendingRead::new(&self.device, &self.queue, &self.metrics, 0, len as u64),
            models: self.models as usize,
            block,
            off,
            n: n as usize,
        })
    }
}
