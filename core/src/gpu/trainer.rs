//! [`GpuTrainer`]: one net (or a batch of nets) training on the GPU. It
//! allocates what its [`TrainerPlan`] sized, uploads the data and the
//! parameters, and composes the kernel families: [`super::dense`] layers,
//! [`super::loss`] at the output, [`super::optimizer`] updates; the
//! pictures ([`super::landscape`], [`super::ntk`]) run on its buffers.

use super::common::ArgTables;
use super::gpu_data::StepArgs;
use super::landscape::HessianState;
use super::memory::GpuBuffer;
use super::plan::{DataSizes, EvalSet, TrainerPlan};
use super::{Kernels, PendingRead};
use crate::config::Problem;
use crate::spec::ParamLayout;
use crate::train::{BatchSampler, Optimizer, TrainConfig};
use crate::{Error, Part};

/// A training run on the GPU. See the module docs.
#[derive(Debug)]
pub struct GpuTrainer {
    pub(super) device: wgpu::Device,
    pub(super) queue: wgpu::Queue,
    pub(super) kernels: Kernels,
    pub(super) params: GpuBuffer,
    pub(super) optim: GpuBuffer,
    pub(super) acts: GpuBuffer,
    pub(super) data: GpuBuffer,
    pub(super) batch: GpuBuffer,
    pub(super) metrics: GpuBuffer,
    pub(super) storage_group: wgpu::BindGroup,
    pub(super) args: ArgTables,
    pub(super) plan: TrainerPlan,
    pub(super) layout: ParamLayout,
    pub(super) config: TrainConfig,
    pub(super) seed: u64,
    pub(super) sampler: BatchSampler,
    pub(super) step: u64,
    pub(super) last_submit_steps: u32,
    pub(super) batch_scratch: Vec<u32>,
    pub(super) hessian: Option<HessianState>,
    /// The pruning masks of every model, if pruned (also in `optim`).
    masks: Option<Vec<f32>>,
    /// A classifier's training and test targets, per dataset: what a
    /// snapshot's accuracy is counted against.
    pub(super) targets: Option<std::sync::Arc<[[Vec<f32>; 2]]>>,
    /// What the plan was made for, to make it again for a new batch size.
    data_sizes: DataSizes,
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
    /// [`Error::TooLarge`] if a buffer would exceed the device's limits
    /// (the message says which and by how much); [`Error::Invalid`]
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
    /// As [`Self::new`], and [`Error::Invalid`] if the datasets are
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
        Self::build(device, queue, kernels, problem, datasets, params, None, grid_x)
    }

    /// As [`Self::with_datasets`], pruned: `masks` (one entry per
    /// parameter of every model, 1 kept, 0 pruned) zero the pruned
    /// parameters, which stay exactly zero through every step and reset.
    ///
    /// # Errors
    /// As [`Self::with_datasets`], and [`Error::Invalid`] if `masks` is
    /// not one entry per parameter.
    #[allow(clippy::too_many_arguments)]
    pub fn pruned(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        kernels: &Kernels,
        problem: &Problem,
        datasets: &[&Problem],
        params: &[f32],
        masks: &[f32],
        grid_x: &[f32],
    ) -> Result<Self, Error> {
        if masks.len() != params.len() {
            let reason = format!("{} mask entries for {} parameters", masks.len(), params.len());
            return Err(Error::invalid(Part::Request, "masks", reason));
        }
        Self::build(device, queue, kernels, problem, datasets, params, Some(masks), grid_x)
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        kernels: &Kernels,
        problem: &Problem,
        datasets: &[&Problem],
        params: &[f32],
        masks: Option<&[f32]>,
        grid_x: &[f32],
    ) -> Result<Self, Error> {
        let (layout, config, data_sizes, mut plan) = Self::plan(device, problem, datasets, params.len(), grid_x.len())?;
        let masks = masks.map(<[f32]>::to_vec);
        let params: std::borrow::Cow<'_, [f32]> = match &masks {
            Some(m) => {
                plan = plan.masked(max_binding(device))?;
                params.iter().zip(m).map(|(p, m)| p * m).collect()
            }
            None => params.into(),
        };
        let mut data = Vec::with_capacity(plan.data.block * datasets.len());
        for d in datasets {
            data.extend_from_slice(&d.dataset.train.x);
            data.extend_from_slice(&d.train_targets);
            data.extend_from_slice(&d.dataset.test.x);
            data.extend_from_slice(&d.test_targets);
            data.extend_from_slice(grid_x);
        }
        let rw = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let [params_buf, optim, acts, data_buf, batch, metrics] = std::array::from_fn(|i| {
            let label = super::STORAGE_BINDINGS[i];
            match label {
                "params" => GpuBuffer::with_contents(device, label, bytemuck::cast_slice(&params), rw),
                "data" => GpuBuffer::with_contents(device, label, bytemuck::cast_slice(&data), rw),
                _ => GpuBuffer::new(device, label, plan.bytes[i], rw),
            }
        });
        let args = ArgTables::new(device, &kernels.layouts, "GpuTrainer::args", &plan.dispatch_args, plan.max_step_records);
        let storage_group =
            kernels.layouts.storage_group(device, "GpuTrainer::storage_group", [&params_buf, &optim, &acts, &data_buf, &batch, &metrics]);
        if let Some(m) = &masks {
            let off = plan.dispatch_args[plan.dispatches.update as usize].mask_off;
            queue.write_buffer(&optim, u64::from(off) * 4, bytemuck::cast_slice(m));
        }
        let sampler = BatchSampler::new(data_sizes.n_train, plan.batch, problem.config.seed);
        Ok(Self {
            device: device.clone(),
            queue: queue.clone(),
            kernels: kernels.clone(),
            params: params_buf,
            optim,
            acts,
            data: data_buf,
            batch,
            metrics,
            storage_group,
            args,
            plan,
            layout,
            config,
            seed: problem.config.seed,
            sampler,
            step: 0,
            last_submit_steps: 0,
            batch_scratch: Vec::new(),
            hessian: None,
            masks,
            data_sizes,
            targets: problem
                .dataset
                .classes()
                .map(|_| datasets.iter().map(|d| [d.train_targets.clone(), d.test_targets.clone()]).collect()),
        })
    }

    /// Checks that a run of `problem` fits `device`, allocating nothing:
    /// the errors [`Self::new`] would give for `params` parameter floats
    /// and `grid` grid floats.
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn check(device: &wgpu::Device, problem: &Problem, params: usize, grid: usize) -> Result<(), Error> {
        Self::plan(device, problem, &[problem], params, grid).map(|_| ())
    }

    /// The layout, training configuration, data sizes and buffer plan of a
    /// run, or why it cannot be.
    fn plan(
        device: &wgpu::Device,
        problem: &Problem,
        datasets: &[&Problem],
        params: usize,
        grid: usize,
    ) -> Result<(ParamLayout, TrainConfig, DataSizes, TrainerPlan), Error> {
        let layout = problem.spec.layout();
        let config = problem.config.train.clone();
        let models = params / layout.num_params;
        if models == 0 || !params.is_multiple_of(layout.num_params) {
            let reason = format!("{params} are not a whole number of models of {}", layout.num_params);
            return Err(Error::invalid(Part::Request, "parameters", reason));
        }
        if models > 1 && matches!(config.optimizer, Optimizer::NormalizedGd { .. }) {
            return Err(Error::invalid(Part::Training, "optimizer", "normalized GD cannot train several models side by side"));
        }
        let sizes = |p: &Problem| (p.dataset.train.x.len(), p.train_targets.len(), p.dataset.test.x.len(), p.test_targets.len());
        if !(datasets.len() == 1 || datasets.len() == models) || datasets.iter().any(|d| sizes(d) != sizes(problem)) {
            let reason =
                format!("{} for {models} models: give one shared dataset or one per model, all of the problem's sizes", datasets.len());
            return Err(Error::invalid(Part::Request, "datasets", reason));
        }
        let (train_x, train_y, test_x, test_y) = sizes(problem);
        let data_sizes = DataSizes {
            train_x,
            train_y,
            test_x,
            test_y,
            grid_x: grid,
            n_train: problem.dataset.train.len(),
            n_test: problem.dataset.test.len(),
            n_grid: grid / layout.input_dim(),
        };
        let plan = TrainerPlan::new(&layout, &config, data_sizes, models, datasets.len() > 1, max_binding(device))?;
        Ok((layout, config, data_sizes, plan))
    }

    #[must_use]
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    #[must_use]
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Starts over from `params` (pruned by the masks, if any): optimizer
    /// state zeroed, step 0, the batch order of step 0.
    pub fn reset(&mut self, params: &[f32]) {
        let mask_off = self.plan.dispatch_args[self.plan.dispatches.update as usize].mask_off;
        match &self.masks {
            Some(m) => {
                let pruned: Vec<f32> = params.iter().zip(m).map(|(p, m)| p * m).collect();
                self.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(&pruned));
            }
            None => self.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(params)),
        }
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("GpuTrainer::reset") });
        // Everything but the masks.
        encoder.clear_buffer(&self.optim, 0, (mask_off > 0).then_some(u64::from(mask_off) * 4));
        self.queue.submit([encoder.finish()]);
        self.sampler = BatchSampler::new(self.sampler_n(), self.sampler.batch_size(), self.seed);
        self.step = 0;
        self.last_submit_steps = 0;
        if let Some(h) = &mut self.hessian {
            h.started = false;
        }
    }

    pub(super) fn sampler_n(&self) -> usize {
        self.plan.dispatches.eval[EvalSet::Train as usize].rows as usize
    }

    pub(super) fn write_steps(&self, steps: &[StepArgs]) {
        self.args.write_steps(&self.queue, steps);
    }

    pub(super) fn bind(&self, pass: &mut wgpu::ComputePass<'_>, record: u32, step: u32) {
        self.args.bind(pass, record, step);
    }

    /// Workgroups of 256 covering every parameter, as `(x, y)`.
    pub(super) fn param_groups(&self) -> (u32, u32) {
        let groups = (self.layout.num_params as u32 * self.plan.models).div_ceil(256);
        (groups.min(65_535), groups.div_ceil(65_535))
    }

    /// Trains on with `config` from the next submitted step
    /// ([`TrainConfig::retuned`]: each step's learning rate and weight
    /// decay are written with its submit).
    ///
    /// # Errors
    /// As [`TrainConfig::retuned`].
    pub fn retune(&mut self, config: &TrainConfig) -> Result<(), Error> {
        let config = self.config.retuned(config)?;
        // A new batch size moves the activations' room and the metrics'
        // slots, and optimizer hyperparameters live in the update's
        // record: plan again, keeping the parameters, the optimizer state
        // and the data where they are.
        let plan = TrainerPlan::new(
            &self.layout,
            &config,
            self.data_sizes,
            self.plan.models as usize,
            self.plan.data_stride > 0,
            max_binding(&self.device),
        )?;
        let plan = if self.masks.is_some() { plan.masked(max_binding(&self.device))? } else { plan };
        if plan != self.plan {
            let rw = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
            let [acts, batch, metrics] = [2, 4, 5].map(|i| GpuBuffer::new(&self.device, super::STORAGE_BINDINGS[i], plan.bytes[i], rw));
            self.args = ArgTables::new(&self.device, &self.kernels.layouts, "GpuTrainer::args", &plan.dispatch_args, plan.max_step_records);
            let buffers = [&self.params, &self.optim, &acts, &self.data, &batch, &metrics];
            self.storage_group = self.kernels.layouts.storage_group(&self.device, "GpuTrainer::storage_group", buffers.map(|b| &**b));
            (self.acts, self.batch, self.metrics, self.plan) = (acts, batch, metrics, plan);
            self.last_submit_steps = 0;
            self.hessian = None; // its work buffers follow the activations
        }
        if config.batch_size != self.config.batch_size {
            self.sampler = self.sampler.rebatched(self.plan.batch);
        }
        self.config = config;
        Ok(())
    }

    /// Every model's parameters, model after model.
    #[must_use]
    pub fn read_params(&self) -> PendingRead {
        PendingRead::new(&self.device, &self.queue, &self.params, 0, self.layout.num_params as u64 * u64::from(self.plan.models))
    }

    /// The gradient of the last step's batch loss, at the parameters before
    /// that step's update (weight decay not included), model after model.
    #[must_use]
    pub fn read_grads(&self) -> PendingRead {
        PendingRead::new(&self.device, &self.queue, &self.optim, 0, self.layout.num_params as u64 * u64::from(self.plan.models))
    }

    /// Models trained side by side.
    #[must_use]
    pub fn models(&self) -> usize {
        self.plan.models as usize
    }

    #[must_use]
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The queue and kernels this trainer runs on (to build a
    /// [`super::LossProbe`] beside it).
    #[must_use]
    pub fn queue_and_kernels(&self) -> (&wgpu::Queue, &Kernels) {
        (&self.queue, &self.kernels)
    }
}

/// The largest buffer binding `device` allows.
fn max_binding(device: &wgpu::Device) -> u64 {
    let limits = device.limits();
    limits.max_storage_buffer_binding_size.min(limits.max_buffer_size)
}
