//! Owner of `shaders/landscape.wgsl`: parameter vectors on a plane through
//! parameter space (for [`LossProbe`], the loss at many points as one
//! batched dispatch sequence), and Hessian-vector products by central
//! differences of gradients (for [`super::GpuTrainer::sharpness`], power
//! iteration). CPU twins: [`crate::landscape::plane_losses`] and
//! [`crate::landscape::hessian`] (the exact R-operator).

mod hessian;
mod probe;

pub(crate) use hessian::HessianState;
pub use hessian::MAX_POWER_ITERATIONS;
pub use probe::{LossProbe, PendingLosses};

use super::kernels::{Compiler, Lazy};

/// The pipelines of `landscape.wgsl`.
#[derive(Clone, Debug)]
pub struct Pipelines {
    pub plane_params: Lazy,
    pub hvp_perturb: Lazy,
    pub hvp_keep: Lazy,
    pub hvp_finish: Lazy,
    pub rayleigh: Lazy,
}

impl Pipelines {
    pub(in crate::gpu) fn new(c: &Compiler<'_>) -> Self {
        Self {
            plane_params: c.pipeline("plane_params"),
            hvp_perturb: c.pipeline("hvp_perturb"),
            hvp_keep: c.pipeline("hvp_keep"),
            hvp_finish: c.pipeline("hvp_finish"),
            rayleigh: c.pipeline("rayleigh"),
        }
    }
}
