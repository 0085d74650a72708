//! The loss at many points of a plane through parameter space, as one
//! batched dispatch sequence: models are evaluated `chunk` at a time, each
//! chunk one `plane_params` dispatch (every model's parameters from the
//! plane), one forward dispatch per layer with the model as the third
//! dispatch dimension, and one `model_loss` dispatch. A whole G×G grid is
//! one submit. [`crate::landscape::plane_losses`] is the CPU twin.

use crate::config::{Problem, Subset};
use crate::gpu::common::ArgTables;
use crate::gpu::gpu_data::{DispatchArgs, StepArgs};
use crate::gpu::loss::Norm;
use crate::gpu::memory::GpuBuffer;
use crate::gpu::plan::u32_of;
use crate::gpu::{dense, Kernels, PendingRead};
use crate::landscape::Plane;
use crate::spec::ParamLayout;
use crate::{Error, Part};

/// Most models evaluated side by side in one chunk.
const MAX_CHUNK: usize = 256;
/// Bytes of activations a chunk may hold, unless one model needs more: at
/// 256 models a chunk held ~30 MB for the landscape's default net, which
/// every run kept, and dozens of models keep any GPU busy.
const ACTS_BYTES: u64 = 4 << 20;
/// Most data rows per chunk.
const MAX_ROWS: usize = 1024;

/// Dispatch-args records of one subset.
#[derive(Clone, Debug)]
struct SubsetPlan {
    rows: u32,
    forward: Vec<u32>,
    loss: u32,
}

/// Evaluates the mean loss of one problem's data at points of planes.
#[derive(Debug)]
pub struct LossProbe {
    device: wgpu::Device,
    queue: wgpu::Queue,
    kernels: Kernels,
    layout: ParamLayout,
    /// Every buffer the storage group binds: the models' parameters, the
    /// plane and its points, activations, data, an unused batch, losses.
    _models: GpuBuffer,
    plane: GpuBuffer,
    _acts: GpuBuffer,
    _data: GpuBuffer,
    _batch: GpuBuffer,
    losses: GpuBuffer,
    storage_group: wgpu::BindGroup,
    args: ArgTables,
    subsets: [SubsetPlan; 2],
    plane_record: u32,
    chunk: u32,
    rows_chunk: u32,
    max_points: usize,
    norm: Norm,
}

/// Losses on their way back from the GPU.
#[derive(Debug)]
pub struct PendingLosses {
    read: PendingRead,
    count: usize,
    rows: usize,
    norm: Norm,
}

impl PendingLosses {
    /// The mean losses, once they have arrived.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Vec<f32>, Error>> {
        self.read.try_take().map(|r| r.map(|sums| self.means(&sums)))
    }

    /// Blocks until the losses are there (native only).
    ///
    /// # Errors
    /// [`Error::Device`] if the readback fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Vec<f32>, Error> {
        self.read.wait(device).map(|sums| self.means(&sums))
    }

    fn means(&self, sums: &[f32]) -> Vec<f32> {
        sums[..self.count].iter().map(|&s| self.norm.mean(s, self.rows)).collect()
    }
}

impl LossProbe {
    /// Uploads `problem`'s data and sizes every buffer for up to
    /// `max_points` points per evaluation.
    ///
    /// # Errors
    /// [`Error::TooLarge`] if even one model does not fit the device.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, kernels: &Kernels, problem: &Problem, max_points: usize) -> Result<Self, Error> {
        let layout = problem.spec.layout();
        let limits = device.limits();
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let p = layout.num_params;
        let dout = layout.output_dim();

        // Data: train x, train y, test x, test y.
        let mut data = Vec::new();
        let mut offsets = [(0usize, 0usize); 2];
        for (i, subset) in [Subset::Train, Subset::Test].into_iter().enumerate() {
            let (x, y) = problem.subset(subset);
            offsets[i].0 = data.len();
            data.extend_from_slice(x);
            offsets[i].1 = data.len();
            data.extend_from_slice(y);
        }
        let rows = [problem.dataset.train.len(), problem.dataset.test.len()];

        // Activations per model: Z and H of every layer, `rows_chunk` rows.
        let width_sum: usize = layout.layers.iter().map(|l| l.fan_out).sum();
        let row_floats = 2 * width_sum as u64;
        let rows_chunk = (rows[0].max(rows[1]).max(1) as u64).min(MAX_ROWS as u64).min(max_binding / (4 * row_floats)) as usize;
        if rows_chunk == 0 {
            return Err(Error::gpu_limit("activations of one row", 4 * row_floats, max_binding));
        }
        let act_stride = row_floats * rows_chunk as u64;
        let chunk = (max_binding / (4 * act_stride))
            .min(max_binding / (4 * p as u64))
            .min(MAX_CHUNK as u64)
            .min(max_points.max(1) as u64)
            .min((ACTS_BYTES / (4 * act_stride)).max(1));
        if chunk == 0 {
            return Err(Error::gpu_limit("one model's parameters and activations", 4 * (act_stride + p as u64), max_binding));
        }
        let chunk = chunk as usize;
        let padded = max_points.div_ceil(chunk) * chunk;
        if (p as u64).div_ceil(256) > 65_535 {
            return Err(Error::gpu_limit("parameters per dispatch", p as u64 * 4, 65_535 * 256 * 4));
        }

        let rw = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let buffer = |label, floats: u64| GpuBuffer::new(device, label, floats * 4, rw);
        let models = buffer("LossProbe::models", (chunk * p) as u64);
        let plane = buffer("LossProbe::plane", (3 * p + 2 * padded) as u64);
        let acts = buffer("LossProbe::acts", chunk as u64 * act_stride);
        let data_buf = GpuBuffer::with_contents(device, "LossProbe::data", bytemuck::cast_slice(&data), rw);
        let batch = buffer("LossProbe::batch", 1);
        let losses = buffer("LossProbe::losses", padded as u64);

        // Dispatch args: per subset, the forward of every layer and the loss.
        let mut records: Vec<DispatchArgs> = Vec::new();
        let mut push = |r: DispatchArgs| {
            records.push(r);
            (records.len() - 1) as u32
        };
        let common = DispatchArgs {
            num_params: u32_of(p, "parameters")?,
            param_stride: u32_of(p, "parameters")?,
            act_stride: u32_of(act_stride as usize, "activations")?,
            ..DispatchArgs::default()
        };
        let plane_record = push(common);
        let mut subsets = Vec::new();
        for (i, &(x_off, y_off)) in offsets.iter().enumerate() {
            let mut at = 0usize;
            let mut prev_h = 0usize;
            let mut forward = Vec::new();
            let mut last = common;
            for (l, s) in layout.layers.iter().enumerate() {
                let r = DispatchArgs {
                    fan_in: u32_of(s.fan_in, "width")?,
                    fan_out: u32_of(s.fan_out, "width")?,
                    w_off: u32_of(s.w_offset, "parameters")?,
                    b_off: u32_of(s.b_offset, "parameters")?,
                    in_off: u32_of(if l == 0 { x_off } else { prev_h }, "data")?,
                    in_from_data: u32::from(l == 0),
                    z_off: u32_of(at, "activations")?,
                    h_off: u32_of(at + rows_chunk * s.fan_out, "activations")?,
                    activation: layout.activation_of(l).code(),
                    w_mult: layout.w_mult(s) as f32,
                    b_mult: layout.b_mult(s) as f32,
                    ..common
                };
                prev_h = at + rows_chunk * s.fan_out;
                at += 2 * rows_chunk * s.fan_out;
                forward.push(push(r));
                last = r;
            }
            let loss = push(DispatchArgs { target_off: u32_of(y_off, "data")?, loss: problem.config.train.loss.code(), ..last });
            subsets.push(SubsetPlan { rows: u32_of(rows[i], "rows")?, forward, loss });
        }
        let max_records = (padded / chunk) * rows[0].max(rows[1]).max(1).div_ceil(rows_chunk);
        let args = ArgTables::new(device, &kernels.layouts, "LossProbe::args", &records, u32_of(max_records, "records")?);
        let storage_group =
            kernels.layouts.storage_group(device, "LossProbe::storage", [&models, &plane, &acts, &data_buf, &batch, &losses]);
        let [train, test]: [SubsetPlan; 2] = subsets.try_into().expect("two subsets");
        Ok(Self {
            device: device.clone(),
            queue: queue.clone(),
            kernels: kernels.clone(),
            norm: Norm::of(&problem.config.train, dout, 0),
            layout,
            _models: models,
            plane,
            _acts: acts,
            _data: data_buf,
            _batch: batch,
            losses,
            storage_group,
            args,
            subsets: [train, test],
            plane_record,
            chunk: chunk as u32,
            rows_chunk: rows_chunk as u32,
            max_points,
        })
    }

    /// Points one evaluation takes at most.
    #[must_use]
    pub fn max_points(&self) -> usize {
        self.max_points
    }

    /// Models evaluated side by side per chunk.
    #[must_use]
    pub fn chunk(&self) -> usize {
        self.chunk as usize
    }

    /// Starts evaluating the mean loss on `subset` at each point `(α, β)`
    /// of `plane`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for more points than the probe was made
    /// for, or a plane of the wrong dimension.
    pub fn evaluate(&self, plane: &Plane, points: &[[f32; 2]], subset: Subset) -> Result<PendingLosses, Error> {
        let p = self.layout.num_params;
        if points.len() > self.max_points {
            return Err(Error::invalid(Part::Request, "points", format!("{}, the probe holds {}", points.len(), self.max_points)));
        }
        if [&plane.center, &plane.d1, &plane.d2].iter().any(|v| v.len() != p) {
            return Err(Error::invalid(Part::Request, "plane", format!("should have {p} dimensions")));
        }
        let plan = &self.subsets[subset as usize];
        if plan.rows == 0 {
            return Err(Error::invalid(Part::Request, "subset", format!("{subset:?} is empty")));
        }
        let chunk = self.chunk as usize;
        let chunks = points.len().div_ceil(chunk);
        let mut upload = Vec::with_capacity(3 * p + 2 * chunks * chunk);
        upload.extend_from_slice(&plane.center);
        upload.extend_from_slice(&plane.d1);
        upload.extend_from_slice(&plane.d2);
        upload.extend(points.iter().flatten());
        upload.resize(3 * p + 2 * chunks * chunk, 0.0);
        self.queue.write_buffer(&self.plane, 0, bytemuck::cast_slice(&upload));

        let row_chunks: Vec<(u32, u32)> =
            (0..plan.rows).step_by(self.rows_chunk as usize).map(|start| (start, (plan.rows - start).min(self.rows_chunk))).collect();
        let mut records = Vec::new();
        for c in 0..chunks {
            for (r, &(row_base, n_rows)) in row_chunks.iter().enumerate() {
                records.push(StepArgs {
                    n_rows,
                    full_batch: 1,
                    row_base,
                    model_base: (c * chunk) as u32,
                    accumulate: u32::from(r > 0),
                    ..StepArgs::default()
                });
            }
        }
        self.args.write_steps(&self.queue, &records);

        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("LossProbe::evaluate") });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("LossProbe::evaluate"), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage_group, &[]);
            let bind = |pass: &mut wgpu::ComputePass<'_>, record: u32, step: u32| self.args.bind(pass, record, step);
            let k = &self.kernels;
            for c in 0..chunks {
                let first = (c * row_chunks.len()) as u32;
                pass.set_pipeline(&k.landscape.plane_params);
                bind(&mut pass, self.plane_record, first);
                pass.dispatch_workgroups((p as u32).div_ceil(256), self.chunk, 1);
                for (r, &(_, n_rows)) in row_chunks.iter().enumerate() {
                    let step = first + r as u32;
                    for (l, s) in self.layout.layers.iter().enumerate() {
                        let (pipeline, (x, y)) = k.dense.pick(dense::Op::Forward, l, s, n_rows);
                        pass.set_pipeline(pipeline);
                        bind(&mut pass, plan.forward[l], step);
                        pass.dispatch_workgroups(x, y, self.chunk);
                    }
                    pass.set_pipeline(&k.loss.model_loss);
                    bind(&mut pass, plan.loss, step);
                    pass.dispatch_workgroups(self.chunk, 1, 1);
                }
            }
        }
        self.queue.submit([encoder.finish()]);
        Ok(PendingLosses {
            read: PendingRead::new(&self.device, &self.queue, &self.losses, 0, points.len() as u64),
            count: points.len(),
            rows: plan.rows as usize,
            norm: self.norm,
        })
    }
}
