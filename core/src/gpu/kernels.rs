//! Compiled pipelines and the bind-group interface they share.
//!
//! Every kernel sees the same three groups (see `common.wgsl`):
//! group 0 the six data buffers, group 1 one [`DispatchArgs`] record and
//! group 2 one [`StepArgs`] record, both read-only storage picked by
//! dynamic offset, so a whole training step is encoded without creating a
//! bind group (and `common.wgsl` says why they are not uniforms).

use std::num::NonZeroU64;

use super::gpu_data::{DispatchArgs, StepArgs};
use super::memory::GpuBuffer;
use super::shaders::Kernel;

/// Storage buffers, in binding order (twin of group 0 in `common.wgsl`).
pub const STORAGE_BINDINGS: [&str; 6] = ["params", "optim", "acts", "data", "batch", "metrics"];

/// Every pipeline gradlab trains with. Cheap to clone (wgpu handles).
#[derive(Clone, Debug)]
pub struct Kernels {
    pub storage_layout: wgpu::BindGroupLayout,
    pub args_layout: wgpu::BindGroupLayout,
    pub step_layout: wgpu::BindGroupLayout,
    pub forward: wgpu::ComputePipeline,
    pub weight_grad: wgpu::ComputePipeline,
    pub backprop: wgpu::ComputePipeline,
    pub output_delta: wgpu::ComputePipeline,
    pub evaluate: wgpu::ComputePipeline,
    pub grad_norm: wgpu::ComputePipeline,
    pub update: wgpu::ComputePipeline,
    pub model_loss: wgpu::ComputePipeline,
    pub plane_params: wgpu::ComputePipeline,
    pub hvp_perturb: wgpu::ComputePipeline,
    pub hvp_keep: wgpu::ComputePipeline,
    pub hvp_finish: wgpu::ComputePipeline,
    pub rayleigh: wgpu::ComputePipeline,
    pub gram_layer: wgpu::ComputePipeline,
}

fn record_layout<T>(device: &wgpu::Device, label: &str) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only: true },
                has_dynamic_offset: true,
                min_binding_size: NonZeroU64::new(std::mem::size_of::<T>() as u64),
            },
            count: None,
        }],
    })
}

impl Kernels {
    #[must_use]
    pub fn new(device: &wgpu::Device) -> Self {
        let storage_entries: Vec<_> = (0..STORAGE_BINDINGS.len() as u32)
            .map(|binding| wgpu::BindGroupLayoutEntry {
                binding,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: false },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let storage_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("Kernels::storage_layout"),
            entries: &storage_entries,
        });
        let args_layout = record_layout::<DispatchArgs>(device, "Kernels::args_layout");
        let step_layout = record_layout::<StepArgs>(device, "Kernels::step_layout");
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("Kernels::pipeline_layout"),
            bind_group_layouts: &[Some(&storage_layout), Some(&args_layout), Some(&step_layout)],
            immediate_size: 0,
        });
        let modules: Vec<_> = Kernel::ALL
            .iter()
            .map(|k| {
                device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(k.file_name()),
                    source: wgpu::ShaderSource::Wgsl(k.source().into()),
                })
            })
            .collect();
        let pipeline = |kernel: Kernel, entry: &str| {
            let module = &modules[Kernel::ALL.iter().position(|&k| k == kernel).expect("registered kernel")];
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&format!("{}::{entry}", kernel.file_name())),
                layout: Some(&pipeline_layout),
                module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            })
        };
        Self {
            forward: pipeline(Kernel::Dense, "forward"),
            weight_grad: pipeline(Kernel::Dense, "weight_grad"),
            backprop: pipeline(Kernel::Dense, "backprop"),
            output_delta: pipeline(Kernel::Loss, "output_delta"),
            evaluate: pipeline(Kernel::Loss, "evaluate"),
            grad_norm: pipeline(Kernel::Optimizer, "grad_norm"),
            update: pipeline(Kernel::Optimizer, "update"),
            model_loss: pipeline(Kernel::Loss, "model_loss"),
            plane_params: pipeline(Kernel::Landscape, "plane_params"),
            hvp_perturb: pipeline(Kernel::Landscape, "hvp_perturb"),
            hvp_keep: pipeline(Kernel::Landscape, "hvp_keep"),
            hvp_finish: pipeline(Kernel::Landscape, "hvp_finish"),
            rayleigh: pipeline(Kernel::Landscape, "rayleigh"),
            gram_layer: pipeline(Kernel::Ntk, "gram_layer"),
            storage_layout,
            args_layout,
            step_layout,
        }
    }
}

impl Kernels {
    /// Group 0 over the six storage buffers, in [`STORAGE_BINDINGS`] order.
    #[must_use]
    pub fn storage_group(&self, device: &wgpu::Device, label: &str, buffers: [&wgpu::Buffer; 6]) -> wgpu::BindGroup {
        let entries: Vec<_> =
            buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() }).collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(label), layout: &self.storage_layout, entries: &entries })
    }
}

/// One user's argument records: a fixed table of [`DispatchArgs`] and a
/// rewritable table of [`StepArgs`], bound as groups 1 and 2 at dynamic
/// offsets `stride` bytes apart.
#[derive(Debug)]
pub(crate) struct Records {
    _args: GpuBuffer,
    steps: GpuBuffer,
    args_group: wgpu::BindGroup,
    step_group: wgpu::BindGroup,
    stride: u64,
}

/// `records` laid out `stride` bytes apart.
fn spaced<T: bytemuck::Pod>(records: &[T], stride: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; records.len() * stride as usize];
    for (i, r) in records.iter().enumerate() {
        let at = i * stride as usize;
        bytes[at..at + std::mem::size_of::<T>()].copy_from_slice(bytemuck::bytes_of(r));
    }
    bytes
}

impl Records {
    /// Uploads `args` and makes room for `max_steps` step records.
    pub(crate) fn new(device: &wgpu::Device, kernels: &Kernels, label: &str, args: &[DispatchArgs], max_steps: u32) -> Self {
        let stride = u64::from(device.limits().min_storage_buffer_offset_alignment).max(256);
        let args = GpuBuffer::with_contents(device, label, &spaced(args, stride), wgpu::BufferUsages::STORAGE);
        let steps =
            GpuBuffer::new(device, label, u64::from(max_steps.max(1)) * stride, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST);
        let group = |layout, buffer, size: usize| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer,
                        offset: 0,
                        size: wgpu::BufferSize::new(size as u64),
                    }),
                }],
            })
        };
        let args_group = group(&kernels.args_layout, &args, std::mem::size_of::<DispatchArgs>());
        let step_group = group(&kernels.step_layout, &steps, std::mem::size_of::<StepArgs>());
        Self { _args: args, steps, args_group, step_group, stride }
    }

    /// Replaces the step records (the next submit sees them).
    pub(crate) fn write_steps(&self, queue: &wgpu::Queue, steps: &[StepArgs]) {
        queue.write_buffer(&self.steps, 0, &spaced(steps, self.stride));
    }

    /// Binds dispatch record `record` and step record `step`.
    pub(crate) fn bind(&self, pass: &mut wgpu::ComputePass<'_>, record: u32, step: u32) {
        pass.set_bind_group(1, &self.args_group, &[record * self.stride as u32]);
        pass.set_bind_group(2, &self.step_group, &[step * self.stride as u32]);
    }
}
