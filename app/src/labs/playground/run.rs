//! The playground's run: one configuration trained on the GPU a frame's
//! worth at a time, or on the CPU in the page's worker; rebuilt when the
//! settings change.

use gradlab_core::gpu::Snapshot;
use gradlab_core::{Problem, RunConfig};

use super::charts::{draw_function, draw_losses};
use super::state::PlaygroundState;
use crate::charts::Surface;
use crate::kit::remote::{Net, Setup};
use crate::kit::status::Progress;
use crate::kit::{Frame, LabRun};

/// The playground's two charts.
#[derive(Clone, Copy)]
pub enum Chart {
    Function,
    Losses,
}

#[derive(Default)]
pub struct Run {
    pub trainer: Option<Net>,
    pub progress: Progress,
    /// The latest snapshot (losses and the function on the grid).
    pub last: Option<Snapshot>,
}

impl LabRun for Run {
    type State = PlaygroundState;
    type Chart = Chart;

    fn configure(&mut self, f: &mut Frame<'_, PlaygroundState>, s: &PlaygroundState, _old: Option<&PlaygroundState>) {
        *self = Self::default();
        self.trainer = f.start(Problem::new(s.run_config()).and_then(|p| Net::new(f.backend, p, Setup::default())));
    }

    fn reset(&mut self, _f: &mut Frame<'_, PlaygroundState>, _s: &PlaygroundState) {
        if let Some(net) = &mut self.trainer {
            net.reset();
        }
        self.progress = Progress::default();
    }

    fn tick(&mut self, f: &mut Frame<'_, PlaygroundState>, _s: &PlaygroundState) -> bool {
        let Some(net) = &mut self.trainer else { return false };
        let Some(snap) = f.train(net, &mut self.progress) else { return false };
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
