//! Owner of `shaders/optimizer.wgsl`: parameter updates, one invocation
//! per parameter, every rule of [`crate::train::Optimizer`] (the CPU twin,
//! `Optimizer::update`), and training steps encoded many to a submit.

use super::gpu_data::StepArgs;
use super::kernels::{Compiler, Lazy};
use super::plan::FIRST_STEP_SLOT;
use super::GpuTrainer;
use crate::dropout::Dropout;
use crate::train::Optimizer;

/// The pipelines of `optimizer.wgsl`.
#[derive(Clone, Debug)]
pub struct Pipelines {
    pub grad_norm: Lazy,
    pub update: Lazy,
}

impl Pipelines {
    pub(super) fn new(c: &Compiler<'_>) -> Self {
        Self { grad_norm: c.pipeline("grad_norm"), update: c.pipeline("update") }
    }
}

impl GpuTrainer {
    /// Runs `steps` optimizer steps (in submits of at most `k_max`).
    pub fn train(&mut self, steps: u32) {
        let mut left = steps;
        while left > 0 {
            let k = left.min(self.plan.k_max);
            self.submit_steps(k);
            left -= k;
        }
    }

    /// One submit of `k` whole steps in one compute pass (per-step
    /// constants from the step table, mini-batch indices uploaded first).
    fn submit_steps(&mut self, k: u32) {
        let b = self.sampler.batch_size() as u32;
        let full = self.sampler.is_full_batch();
        self.batch_scratch.clear();
        let records: Vec<StepArgs> = (0..k)
            .map(|s| {
                let sp = self.config.step_params(self.step + u64::from(s));
                let drop = Dropout::at(self.config.dropout, self.seed, self.step + u64::from(s));
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
                    drop_p: drop.map_or(0.0, |d| d.p),
                    drop_scale: drop.map_or(1.0, |d| d.scale),
                    drop_key: drop.map_or(0, |d| d.key),
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
            let update = self.plan.dispatches.update;
            for s in 0..k {
                self.encode_gradient(&mut pass, s, b, false, full && s > 0);
                if matches!(self.config.optimizer, Optimizer::NormalizedGd { .. }) {
                    pass.set_pipeline(&self.kernels.optimizer.grad_norm);
                    self.bind(&mut pass, update, s);
                    pass.dispatch_workgroups(1, 1, 1);
                }
                pass.set_pipeline(&self.kernels.optimizer.update);
                self.bind(&mut pass, update, s);
                pass.dispatch_workgroups(gx, gy, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
        self.step += u64::from(k);
        self.last_submit_steps = k;
    }
}
