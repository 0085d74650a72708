//! Owner of `shaders/factor.wgsl`: factorized matrix completion
//! ([`crate::implicit::matrix`]) with every model of an initialization
//! sweep trained at once, the model as the third dispatch dimension. CPU
//! twin: [`Factorized::step`]. Its own bind-group layout (two buffers and
//! one record), not the MLP kernels' prelude.

use std::num::NonZeroU64;

use bytemuck::{Pod, Zeroable};
use nalgebra::DMatrix;

use super::kernels::{compile, Compiler, Lazy};
use super::memory::GpuBuffer;
use super::shaders::Kernel;
use super::PendingRead;
use crate::implicit::matrix::{Completion, Factorized};
use crate::{Error, Part};

/// Twin of `FactorOp` in `factor.wgsl`: one dispatch's operands.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct FactorOp {
    pub n: u32,
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub flags: u32,
    pub len: u32,
    pub scale: f32,
}

const _: () = assert!(std::mem::size_of::<FactorOp>() == 28);

const TRANSPOSE_A: u32 = 1;
const TRANSPOSE_B: u32 = 2;

/// The most models a batch trains, and the largest side: at most 14
/// matrices a model, under 2 MB in all, far within every device's limits.
pub const MAX_MODELS: usize = 8;
pub const MAX_SIDE: usize = 64;

/// The pipelines of `factor.wgsl` and the layouts they bind.
#[derive(Clone, Debug)]
pub struct Pipelines {
    storage: wgpu::BindGroupLayout,
    record: wgpu::BindGroupLayout,
    pub gemm: Lazy,
    pub residual: Lazy,
    pub descend: Lazy,
}

impl Pipelines {
    pub(super) fn new(device: &wgpu::Device) -> Self {
        let entry = |binding, read_only, has_dynamic_offset, min| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Storage { read_only }, has_dynamic_offset, min_binding_size: min },
            count: None,
        };
        let storage = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("Factor::storage"),
            entries: &[entry(0, false, false, None), entry(1, true, false, None)],
        });
        let size = NonZeroU64::new(std::mem::size_of::<FactorOp>() as u64);
        let record = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("Factor::record"),
            entries: &[entry(0, true, true, size)],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("Factor::pipeline"),
            bind_group_layouts: &[Some(&storage), Some(&record)],
            immediate_size: 0,
        });
        let build = |c: &Compiler<'_>| (c.pipeline("gemm"), c.pipeline("residual"), c.pipeline("descend"));
        let (gemm, residual, descend) = compile(device, &layout, Kernel::Factor, "Factor", build);
        Self { storage, record, gemm, residual, descend }
    }
}

/// One dispatch of a step: its kernel and its record.
#[derive(Clone, Copy, Debug)]
enum Dispatch {
    Gemm(u32),
    Residual(u32),
    Descend(u32),
}

/// The models of a sweep (one depth, one learning rate, several starts)
/// on one completion problem, training on the GPU in f32.
#[derive(Debug)]
pub struct FactorBatch {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Pipelines,
    mats: GpuBuffer,
    _problem: GpuBuffer,
    _records: GpuBuffer,
    storage: wgpu::BindGroup,
    record: wgpu::BindGroup,
    /// Bytes between records.
    stride: u32,
    step: Vec<Dispatch>,
    /// The first `product` dispatches of a step compute `X`.
    product: usize,
    n: u32,
    models: u32,
    /// Factors per model.
    factors: u32,
    /// Where the models' `X` start in `mats` (floats).
    x_off: u32,
    steps: u64,
}

impl FactorBatch {
    /// Uploads `c` and the models' factors.
    ///
    /// # Errors
    /// [`Error::Invalid`] for no models, more than [`MAX_MODELS`], a side
    /// over [`MAX_SIDE`], or models that differ in size, depth or
    /// learning rate.
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        pipelines: &Pipelines,
        c: &Completion,
        models: &[Factorized],
    ) -> Result<Self, Error> {
        let n = c.n();
        let first = models.first().ok_or_else(|| Error::invalid(Part::Request, "models", "a batch needs a model"))?;
        let alike = models.iter().all(|m| m.depth == first.depth && m.lr == first.lr && m.factors.iter().all(|w| w.shape() == (n, n)));
        if models.len() > MAX_MODELS || n > MAX_SIDE || !alike {
            let reason =
                format!("up to {MAX_MODELS} models of one depth and learning rate, n ≤ {MAX_SIDE} (got {} models, n = {n})", models.len());
            return Err(Error::invalid(Part::Request, "models", reason));
        }
        let (depth, count, mcount) = (first.depth, first.factors.len(), models.len() as u32);
        let nn = (n * n) as u32;
        let slot = |s: usize| s as u32 * mcount * nn;
        // Slots: factors W_1..W_L, their gradients, the products P_2..P_L
        // (P_L = X; P_1 = W_1), the residual R, then S_{L−1}..S_2
        // (S_k = (W_L⋯W_{k+1})ᵀR; S_1 is W_1's gradient, written in place).
        let (w, g) = (|k: usize| slot(k), |k: usize| slot(count + k));
        let mut ops: Vec<FactorOp> = Vec::new();
        let mut step = Vec::new();
        let mut push = |op: FactorOp, d: fn(u32) -> Dispatch| {
            step.push(d(ops.len() as u32));
            ops.push(FactorOp { n: n as u32, ..op });
        };
        let gemm = |a, b, c, flags, scale| FactorOp { a, b, c, flags, scale, ..FactorOp::default() };
        let x_off;
        if depth == 2 {
            // X = UUᵀ; R = P_Ω(X − T)/p; ∇U = 2RU.
            let (x, r) = (slot(2), slot(3));
            x_off = x;
            push(gemm(w(0), w(0), x, TRANSPOSE_B, 1.0), Dispatch::Gemm);
            push(FactorOp { a: x, c: r, scale: (1.0 / c.seen) as f32, ..FactorOp::default() }, Dispatch::Residual);
            push(gemm(r, w(0), g(0), 0, 2.0), Dispatch::Gemm);
        } else {
            let p = |k: usize| if k == 1 { w(0) } else { slot(2 * count + k - 2) }; // P_k, k = 1..L
            let r = slot(3 * count - 1);
            let s = |k: usize| {
                if k == count {
                    r
                } else if k == 1 {
                    g(0)
                } else {
                    slot(3 * count + count - 1 - k)
                }
            }; // S_k
            x_off = p(count);
            for k in 2..=count {
                push(gemm(w(k - 1), p(k - 1), p(k), 0, 1.0), Dispatch::Gemm);
            }
            push(FactorOp { a: p(count), c: r, scale: (1.0 / c.seen) as f32, ..FactorOp::default() }, Dispatch::Residual);
            for k in (1..count).rev() {
                push(gemm(w(k), s(k + 1), s(k), TRANSPOSE_A, 1.0), Dispatch::Gemm);
            }
            for k in (2..=count).rev() {
                push(gemm(s(k), p(k - 1), g(k - 1), TRANSPOSE_B, 1.0), Dispatch::Gemm);
            }
        }
        let product = count.max(2) - 1;
        let len = slot(count);
        push(FactorOp { a: 0, b: len, len, scale: first.lr as f32, ..FactorOp::default() }, Dispatch::Descend);
        let slots = if depth == 2 { 4 } else { 4 * count - 2 };

        // Row-major factors, slot-major.
        let mut init = vec![0f32; slots * models.len() * (n * n)];
        for (m, model) in models.iter().enumerate() {
            for (k, f) in model.factors.iter().enumerate() {
                let at = (w(k) + m as u32 * nn) as usize;
                for (e, v) in f.transpose().iter().enumerate() {
                    init[at + e] = *v as f32;
                }
            }
        }
        let mut problem: Vec<f32> = c.target.transpose().iter().map(|&v| v as f32).collect();
        problem.extend(c.mask.transpose().iter().map(|&v| v as f32));
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let mats = GpuBuffer::with_contents(device, "FactorBatch::mats", bytemuck::cast_slice(&init), usage);
        let problem = GpuBuffer::with_contents(device, "FactorBatch::problem", bytemuck::cast_slice(&problem), wgpu::BufferUsages::STORAGE);
        let stride = device.limits().min_storage_buffer_offset_alignment.max(256);
        let mut table = vec![0u8; ops.len() * stride as usize];
        for (i, op) in ops.iter().enumerate() {
            table[i * stride as usize..][..std::mem::size_of::<FactorOp>()].copy_from_slice(bytemuck::bytes_of(op));
        }
        let records = GpuBuffer::with_contents(device, "FactorBatch::records", &table, wgpu::BufferUsages::STORAGE);
        let storage = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("FactorBatch::storage"),
            layout: &pipelines.storage,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: mats.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: problem.as_entire_binding() },
            ],
        });
        let record = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("FactorBatch::record"),
            layout: &pipelines.record,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &records,
                    offset: 0,
                    size: NonZeroU64::new(std::mem::size_of::<FactorOp>() as u64),
                }),
            }],
        });
        Ok(Self {
            device: device.clone(),
            queue: queue.clone(),
            pipelines: pipelines.clone(),
            mats,
            _problem: problem,
            _records: records,
            storage,
            record,
            stride,
            step,
            product,
            n: n as u32,
            models: mcount,
            factors: count as u32,
            x_off,
            steps: 0,
        })
    }

    /// Submits `steps` gradient steps of every model, in one compute pass.
    pub fn train(&mut self, steps: u32) {
        let step = &self.step;
        self.submit("FactorBatch::train", (0..steps).flat_map(|_| step.iter()));
        self.steps += u64::from(steps);
    }

    /// Encodes `dispatches` in one compute pass and submits it.
    fn submit<'d>(&self, label: &str, dispatches: impl Iterator<Item = &'d Dispatch>) {
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(label), timestamp_writes: None });
            pass.set_bind_group(0, &self.storage, &[]);
            let side = self.n.div_ceil(8);
            let entries = (self.n * self.n).div_ceil(64);
            let factors = (self.models * self.n * self.n * self.factors).div_ceil(64);
            for d in dispatches {
                let (pipeline, record, groups) = match *d {
                    Dispatch::Gemm(r) => (&self.pipelines.gemm, r, (side, side, self.models)),
                    Dispatch::Residual(r) => (&self.pipelines.residual, r, (entries, self.models, 1)),
                    Dispatch::Descend(r) => (&self.pipelines.descend, r, (factors, 1, 1)),
                };
                pass.set_pipeline(pipeline);
                pass.set_bind_group(1, &self.record, &[record * self.stride]);
                pass.dispatch_workgroups(groups.0, groups.1, groups.2);
            }
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Steps submitted so far.
    #[must_use]
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Starts reading every model's `X` back, as it is after the steps
    /// submitted (a step leaves the `X` it started from: the product is
    /// computed afresh first).
    #[must_use]
    pub fn read_products(&self) -> PendingProducts {
        self.submit("FactorBatch::product", self.step[..self.product].iter());
        let nn = u64::from(self.n * self.n);
        PendingProducts {
            read: PendingRead::new(&self.device, &self.queue, &self.mats, u64::from(self.x_off), u64::from(self.models) * nn),
            n: self.n as usize,
            models: self.models as usize,
            step: self.steps,
        }
    }
}

/// The models' `X` on their way back.
#[derive(Debug)]
pub struct PendingProducts {
    read: PendingRead,
    n: usize,
    models: usize,
    /// The step they are from.
    pub step: u64,
}

impl PendingProducts {
    /// Every model's `X` (in f64), once arrived.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Vec<DMatrix<f64>>, Error>> {
        self.read.try_take().map(|r| r.map(|raw| self.parse(&raw)))
    }

    /// Blocks until they are there (native only).
    ///
    /// # Errors
    /// [`Error::Device`] if the readback fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Vec<DMatrix<f64>>, Error> {
        Ok(self.parse(&self.read.wait(device)?))
    }

    fn parse(&self, raw: &[f32]) -> Vec<DMatrix<f64>> {
        let nn = self.n * self.n;
        (0..self.models).map(|m| DMatrix::from_row_iterator(self.n, self.n, raw[m * nn..][..nn].iter().map(|&v| f64::from(v)))).collect()
    }
}
