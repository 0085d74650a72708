//! Every pipeline gradlab runs, compiled once per device: one family per
//! `shaders/*.wgsl` file, each built by the file's owner module.

use std::sync::{Arc, OnceLock};

use super::common::Layouts;
use super::shaders::Kernel;
use super::{dense, factor, landscape, loss, ntk, optimizer};

/// Every pipeline gradlab trains with, and the layouts they share. Cheap
/// to clone (wgpu handles; clones share the families compiled later).
///
/// What every run trains with is compiled up front; the families of one
/// lab's pictures (loss landscapes, NTK Grams, matrix factors) on first
/// use. A software adapter compiles each pipeline in its GPU process's
/// main thread, 1.2 s for all of them on SwiftShader here, of which those
/// three families took 0.33 s: a page that draws none of them no longer
/// waits for them, nor does leaving it.
#[derive(Clone, Debug)]
pub struct Kernels {
    pub layouts: Layouts,
    pub dense: dense::Pipelines,
    pub loss: loss::Pipelines,
    pub optimizer: optimizer::Pipelines,
    device: wgpu::Device,
    landscape: Arc<OnceLock<landscape::Pipelines>>,
    ntk: Arc<OnceLock<ntk::Pipelines>>,
    factor: Arc<OnceLock<factor::Pipelines>>,
}

impl Kernels {
    /// Compiles the kernel files every run needs (the MLP ones behind the
    /// `common.wgsl` prelude, on its layout).
    #[must_use]
    pub fn new(device: &wgpu::Device) -> Self {
        let layouts = Layouts::new(device);
        let l = &layouts.pipeline;
        Self {
            dense: compile(device, l, Kernel::Dense, "Dense", dense::Pipelines::new),
            loss: compile(device, l, Kernel::Loss, "Loss", loss::Pipelines::new),
            optimizer: compile(device, l, Kernel::Optimizer, "Optimizer", optimizer::Pipelines::new),
            layouts,
            device: device.clone(),
            landscape: Arc::default(),
            ntk: Arc::default(),
            factor: Arc::default(),
        }
    }

    /// `landscape.wgsl`'s pipelines, compiled on first use.
    pub fn landscape(&self) -> &landscape::Pipelines {
        self.landscape
            .get_or_init(|| compile(&self.device, &self.layouts.pipeline, Kernel::Landscape, "Landscape", landscape::Pipelines::new))
    }

    /// `ntk.wgsl`'s pipeline, compiled on first use.
    pub fn ntk(&self) -> &ntk::Pipelines {
        self.ntk.get_or_init(|| compile(&self.device, &self.layouts.pipeline, Kernel::Ntk, "Ntk", ntk::Pipelines::new))
    }

    /// `factor.wgsl`'s pipelines (on layouts of their own), compiled on
    /// first use.
    pub fn factor(&self) -> &factor::Pipelines {
        self.factor.get_or_init(|| factor::Pipelines::new(&self.device))
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
