//! The one place where the page's two backends meet.
//!
//! [`Backend`] is what the browser gave us (a WebGPU device, or the reason
//! there is none); an [`Engine`] trains one configuration on it. The page
//! calls [`Engine::tick`] once per animation frame: on the GPU it submits a
//! batch of steps and collects the snapshot a frame or two later, never
//! waiting; on the CPU it trains for a slice of the frame and evaluates at
//! once. Either way a frame costs a few milliseconds of main-thread time.

use std::rc::Rc;

use gradlab_core::gpu::{GpuTrainer, Kernels, PendingSnapshot, Snapshot, MAX_STEPS_PER_SUBMIT};
use gradlab_core::{cpu, CpuTrainer, Error, Problem};

/// Where training runs.
pub enum Backend {
    Gpu { device: wgpu::Device, queue: wgpu::Queue, kernels: Kernels, name: String },
    Cpu { reason: String },
}

impl Backend {
    /// What the badge and `data-backend` say.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Gpu { name, .. } => format!("webgpu: {name}"),
            Self::Cpu { .. } => "cpu".into(),
        }
    }
}

/// Grid cells per side of the 2D decision-boundary image.
pub const GRID_2D: usize = 64;
/// Points along x of the 1D regression curve.
pub const GRID_1D: usize = 200;

/// Inputs the network is evaluated on for drawing: a `GRID_2D²` raster,
/// top row first, over the dataset's domain; or `GRID_1D` points in 1D.
#[must_use]
pub fn grid_points(problem: &Problem) -> Vec<f32> {
    let [(x0, x1), (y0, y1)] = problem.dataset.domain();
    if problem.spec.input_dim == 1 {
        return (0..GRID_1D).map(|i| x0 + (x1 - x0) * i as f32 / (GRID_1D - 1) as f32).collect();
    }
    let g = GRID_2D as f32;
    (0..GRID_2D)
        .flat_map(|i| (0..GRID_2D).flat_map(move |j| [x0 + (x1 - x0) * (j as f32 + 0.5) / g, y1 - (y1 - y0) * (i as f32 + 0.5) / g]))
        .collect()
}

enum Trainer {
    Gpu { trainer: Box<GpuTrainer>, pending: Option<(PendingSnapshot, f64)>, k: u32 },
    Cpu { trainer: Box<CpuTrainer>, k: u32 },
}

/// One configuration training on one backend.
pub struct Engine {
    pub problem: Problem,
    pub grid: Vec<f32>,
    trainer: Trainer,
    /// A snapshot is wanted even while paused (after a reset or a rebuild).
    dirty: bool,
}

/// Milliseconds of a frame the CPU fallback may spend training.
const CPU_BUDGET_MS: f64 = 10.0;

impl Engine {
    /// # Errors
    /// If the configuration does not fit the device.
    pub fn new(backend: &Rc<Backend>, problem: Problem) -> Result<Self, Error> {
        let grid = grid_points(&problem);
        let trainer = match backend.as_ref() {
            Backend::Gpu { device, queue, kernels, .. } => {
                let t = GpuTrainer::new(device, queue, kernels, &problem, &problem.init_params(), &grid)?;
                Trainer::Gpu { trainer: Box::new(t), pending: None, k: 4 }
            }
            Backend::Cpu { .. } => Trainer::Cpu { trainer: Box::new(problem.cpu_trainer()), k: 1 },
        };
        Ok(Self { problem, grid, trainer, dirty: true })
    }

    /// Back to the initial parameters (same seed, same start).
    pub fn reset(&mut self) {
        let init = self.problem.init_params();
        match &mut self.trainer {
            Trainer::Gpu { trainer, pending, .. } => {
                trainer.reset(&init);
                *pending = None;
            }
            Trainer::Cpu { trainer, .. } => **trainer = self.problem.cpu_trainer(),
        }
        self.dirty = true;
    }

    /// Advances by up to one frame's worth of steps (`steps = None`) or
    /// exactly `steps`, and returns a snapshot when one is ready. `now` is
    /// the frame's timestamp in ms.
    pub fn tick(&mut self, steps: Option<u32>, now: f64, clock: &dyn Fn() -> f64) -> Option<Result<Snapshot, Error>> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, pending, k } => {
                if let Some((read, started)) = pending {
                    let result = read.try_take()?;
                    // Aim for one round trip per frame or two.
                    let took = now - *started;
                    *k = if took < 20.0 {
                        (*k * 2).min(MAX_STEPS_PER_SUBMIT)
                    } else if took > 50.0 {
                        (*k / 2).max(1)
                    } else {
                        *k
                    };
                    *pending = None;
                    return Some(result);
                }
                let n = match steps {
                    Some(n) => n,
                    None if self.dirty => 0,
                    None => return None,
                };
                trainer.train(n.min(*k));
                *pending = Some((trainer.read_snapshot(), now));
                self.dirty = false;
                None
            }
            Trainer::Cpu { trainer, k } => {
                let n = match steps {
                    Some(n) => n,
                    None if self.dirty => 0,
                    None => return None,
                };
                let start = clock();
                let mut batch_losses = Vec::new();
                while (batch_losses.len() as u32) < n.min(*k) {
                    batch_losses.push(trainer.step());
                    if clock() - start > CPU_BUDGET_MS {
                        break;
                    }
                }
                // Grow the step count while frames stay within budget.
                *k = if clock() - start < CPU_BUDGET_MS / 2.0 { (*k * 2).min(MAX_STEPS_PER_SUBMIT) } else { (*k / 2).max(1) };
                self.dirty = false;
                Some(Ok(cpu_snapshot(&self.problem, trainer, &self.grid, batch_losses)))
            }
        }
    }
}

fn cpu_snapshot(p: &Problem, t: &CpuTrainer, grid: &[f32], batch_losses: Vec<f32>) -> Snapshot {
    let layout = t.layout();
    let (din, dout) = (layout.input_dim(), layout.output_dim());
    let mean_loss = |x: &[f32], y: &[f32]| {
        let f = cpu::forward(layout, t.params(), &cpu::columns(x, din));
        cpu::loss(p.config.train.loss, f.output(), &cpu::columns(y, dout), None)
    };
    Snapshot {
        step: t.steps_done(),
        batch_losses,
        train_loss: mean_loss(&p.dataset.train.x, &p.train_targets),
        test_loss: (!p.dataset.test.is_empty()).then(|| mean_loss(&p.dataset.test.x, &p.test_targets)),
        grid: t.predict(grid),
    }
}
