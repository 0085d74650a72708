//! # gradlab-core
//!
//! The science of gradlab without any UI: small MLPs, the toy data they
//! learn, how they train, and the experiments built on them. It compiles to
//! native code (tests, the `gradlab` CLI, benchmarks) and to wasm32 (the
//! app), with the same results on both.
//!
//! ## How the parts fit
//!
//! - [`spec`]: an [`MlpSpec`] and its flat parameter layout. Parameters are
//!   one `Vec<f32>` everywhere, so directions, interpolations and masks are
//!   plain vector maths.
//! - [`data`]: seeded toy datasets, bit-identical across platforms
//!   ([`rng`] avoids the platform's maths library), or your own points
//!   ([`points`] reads them from CSV).
//! - [`train`]: losses, optimizers, schedules and batch sampling; the
//!   update rule is written once, here, and mirrored by the WGSL.
//! - [`config`]: a whole run as one serde value ([`RunConfig`]), checked
//!   into a [`Problem`].
//! - [`landscape`]: planes through parameter space, the loss on them,
//!   PCA of trajectories, mode connectivity and sharpness.
//! - [`double_descent`]: exact random-features curves and trained sweeps.
//! - [`ntk`]: empirical neural tangent kernels, their spectra and the
//!   linearized network.
//! - [`implicit`]: which zero-loss solution gradient descent finds (least
//!   squares, separable logistic regression, matrix completion), each
//!   beside its exact answer.
//! - [`hidden`]: what the hidden layers compute at chosen inputs.
//! - [`engine`]: where the two backends meet for a caller that ticks once
//!   per frame (the app): one run trained a frame's worth at a time, and
//!   pictures (loss grids, sharpness, NTK Grams) computed beside it.
//! - Two backends with the same maths: [`cpu`] (nalgebra, generic over
//!   `f32`/`f64`; the oracle) and [`gpu`] (wgpu compute shaders from
//!   `shaders/`, one owner module per shader file; fast). The GPU trainer
//!   takes `&Device, &Queue` from its caller, sizes its buffers by a plan
//!   that is plain arithmetic, releases them when dropped, and never
//!   blocks on a readback.
//! - [`Error`]: what can be refused, with the field or limit as data.
//!
//! ## Why the engine is here
//!
//! The page ticks an [`engine::Engine`] once per animation frame; native
//! tests tick it in a loop, on the CPU and on lavapipe, with their own
//! clock. Nothing in it needs a browser, so it lives where it can be
//! tested against the trainers it drives.
//!
//! ## Why no backend trait
//!
//! The GPU backend's results arrive asynchronously (a mapped buffer, a
//! frame or two later); the CPU's are there at once. A shared trait would
//! have to pretend one is the other. Instead both trainers are built from
//! the same [`Problem`], draw batches from the same [`train::BatchSampler`]
//! and step constants from [`TrainConfig::step_params`], and the parity
//! tests hold them to the same numbers.

pub mod config;
pub mod cpu;
pub mod data;
pub mod double_descent;
pub mod dropout;
pub mod engine;
mod error;
pub mod gpu;
pub mod hidden;
pub mod implicit;
pub mod landscape;
pub mod lottery;
pub mod ntk;
pub mod pca;
pub mod points;
pub mod rng;
pub mod spec;
pub mod train;
pub mod wire;

pub use config::{ModelConfig, Problem, RunConfig, Subset};
pub use cpu::CpuTrainer;
pub use data::{DataConfig, Dataset, DatasetKind};
pub use error::{DeviceError, Error, Part};
pub use spec::{Activation, Init, MlpSpec, ParamLayout, Parameterization};
pub use train::{Loss, Optimizer, Schedule, TrainConfig};
