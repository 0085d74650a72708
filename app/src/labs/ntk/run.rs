//! The NTK lab's run: nets of several widths train on a 1D regression by
//! full-batch gradient descent; at step 0 and log-spaced checkpoints each
//! one's empirical NTK on the training points is computed on the backend.
//! The widest net also gets its linearization (kernel regression by
//! gradient flow with `Θ_0`).

use gradlab_core::double_descent::trained::checkpoints;
use gradlab_core::engine::{grid_points, Pending};
use gradlab_core::gpu::Snapshot;
use gradlab_core::ntk::{drift, movement, Spectrum};
use gradlab_core::{Error, Part, Problem, RunConfig};
use leptos::prelude::{Set, WithUntracked};
use nalgebra::{DMatrix, DVector};

use super::charts::gram_image;
use super::state::NtkState;
use crate::charts::heat::Heat;
use crate::charts::Surface;
use crate::kit::remote::{Net, Params, Setup};
use crate::kit::status::{Phase, Progress};
use crate::kit::worker::{Background, Job, Update, SLICE_MS};
use crate::kit::{Frame, LabRun};
use crate::web;

/// Checkpoints over the step budget (log-spaced), after step 0.
const CHECKPOINTS: usize = 16;

/// One checkpoint of one net.
#[derive(Clone, Debug)]
pub struct Record {
    pub step: u64,
    pub drift: f64,
    pub movement: f64,
    /// Outputs on the drawing grid, then on the training points.
    pub outputs: Vec<f32>,
}

/// One width in training.
pub struct WidthRun {
    pub width: usize,
    engine: Net,
    /// The weights at the first checkpoint (step 0), as the net reports
    /// them: drawing them here too took the main thread 130–290 ms at
    /// width 1024.
    init: Vec<f32>,
    /// Checkpoint steps, 0 first.
    pub at: Vec<u64>,
    next: usize,
    theta0: Option<DMatrix<f64>>,
    pub theta: Option<DMatrix<f64>>,
    /// The snapshot at the checkpoint whose Gram is in flight.
    waiting: Option<(Snapshot, Pending<DMatrix<f64>>)>,
    pub records: Vec<Record>,
}

impl WidthRun {
    fn done(&self) -> bool {
        self.next >= self.at.len() && self.waiting.is_none()
    }

    /// Trains to the next checkpoint, then computes the kernel there.
    /// Returns the checkpoint's snapshot once it is recorded.
    fn advance(&mut self) -> Result<Option<Snapshot>, Error> {
        if let Some((snap, pending)) = &mut self.waiting {
            let Some(theta) = pending.poll(web::now) else { return Ok(None) };
            let theta = theta?;
            let snap = snap.clone();
            self.waiting = None;
            let params = self.engine.params().unwrap_or_default();
            if self.records.is_empty() {
                self.init = params.to_vec();
            }
            let theta0 = self.theta0.get_or_insert_with(|| theta.clone());
            self.records.push(Record {
                step: snap.step,
                drift: drift(theta0, &theta),
                movement: movement(&self.init, params),
                outputs: snap.grid.clone(),
            });
            self.theta = Some(theta);
            return Ok(Some(snap));
        }
        let Some(&target) = self.at.get(self.next) else { return Ok(None) };
        let left = target.saturating_sub(self.engine.steps_taken());
        if let Some(snap) = self.engine.tick(Some(left.min(u64::from(u32::MAX)) as u32), web::now) {
            let snap = snap?;
            if snap.step >= target {
                self.next += 1;
                let pending = self.engine.ntk_gram()?;
                self.waiting = Some((snap, pending));
            }
        }
        Ok(None)
    }
}

/// What the widest net adds: its linearization.
pub struct Linear {
    pub spectrum0: Spectrum,
    /// `Θ_0(grid, X)`.
    pub cross: DMatrix<f64>,
    pub f0_grid: DVector<f64>,
    pub f0_train: DVector<f64>,
    pub y: DVector<f64>,
}

/// The linearization from the kernel at initialization (computed in the
/// worker: [`super::jobs::AtInit`]) and the net's first outputs.
fn linearize(problem: &Problem, (spectrum0, cross): (Spectrum, DMatrix<f64>), first: &Record) -> Linear {
    let g = cross.nrows();
    Linear {
        spectrum0,
        cross,
        f0_grid: DVector::from_iterator(g, first.outputs[..g].iter().map(|&v| f64::from(v))),
        f0_train: DVector::from_iterator(first.outputs.len() - g, first.outputs[g..].iter().map(|&v| f64::from(v))),
        y: DVector::from_iterator(problem.train_targets.len(), problem.train_targets.iter().map(|&v| f64::from(v))),
    }
}

/// The nets of one setting, narrowest first.
pub struct Nets {
    pub problem: Problem,
    pub runs: Vec<WidthRun>,
    pub linear: Option<Linear>,
    /// The widest net's kernel at initialization, on its way from the
    /// worker, then arrived.
    at_init: Option<Background>,
    at_init_done: Option<(Spectrum, DMatrix<f64>)>,
    /// The widest net's current eigenvalues, and at how many checkpoints
    /// (one eigendecomposition per checkpoint, not per redraw).
    spectrum_now: Option<(usize, Vec<f64>)>,
    /// The next ones, on their way from the worker, and at how many.
    spectrum_next: Option<(usize, Background)>,
    /// The widest net's current kernel as a heat map, and at how many
    /// checkpoints.
    pub gram: Option<(usize, Heat)>,
    progress: Progress,
}

impl Nets {
    fn build(f: &Frame<'_, NtkState>, s: &NtkState) -> Result<Self, Error> {
        let at: Vec<u64> = std::iter::once(0).chain(checkpoints(s.steps, CHECKPOINTS)).collect();
        let mut problem = None;
        let mut runs = Vec::new();
        for width in s.widths() {
            let p = Problem::new(s.run_config(width))?;
            let grid = [grid_points(&p), p.dataset.train.x.clone()].concat();
            let engine = Net::new(f.backend, p.clone(), Setup { grid: Some(grid), params: Params::AtStops, ..Setup::default() })?;
            runs.push(WidthRun {
                width,
                engine,
                init: Vec::new(),
                at: at.clone(),
                next: 0,
                theta0: None,
                theta: None,
                waiting: None,
                records: Vec::new(),
            });
            problem = Some(p);
        }
        let problem =
            problem.ok_or_else(|| Error::Invalid { part: Part::Model, field: "width", reason: "leaves no net to train".into() })?;
        let at_init = Some(Background::start(Job::NtkAtInit { config: problem.config.clone() }));
        Ok(Self {
            problem,
            runs,
            linear: None,
            at_init,
            at_init_done: None,
            spectrum_now: None,
            spectrum_next: None,
            gram: None,
            progress: Progress::default(),
        })
    }

    /// The widest net.
    #[must_use]
    pub fn main(&self) -> &WidthRun {
        self.runs.last().expect("at least one width")
    }

    fn all_done(&self) -> bool {
        self.runs.iter().all(WidthRun::done)
    }

    /// Eigenvalues of the widest net's kernel at initialization and now.
    #[must_use]
    pub fn spectra(&self) -> (Option<&[f64]>, Option<&[f64]>) {
        (self.linear.as_ref().map(|l| l.spectrum0.values.as_slice()), self.spectrum_now.as_ref().map(|(_, v)| v.as_slice()))
    }
}

/// Kernels computed so far, of how many, the top eigenvalue at
/// initialization and the widest net's latest drift (`.views` attributes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Readout {
    pub checkpoints: usize,
    pub total: usize,
    pub top: Option<f64>,
    pub drift: Option<f64>,
}

#[derive(Default)]
pub struct Run {
    pub nets: Option<Nets>,
}

impl Run {
    #[must_use]
    pub fn readout(&self) -> Readout {
        let Some(nets) = &self.nets else { return Readout::default() };
        Readout {
            checkpoints: nets.runs.iter().map(|w| w.records.len()).sum(),
            total: nets.runs.iter().map(|w| w.at.len()).sum(),
            top: nets.linear.as_ref().map(|l| l.spectrum0.values[0]),
            drift: nets.main().records.last().map(|rec| rec.drift),
        }
    }

    fn restart(&mut self, f: &mut Frame<'_, NtkState>, s: &NtkState) {
        // After a finished run the next one plays; a paused one stays paused.
        if self.nets.as_ref().is_some_and(Nets::all_done) {
            f.lab.playing.set(true);
        }
        self.nets = None;
        self.nets = f.start(Nets::build(f, s));
    }
}

impl LabRun for Run {
    type State = NtkState;
    type Chart = super::charts::Chart;

    fn configure(&mut self, f: &mut Frame<'_, NtkState>, s: &NtkState, old: Option<&NtkState>) {
        // A new view of the same run keeps it; anything else trains anew.
        if self.nets.is_none() || !old.is_some_and(|old| s.same_run(old)) {
            self.restart(f, s);
        }
    }

    fn reset(&mut self, f: &mut Frame<'_, NtkState>, s: &NtkState) {
        self.restart(f, s);
    }

    fn tick(&mut self, f: &mut Frame<'_, NtkState>, _s: &NtkState) -> bool {
        let Some(nets) = &mut self.nets else { return false };
        let mut fresh = false;
        if f.steps().is_none() {
            // A net in the worker trains on to its checkpoint unless told.
            nets.runs.iter_mut().for_each(|w| w.engine.pause());
        } else {
            let last = nets.runs.len() - 1;
            for (i, w) in nets.runs.iter_mut().enumerate() {
                match w.advance() {
                    Ok(Some(snap)) => {
                        fresh = true;
                        if i == last && nets.progress.record(&snap, f.now, f.lab.status) {
                            f.phase(Phase::Diverged);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        f.failed(&e);
                        self.nets = None;
                        return true;
                    }
                }
            }
        }
        let main = nets.runs.last().expect("at least one width");
        if let Some(job) = &mut nets.at_init {
            for update in job.poll(SLICE_MS / 4.0) {
                let n = nets.problem.dataset.train.len();
                match update {
                    Update::NtkAtInit(Ok(at)) => nets.at_init_done = at.unpack(n),
                    Update::NtkAtInit(Err(e)) => f.failed(&Error::Invalid { part: Part::Model, field: "kernel", reason: e }),
                    _ => continue,
                }
                nets.at_init = None;
                break;
            }
        }
        if nets.linear.is_none() {
            if let (Some(first), true) = (main.records.first(), nets.at_init_done.is_some()) {
                nets.linear = nets.at_init_done.take().map(|at| linearize(&nets.problem, at, first));
            }
        }
        if let Some(theta) = &main.theta {
            let at = main.records.len();
            if nets.gram.as_ref().is_none_or(|(drawn, _)| *drawn != at) {
                nets.gram = Some((at, gram_image(theta, &nets.problem.dataset.train.x)));
            }
            if nets.spectrum_now.as_ref().is_none_or(|(now, _)| *now != at)
                && nets.spectrum_next.as_ref().is_none_or(|(next, _)| *next != at)
            {
                nets.spectrum_next = Some((at, Background::start(Job::Eigenvalues { matrix: theta.as_slice().to_vec() })));
            }
        }
        if let Some((at, job)) = &mut nets.spectrum_next {
            if let Some(values) =
                job.poll(SLICE_MS / 4.0).into_iter().find_map(|u| if let Update::Eigenvalues(v) = u { Some(v) } else { None })
            {
                nets.spectrum_now = Some((*at, values));
                nets.spectrum_next = None;
                fresh = true;
            }
        }
        if nets.all_done() && nets.spectrum_next.is_none() && f.lab.status.with_untracked(|st| st.phase == Phase::Running) {
            f.lab.playing.set(false);
            f.phase(Phase::Paused);
        }
        fresh
    }

    fn draw(&self, s: &NtkState, chart: Self::Chart, surface: &mut Surface<'_>) {
        if let Some(nets) = &self.nets {
            super::charts::draw_chart(nets, s, chart, surface);
        }
    }

    fn csv(&self, _s: &NtkState) -> Option<String> {
        self.nets.as_ref().map(super::export::csv)
    }

    fn json(&self, s: &NtkState) -> Option<String> {
        self.nets.as_ref().map(|nets| super::export::json(nets, s))
    }

    fn cli_run(s: &NtkState) -> Option<RunConfig> {
        Some(s.run_config(s.width))
    }
}
