//! A run trained in the page's worker ([`super::worker`]) on the CPU, for
//! a lab that would otherwise train on the main thread: the page sends
//! play, pause, step and reset, and draws the snapshots that come back.

use gradlab_core::engine::{check_work, grid_points, Backend, Clock, Engine};
use gradlab_core::gpu::Snapshot;
use gradlab_core::{Error, Part, Problem};

use super::worker::{Background, Command, Job, Update};

/// Something a [`super::Frame`] trains: an [`Engine`] here, or a
/// [`RemoteRun`] in the worker.
pub trait Trains {
    /// Steps trained so far (as far as the page knows).
    fn steps_taken(&self) -> u64;

    /// `steps` as [`super::Frame::steps`] asks; a snapshot when one is there.
    fn tick(&mut self, steps: Option<u32>, now: f64, clock: Clock) -> Option<Result<Snapshot, Error>>;
}

impl Trains for Engine {
    fn steps_taken(&self) -> u64 {
        Engine::steps_taken(self)
    }

    fn tick(&mut self, steps: Option<u32>, now: f64, clock: Clock) -> Option<Result<Snapshot, Error>> {
        Engine::tick(self, steps, now, clock)
    }
}

/// One configuration training in the worker.
pub struct RemoteRun {
    pub problem: Problem,
    pub grid: Vec<f32>,
    job: Background,
    /// The last of play or pause sent.
    playing: bool,
    /// A step was sent and its snapshot has not come yet.
    stepping: bool,
    /// The step of the latest snapshot.
    step: u64,
}

impl RemoteRun {
    /// Checks `problem` against the CPU's work limit and starts it, paused.
    ///
    /// # Errors
    /// A step or an evaluation past the CPU's work limit.
    pub fn new(backend: &Backend, problem: Problem) -> Result<Self, Error> {
        let grid = grid_points(&problem);
        check_work(backend, &problem, &grid)?;
        let job = Background::start(Job::Train { config: problem.config.clone() });
        Ok(Self { problem, grid, job, playing: false, stepping: false, step: 0 })
    }

    /// Back to the initial parameters.
    pub fn reset(&mut self) {
        self.job.tell(Command::Reset);
    }
}

impl Trains for RemoteRun {
    fn steps_taken(&self) -> u64 {
        self.step
    }

    fn tick(&mut self, steps: Option<u32>, _now: f64, _clock: Clock) -> Option<Result<Snapshot, Error>> {
        match steps {
            Some(1) if !self.stepping => {
                (self.stepping, self.playing) = (true, false);
                self.job.tell(Command::Step);
            }
            Some(n) if n > 1 && !self.playing => {
                self.playing = true;
                self.job.tell(Command::Play);
            }
            None if self.playing => {
                self.playing = false;
                self.job.tell(Command::Pause);
            }
            _ => {}
        }
        let mut last = None;
        for u in self.job.poll(super::worker::SLICE_MS / 4.0) {
            match u {
                Update::Snapshot(snap) => last = Some(Ok(snap)),
                Update::Failed(e) => return Some(Err(Error::Invalid { part: Part::Request, field: "run", reason: e })),
                _ => {}
            }
        }
        if let Some(Ok(snap)) = &last {
            self.stepping &= snap.step == self.step;
            self.step = snap.step;
        }
        last
    }
}
