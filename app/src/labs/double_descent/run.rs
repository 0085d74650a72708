//! The double-descent lab's run: the exact curves computed a point at a
//! time within a frame's budget, and, optionally, real nets of every width
//! and seed trained beside them ([`SweepRun`]).

use gradlab_core::double_descent::{feature_counts, sample_counts, Errors, SeedCurve, Sweep, SweepRun};

use super::state::{DdState, DdView, Train};
use crate::charts::Surface;
use crate::kit::status::Phase;
use crate::kit::LabView;
use crate::kit::{Frame, LabRun};
use crate::web;

/// Milliseconds of a frame spent computing curve points...
const BUDGET_MS: f64 = 12.0;
/// ... and training nets on the CPU.
const SWEEP_BUDGET_MS: f64 = 10.0;
/// Log-spaced points of each curve (plus the dense ones at the threshold).
pub const POINTS: usize = 24;

/// One curve being computed over seeds.
pub struct Series {
    pub xs: Vec<usize>,
    done: Vec<SeedCurve>,
    running: Option<Sweep>,
    next_seed: usize,
}

impl Series {
    fn new(xs: Vec<usize>) -> Self {
        Self { xs, done: Vec::new(), running: None, next_seed: 0 }
    }

    /// The curves so far (finished seeds and the one in progress), at σ.
    pub fn errors(&self, sigma: f64) -> Vec<Errors> {
        self.done.iter().chain(self.running.as_ref().map(Sweep::curve)).map(|c| c.at(sigma)).collect()
    }

    fn points_done(&self) -> usize {
        self.done.iter().chain(self.running.as_ref().map(Sweep::curve)).map(|c| c.test.len()).sum()
    }

    /// Steps the series until `start + BUDGET_MS`; true if a point was added.
    fn advance(&mut self, s: &DdState, start: f64, model: bool) -> bool {
        let mut any = false;
        while web::now() - start < BUDGET_MS {
            if self.running.is_none() {
                if self.next_seed >= s.seeds {
                    break;
                }
                let cfg = s.config();
                let seed = s.seed + self.next_seed as u64;
                self.running =
                    Some(if model { Sweep::model_wise(&cfg, &self.xs, seed) } else { Sweep::sample_wise(&cfg, s.p, &self.xs, seed) });
                self.next_seed += 1;
            }
            let sweep = self.running.as_mut().expect("set above");
            if sweep.step() {
                any = true;
            } else if let Some(done) = self.running.take() {
                self.done.push(done.curve().clone());
            }
        }
        any
    }
}

/// Where the trained sweep stands (`data-sweep`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum SweepPhase {
    #[default]
    Off,
    Starting,
    Running,
    Done,
    Failed,
}

impl SweepPhase {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// Progress, mirrored in `data-points` / `data-total` and the trained
/// sweep's in `data-sweep` / `data-sweep-steps` / `data-sweep-total`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Readout {
    /// Set once settings arrived (before, nothing is known to be done).
    pub ran: bool,
    pub points: usize,
    pub total: usize,
    pub sweep: SweepPhase,
    pub sweep_steps: u64,
    pub sweep_total: u64,
}

#[derive(Default)]
pub struct Run {
    pub model: Option<Series>,
    pub sample: Option<Series>,
    pub sweep: Option<SweepRun>,
    /// The sweep could not start, or stopped (a notice says why); cleared
    /// when the settings change.
    sweep_failed: bool,
    /// Whether the settings ask for a sweep.
    sweep_wanted: bool,
    /// Seeds per curve; 0 before the first settings.
    seeds: usize,
    ran: bool,
}

impl Run {
    #[must_use]
    pub fn readout(&self) -> Readout {
        let count = |se: &Option<Series>| se.as_ref().map_or((0, 0), |x| (x.points_done(), x.xs.len() * self.seeds));
        let ((a, b), (c, d)) = (count(&self.model), count(&self.sample));
        let (sweep_steps, sweep_total) = self.sweep.as_ref().map_or((0, 0), SweepRun::progress);
        let sweep = match &self.sweep {
            _ if !self.sweep_wanted => SweepPhase::Off,
            _ if self.sweep_failed => SweepPhase::Failed,
            None => SweepPhase::Starting,
            Some(sw) if sw.finished() => SweepPhase::Done,
            Some(_) => SweepPhase::Running,
        };
        Readout { ran: self.ran, points: a + c, total: b + d, sweep, sweep_steps, sweep_total }
    }

    /// Starts the trained sweep, then trains it.
    fn tick_sweep(&mut self, f: &Frame<'_, DdState>, s: &DdState) -> bool {
        let Some(training) = s.train.training() else { return false };
        if self.sweep.is_none() && !self.sweep_failed {
            let widths = feature_counts(s.n, 10.0, POINTS);
            match SweepRun::new(f.backend, &s.config(), &widths, s.seeds, training, s.steps) {
                Ok(sweep) => self.sweep = Some(sweep),
                Err(e) => {
                    self.sweep_failed = true;
                    f.note(format!("The nets could not be trained: {e}"));
                }
            }
            return true;
        }
        let Some(sweep) = &mut self.sweep else { return false };
        let was_diverged = sweep.diverged();
        let fresh = sweep.tick(SWEEP_BUDGET_MS, web::now);
        if let Some(e) = sweep.error.take() {
            self.sweep_failed = true;
            f.note(format!("Training the nets stopped: {e}"));
        }
        if !was_diverged && sweep.diverged() {
            f.note("Some nets diverged (their loss went non-finite); they are left out of the markers.".into());
        }
        fresh
    }
}

impl LabRun for Run {
    type State = DdState;
    type Chart = DdView;
    const TRANSPORT: bool = false;

    fn configure(&mut self, _f: &mut Frame<'_, DdState>, s: &DdState, old: Option<&DdState>) {
        if !old.is_some_and(|old| s.same_curves(old)) {
            (self.model, self.sample) = (None, None);
        }
        // A view that shows a curve not computed yet starts it.
        if s.view.shows(DdView::Model) && self.model.is_none() {
            self.model = Some(Series::new(feature_counts(s.n, 10.0, POINTS)));
        }
        if s.view.shows(DdView::Sample) && self.sample.is_none() {
            self.sample = Some(Series::new(sample_counts(s.p, POINTS)));
        }
        if s.train == Train::Off || !old.is_some_and(|old| old.same_sweep(s)) {
            self.sweep = None;
            self.sweep_failed = false;
        }
        self.sweep_wanted = s.train != Train::Off;
        self.seeds = s.seeds;
        self.ran = true;
    }

    fn tick(&mut self, f: &mut Frame<'_, DdState>, s: &DdState) -> bool {
        let start = web::now();
        let mut fresh = false;
        if let Some(m) = &mut self.model {
            fresh |= m.advance(s, start, true);
        }
        if let Some(sa) = &mut self.sample {
            fresh |= sa.advance(s, start, false);
        }
        fresh |= self.tick_sweep(f, s);
        let r = self.readout();
        f.phase(if r.points >= r.total { Phase::Done } else { Phase::Running });
        fresh
    }

    fn draw(&self, s: &DdState, chart: DdView, surface: &mut Surface<'_>) {
        super::charts::draw_view(self, s, chart, surface);
    }

    fn csv(&self, s: &DdState) -> Option<String> {
        Some(super::export::csv(self, s))
    }

    fn json(&self, s: &DdState) -> Option<String> {
        Some(super::export::json(self, s))
    }
}
