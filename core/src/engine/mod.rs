//! The one place where the two backends meet, for a caller that ticks
//! once per animation frame (the app) or in a loop (native tests).
//!
//! [`Backend`] is what the environment gave (a GPU device, or the reason
//! there is none); an [`Engine`] trains one configuration on it. The caller
//! calls [`Engine::tick`] once per frame: on the GPU it submits steps as
//! [`schedule`] times them and collects snapshots, taken at the eye's rate,
//! a frame or two later, never waiting; on the CPU it trains for a slice
//! of the frame and evaluates at once. Either
//! way a frame costs a few milliseconds of the caller's time. Time comes
//! from a [`Clock`] the caller passes in (the page's `performance.now()`,
//! or a test's), so the engine runs natively as it does in the browser.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use nalgebra::DMatrix;

use crate::gpu::{GpuTrainer, Kernels, LossProbe, PendingRead, PendingSnapshot, Snapshot, MAX_STEPS_PER_SUBMIT};
use crate::hidden::{Hidden, Rows};
use crate::landscape::Plane;
use crate::spec::InitDraw;
use crate::{Error, Part, Problem, Subset};
use schedule::Schedule;

/// Milliseconds since some fixed origin.
pub type Clock = fn() -> f64;

mod cpu_run;
pub mod rate;
pub mod schedule;
mod work;

pub use cpu_run::CpuRun;

pub use work::{check_work, check_work_with, work, SOFTWARE_WORK_LIMIT};

/// Where training runs.
pub enum Backend {
    Gpu(Gpu),
    Cpu { reason: String },
}

impl Backend {
    /// What the badge and `data-backend` say.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Gpu(gpu) => format!("webgpu: {}", gpu.name),
            Self::Cpu { .. } => "cpu".into(),
        }
    }

    /// See [`Gpu::lost`] (the CPU never is).
    #[must_use]
    pub fn lost(&self) -> Option<String> {
        match self {
            Self::Gpu(gpu) => gpu.lost(),
            Self::Cpu { .. } => None,
        }
    }

    /// A flag set once the work queued on the device so far is done (on
    /// the CPU, at once). A new run allocates and submits nothing before:
    /// so it never waits behind what the runs before it had queued (a
    /// slider dragged across many settings), what is queued stays bounded
    /// by what one run keeps in flight, and the buffers of runs superseded
    /// meanwhile are never made (the device frees a dropped buffer only
    /// once the work queued before its upload is done). Runs that share
    /// the GPU at once (the landscape's two nets) do not wait for each
    /// other.
    #[must_use]
    pub fn after_queued(&self) -> AfterQueued {
        let flag = Arc::new(AtomicBool::new(matches!(self, Self::Cpu { .. })));
        if let Self::Gpu(gpu) = self {
            let done = Arc::clone(&flag);
            gpu.queue.on_submitted_work_done(move || done.store(true, Ordering::Relaxed));
        }
        AfterQueued(flag)
    }
}

/// See [`Backend::after_queued`].
#[derive(Clone, Debug)]
pub struct AfterQueued(Arc<AtomicBool>);

impl AfterQueued {
    #[must_use]
    pub fn done(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A GPU device with gradlab's kernels, shared by every engine on it.
/// Work submitted to a queue cannot be called back: see
/// [`Backend::after_queued`] for how runs keep what is queued bounded.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub kernels: Box<Kernels>,
    /// The adapter, as the page names it.
    pub name: String,
    /// A software adapter (WebGPU's `isFallbackAdapter`): it computes on the
    /// CPU, so it has the CPU's [`Backend::work_limit`].
    pub software: bool,
    /// Why the device was lost, once it is.
    lost: Arc<Mutex<Option<String>>>,
}

impl Gpu {
    /// Compiles the kernels on `device`.
    #[must_use]
    pub fn new(device: wgpu::Device, queue: wgpu::Queue, name: String) -> Self {
        let kernels = Box::new(Kernels::new(&device));
        let lost: Arc<Mutex<Option<String>>> = Arc::default();
        let flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            let why = if message.is_empty() { format!("{reason:?}") } else { message };
            *flag.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
        });
        Self { device, queue, kernels, name, software: false, lost }
    }

    /// Why the device was lost (a driver reset, the browser reclaiming it,
    /// [`wgpu::Device::destroy`]), or `None` while it works.
    #[must_use]
    pub fn lost(&self) -> Option<String> {
        self.lost.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
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

/// A snapshot on its way back from the GPU, with the parameters if asked.
struct InFlight {
    snapshot: PendingSnapshot,
    /// Whether a second net trains beside the first (its snapshot joins).
    beside: bool,
    params: Option<PendingRead>,
    arrived: Option<Result<Snapshot, Error>>,
}

impl InFlight {
    /// The snapshot, once it and the parameters are back.
    fn land(&mut self, params: &mut Option<Vec<f32>>) -> Option<Result<Snapshot, Error>> {
        if self.arrived.is_none() {
            self.arrived = Some(if self.beside { self.snapshot.try_take_with_beside()? } else { self.snapshot.try_take()? });
        }
        if let Some(read) = &self.params {
            match read.try_take()? {
                Ok(mut p) => {
                    p.truncate(p.len() / if self.beside { 2 } else { 1 }); // the first net's
                    *params = Some(p);
                }
                Err(e) => self.arrived = Some(Err(e)),
            }
        }
        self.arrived.take()
    }
}

enum Trainer {
    /// `trainer`: made once `ready` ([`Backend::after_queued`]), or by the
    /// first probe. `evaluated`: the step of the last snapshot asked for.
    Gpu {
        trainer: Option<Box<GpuTrainer>>,
        backend: Rc<Backend>,
        pending: Option<Box<InFlight>>,
        schedule: Schedule,
        evaluated: Option<u64>,
        probe: Option<Box<LossProbe>>,
        ready: AfterQueued,
    },
    Cpu {
        run: Box<CpuRun>,
        k: u32,
    },
}

/// One configuration training on one backend.
pub struct Engine {
    pub problem: Problem,
    pub grid: Vec<f32>,
    /// Initial parameters (of one net: one beside starts the same), on
    /// the GPU drawn a slice a frame before the first step.
    init: InitDraw,
    trainer: Trainer,
    /// The net trained beside on shuffled labels, on the GPU ([`Self::add_beside`]).
    beside: Option<Box<Problem>>,
    /// A snapshot is wanted even while paused (after a reset or a rebuild).
    dirty: bool,
    /// Read the parameters back with every snapshot (see [`Self::params`]).
    pub with_params: bool,
    params: Option<Vec<f32>>,
}

/// A GPU run's trainer, made now if it was still waiting (see
/// [`Trainer::Gpu`]): probes make it at once.
fn made<'a>(
    slot: &'a mut Option<Box<GpuTrainer>>,
    backend: &Backend,
    problem: &Problem,
    beside: Option<&Problem>,
    init: &mut InitDraw,
    grid: &[f32],
) -> Result<&'a mut GpuTrainer, Error> {
    match slot {
        Some(trainer) => Ok(trainer),
        None => {
            let Backend::Gpu(gpu) = backend else { return Err(Error::gpu("a GPU run without a GPU")) };
            let datasets: Vec<&Problem> = std::iter::once(problem).chain(beside).collect();
            let init = starts(init, datasets.len());
            let trainer = GpuTrainer::with_datasets(&gpu.device, &gpu.queue, &gpu.kernels, problem, &datasets, &init, grid)?;
            Ok(slot.insert(Box::new(trainer)))
        }
    }
}

/// A result computed on the backend, polled once per frame: a GPU read in
/// flight, or CPU work done a slice per frame (as long as `clock` says
/// the slice may last).
pub struct Pending<T>(Box<dyn FnMut(Clock) -> Option<Result<T, Error>>>);

impl<T: 'static> Pending<T> {
    /// A result that `poll` computes or fetches, a slice per call.
    pub fn new(poll: impl FnMut(Clock) -> Option<Result<T, Error>> + 'static) -> Self {
        Self(Box::new(poll))
    }

    /// The result, passed through `f`.
    #[must_use]
    pub fn map<U: 'static>(mut self, f: impl Fn(T) -> U + 'static) -> Pending<U> {
        Pending(Box::new(move |clock| self.poll(clock).map(|r| r.map(&f))))
    }

    /// The result once there; `None` while it is still coming. Hands the
    /// result out once.
    pub fn poll(&mut self, clock: Clock) -> Option<Result<T, Error>> {
        (self.0)(clock)
    }

    /// Both results, once both are there.
    #[must_use]
    pub fn zip<U: 'static>(mut self, mut other: Pending<U>) -> Pending<(T, U)> {
        let (mut a, mut b) = (None, None);
        Pending(Box::new(move |clock| {
            if a.is_none() {
                a = self.poll(clock);
            }
            if b.is_none() {
                b = other.poll(clock);
            }
            match (a.take()?, b.take()) {
                (Ok(x), Some(Ok(y))) => Some(Ok((x, y))),
                (Err(e), _) | (_, Some(Err(e))) => Some(Err(e)),
                (ok, None) => {
                    a = Some(ok);
                    None
                }
            }
        }))
    }
}

/// Milliseconds of a frame the CPU fallback may spend training.
pub const CPU_BUDGET_MS: f64 = 10.0;

/// Milliseconds of a frame a new GPU run spends drawing its initial
/// weights (about 0.1 s a million in the browser).
const DRAW_MS: f64 = 8.0;

/// The parameters of `nets` nets that start alike from `init`, one after
/// another.
fn starts(init: &mut InitDraw, nets: usize) -> std::borrow::Cow<'_, [f32]> {
    let one = init.params();
    if nets == 1 {
        one.into()
    } else {
        one.repeat(nets).into()
    }
}

/// Draws `init` for [`DRAW_MS`] on `clock`; whether all is drawn.
fn draw_awhile(init: &mut InitDraw, clock: Clock) -> bool {
    let until = clock() + DRAW_MS;
    while !init.draw(1 << 14) {
        if clock() > until {
            return false;
        }
    }
    true
}

impl Engine {
    /// # Errors
    /// If the configuration does not fit the device.
    pub fn new(backend: &Rc<Backend>, problem: Problem) -> Result<Self, Error> {
        let seed = problem.config.seed;
        let grid = grid_points(&problem);
        Self::seeded(backend, problem, seed, grid)
    }

    /// An engine whose initial weights are drawn from `seed`: on the GPU a
    /// slice a frame before its first step (or at its first probe), so a
    /// net of millions of weights does not hold up the page's frame.
    ///
    /// # Errors
    /// If the configuration does not fit the device.
    pub fn seeded(backend: &Rc<Backend>, problem: Problem, seed: u64, grid: Vec<f32>) -> Result<Self, Error> {
        check_work(backend, &problem, &grid)?; // before drawing millions of weights
        let init = InitDraw::new(&problem.spec, seed);
        Self::build(backend, problem, init, grid)
    }

    /// An engine that starts from `init` (another seed's weights, say) and
    /// whose snapshots predict on `grid` (`rows × input_dim`).
    ///
    /// # Errors
    /// If the configuration does not fit the device.
    pub fn with_grid(backend: &Rc<Backend>, problem: Problem, init: Vec<f32>, grid: Vec<f32>) -> Result<Self, Error> {
        check_work(backend, &problem, &grid)?;
        Self::build(backend, problem, InitDraw::drawn(init), grid)
    }

    /// The engine, its work already checked.
    fn build(backend: &Rc<Backend>, problem: Problem, mut init: InitDraw, grid: Vec<f32>) -> Result<Self, Error> {
        let trainer = match backend.as_ref() {
            Backend::Gpu(gpu) => {
                GpuTrainer::check(&gpu.device, &problem, init.len(), grid.len())?;
                Trainer::Gpu {
                    trainer: None,
                    backend: Rc::clone(backend),
                    pending: None,
                    schedule: Schedule::default(),
                    evaluated: None,
                    probe: None,
                    ready: backend.after_queued(),
                }
            }
            Backend::Cpu { .. } => {
                Trainer::Cpu { run: Box::new(CpuRun::checked(problem.clone(), init.params().to_vec(), grid.clone())), k: 1 }
            }
        };
        Ok(Self { problem, grid, init, trainer, beside: None, dirty: true, with_params: false, params: None })
    }

    /// Trains the same net beside this one, from the same start, on
    /// shuffled labels ([`Problem::shuffled_labels`]), as one batch on the
    /// GPU; snapshots then carry its losses ([`Snapshot::beside`]). Before
    /// the first step only.
    ///
    /// # Errors
    /// Once training has begun, or with both nets past the GPU's limits.
    pub fn add_beside(&mut self) -> Result<(), Error> {
        if self.steps_taken() > 0 || self.beside.is_some() {
            return Err(Error::invalid(Part::Request, "beside", "a net beside is added before the first step, once"));
        }
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                let Backend::Gpu(gpu) = backend.as_ref() else { return Err(Error::gpu("a GPU run without a GPU")) };
                check_work_with(backend, &self.problem, &self.grid, true)?;
                GpuTrainer::check(&gpu.device, &self.problem, 2 * self.init.len(), self.grid.len())?;
                *trainer = None;
                self.beside = Some(Box::new(self.problem.shuffled_labels()));
                Ok(())
            }
            Trainer::Cpu { run, .. } => run.add_beside(),
        }
    }

    /// Back to the initial parameters (same seed, same start).
    pub fn reset(&mut self) {
        match &mut self.trainer {
            Trainer::Gpu { trainer, pending, evaluated, .. } => {
                if let Some(trainer) = trainer {
                    trainer.reset(&starts(&mut self.init, 1 + usize::from(self.beside.is_some())));
                }
                (*pending, *evaluated) = (None, None);
            }
            Trainer::Cpu { run, .. } => run.reset(),
        }
        self.params = None;
        self.dirty = true;
    }

    /// Trains on with `config` from the next step (a reset keeps it): a
    /// new learning rate, schedule, weight decay, batch size or optimizer
    /// hyperparameters without a restart.
    ///
    /// # Errors
    /// As [`crate::TrainConfig::retuned`], and steps past the backend's
    /// work limit.
    pub fn retune(&mut self, config: &crate::TrainConfig) -> Result<(), Error> {
        let checked = self.problem.config.train.retuned(config)?;
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                // A larger batch makes each step more work.
                let mut next = self.problem.clone();
                next.config.train = checked.clone();
                check_work_with(backend, &next, &self.grid, self.beside.is_some())?;
                if let Some(t) = trainer {
                    t.retune(&checked)?;
                }
            }
            Trainer::Cpu { run, .. } => run.retune(&checked)?,
        }
        self.problem.config.train = checked;
        Ok(())
    }

    /// Steps trained (or submitted to the GPU) so far.
    #[must_use]
    pub fn steps_taken(&self) -> u64 {
        match &self.trainer {
            Trainer::Gpu { trainer, .. } => trainer.as_ref().map_or(0, |t| t.steps_done()),
            Trainer::Cpu { run, .. } => run.steps_done(),
        }
    }

    /// The parameters as of the last snapshot (with [`Self::with_params`]).
    #[must_use]
    pub fn params(&self) -> Option<&[f32]> {
        self.params.as_deref()
    }

    /// Starts evaluating the mean loss on `subset` at `points` of `plane`.
    ///
    /// # Errors
    /// If the GPU cannot hold the probe, or the points are too many.
    pub fn losses(&mut self, plane: Plane, points: Vec<[f32; 2]>, subset: Subset) -> Result<Pending<Vec<f32>>, Error> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, probe, .. } => {
                let trainer = made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid)?;
                // Sized for the largest request so far: a 16² grid's probe
                // holds a sixtieth of a 128² one's buffers.
                if probe.as_ref().is_none_or(|p| p.max_points() < points.len()) {
                    let device = trainer.device().clone();
                    let (queue, kernels) = trainer.queue_and_kernels();
                    *probe = None; // its buffers go before the new ones come
                    *probe = Some(Box::new(LossProbe::new(&device, queue, kernels, &self.problem, points.len())?));
                }
                let read = probe.as_ref().expect("made above").evaluate(&plane, &points, subset)?;
                Ok(Pending(Box::new(move |_| read.try_take())))
            }
            Trainer::Cpu { run, .. } => run.losses(plane, points, subset),
        }
    }

    /// Starts `iterations` of power iteration for the sharpness (top
    /// Hessian eigenvalue of the training loss) at the current parameters,
    /// warm-started from the previous call.
    ///
    /// # Errors
    /// If the training set does not fit one batch on the GPU.
    pub fn sharpness(&mut self, iterations: u32) -> Result<Pending<f32>, Error> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                let read =
                    made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid)?.sharpness(iterations)?;
                Ok(Pending(Box::new(move |_| read.try_take().map(|r| r.map(|v| v.last().copied().unwrap_or(f32::NAN))))))
            }
            Trainer::Cpu { run, .. } => Ok(run.sharpness(iterations)),
        }
    }

    /// Starts reading the parameters now (not as of the last snapshot).
    ///
    /// # Errors
    /// If the GPU trainer cannot be made.
    pub fn params_now(&mut self) -> Result<Pending<Vec<f32>>, Error> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                let read = made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid)?.read_params();
                let n = self.problem.spec.layout().num_params; // the first net's
                Ok(Pending(Box::new(move |_| {
                    read.try_take().map(|r| {
                        r.map(|mut p| {
                            p.truncate(n);
                            p
                        })
                    })
                })))
            }
            Trainer::Cpu { run, .. } => {
                let mut params = Some(run.params().to_vec());
                Ok(Pending(Box::new(move |_| params.take().map(Ok))))
            }
        }
    }

    /// Starts reading the gradient of the mean training loss over the
    /// first `rows` training points, at the current parameters.
    ///
    /// # Errors
    /// No rows, more than the training set, or (GPU) more than one batch
    /// of activations holds.
    pub fn gradient(&mut self, rows: usize) -> Result<Pending<Vec<f32>>, Error> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                let read =
                    made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid)?.read_gradient(rows)?;
                Ok(Pending(Box::new(move |_| read.try_take())))
            }
            Trainer::Cpu { run, .. } => {
                let mut grad = Some(run.gradient(rows));
                Ok(Pending(Box::new(move |_| grad.take())))
            }
        }
    }

    /// Starts reading every hidden unit's activation at `rows`, at the
    /// current parameters.
    ///
    /// # Errors
    /// Rows past their set, or too many.
    pub fn hidden(&mut self, rows: &Rows) -> Result<Pending<Hidden>, Error> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                let read = made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid)?.read_hidden(rows)?;
                Ok(Pending(Box::new(move |_| read.try_take())))
            }
            Trainer::Cpu { run, .. } => {
                let mut hidden = Some(run.hidden(rows));
                Ok(Pending(Box::new(move |_| hidden.take())))
            }
        }
    }

    /// Starts computing the empirical NTK on the training set at the
    /// current parameters (`n × n`).
    ///
    /// # Errors
    /// More than one output, or (GPU) too many training points.
    pub fn ntk_gram(&mut self) -> Result<Pending<DMatrix<f64>>, Error> {
        let n = self.problem.dataset.train.len();
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, .. } => {
                let read = made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid)?.ntk_gram()?;
                Ok(Pending(Box::new(move |_| {
                    read.try_take().map(|r| r.map(|mut g| DMatrix::from_iterator(n, n, g.swap_remove(0).into_iter().map(f64::from))))
                })))
            }
            Trainer::Cpu { run, .. } => Ok(run.ntk_gram()),
        }
    }

    /// Trains up to `n` more steps for `steps = Some(n)` (`u32::MAX`: as
    /// many as fit this frame; none while paused, `None`), and returns a
    /// snapshot when one is ready.
    ///
    /// On the GPU, training goes on while a snapshot is on its way back;
    /// snapshots are taken at the eye's rate while training, and at once
    /// when the steps asked are submitted or the run is new ([`Schedule`]).
    pub fn tick(&mut self, steps: Option<u32>, clock: Clock) -> Option<Result<Snapshot, Error>> {
        match &mut self.trainer {
            Trainer::Gpu { trainer, backend, pending, schedule, evaluated, ready, .. } => {
                schedule.collect();
                let landed = pending.as_mut().and_then(|flight| flight.land(&mut self.params));
                if landed.is_some() {
                    *pending = None;
                }
                let asked = match steps {
                    Some(n) => n,
                    None if self.dirty => 0,
                    None => return landed,
                };
                // A new run waits for the work of the runs before it, and
                // for its weights, drawn meanwhile.
                if trainer.is_none() && !(draw_awhile(&mut self.init, clock) && ready.done()) {
                    return landed;
                }
                let trainer = match made(trainer, backend, &self.problem, self.beside.as_deref(), &mut self.init, &self.grid) {
                    Ok(t) => t,
                    Err(e) => return Some(Err(e)),
                };
                let queue = trainer.queue_and_kernels().0.clone();
                let submit = |schedule: &mut Schedule, steps: u32| {
                    schedule.submitted(steps, clock());
                    queue.on_submitted_work_done(schedule.on_done(clock));
                };
                // A snapshot due goes before the frame's training, which
                // waits while the queue has no room for it (see
                // `Schedule::eval_fits`); then the queue is topped up
                // (pipelining: whatever is in flight), and a snapshot owed
                // by the steps asked goes after them.
                let mut left = asked;
                for after in [false, true] {
                    if after {
                        loop {
                            let n = schedule.steps(left);
                            if n == 0 {
                                break;
                            }
                            trainer.train(n);
                            submit(schedule, n);
                            if left != u32::MAX {
                                left -= n;
                            }
                        }
                    }
                    let step = trainer.steps_done();
                    // Owed: a new or reset run's first picture, or the last
                    // of the steps asked (kept owed while a snapshot is in
                    // flight). Playing: at the eye's rate, and at steps 2,
                    // 4, 8, … so a young run's fast start is drawn.
                    let owed = self.dirty || (after && left == 0);
                    let doubled = evaluated.is_some_and(|e| step >= schedule::next_doubling(e));
                    if *evaluated == Some(step) || !(owed || (asked == u32::MAX && (doubled || schedule.eval_due(clock())))) {
                        continue;
                    }
                    if pending.is_some() {
                        self.dirty |= owed;
                        continue;
                    }
                    if !schedule.eval_fits() {
                        self.dirty |= owed;
                        break;
                    }
                    let snapshot = trainer.read_snapshot();
                    let params = self.with_params.then(|| trainer.read_params());
                    submit(schedule, 0);
                    *pending = Some(Box::new(InFlight { snapshot, beside: self.beside.is_some(), params, arrived: None }));
                    (*evaluated, self.dirty) = (Some(step), false);
                }
                landed
            }
            Trainer::Cpu { run, k } => {
                let n = match steps {
                    Some(n) => n,
                    None if self.dirty => 0,
                    None => return None,
                };
                let start = clock();
                run.train(u64::from(n.min(*k)), CPU_BUDGET_MS, clock);
                // Grow the step count while frames stay within budget.
                *k = if clock() - start < CPU_BUDGET_MS / 2.0 { (*k * 2).min(MAX_STEPS_PER_SUBMIT) } else { (*k / 2).max(1) };
                self.dirty = false;
                if self.with_params {
                    self.params = Some(run.params().to_vec());
                }
                Some(Ok(run.snapshot()))
            }
        }
    }
}

#[cfg(test)]
mod tests;
