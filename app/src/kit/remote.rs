//! A net trained where it runs best: an [`Engine`] on the GPU, or without
//! one a [`CpuRun`] in the page's worker ([`super::worker`]), so that the
//! page only draws. The page sends play, pause, steps and reset, and asks
//! for probes ([`super::probe`]: losses on a plane, the sharpness, the NTK
//! Gram, hidden activations, the gradient) whose
//! results come back by id, as [`Pending`]s like the engine's own.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gradlab_core::engine::{check_work_with, grid_points, Backend, Clock, Engine, Pending};
use gradlab_core::gpu::Snapshot;
use gradlab_core::hidden::{Hidden, Rows};
use gradlab_core::landscape::Plane;
use gradlab_core::{Error, Part, Problem, Subset, TrainConfig};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::probe::{Probe, Probed};
use super::worker::{Background, Command, Job, Update, SLICE_MS};

/// How a net starts, beyond its configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// Initial parameters from this seed instead of the configuration's.
    pub init_seed: Option<u64>,
    /// Inputs the snapshots predict on (`rows × input_dim`) instead of the
    /// drawing grid.
    pub grid: Option<Vec<f32>>,
    /// Which snapshots bring the parameters ([`Net::params`]).
    pub params: Params,
    /// Train the same net beside on shuffled labels
    /// ([`gradlab_core::Problem::shuffled_labels`]): snapshots carry its
    /// losses ([`gradlab_core::gpu::Snapshot::beside`]).
    pub beside: bool,
}

/// Which snapshots bring the net's parameters (a net in the worker sends
/// them as JSON: a megabyte for a hundred thousand of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Params {
    #[default]
    Never,
    /// Those where training stopped: the start, the end of the steps asked,
    /// a pause or a reset. (An engine here reads them with every snapshot.)
    AtStops,
    Always,
}

/// One net of a lab, on the GPU here or on the CPU in the worker. (A lab
/// holds four nets at most: their sizes do not matter.)
#[allow(clippy::large_enum_variant)]
pub enum Net {
    Here(Engine),
    Away(RemoteRun),
}

impl Net {
    /// `problem` on `backend`, started paused.
    ///
    /// # Errors
    /// A configuration past the backend's limits.
    pub fn new(backend: &Rc<Backend>, problem: Problem, setup: Setup) -> Result<Self, Error> {
        if let Backend::Cpu { .. } = backend.as_ref() {
            return RemoteRun::new(backend, problem, setup).map(Self::Away);
        }
        let grid = setup.grid.unwrap_or_else(|| grid_points(&problem));
        let seed = setup.init_seed.unwrap_or(problem.config.seed);
        let mut engine = Engine::seeded(backend, problem, seed, grid)?;
        engine.with_params = setup.params != Params::Never;
        if setup.beside {
            engine.add_beside()?;
        }
        Ok(Self::Here(engine))
    }

    #[must_use]
    pub fn problem(&self) -> &Problem {
        match self {
            Self::Here(e) => &e.problem,
            Self::Away(r) => &r.problem,
        }
    }

    /// The points its snapshots predict on.
    #[must_use]
    pub fn grid(&self) -> &[f32] {
        match self {
            Self::Here(e) => &e.grid,
            Self::Away(r) => &r.grid,
        }
    }

    /// Steps trained so far (as far as the page knows).
    #[must_use]
    pub fn steps_taken(&self) -> u64 {
        match self {
            Self::Here(e) => e.steps_taken(),
            Self::Away(r) => r.step,
        }
    }

    /// The parameters of the latest snapshot that brought them
    /// ([`Setup::params`]).
    #[must_use]
    pub fn params(&self) -> Option<&[f32]> {
        match self {
            Self::Here(e) => e.params(),
            Self::Away(r) => r.params.as_deref(),
        }
    }

    /// Back to the initial parameters.
    pub fn reset(&mut self) {
        match self {
            Self::Here(e) => e.reset(),
            Self::Away(r) => r.reset(),
        }
    }

    /// Trains on with `config` from the next step, without a restart (a
    /// new learning rate, schedule or weight decay).
    ///
    /// # Errors
    /// As [`TrainConfig::retuned`].
    pub fn retune(&mut self, config: &TrainConfig) -> Result<(), Error> {
        match self {
            Self::Here(e) => e.retune(config),
            Self::Away(r) => r.retune(config),
        }
    }

    /// Stops training until the next [`Self::tick`] with steps (an engine
    /// here trains only when ticked).
    pub fn pause(&mut self) {
        if let Self::Away(r) = self {
            r.pause();
        }
    }

    /// Trains as [`super::Frame::steps`] asks (`u32::MAX`: all it can;
    /// `n`: `n` more, then stops; `None`: paused); a snapshot when one is
    /// there.
    pub fn tick(&mut self, steps: Option<u32>, clock: Clock) -> Option<Result<Snapshot, Error>> {
        match self {
            Self::Here(e) => e.tick(steps, clock),
            Self::Away(r) => r.tick(steps),
        }
    }

    /// Starts evaluating the mean loss on `subset` at `points` of `plane`.
    ///
    /// # Errors
    /// If the backend cannot hold the probe.
    pub fn losses(&mut self, plane: Plane, points: Vec<[f32; 2]>, subset: Subset) -> Result<Pending<Vec<f32>>, Error> {
        match self {
            Self::Here(e) => e.losses(plane, points, subset),
            Self::Away(r) => Ok(r.probe(Probe::Losses { plane, points, subset }, |p| match p {
                Probed::Losses(v) => Some(v),
                _ => None,
            })),
        }
    }

    /// Starts `iterations` of power iteration for the sharpness.
    ///
    /// # Errors
    /// If the training set does not fit one batch on the GPU.
    pub fn sharpness(&mut self, iterations: u32) -> Result<Pending<f32>, Error> {
        match self {
            Self::Here(e) => e.sharpness(iterations),
            Self::Away(r) => Ok(r.probe(Probe::Sharpness { iterations }, |p| match p {
                Probed::Sharpness(v) => Some(v),
                _ => None,
            })),
        }
    }

    /// Starts reading the parameters now.
    ///
    /// # Errors
    /// If the GPU trainer cannot be made.
    pub fn params_now(&mut self) -> Result<Pending<Vec<f32>>, Error> {
        match self {
            Self::Here(e) => e.params_now(),
            Self::Away(r) => Ok(r.probe(Probe::Params, |p| match p {
                Probed::Params(v) => Some(v),
                _ => None,
            })),
        }
    }

    /// Starts reading the gradient of the mean training loss over the
    /// first `rows` training points.
    ///
    /// # Errors
    /// As [`Engine::gradient`].
    pub fn gradient(&mut self, rows: usize) -> Result<Pending<Vec<f32>>, Error> {
        match self {
            Self::Here(e) => e.gradient(rows),
            Self::Away(r) => Ok(r.probe(Probe::Gradient { rows }, |p| match p {
                Probed::Gradient(v) => Some(v),
                _ => None,
            })),
        }
    }

    /// Starts reading every hidden unit's activation at `rows`.
    ///
    /// # Errors
    /// Rows past their set, or too many.
    pub fn hidden(&mut self, rows: Rows) -> Result<Pending<Hidden>, Error> {
        match self {
            Self::Here(e) => e.hidden(&rows),
            Self::Away(r) => Ok(r.probe(Probe::Hidden(rows), |p| match p {
                Probed::Hidden { rows, widths, values } => Hidden::new(rows, widths, values).ok(),
                _ => None,
            })),
        }
    }

    /// Starts computing the empirical NTK on the training set.
    ///
    /// # Errors
    /// More than one output, or (GPU) too many training points.
    pub fn ntk_gram(&mut self) -> Result<Pending<DMatrix<f64>>, Error> {
        match self {
            Self::Here(e) => e.ntk_gram(),
            Self::Away(r) => Ok(r.probe(Probe::NtkGram, |p| match p {
                Probed::NtkGram { n, values } => (values.len() == n * n).then(|| DMatrix::from_vec(n, n, values)),
                _ => None,
            })),
        }
    }
}

// ---- the page's side of a net in the worker ----

/// What has come back from the worker and is not handed out yet.
struct Inbox {
    job: Background,
    /// Probes still wanted, by id, and their answers once there.
    replies: HashMap<u32, Option<Result<Probed, String>>>,
    /// Snapshots, parameters and failures, for [`RemoteRun::tick`].
    news: Vec<Update>,
}

impl Inbox {
    /// Sorts what the job sent (in the page, where there is no worker,
    /// this is where it computes).
    fn pump(&mut self) {
        for update in self.job.poll(SLICE_MS / 4.0) {
            match update {
                Update::Probed { id, result } => {
                    if let Some(slot) = self.replies.get_mut(&id) {
                        *slot = Some(result);
                    }
                }
                other => self.news.push(other),
            }
        }
    }
}

/// A probe's place in the inbox until its answer is taken; dropping it
/// before tells the worker to drop the probe.
struct Wanted {
    inbox: Rc<RefCell<Inbox>>,
    id: u32,
}

impl Drop for Wanted {
    fn drop(&mut self) {
        let mut inbox = self.inbox.borrow_mut();
        if inbox.replies.remove(&self.id).is_some() {
            inbox.job.tell(Command::Forget(self.id));
        }
    }
}

fn worker_error(reason: String) -> Error {
    Error::Invalid { part: Part::Request, field: "run", reason }
}

/// One net training in the worker.
pub struct RemoteRun {
    pub problem: Problem,
    pub grid: Vec<f32>,
    /// A second net trains beside on shuffled labels ([`Setup::beside`]).
    beside: bool,
    inbox: Rc<RefCell<Inbox>>,
    /// The last of play or pause sent.
    playing: bool,
    /// Steps were asked for: the step they end at.
    target: Option<u64>,
    /// The step and parameters of the latest snapshot.
    step: u64,
    params: Option<Vec<f32>>,
    next_probe: u32,
}

impl RemoteRun {
    /// Checks `problem` against the CPU's work limit and starts it, paused.
    ///
    /// # Errors
    /// A step or an evaluation past the CPU's work limit.
    pub fn new(backend: &Backend, problem: Problem, setup: Setup) -> Result<Self, Error> {
        let grid = setup.grid.clone().unwrap_or_else(|| grid_points(&problem));
        check_work_with(backend, &problem, &grid, setup.beside)?;
        let beside = setup.beside;
        let job = Background::start(Job::Train { config: problem.config.clone(), setup });
        let inbox = Rc::new(RefCell::new(Inbox { job, replies: HashMap::new(), news: Vec::new() }));
        Ok(Self { problem, grid, beside, inbox, playing: false, target: None, step: 0, params: None, next_probe: 0 })
    }

    fn tell(&self, command: Command) {
        self.inbox.borrow_mut().job.tell(command);
    }

    fn reset(&mut self) {
        self.tell(Command::Reset);
        self.target = None;
    }

    /// Checked here, so the worker's run takes it without a word.
    fn retune(&mut self, config: &TrainConfig) -> Result<(), Error> {
        let mut next = self.problem.clone();
        next.config.train = self.problem.config.train.retuned(config)?;
        check_work_with(&Backend::Cpu { reason: String::new() }, &next, &self.grid, self.beside)?;
        self.problem = next;
        self.tell(Command::Retune(config.clone()));
        Ok(())
    }

    fn pause(&mut self) {
        if self.playing || self.target.is_some() {
            (self.playing, self.target) = (false, None);
            self.tell(Command::Pause);
        }
    }

    fn tick(&mut self, steps: Option<u32>) -> Option<Result<Snapshot, Error>> {
        match steps {
            Some(u32::MAX) if !self.playing => {
                (self.playing, self.target) = (true, None);
                self.tell(Command::Play);
            }
            Some(u32::MAX) => {}
            Some(n) if self.playing || self.target.is_none() => {
                (self.playing, self.target) = (false, Some(self.step + u64::from(n)));
                self.tell(Command::Steps(u64::from(n)));
            }
            Some(_) => {}
            None => self.pause(),
        }
        let news = {
            let mut inbox = self.inbox.borrow_mut();
            inbox.pump();
            std::mem::take(&mut inbox.news)
        };
        let mut last = None;
        for update in news {
            match update {
                Update::Params(p) => self.params = Some(p),
                Update::Snapshot(snap) => last = Some(snap),
                Update::Failed(e) => return Some(Err(worker_error(e))),
                _ => {}
            }
        }
        let snap = last?;
        self.step = snap.step;
        if self.target.is_some_and(|t| snap.step >= t) {
            self.target = None;
        }
        Some(Ok(snap))
    }

    /// Sends `probe`; its answer, through `take`, once it comes back.
    fn probe<T: 'static>(&mut self, probe: Probe, take: fn(Probed) -> Option<T>) -> Pending<T> {
        let id = self.next_probe;
        self.next_probe = self.next_probe.wrapping_add(1);
        {
            let mut inbox = self.inbox.borrow_mut();
            inbox.replies.insert(id, None);
            inbox.job.tell(Command::Probe { id, probe });
        }
        let wanted = Wanted { inbox: Rc::clone(&self.inbox), id };
        Pending::new(move |_| {
            let mut inbox = wanted.inbox.borrow_mut();
            inbox.pump();
            let answer = inbox.replies.get_mut(&wanted.id)?.take()?;
            inbox.replies.remove(&wanted.id);
            let answer =
                answer.map_err(worker_error).and_then(|p| take(p).ok_or_else(|| worker_error("a probe answered another question".into())));
            Some(answer)
        })
    }
}
