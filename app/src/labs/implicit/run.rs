//! The implicit-bias lab's run: the shown experiments, each stepped for a
//! slice of every frame on the main thread (their problems are tiny and in
//! f64), with their charts and readouts.

use leptos::prelude::{Set, Update, WithUntracked};

use super::lstsq::Lstsq;
use super::margin::Margin;
use super::matrix::Matrix;
use super::state::{ImplicitState, ImplicitView};
use crate::charts::Surface;
use crate::kit::status::Phase;
use crate::kit::{Frame, LabRun, LabView};
use crate::web;

/// Milliseconds of a frame spent stepping the experiments.
pub const STEP_BUDGET_MS: f64 = 8.0;

/// When to record a point of a run's history: every step at first, then
/// `1/density` of the steps so far apart (log-spaced, a few hundred points
/// a decade at most), and always at the last step.
#[derive(Clone, Debug)]
pub struct Sampler {
    next: u64,
    density: u64,
}

impl Sampler {
    #[must_use]
    pub fn new(density: u64) -> Self {
        Self { next: 0, density }
    }

    pub fn due(&mut self, step: u64, last: u64) -> bool {
        if step < self.next && step != last {
            return false;
        }
        self.next = step + (step / self.density).max(1);
        true
    }
}

/// What one experiment does each frame.
pub trait Experiment {
    /// Up to `steps` more steps (of the whole experiment, or of a part of
    /// it that takes turns); `Err` says why it cannot go on.
    fn advance(&mut self, steps: u64) -> Result<(), String>;
    /// Steps taken, and of how many.
    fn progress(&self) -> (u64, u64);
    /// Work beside the steps (an exact answer computed over frames), until
    /// `deadline`; whether anything changed.
    fn background(&mut self, _deadline: f64) -> bool {
        false
    }
    /// Steps per call of [`Self::advance`] between looks at the clock.
    const CHUNK: u64;
}

/// Why an experiment stopped.
pub enum Halt {
    /// It diverged (the message says how, and what to change).
    Diverged(String),
    /// Its GPU work failed.
    Failed(gradlab_core::Error),
}

/// Steps `e` until `deadline` on `clock` (or `single`: one step further);
/// whether it moved.
pub fn drive<E: Experiment>(e: &mut E, single: bool, deadline: f64, clock: fn() -> f64) -> Result<bool, String> {
    let start = e.progress().0;
    loop {
        let (done, total) = e.progress();
        if done >= total || (single && done > start) {
            break;
        }
        e.advance(if single { 1 } else { E::CHUNK.min(total - done) })?;
        if !single && clock() > deadline {
            break;
        }
    }
    Ok(e.progress().0 > start)
}

/// Measured steps/s for the badge.
#[derive(Default)]
struct Rate {
    mark: Option<(f64, u64)>,
}

#[derive(Default)]
pub struct Run {
    pub lstsq: Option<Lstsq>,
    pub margin: Option<Margin>,
    pub matrix: Option<Matrix>,
    rate: Rate,
}

/// What the page shows beside the charts (and its `data-*` attributes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Readout {
    /// Least squares: `‖x − x_mn‖/‖x_mn‖`, `‖x − proj(x₀)‖/‖proj(x₀)‖`, residual.
    pub lstsq: Option<(f64, f64, f64)>,
    /// The least-squares problem's `m × n`, as the run has it.
    pub lstsq_dims: Option<(usize, usize)>,
    /// Separable: each optimizer's angle to the SVM (radians).
    pub angles: Vec<f64>,
    /// Matrix: the chosen α's unseen-entry error and effective rank.
    pub matrix: Option<(f64, f64)>,
    /// The minimum nuclear norm completion's norm, once computed.
    pub nuclear_min: Option<f64>,
    /// Where matrix completion trains: "gpu" or "cpu".
    pub matrix_on: Option<&'static str>,
}

impl Run {
    #[must_use]
    pub fn readout(&self) -> Readout {
        Readout {
            lstsq: self.lstsq.as_ref().and_then(Lstsq::readout),
            lstsq_dims: self.lstsq.as_ref().map(|l| l.problem.a.shape()),
            angles: self.margin.as_ref().map(Margin::angles).unwrap_or_default(),
            matrix: self.matrix.as_ref().and_then(Matrix::readout),
            nuclear_min: self.matrix.as_ref().and_then(Matrix::nuclear_min),
            matrix_on: self.matrix.as_ref().map(|m| if m.on_gpu() { "gpu" } else { "cpu" }),
        }
    }

    /// Steps of the shown experiments, and of how many.
    fn progress(&self) -> (u64, u64) {
        let parts = [
            self.lstsq.as_ref().map(Lstsq::progress),
            self.margin.as_ref().map(Margin::progress),
            self.matrix.as_ref().map(Matrix::progress),
        ];
        parts.into_iter().flatten().fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    }

    fn build(&mut self, f: &mut Frame<'_, ImplicitState>, s: &ImplicitState, old: Option<&ImplicitState>, all: bool) {
        let changed = |differs: &dyn Fn(&ImplicitState) -> bool| all || old.is_none_or(differs);
        let v = s.view;
        if !v.shows(ImplicitView::Lstsq) {
            self.lstsq = None;
        } else if self.lstsq.is_none() || changed(&|o: &ImplicitState| o.lstsq_key() != s.lstsq_key()) {
            self.lstsq = Some(Lstsq::new(s));
        }
        if !v.shows(ImplicitView::Margin) {
            self.margin = None;
        } else if self.margin.is_none() || changed(&|o: &ImplicitState| o.margin_key() != s.margin_key()) {
            self.margin = Some(Margin::new(s));
        }
        if !v.shows(ImplicitView::Matrix) {
            self.matrix = None;
        } else if self.matrix.is_none() || changed(&|o: &ImplicitState| o.matrix_key() != s.matrix_key()) {
            self.matrix = Some(Matrix::new(s, f.backend));
        }
        self.rate = Rate::default();
        f.started();
    }
}

impl LabRun for Run {
    type State = ImplicitState;
    type Chart = super::charts::Chart;

    fn configure(&mut self, f: &mut Frame<'_, ImplicitState>, s: &ImplicitState, old: Option<&ImplicitState>) {
        // A finished run that is changed plays again.
        let (done, total) = self.progress();
        if done > 0 && done >= total {
            f.lab.playing.set(true);
        }
        self.build(f, s, old, false);
    }

    fn reset(&mut self, f: &mut Frame<'_, ImplicitState>, s: &ImplicitState) {
        self.build(f, s, None, true);
    }

    fn tick(&mut self, f: &mut Frame<'_, ImplicitState>, _s: &ImplicitState) -> bool {
        let mut fresh = false;
        let deadline = web::now() + STEP_BUDGET_MS;
        let steps = f.steps();
        let single = steps == Some(1);
        // The budget is shared: each experiment gets until the deadline,
        // in turn, so with all three shown each gets its chunks in. The
        // matrix sweep ticks paused too: on the GPU its readbacks land then.
        let later = || deadline.max(web::now() + 1.0);
        let moved = [
            self.lstsq.as_mut().and_then(|e| steps.map(|_| drive(e, single, deadline, web::now).map_err(Halt::Diverged))),
            self.margin.as_mut().and_then(|e| steps.map(|_| drive(e, single, later(), web::now).map_err(Halt::Diverged))),
            self.matrix.as_mut().map(|e| e.tick(steps, later())),
        ];
        if steps.is_some() {
            f.stepped();
        }
        for m in moved.into_iter().flatten() {
            match m {
                Ok(moved) => fresh |= moved,
                Err(halt) => {
                    f.lab.playing.set(false);
                    match halt {
                        Halt::Diverged(why) => {
                            f.phase(Phase::Diverged);
                            f.note(why);
                        }
                        Halt::Failed(e) => f.failed(&e),
                    }
                    return true;
                }
            }
        }
        if let Some(m) = &mut self.matrix {
            fresh |= m.background(deadline.max(web::now() + 1.0));
        }
        let (done, total) = self.progress();
        let now = f.now;
        let rate = match self.rate.mark {
            Some((t, s)) if now - t >= 500.0 => {
                self.rate.mark = Some((now, done));
                Some((done - s) as f64 * 1000.0 / (now - t))
            }
            None => {
                self.rate.mark = Some((now, done));
                None
            }
            _ => None,
        };
        f.lab.status.update(|st| {
            st.steps = done;
            if let Some(r) = rate {
                st.steps_per_s = r;
            }
        });
        if done >= total && f.lab.status.with_untracked(|st| st.phase == Phase::Running) {
            f.lab.playing.set(false);
            f.phase(Phase::Done);
        }
        fresh
    }

    fn draw(&self, s: &ImplicitState, chart: Self::Chart, surface: &mut Surface<'_>) {
        super::charts::draw(self, s, chart, surface);
    }

    fn csv(&self, _s: &ImplicitState) -> Option<String> {
        Some(super::export::csv(self))
    }

    fn json(&self, s: &ImplicitState) -> Option<String> {
        Some(super::export::json(self, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_keeps_every_early_step_then_fewer_and_the_last() {
        let mut s = Sampler::new(10);
        let kept: Vec<u64> = (0..=1000).filter(|&t| s.due(t, 1000)).collect();
        assert_eq!(kept[..20], (0..20).collect::<Vec<_>>());
        assert!(kept.windows(3).all(|w| w[2] - w[1] >= w[1] - w[0] || w[2] == 1000), "gaps grow: {kept:?}");
        assert_eq!(kept.last(), Some(&1000));
        assert!(kept.len() < 80, "{} kept", kept.len());
    }

    #[test]
    fn a_step_moves_each_experiment_one_whole_step() {
        // A clock that stands still: only `single` and the end stop a drive.
        let s = ImplicitState { margin_steps: 300, matrix_steps: 50, ..ImplicitState::default() };
        let cpu = std::rc::Rc::new(gradlab_core::engine::Backend::Cpu { reason: String::new() });
        let mut matrix = Matrix::new(&s, &cpu);
        assert!(drive(&mut matrix, true, 1.0, || 0.0).unwrap());
        // All three α took their step (they take turns).
        assert_eq!(matrix.models.iter().map(|m| m.steps).collect::<Vec<_>>(), vec![1, 1, 1]);
        let mut lstsq = Lstsq::new(&s);
        drive(&mut lstsq, true, 1.0, || 0.0).unwrap();
        assert_eq!(lstsq.progress(), (1, s.steps));
        let mut margin = Margin::new(&s);
        drive(&mut margin, false, 1.0, || 0.0).unwrap();
        assert_eq!(margin.progress(), (300, 300));
        drive(&mut matrix, false, 1.0, || 0.0).unwrap();
        assert_eq!(matrix.progress(), (50, 50));
        assert_eq!(matrix.history[0].last().map(|r| r.step), Some(50), "the last step is recorded");
    }
}
