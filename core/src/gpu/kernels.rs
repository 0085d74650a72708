//! Every pipeline gradlab runs, compiled once per device on first use: one
//! family per `shaders/*.wgsl` file, each built by the file's owner module.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use super::common::Layouts;
use super::shaders::Kernel;
use super::{dense, factor, landscape, loss, ntk, optimizer};

/// Every pipeline gradlab trains with, and the layouts they share. Cheap
/// to clone (wgpu handles, and pipelines that clones compile once).
///
/// Each pipeline compiles on first use ([`Lazy`]): a software adapter
/// compiles them on its GPU process's main thread, all of them in 1.2 s
/// on SwiftShader here, and a page that never draws a loss landscape, an
/// NTK Gram or a matrix factor neither waits for theirs nor, leaving, for
/// them to finish.
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
    /// Parses every kernel file (the MLP ones behind the `common.wgsl`
    /// prelude, on its layout); their pipelines compile on first use.
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

/// Parses one kernel file (its [`Kernel::source`]) and has its owner
/// build its (lazy) pipelines on `layout`.
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
    /// Entry point `entry`'s pipeline, compiled on first use.
    pub(super) fn pipeline(&self, entry: &str) -> Lazy {
        Lazy {
            device: self.device.clone(),
            layout: self.layout.clone(),
            module: self.module.clone(),
            label: format!("{}::{entry}", self.owner),
            entry: entry.to_owned(),
            compiled: Arc::default(),
        }
    }
}

/// A compute pipeline compiled the first time it is used (dereferenced);
/// its clones share it.
#[derive(Clone, Debug)]
pub struct Lazy {
    device: wgpu::Device,
    layout: wgpu::PipelineLayout,
    module: wgpu::ShaderModule,
    label: String,
    entry: String,
    compiled: Arc<OnceLock<wgpu::ComputePipeline>>,
}

impl Deref for Lazy {
    type Target = wgpu::ComputePipeline;

    fn deref(&self) -> &wgpu::ComputePipeline {
        self.compiled.get_or_init(|| {
            self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&self.label),
                layout: Some(&self.layout),
                module: &self.module,
                entry_point: Some(&self.entry),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            })
        })
    }
}
