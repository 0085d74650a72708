//! The landscape lab's run: net A trains by full-batch gradient descent,
//! net B (another seed) beside it for mode connectivity, and the pictures
//! of [`super::views`] are computed on the same backend as they train.

use gradlab_core::{Problem, RunConfig};

use super::state::{LandscapeState, View};
use super::views::{self, Views};
use crate::charts::Surface;
use crate::kit::remote::{Net, Params, Setup};
use crate::kit::status::Progress;
use crate::kit::LabView;
use crate::kit::{Frame, LabRun};

/// What the views show beside the run's status (the `.views` element's
/// `data-*` attributes and the captions).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Readout {
    /// Grids drawn so far (`data-grids`), the step of the last one, and
    /// how long it took (`data-grid-ms`).
    pub grids: u64,
    pub grid_step: u64,
    pub grid_ms: f64,
    /// PCA plane: variance explained by the two components.
    pub explained: Option<[f64; 2]>,
    /// Why the PCA plane is not shown yet.
    pub plane_note: Option<String>,
    pub sharpness: Option<f32>,
    /// Train and test barriers between the two solutions.
    pub barrier: Option<(f32, Option<f32>)>,
}

/// One run: the trained net `a`, and `b` from another seed.
pub struct Nets {
    pub a: Net,
    pub b: Option<Net>,
}

#[derive(Default)]
pub struct Run {
    pub nets: Option<Nets>,
    pub views: Views,
    pub readout: Readout,
    pub progress: Progress,
}

fn build(f: &Frame<'_, LandscapeState>, s: &LandscapeState) -> Result<Nets, gradlab_core::Error> {
    let problem = Problem::new(s.run_config())?;
    let a = Net::new(f.backend, problem.clone(), Setup { params: Params::Always, ..Setup::default() })?;
    // Solution B: same data and training, initial weights from seed + 1.
    let b = if s.view.shows(View::Connect) {
        Some(Net::new(f.backend, problem, Setup { init_seed: Some(s.seed + 1), params: Params::Always, ..Setup::default() })?)
    } else {
        None
    };
    Ok(Nets { a, b })
}

impl LabRun for Run {
    type State = LandscapeState;
    type Chart = View;

    fn configure(&mut self, f: &mut Frame<'_, LandscapeState>, s: &LandscapeState, old: Option<&LandscapeState>) {
        if self.nets.is_some() && old.is_some_and(|old| s.same_run(old)) {
            self.views.grid_stale = true;
            return;
        }
        *self = Self::default();
        self.nets = f.start(build(f, s));
    }

    fn reset(&mut self, _f: &mut Frame<'_, LandscapeState>, _s: &LandscapeState) {
        if let Some(nets) = &mut self.nets {
            nets.a.reset();
            if let Some(b) = &mut nets.b {
                b.reset();
            }
        }
        self.views = Views::default();
        self.readout = Readout::default();
        self.progress = Progress::default();
    }

    fn tick(&mut self, f: &mut Frame<'_, LandscapeState>, s: &LandscapeState) -> bool {
        let Some(nets) = &mut self.nets else { return false };
        let steps = f.steps();
        let mut fresh = false;
        if let Some(snap) = f.train(&mut nets.a, &mut self.progress) {
            if let Some(p) = nets.a.params() {
                self.views.record(snap.step, p, f.now);
            }
            fresh = true;
        }
        if let Some(b) = &mut nets.b {
            // B follows A's pace; only its parameters are used.
            if let Some(Err(e)) = b.tick(steps, crate::web::now) {
                f.failed(&e);
            }
        }
        let step = self.progress.history.points.last().map_or(0, |p| p.step);
        fresh | views::jobs(&mut self.views, nets, s, step, f, &mut self.readout)
    }

    fn draw(&self, s: &LandscapeState, chart: View, surface: &mut Surface<'_>) {
        super::charts::draw_view(&self.views, s, self.readout.explained.is_some(), chart, surface);
    }

    fn csv(&self, _s: &LandscapeState) -> Option<String> {
        Some(super::export::csv(&self.views))
    }

    fn json(&self, s: &LandscapeState) -> Option<String> {
        Some(super::export::json(&self.views, s))
    }

    fn cli_run(s: &LandscapeState) -> Option<RunConfig> {
        Some(s.run_config())
    }
}
