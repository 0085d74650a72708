//! The GPU backend: the same training as [`crate::cpu`], in WGSL compute
//! shaders through wgpu.
//!
//! Tiny networks are bound by dispatch and readback latency, not FLOPs, so:
//! parameters, optimizer state and data live on the GPU from creation on;
//! one submit encodes up to [`MAX_STEPS_PER_SUBMIT`] whole training steps
//! in a single compute pass (per-step constants come from one buffer
//! through dynamic offsets); results come back through [`PendingRead`],
//! never by blocking. The caller owns the `Device` and `Queue` (tests bring
//! a lavapipe one, the app the browser's), and builds [`Kernels`] once.
//!
//! # One owner per shader
//!
//! | shader | owner | CPU twin | parity test |
//! |---|---|---|---|
//! | `common.wgsl` (prelude) | [`common`] (+ [`gpu_data`]) | – | `tests/tests/shaders.rs` (struct sizes) |
//! | `dense.wgsl` | [`dense`] | `cpu::forward`, `cpu::loss_and_grad` | `tests/tests/parity.rs` |
//! | `loss.wgsl` | [`loss`] | `cpu::loss` | `tests/tests/parity.rs` |
//! | `optimizer.wgsl` | [`optimizer`] | `train::Optimizer` | `tests/tests/parity.rs` |
//! | `landscape.wgsl` | [`landscape`] | `landscape::plane_losses`, `landscape::hessian` | `tests/tests/landscape.rs` |
//! | `ntk.wgsl` | [`ntk`] | `ntk::cross_gram` | `tests/tests/ntk.rs` |
//! | `factor.wgsl` | [`factor`] | `implicit::matrix::Factorized::step` | `tests/tests/factor.rs` |
//!
//! Each `.wgsl` file names the same three in its first lines, and the
//! shader test checks that they exist. [`GpuTrainer`] ([`trainer`])
//! composes the MLP families on buffers sized by its [`plan`], which is
//! plain arithmetic, tested without a GPU; [`FactorBatch`] is the one user
//! of `factor.wgsl`. [`memory`] makes every buffer go when
//! its owner drops it, [`readback`] brings results back without blocking,
//! [`shaders`] embeds the sources.

pub mod common;
pub mod dense;
pub mod factor;
mod gpu_data;
mod kernels;
pub mod landscape;
pub mod loss;
pub mod memory;
pub mod ntk;
pub mod optimizer;
pub mod plan;
mod readback;
pub mod shaders;
mod trainer;

pub use common::STORAGE_BINDINGS;
pub use dense::PendingHidden;
pub use factor::{FactorBatch, PendingProducts};
pub use gpu_data::{DispatchArgs, StepArgs};
pub use kernels::{Kernels, Lazy};
pub use landscape::{LossProbe, PendingLosses, MAX_POWER_ITERATIONS};
pub use loss::{PendingSnapshot, Snapshot};
pub use ntk::PendingGrams;
pub use plan::{EvalSet, MAX_STEPS_PER_SUBMIT, NTK_MAX_ROWS};
pub use readback::PendingRead;
pub use trainer::GpuTrainer;

use crate::{DeviceError, Error};

/// A device on the first adapter wgpu finds among `backends`, with that
/// adapter's limits: the browser's WebGPU for the app, lavapipe or a real
/// GPU for native tools.
///
/// # Errors
/// [`DeviceError::NoAdapter`] if there is no adapter,
/// [`DeviceError::Failed`] if it refuses a device.
pub async fn request_device(backends: wgpu::Backends) -> Result<(wgpu::Adapter, wgpu::Device, wgpu::Queue), Error> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let adapter =
        instance.request_adapter(&wgpu::RequestAdapterOptions::default()).await.map_err(|e| DeviceError::NoAdapter(e.to_string()))?;
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("gradlab"),
            required_limits: adapter.limits(),
            ..wgpu::DeviceDescriptor::default()
        })
        .await
        .map_err(|e| Error::gpu(format!("no GPU device: {e}")))?;
    Ok((adapter, device, queue))
}
