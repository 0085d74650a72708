//! Sharpness on the GPU: power iteration on Hessian-vector products
//! `Hv ≈ (∇L(θ + εv) − ∇L(θ − εv)) / 2ε` of the full-batch training loss,
//! every iteration in one submit (`landscape.wgsl`). The CPU's exact
//! R-operator ([`crate::landscape::hessian::hvp`]) is the oracle.
//!
//! ReLU gates are frozen at their pattern at `θ` while the gradients at
//! `θ ± εv` are taken: a plain difference would count every gate that
//! flips within `ε` as a spike of curvature (ReLU's second derivative is a
//! delta), which no choice of `ε` averages away, and power iteration
//! finds those spikes first.

use crate::gpu::gpu_data::StepArgs;
use crate::gpu::memory::GpuBuffer;
use crate::gpu::{GpuTrainer, PendingRead};
use crate::landscape::hessian::start_vector;
use crate::{Error, Part};

/// Most power iterations in one call.
pub const MAX_POWER_ITERATIONS: u32 = 64;
/// Central-difference step along the unit vector `v`. Small enough that
/// ReLU kinks are rarely crossed, large enough that f32 gradients differ.
const EPS: f32 = 1e-3;

/// Buffers of the power iteration, made on first use.
#[derive(Debug)]
pub(crate) struct HessianState {
    /// `θ ± εv`, bound as `params`.
    _scratch: GpuBuffer,
    /// `[g | θ | v | hv | λ per iteration]`, bound as `optim`.
    work: GpuBuffer,
    /// Binds `θ ± εv` as `params` and `work` as `optim`.
    group: wgpu::BindGroup,
    /// Whether `v` holds the previous call's vector (a warm start).
    pub(crate) started: bool,
}

impl GpuTrainer {
    fn hessian_state(&mut self) -> &HessianState {
        let p = self.layout.num_params as u64 * 4;
        let device = &self.device;
        self.hessian.get_or_insert_with(|| {
            let buffer = |label, size| {
                GpuBuffer::new(
                    device,
                    label,
                    size,
                    wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                )
            };
            let scratch = buffer("GpuTrainer::hessian scratch", p);
            let work = buffer("GpuTrainer::hessian work", 4 * p + u64::from(MAX_POWER_ITERATIONS) * 4);
            let group = self.kernels.layouts.storage_group(
                device,
                "GpuTrainer::hessian_group",
                [&scratch, &work, &self.acts, &self.data, &self.batch, &self.metrics],
            );
            HessianState { _scratch: scratch, work, group, started: false }
        })
    }

    /// Starts `iterations` steps of power iteration for the top eigenvalue
    /// of the Hessian of the full-batch training loss (weight decay not
    /// included) at the current parameters. The first call after creation
    /// or [`Self::reset`] starts from [`start_vector`]`(P, seed)`; later
    /// calls warm-start from where the last one stopped, so a few
    /// iterations per call track a slowly changing top eigenvector. The
    /// read brings back the Rayleigh quotient after each iteration.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `iterations` is 0 or above
    /// [`MAX_POWER_ITERATIONS`], or the training set does not fit in one
    /// batch of activations.
    pub fn sharpness(&mut self, iterations: u32) -> Result<PendingRead, Error> {
        if self.plan.models > 1 {
            return Err(Error::invalid(Part::Request, "sharpness", "is for a trainer of one model"));
        }
        if !(1..=MAX_POWER_ITERATIONS).contains(&iterations) {
            return Err(Error::invalid(Part::Request, "power iterations", format!("{iterations} not in 1..={MAX_POWER_ITERATIONS}")));
        }
        let n = self.sampler_n() as u32;
        if n > self.plan.capacity {
            let reason = format!("needs the whole training set in one batch: {n} points, this network allows {}", self.plan.capacity);
            return Err(Error::invalid(Part::Request, "sharpness", reason));
        }
        let p = self.layout.num_params as u64;
        let full = |scale: f32, slot: u32| StepArgs { n_rows: n, full_batch: 1, slot, scale, ..StepArgs::default() };
        let mut records = vec![full(EPS, self.plan.probe_slot), full(-EPS, self.plan.probe_slot)];
        records.extend((0..iterations).map(|i| full(EPS, i)));
        self.write_steps(&records);
        let seed = self.seed;
        let state = self.hessian_state();
        let (work, group, started) = ((*state.work).clone(), state.group.clone(), state.started);
        if !started {
            let v: Vec<f32> = start_vector(p as usize, seed).iter().map(|&x| x as f32).collect();
            self.queue.write_buffer(&work, 2 * p * 4, bytemuck::cast_slice(&v));
        }
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::sharpness") });
        encoder.copy_buffer_to_buffer(&self.params, 0, &work, p * 4, p * 4);
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("GpuTrainer::sharpness"), timestamp_writes: None });
            // Reference pre-activations at θ itself (the trainer's own
            // parameters), from which ReLU gates stay frozen below.
            pass.set_bind_group(0, &self.storage_group, &[]);
            let d = &self.plan.dispatches;
            self.encode_forward(&mut pass, d.reference_forward[0], &d.reference_forward, 0, n, 0);
            pass.set_bind_group(0, &group, &[]);
            let (gx, gy) = self.param_groups();
            let k = &self.kernels.landscape;
            let elementwise = |pass: &mut wgpu::ComputePass<'_>, pipeline: &wgpu::ComputePipeline, step: u32| {
                pass.set_pipeline(pipeline);
                self.bind(pass, d.update, step);
                pass.dispatch_workgroups(gx, gy, 1);
            };
            for i in 0..iterations {
                elementwise(&mut pass, &k.hvp_perturb, 0);
                self.encode_gradient(&mut pass, 0, n, true, false);
                elementwise(&mut pass, &k.hvp_keep, 0);
                elementwise(&mut pass, &k.hvp_perturb, 1);
                self.encode_gradient(&mut pass, 1, n, true, false);
                elementwise(&mut pass, &k.hvp_finish, 0);
                pass.set_pipeline(&k.rayleigh);
                self.bind(&mut pass, d.update, 2 + i);
                pass.dispatch_workgroups(1, 1, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
        if let Some(h) = &mut self.hessian {
            h.started = true;
        }
        Ok(PendingRead::new(&self.device, &self.queue, &work, 4 * p, u64::from(iterations)))
    }

    /// Starts reading the current power-iteration vector `v` (unit length).
    #[must_use]
    pub fn read_sharpness_vector(&self) -> Option<PendingRead> {
        let p = self.layout.num_params as u64;
        self.hessian.as_ref().map(|h| PendingRead::new(&self.device, &self.queue, &h.work, 2 * p, p))
    }
}
