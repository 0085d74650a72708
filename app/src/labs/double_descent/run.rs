//! The double-descent lab's run: the exact curves, and optionally real
//! nets of every width and seed trained beside them. The CPU work runs in
//! the page's worker ([`super::jobs`]); a trained sweep on the GPU gets its
//! step sizes from there and trains here ([`SweepRun`]).

use gradlab_core::double_descent::{sample_counts, Errors, SeedCurve, SweepLog, SweepRun};
use gradlab_core::engine::Backend;

use super::state::{DdState, DdView, Train};
use crate::charts::Surface;
use crate::kit::status::Phase;
use crate::kit::worker::{Background, Job, Update};
use crate::kit::LabView;
use crate::kit::{Frame, LabRun};
use crate::web;

/// Milliseconds of a frame a job may compute in the page (where no worker
/// runs it), and the GPU sweep may take to make its nets.
const BUDGET_MS: f64 = 10.0;
/// Log-spaced points of each curve (plus the dense ones at the threshold).
pub const POINTS: usize = 24;
/// Milliseconds between redraws while results stream in.
const REDRAW_MS: f64 = 250.0;
/// A sweep's rate is measured over its first seconds of training...
const RATE_AFTER_MS: f64 = 5000.0;
/// ... and one that would take longer than this says so.
const LONG_SWEEP_S: f64 = 600.0;

/// What a sweep that trained `done − done0` net-steps in `ms` and has
/// `total` to train says, if it would take over [`LONG_SWEEP_S`] more.
#[must_use]
pub fn long_sweep(ms: f64, done0: u64, done: u64, total: u64, backend: &str) -> Option<String> {
    let rate = done.saturating_sub(done0) as f64 / ms * 1000.0;
    let left = total.saturating_sub(done) as f64 / rate;
    (left > LONG_SWEEP_S).then(|| {
        let minutes = (left / 60.0).round() as u64;
        let (h, m) = (minutes / 60, minutes % 60);
        let time = if h > 0 { format!("{h} h {m} min") } else { format!("{m} min") };
        format!(
            "The nets train about {} steps/s here ({backend}), so all {total} steps would take about {time}. Fewer seeds or steps, or a smaller n (the widest net is 10n), finish sooner.",
            rate.round()
        )
    })
}

/// One curve, over seeds, as its points arrive.
pub struct Series {
    pub xs: Vec<usize>,
    curves: Vec<SeedCurve>,
    job: Background,
}

impl Series {
    fn new(s: &DdState, xs: Vec<usize>, sample_p: Option<usize>) -> Self {
        let job = Background::start(Job::DdCurve { cfg: s.config(), xs: xs.clone(), seeds: s.seeds, sample_p });
        Self { xs, curves: Vec::new(), job }
    }

    /// The curves so far (seeds in progress too), at σ.
    pub fn errors(&self, sigma: f64) -> Vec<Errors> {
        self.curves.iter().map(|c| c.at(sigma)).collect()
    }

    fn points_done(&self) -> usize {
        self.curves.iter().map(|c| c.test.len()).sum()
    }

    /// Takes the points that arrived; true if any did.
    fn advance(&mut self) -> bool {
        let mut any = false;
        for u in self.job.poll(BUDGET_MS) {
            if let Update::DdPoint { seed, train, test } = u {
                if self.curves.len() <= seed {
                    self.curves.resize_with(seed + 1, || SeedCurve { train: Vec::new(), test: Vec::new() });
                }
                self.curves[seed].train.push(train);
                self.curves[seed].test.push(test);
                any = true;
            }
        }
        any
    }
}

/// A trained sweep: on the GPU, its step sizes computed away and then
/// trained here; on the CPU, trained away with its log sent back.
pub enum Trained {
    Sizing(Background),
    Here(SweepRun),
    Away(Background, SweepLog),
}

impl Trained {
    /// What it recorded (none before the GPU's step sizes arrived).
    #[must_use]
    pub fn log(&self) -> Option<&SweepLog> {
        match self {
            Self::Sizing(_) => None,
            Self::Here(run) => Some(&run.log),
            Self::Away(_, log) => Some(log),
        }
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
    pub sweep: Option<Trained>,
    /// The sweep could not start, or stopped (a notice says why); cleared
    /// when the settings change.
    sweep_failed: bool,
    /// Whether the settings ask for a sweep.
    sweep_wanted: bool,
    /// Seeds per curve; 0 before the first settings.
    seeds: usize,
    /// `(time ms, steps)` when the sweep's training was first seen, until
    /// its rate was judged.
    rate_mark: Option<(f64, u64)>,
    rate_judged: bool,
    /// Results not drawn yet, and when the charts were last drawn (ms).
    unseen: bool,
    drawn: f64,
    ran: bool,
}

impl Run {
    #[must_use]
    pub fn readout(&self) -> Readout {
        let count = |se: &Option<Series>| se.as_ref().map_or((0, 0), |x| (x.points_done(), x.xs.len() * self.seeds));
        let ((a, b), (c, d)) = (count(&self.model), count(&self.sample));
        let log = self.sweep.as_ref().and_then(Trained::log);
        let (sweep_steps, sweep_total) = log.map_or((0, 0), SweepLog::progress);
        let sweep = match log {
            _ if !self.sweep_wanted => SweepPhase::Off,
            _ if self.sweep_failed => SweepPhase::Failed,
            Some(log) if log.finished() => SweepPhase::Done,
            Some(log) if log.done > 0 => SweepPhase::Running,
            _ => SweepPhase::Starting,
        };
        Readout { ran: self.ran, points: a + c, total: b + d, sweep, sweep_steps, sweep_total }
    }

    /// Starts the trained sweep, then trains it (or takes its progress).
    fn tick_sweep(&mut self, f: &Frame<'_, DdState>, s: &DdState) -> bool {
        let Some(training) = s.train.training() else { return false };
        if self.sweep_failed {
            return false;
        }
        let widths = s.widths();
        let (cfg, seeds) = (s.config(), s.seeds);
        let Some(sweep) = &mut self.sweep else {
            self.sweep = Some(if matches!(f.backend.as_ref(), Backend::Gpu(_)) {
                Trained::Sizing(Background::start(Job::DdStepSizes { cfg, widths, seeds, training }))
            } else {
                Trained::Away(Background::start(Job::DdSweep { cfg, widths, seeds, training, steps: s.steps }), SweepLog::default())
            });
            return true;
        };
        let was_diverged = sweep.log().is_some_and(SweepLog::diverged);
        let (fresh, error) = match sweep {
            Trained::Sizing(job) => match job.poll(BUDGET_MS).pop() {
                Some(Update::DdStepSizes(Ok(lrs))) => match SweepRun::planned(f.backend, &cfg, &widths, seeds, training, s.steps, &lrs) {
                    Ok(run) => {
                        *sweep = Trained::Here(run);
                        (true, None)
                    }
                    Err(e) => (false, Some(e.to_string())),
                },
                Some(Update::DdStepSizes(Err(e))) => (false, Some(e)),
                _ => (false, None),
            },
            Trained::Here(run) => (run.tick(BUDGET_MS, web::now), run.error.take()),
            Trained::Away(job, log) => {
                let mut fresh = false;
                let mut error = None;
                for u in job.poll(BUDGET_MS) {
                    if let Update::DdSweep { log: l, error: e } = u {
                        (*log, error, fresh) = (l, e, true);
                    }
                }
                (fresh, error)
            }
        };
        if let Some(e) = error {
            self.sweep_failed = true;
            f.note(format!("Training the nets stopped: {e}"));
        }
        let log = self.sweep.as_ref().and_then(Trained::log);
        if !was_diverged && log.is_some_and(SweepLog::diverged) {
            f.note("Some nets diverged (their loss went non-finite); they are left out of the markers.".into());
        }
        if let Some(log) = log.filter(|l| l.done > 0 && !self.rate_judged) {
            let now = web::now();
            let (t0, done0) = *self.rate_mark.get_or_insert((now, log.done));
            if now - t0 >= RATE_AFTER_MS && log.done > done0 {
                self.rate_judged = true;
                let backend = if matches!(f.backend.as_ref(), Backend::Gpu(_)) { "WebGPU" } else { "CPU fallback" };
                if let Some(says) = long_sweep(now - t0, done0, log.done, log.progress().1, backend) {
                    f.note(says);
                }
            }
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
            self.model = Some(Series::new(s, s.widths(), None));
        }
        if s.view.shows(DdView::Sample) && self.sample.is_none() {
            self.sample = Some(Series::new(s, sample_counts(s.p, POINTS), Some(s.p)));
        }
        if s.train == Train::Off || !old.is_some_and(|old| old.same_sweep(s)) {
            self.sweep = None;
            self.sweep_failed = false;
            (self.rate_mark, self.rate_judged) = (None, false);
        }
        self.sweep_wanted = s.train != Train::Off;
        self.seeds = s.seeds;
        self.ran = true;
    }

    fn tick(&mut self, f: &mut Frame<'_, DdState>, s: &DdState) -> bool {
        let mut fresh = false;
        if let Some(m) = &mut self.model {
            fresh |= m.advance();
        }
        if let Some(sa) = &mut self.sample {
            fresh |= sa.advance();
        }
        fresh |= self.tick_sweep(f, s);
        let r = self.readout();
        f.phase(if r.points >= r.total { Phase::Done } else { Phase::Running });
        // Points arrive one by one: redraw a few times a second, and at the end.
        self.unseen |= fresh;
        let settled = r.points >= r.total && matches!(r.sweep, SweepPhase::Off | SweepPhase::Done | SweepPhase::Failed);
        let due = self.unseen && (settled || f.now - self.drawn >= REDRAW_MS);
        if due {
            (self.unseen, self.drawn) = (false, f.now);
        }
        due
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

#[cfg(test)]
mod tests {
    use super::long_sweep;

    #[test]
    fn a_sweep_says_when_it_would_take_long() {
        // 1000 net-steps in 5 s: 200/s; 100 000 left take 500 s, 1 000 000 about 83 min.
        assert_eq!(long_sweep(5000.0, 0, 1000, 101_000, "cpu"), None);
        let says = long_sweep(5000.0, 500, 1500, 1_001_500, "CPU fallback").unwrap();
        assert!(
            says.starts_with("The nets train about 200 steps/s here (CPU fallback), so all 1001500 steps would take about 1 h 23 min."),
            "{says}"
        );
        assert_eq!(long_sweep(5000.0, 0, 1000, 10_000_000, "x").map(|s| s.contains("13 h 53 min")), Some(true));
    }
}
