//! Owner of `shaders/common.wgsl`, the prelude of every kernel: the
//! bind-group interface all pipelines share, and the argument tables.
//!
//! Every kernel sees the same three groups: group 0 the six data buffers,
//! group 1 one [`DispatchArgs`] record and group 2 one [`StepArgs`] record,
//! both read-only storage picked by dynamic offset, so a whole training
//! step is encoded without creating a bind group (and `common.wgsl` says
//! why they are not uniforms). The structs' Rust twins are in
//! [`super::gpu_data`].

use std::num::NonZeroU64;

use super::gpu_data::{DispatchArgs, StepArgs};
use super::memory::GpuBuffer;

/// Storage buffers, in binding order (twin of group 0 in `common.wgsl`).
pub const STORAGE_BINDINGS: [&str; 6] = ["params", "optim", "acts", "data", "batch", "metrics"];

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

/// The bind-group interface every kernel shares (twin of the bindings in
/// `common.wgsl`).
#[derive(Clone, Debug)]
pub struct Layouts {
    pub storage: wgpu::BindGroupLayout,
    pub args: wgpu::BindGroupLayout,
    pub step: wgpu::BindGroupLayout,
    pub pipeline: wgpu::PipelineLayout,
}

impl Layouts {
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
        let storage = device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some("Layouts::storage"), entries: &storage_entries });
        let args = record_layout::<DispatchArgs>(device, "Layouts::args");
        let step = record_layout::<StepArgs>(device, "Layouts::step");
        let pipeline = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("Layouts::pipeline"),
            bind_group_layouts: &[Some(&storage), Some(&args), Some(&step)],
            immediate_size: 0,
        });
        Self { storage, args, step, pipeline }
    }

    /// Group 0 over the six storage buffers, in [`STORAGE_BINDINGS`] order.
    #[must_use]
    pub fn storage_group(&self, device: &wgpu::Device, label: &str, buffers: [&wgpu::Buffer; 6]) -> wgpu::BindGroup {
        let entries: Vec<_> =
            buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() }).collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(label), layout: &self.storage, entries: &entries })
    }
}

/// One user's argument records: a fixed table of [`DispatchArgs`] and a
/// rewritable table of [`StepArgs`], bound as groups 1 and 2 at dynamic
/// offsets `stride` bytes apart.
#[derive(Debug)]
pub(crate) struct ArgTables {
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

impl ArgTables {
    /// Uploads `args` and makes room for `max_steps` step records.
    pub(crate) fn new(device: &wgpu::Device, layouts: &Layouts, label: &str, args: &[DispatchArgs], max_steps: u32) -> Self {
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
        let args_group = group(&layouts.args, &args, std::mem::size_of::<DispatchArgs>());
        let step_group = group(&layouts.step, &steps, std::mem::size_of::<StepArgs>());
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
