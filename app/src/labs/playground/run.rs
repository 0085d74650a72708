//! The playground's run: one configuration trained on the GPU a frame's
//! worth at a time, or on the CPU in the page's worker; rebuilt when the
//! settings change (not when only the view does; a new learning rate,
//! schedule, batch size or optimizer hyperparameter trains on from the
//! next step). The views inside the network ask the backend for
//! activations as training goes.

use std::cell::Cell;

use gradlab_core::engine::Pending;
use gradlab_core::gpu::Snapshot;
use gradlab_core::hidden::{Hidden, LayerStats};
use gradlab_core::{Problem, RunConfig};

use super::charts::{draw_empty, draw_function, draw_losses, Plot};
use super::depth::{self, draw_depth, DepthLook};
use super::hidden::{self, draw_projection, draw_regions, HiddenLook};
use super::network::{self, draw_network, Inside};
use super::own;
use super::state::{PgView, PlaygroundState};
use super::training::RandomLabels;
use crate::charts::Surface;
use crate::kit::remote::{Net, Setup};
use crate::kit::status::{Phase, Progress};
use crate::kit::{Click, Frame, LabRun};
use crate::web;

/// The playground's charts.
#[derive(Clone, Copy)]
pub enum Chart {
    Function,
    Losses,
    Network,
    Projection,
    Regions,
    Depth,
}

/// Milliseconds between asks for the neurons' activations, at least. A
/// slow answer waits as long again before the next ask, so reading
/// activations takes at most about half of a slow backend's time (the
/// hidden view's 64² grid of every layer is megabytes).
const INSIDE_EVERY_MS: f64 = 150.0;

/// What the backend sends back for a view inside the network.
enum Answer {
    /// Every neuron on the picture grid, and the weights.
    Network(Hidden, Vec<f32>),
    /// The training points' activations, and the whole grid's.
    Hidden(Hidden, Hidden),
    /// The first training points' activations, and the gradient over them.
    Depth(Hidden, Vec<f32>),
}

/// Where the depth view's look at initialization stands.
#[derive(Default)]
enum AtInit {
    #[default]
    Wanted,
    /// The copy of the net, and its answer on the way.
    Asking(Box<Net>, Pending<Answer>),
    /// Answered (into [`DepthLook::init`]), or failed with a note: not again.
    Over,
}

#[derive(Default)]
pub struct Run {
    pub trainer: Option<Net>,
    pub progress: Progress,
    /// The latest snapshot (losses and the function on the grid).
    pub last: Option<Snapshot>,
    /// The latest looks inside, the one on its way, and when it was asked.
    pub inside: Option<Inside>,
    pub hidden: HiddenLook,
    pub depth: DepthLook,
    asking: Option<Pending<Answer>>,
    /// The depth view's statistics at initialization: asked once, of a
    /// copy of the net that never trains.
    at_init: AtInit,
    asked: f64,
    /// Milliseconds the last answer took.
    took: f64,
    /// Where the function chart last put the data (clicks add points there).
    plot: Cell<Option<Plot>>,
    /// Steps trained when the latest look inside was asked, and for which view.
    inside_step: Option<u64>,
    inside_view: Option<PgView>,
}

impl Run {
    /// Asks for, or collects, the activations `view` draws; whether new ones came.
    fn look_inside(&mut self, f: &mut Frame<'_, PlaygroundState>, view: PgView) -> bool {
        let Some(net) = &mut self.trainer else { return false };
        if let Some(pending) = &mut self.asking {
            match pending.poll(web::now) {
                None => return false,
                Some(Ok(answer)) => {
                    let step = self.inside_step.unwrap_or(0);
                    self.took = f.now - self.asked;
                    match answer {
                        Answer::Network(hidden, params) => {
                            let grid_out = self.last.as_ref().map_or(&[][..], |s| &s.grid);
                            self.inside = Some(Inside::new(&net.problem().spec.layout(), hidden, params, net.grid(), grid_out, step));
                        }
                        Answer::Hidden(train, grid) => self.hidden.update(step, &train, &grid),
                        Answer::Depth(hidden, grad) => {
                            self.depth.now = Some((step, LayerStats::of(&net.problem().spec.layout(), &hidden, &grad)));
                        }
                    }
                    self.asking = None;
                    return true;
                }
                Some(Err(e)) => {
                    self.asking = None;
                    f.note(format!("Could not read the network's activations: {e}."));
                    self.inside_step = Some(u64::MAX); // not again for this run
                    return false;
                }
            }
        }
        let step = net.steps_taken();
        let seen = self.inside_step.is_some_and(|s| s == u64::MAX || (s == step && self.inside_view == Some(view)));
        if seen || f.now - self.asked < INSIDE_EVERY_MS.max(2.0 * self.took) {
            return false;
        }
        let problem = net.problem();
        let asked = match view {
            PgView::Network => {
                let rows = network::rows(problem.spec.input_dim);
                net.hidden(rows).and_then(|h| Ok(h.zip(net.params_now()?).map(|(h, p)| Answer::Network(h, p))))
            }
            PgView::Hidden => {
                let (train, grid) = (hidden::train_rows(problem), hidden::grid_rows(net.grid().len() / problem.spec.input_dim));
                net.hidden(train).and_then(|t| Ok(t.zip(net.hidden(grid)?).map(|(t, g)| Answer::Hidden(t, g))))
            }
            PgView::Depth => ask_depth(net),
            PgView::Function => return false,
        };
        match asked {
            Ok(p) => (self.asking, self.asked, self.inside_step, self.inside_view) = (Some(p), f.now, Some(step), Some(view)),
            Err(e) => {
                f.note(format!("Could not read the network's activations: {e}."));
                self.inside_step = Some(u64::MAX);
            }
        }
        false
    }
}

/// The depth view's question: activations and gradient over the first training points.
fn ask_depth(net: &mut Net) -> Result<Pending<Answer>, gradlab_core::Error> {
    let rows = depth::rows(net.problem());
    let n = rows.index.len();
    Ok(net.hidden(rows)?.zip(net.gradient(n)?).map(|(h, g)| Answer::Depth(h, g)))
}

impl Run {
    /// Asks a copy of the net at its initial parameters for the depth
    /// view's statistics there, once; whether they came.
    fn look_at_init(&mut self, f: &mut Frame<'_, PlaygroundState>) -> bool {
        let failed = |f: &mut Frame<'_, PlaygroundState>, e: gradlab_core::Error| {
            f.note(format!("The depth view could not read the net at initialization: {e}."));
        };
        match &mut self.at_init {
            AtInit::Over => false,
            AtInit::Wanted => {
                let Some(net) = &self.trainer else { return false };
                let copy = Net::new(f.backend, net.problem().clone(), Setup::default()).and_then(|mut copy| {
                    let asked = ask_depth(&mut copy)?;
                    Ok((copy, asked))
                });
                self.at_init = match copy {
                    Ok((copy, asked)) => AtInit::Asking(Box::new(copy), asked),
                    Err(e) => {
                        failed(f, e);
                        AtInit::Over
                    }
                };
                false
            }
            AtInit::Asking(copy, pending) => {
                let Some(answer) = pending.poll(web::now) else { return false };
                match answer {
                    Ok(Answer::Depth(hidden, grad)) => {
                        self.depth.init = Some(LayerStats::of(&copy.problem().spec.layout(), &hidden, &grad));
                    }
                    Ok(_) => {}
                    Err(e) => failed(f, e),
                }
                self.at_init = AtInit::Over; // its buffers, or its worker task, go now
                true
            }
        }
    }
}

impl LabRun for Run {
    type State = PlaygroundState;
    type Chart = Chart;

    fn configure(&mut self, f: &mut Frame<'_, PlaygroundState>, s: &PlaygroundState, old: Option<&PlaygroundState>) {
        if let (Some(old), Some(net)) = (old, &mut self.trainer) {
            // A new rate, schedule, weight decay, batch size or optimizer
            // hyperparameter takes effect at the next step, no restart.
            if old.same_run(s) || (old.retunes_to(s) && net.retune(&s.run_config().train).is_ok()) {
                return;
            }
        }
        let plot = self.plot.take();
        *self = Self { plot: plot.into(), ..Self::default() };
        if s.data.own() && s.own_points().is_empty() {
            // Nothing to train yet: the chart waits for clicks.
            f.phase(Phase::Paused);
            return;
        }
        let setup = Setup { beside: s.random == RandomLabels::Beside, ..Setup::default() };
        self.trainer = f.start(Problem::new(s.run_config()).and_then(|p| Net::new(f.backend, p, setup)));
    }

    fn reset(&mut self, _f: &mut Frame<'_, PlaygroundState>, _s: &PlaygroundState) {
        if let Some(net) = &mut self.trainer {
            net.reset();
        }
        self.progress = Progress::default();
        (self.inside, self.hidden, self.asking, self.inside_step) = (None, HiddenLook::default(), None, None);
        self.depth.now = None; // the statistics at initialization stay: same start
    }

    fn tick(&mut self, f: &mut Frame<'_, PlaygroundState>, s: &PlaygroundState) -> bool {
        let Some(net) = &mut self.trainer else { return false };
        let trained = f.train(net, &mut self.progress).map(|snap| self.last = Some(snap)).is_some();
        let looked = s.view != PgView::Function && self.look_inside(f, s.view);
        let at_init = s.view == PgView::Depth && self.look_at_init(f);
        trained || looked || at_init
    }

    fn draw(&self, s: &PlaygroundState, chart: Chart, surface: &mut Surface<'_>) {
        match (chart, &self.trainer, &self.last) {
            // Diverged predictions are NaN: the data stays, the function goes.
            (Chart::Function, Some(t), Some(snap)) => {
                self.plot.set(draw_function(surface, t.problem(), t.grid(), &snap.grid).or(self.plot.get()));
            }
            (Chart::Function, None, _) if s.data.own() => {
                let domain = if s.data.input_dim() == 1 { [(-1.0, 1.0), (-1.6, 1.6)] } else { [(-1.5, 1.5), (-1.5, 1.5)] };
                let hint = if s.data.classifies() {
                    format!("Click to add a point of class {} (shift-click erases).", s.class + 1)
                } else {
                    "Click to add a point (shift-click erases).".to_owned()
                };
                self.plot.set(draw_empty(surface, domain, &hint));
            }
            (Chart::Losses, ..) => draw_losses(surface, &self.progress.history, s.classes()),
            (Chart::Network, Some(t), _) => {
                if let Some(inside) = &self.inside {
                    draw_network(surface, t.problem(), inside, s.focus());
                }
            }
            (Chart::Projection, Some(t), _) => draw_projection(surface, t.problem(), &self.hidden),
            (Chart::Regions, Some(t), _) => draw_regions(surface, t.problem(), &self.hidden),
            (Chart::Depth, Some(t), _) => draw_depth(surface, t.problem(), &self.depth),
            _ => {}
        }
    }

    fn click(&self, s: &PlaygroundState, chart: Chart, at: Click) -> Option<PlaygroundState> {
        match chart {
            Chart::Network => {
                let (Some(net), Some(inside)) = (&self.trainer, &self.inside) else { return None };
                let (layer, unit) = network::clicked(inside, &net.problem().spec.layout(), at)?;
                Some(PlaygroundState { layer, unit, ..s.clone() })
            }
            Chart::Function if s.data.own() => {
                let plot = self.plot.get()?;
                let [x, y] = plot.at(at.x, at.y)?;
                let points = own::clicked(s, &plot, [x, y], at.shift)?;
                Some(PlaygroundState { points, ..s.clone() })
            }
            _ => None,
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
