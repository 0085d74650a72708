//! The playground's run: one configuration trained on the GPU a frame's
//! worth at a time, or on the CPU in the page's worker; rebuilt when the
//! settings change.

use gradlab_core::engine::{Backend, Engine};
use gradlab_core::gpu::Snapshot;
use gradlab_core::{Problem, RunConfig};

use super::charts::{draw_function, draw_losses};
use super::state::PlaygroundState;
use crate::charts::Surface;
use crate::kit::remote::RemoteRun;
use crate::kit::status::Progress;
use crate::kit::{Frame, LabRun};

/// Where the run trains.
pub enum Trainer {
    Here(Engine),
    Away(RemoteRun),
}

impl Trainer {
    #[must_use]
    pub fn problem(&self) -> &Problem {
        match self {
            Self::Here(e) => &e.problem,
            Self::Away(r) => &r.problem,
        }
    }

    /// The drawing grid's points.
    #[must_use]
    pub fn grid(&self) -> &[f32] {
        match self {
            Self::Here(e) => &e.grid,
            Self::Away(r) => &r.grid,
        }
    }
}

/// The playground's two charts.
#[derive(Clone, Copy)]
pub enum Chart {
    Function,
    Losses,
}

#[derive(Default)]
pub struct Run {
    pub trainer: Option<Trainer>,
    pub progress: Progress,
    /// The latest snapshot (losses and the function on the grid).
    pub last: Option<Snapshot>,
}

impl LabRun for Run {
    type State = PlaygroundState;
    type Chart = Chart;

    fn configure(&mut self, f: &mut Frame<'_, PlaygroundState>, s: &PlaygroundState, _old: Option<&PlaygroundState>) {
        *self = Self::default();
        let backend = f.backend;
        self.trainer = f.start(Problem::new(s.run_config()).and_then(|p| match backend.as_ref() {
            Backend::Gpu(_) => Engine::new(backend, p).map(Trainer::Here),
            Backend::Cpu { .. } => RemoteRun::new(backend, p).map(Trainer::Away),
        }));
    }

    fn reset(&mut self, _f: &mut Frame<'_, PlaygroundState>, _s: &PlaygroundState) {
        match &mut self.trainer {
            Some(Trainer::Here(engine)) => engine.reset(),
            Some(Trainer::Away(run)) => run.reset(),
            None => {}
        }
        self.progress = Progress::default();
    }

    fn tick(&mut self, f: &mut Frame<'_, PlaygroundState>, _s: &PlaygroundState) -> bool {
        let snap = match &mut self.trainer {
            Some(Trainer::Here(engine)) => f.train(engine, &mut self.progress),
            Some(Trainer::Away(run)) => f.train(run, &mut self.progress),
            None => None,
        };
        let Some(snap) = snap else { return false };
        self.last = Some(snap);
        true
    }

    fn draw(&self, _s: &PlaygroundState, chart: Chart, surface: &mut Surface<'_>) {
        match (chart, &self.trainer, &self.last) {
            // Diverged predictions are NaN: the data stays, the function goes.
            (Chart::Function, Some(t), Some(snap)) => draw_function(surface, t.problem(), t.grid(), &snap.grid),
            (Chart::Losses, ..) => draw_losses(surface, &self.progress.history),
            _ => {}
        }
    }

    fn csv(&self, _s: &PlaygroundState) -> Option<String> {
        Some(super::export::losses_csv(&self.progress.history))
    }

    fn json(&self, s: &PlaygroundState) -> Option<String> {
        super::export::json(self, s)
    }

    fn cli_run(s: &PlaygroundState) -> Option<RunConfig> {
        Some(s.run_config())
    }
}
