//! Every pipeline gradlab runs, compiled once per device: one family per
//! `shaders/*.wgsl` file, each built by the file's owner module.

use super::common::Layouts;
use super::shaders::Kernel;
use super::{dense, factor, landscape, loss, ntk, optimizer};

/// Every pipeline gradlab trains with, and the layouts they share. Cheap
/// to clone (wgpu handles).
#[derive(Clone, Debug)]
pub struct Kernels {
    pub layouts: Layouts,
    pub dense: dense::Pipelines,
    pub loss: loss::Pipelines,
    pub optimizer: optimizer::Pipelines,
    pub landscape: landscape::Pipelines,
    pub ntk: ntk::Pipelines,
    pub factor: factor::Pipelines,
}

impl Kernels {
    /// Compiles every kernel file (the MLP ones behind the `common.wgsl`
    /// prelude, on its layout).
    #[must_use]
    pub fn new(device: &wgpu::Device) -> Self {
        let layouts = Layouts::new(device);
        let l = &layouts.pipeline;
        Self {
            dense: compile(device, l, Kernel::Dense, "Dense", dense::Pipelines::new),
            loss: compile(device, l, Kernel::Loss, "Loss", loss::Pipelines::new),
            optimizer: compile(device, l, Kernel::Optimizer, "Optimizer", optimizer::Pipelines::new),
            landscape: compile(device, l, Kernel::Landscape, "Landscape", landscape::Pipelines::new),
            ntk: compile(device, l, Kernel::Ntk, "Ntk", ntk::Pipelines::new),
            factor: factor::Pipelines::new(device),
            layouts,
        }
    }
}

/// Compiles one kernel file (its [`Kernel::source`]) and has its owner
/// build its pipelines on `layout`.
pub(super) fn compile<T>(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    kernel: Kernel,
    owner: &'static str,
    build: impl FnOnce(&Compiler<'_>) -> T,
) -> T {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(kernel.file_name()),
        source: wgpu::ShaderSource::Wgsl(kernel.source().into()),
    });
    build(&Compiler { device, layout, owner, module: &module })
}

/// Builds the pipelines of one kernel file, labelled `"Owner::entry"`.
pub(super) struct Compiler<'a> {
    device: &'a wgpu::Device,
    layout: &'a wgpu::PipelineLayout,
    owner: &'static str,
    module: &'a wgpu::ShaderModule,
}

impl Compiler<'_> {
    pub(super) fn pipeline(&self, entry: &str) -> wgpu::ComputePipeline {
        self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&format!("{}::{entry}", self.owner)),
            layout: Some(self.layout),
            module: self.module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            cache: None,
        })
    }
}
