//! The lottery-ticket lab's run: IMP on the page's backend
//! ([`ImpRun`]), every round's batch of tickets and controls trained
//! within each frame's budget (on the CPU fallback, sliced across frames).

use gradlab_core::lottery::{ImpLog, ImpRun};
use leptos::prelude::*;

use super::state::{LotteryState, LtView};
use crate::charts::Surface;
use crate::kit::status::Phase;
use crate::kit::{Frame, LabRun};
use crate::web;

/// Milliseconds of a frame IMP may compute (the CPU's training, the GPU's
/// submits, the evaluations).
const BUDGET_MS: f64 = 10.0;
/// Milliseconds between redraws while results stream in.
const REDRAW_MS: f64 = 250.0;

/// Progress, mirrored in the page's `data-` attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Readout {
    /// Phases done (the dense run and rounds), and all there are.
    pub phases: usize,
    pub total_phases: usize,
    /// Steps trained, summed over models, and the run's total.
    pub steps: u64,
    pub total_steps: u64,
    pub done: bool,
    pub failed: bool,
}

#[derive(Default)]
pub struct Run {
    pub imp: Option<ImpRun>,
    failed: bool,
    said_diverged: bool,
    /// Results not drawn yet, and when the charts were last drawn (ms).
    unseen: bool,
    drawn: f64,
}

impl Run {
    #[must_use]
    pub fn log(&self) -> Option<&ImpLog> {
        self.imp.as_ref().map(|r| &r.log)
    }

    #[must_use]
    pub fn readout(&self) -> Readout {
        let Some(log) = self.log() else { return Readout { failed: self.failed, ..Readout::default() } };
        Readout {
            phases: log.phases.iter().filter(|p| p.ms.is_some()).count(),
            total_phases: log.imp.rounds as usize + 1,
            steps: log.done,
            total_steps: log.total(),
            done: log.finished(),
            failed: self.failed,
        }
    }
}

impl LabRun for Run {
    type State = LotteryState;
    type Chart = LtView;
    const TRANSPORT: bool = false;

    fn configure(&mut self, f: &mut Frame<'_, LotteryState>, s: &LotteryState, old: Option<&LotteryState>) {
        if old.is_some_and(|old| old.same_run(s)) && (self.imp.is_some() || self.failed) {
            return;
        }
        *self = Self::default();
        match ImpRun::new(f.backend, &s.run_config(), s.seeds, s.imp(), 1, &s.stability_steps()) {
            Ok(run) => {
                self.imp = Some(run);
                f.phase(Phase::Running);
            }
            Err(e) => {
                self.failed = true;
                f.failed(&e);
            }
        }
    }

    fn tick(&mut self, f: &mut Frame<'_, LotteryState>, _s: &LotteryState) -> bool {
        let Some(run) = &mut self.imp else { return false };
        if self.failed {
            return false;
        }
        let fresh = run.tick(BUDGET_MS, web::now);
        if let Some(e) = run.error.take() {
            self.failed = true;
            f.phase(Phase::Failed(format!("Training stopped: {e}.")));
            return true;
        }
        if !self.said_diverged && run.log.diverged() {
            self.said_diverged = true;
            f.note("Some nets diverged (their test loss went non-finite): lower the learning rate.".into());
        }
        let done = run.log.finished();
        if f.lab.status.with_untracked(|st| st.steps != run.log.done) {
            f.lab.status.update(|st| st.steps = run.log.done);
        }
        f.phase(if done { Phase::Done } else { Phase::Running });
        self.unseen |= fresh;
        let due = self.unseen && (done || f.now - self.drawn >= REDRAW_MS);
        if due {
            (self.unseen, self.drawn) = (false, f.now);
        }
        due
    }

    fn draw(&self, s: &LotteryState, chart: LtView, surface: &mut Surface<'_>) {
        super::charts::draw_view(self, s, chart, surface);
    }

    fn csv(&self, s: &LotteryState) -> Option<String> {
        self.log().map(|log| super::export::csv(log, s))
    }

    fn json(&self, s: &LotteryState) -> Option<String> {
        self.log().map(|log| super::export::json(log, s))
    }
}
