//! A net training in the page's worker: the worker's side of
//! [`super::remote::RemoteRun`].

use std::collections::VecDeque;

use gradlab_core::engine::schedule::{next_doubling, Cadence};
use gradlab_core::engine::{Clock, CpuRun, Pending};
use gradlab_core::{Error, Problem, RunConfig};

use super::probe::{Probe, Probed};
use super::remote::{Params, Setup};
use super::worker::{Activity, Command, Task, Update};

/// Milliseconds between snapshots while training (10 a second: each is
/// drawn on the main thread), or three times a snapshot's cost where that
/// is longer ([`Cadence`]): a net near the work limit spent most of its
/// time evaluating the train and test sets and the drawing grid.
const SNAPSHOT_EVERY_MS: f64 = 100.0;

/// A net training in the worker: whenever it plays or has steps to take,
/// a snapshot at the eye's rate, at steps 2, 4, 8, … ([`next_doubling`]:
/// the worker trains thousands of steps a second), or at once after a pause, the last of the steps asked, or a
/// reset; probes before training, in the order asked.
pub struct NetTask {
    run: Result<CpuRun, String>,
    params: Params,
    playing: bool,
    /// Steps still to take after [`Command::Steps`].
    left: u64,
    /// A snapshot is owed (the start, a pause, the end of steps, a reset).
    owed: bool,
    /// When snapshots go while training.
    snapshots: Cadence,
    /// The step of the last snapshot.
    snapped: Option<u64>,
    probes: VecDeque<(u32, Pending<Probed>)>,
    clock: Clock,
}

impl NetTask {
    /// The net of `config` and `setup`, timed by `clock` (the worker's
    /// `performance.now()`).
    #[must_use]
    pub fn new(config: RunConfig, setup: Setup, clock: Clock) -> Self {
        let run = Problem::new(config)
            .and_then(|p| {
                let init = setup.init_seed.map(|seed| p.spec.init_params(seed));
                let mut run = CpuRun::new(p, init, setup.grid)?;
                if setup.beside {
                    run.add_beside()?;
                }
                Ok(run)
            })
            .map_err(|e| e.to_string());
        Self {
            run,
            params: setup.params,
            playing: false,
            left: 0,
            owed: true,
            snapshots: Cadence::new(SNAPSHOT_EVERY_MS),
            snapped: None,
            probes: VecDeque::new(),
            clock,
        }
    }

    fn start(run: &CpuRun, probe: Probe) -> Result<Pending<Probed>, Error> {
        Ok(match probe {
            Probe::Losses { plane, points, subset } => run.losses(plane, points, subset)?.map(Probed::Losses),
            Probe::Sharpness { iterations } => run.sharpness(iterations).map(Probed::Sharpness),
            Probe::NtkGram => run.ntk_gram().map(|g| Probed::NtkGram { n: g.nrows(), values: g.as_slice().to_vec() }),
            Probe::Params => {
                let mut params = Some(run.params().to_vec());
                Pending::new(move |_| params.take().map(|p| Ok(Probed::Params(p))))
            }
            Probe::Gradient { rows } => {
                let mut grad = Some(run.gradient(rows)?);
                Pending::new(move |_| grad.take().map(|g| Ok(Probed::Gradient(g))))
            }
            Probe::Hidden(rows) => {
                let mut h = Some(run.hidden(&rows)?);
                Pending::new(move |_| h.take().map(|h| Ok(Probed::Hidden { rows: h.rows, values: h.layers().to_vec(), widths: h.widths })))
            }
        })
    }
}

impl Task for NetTask {
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        let run = match &mut self.run {
            Ok(run) => run,
            Err(e) => {
                out.push(Update::Failed(e.clone()));
                return Activity::Done;
            }
        };
        let now = self.clock;
        let start = now();
        let training = self.playing || self.left > 0;
        // Probes first, in half the time while training (as on the GPU,
        // pictures take at most half of it): a probe's slice may outlast
        // half the budget, and training then gets as long.
        let for_probes = if training { budget_ms / 2.0 } else { budget_ms };
        while let Some((id, pending)) = self.probes.front_mut() {
            if let Some(result) = pending.poll(now) {
                out.push(Update::Probed { id: *id, result: result.map_err(|e| e.to_string()) });
                self.probes.pop_front();
            }
            if now() - start >= for_probes {
                break;
            }
        }
        let spent = now() - start;
        let budget_left = (budget_ms - spent).max(spent);
        if self.left > 0 {
            self.left -= run.train(self.left, budget_left, now);
            self.owed |= self.left == 0;
        } else if self.playing && !self.owed {
            // (An owed snapshot goes first: a new or reset run's step 0.)
            let doubling = self.snapped.map_or(u64::MAX, |s| next_doubling(s).saturating_sub(run.steps_done()));
            run.train(doubling.max(1), budget_left, now);
        }
        let at = now();
        let training = self.playing || self.left > 0;
        let doubled = self.snapped.is_some_and(|s| run.steps_done() >= next_doubling(s));
        if self.owed || (training && (doubled || self.snapshots.due(at))) {
            if self.params == Params::Always || (self.params == Params::AtStops && self.owed) {
                out.push(Update::Params(run.params().to_vec()));
            }
            out.push(Update::Snapshot(run.snapshot()));
            (self.owed, self.snapped) = (false, Some(run.steps_done()));
            self.snapshots.began(at);
            self.snapshots.took(now() - at);
        }
        if training || !self.probes.is_empty() {
            Activity::Busy
        } else {
            Activity::Idle
        }
    }

    fn tell(&mut self, command: Command) {
        match command {
            Command::Play => (self.playing, self.left) = (true, 0),
            Command::Pause => (self.playing, self.left, self.owed) = (false, 0, true),
            Command::Steps(n) => (self.playing, self.left, self.owed) = (false, n, n == 0),
            Command::Reset => {
                if let Ok(run) = &mut self.run {
                    run.reset();
                }
                (self.left, self.owed) = (0, true);
            }
            Command::Probe { id, probe } => {
                if let Ok(run) = &self.run {
                    let pending = Self::start(run, probe).unwrap_or_else(|e| {
                        let mut e = Some(e);
                        Pending::new(move |_| e.take().map(Err))
                    });
                    self.probes.push_back((id, pending));
                }
            }
            Command::Forget(id) => self.probes.retain(|(i, _)| *i != id),
            Command::Retune(config) => {
                if let Ok(run) = &mut self.run {
                    // The page checked it ([`super::remote::Net::retune`]).
                    let _ = run.retune(&config);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use gradlab_core::engine::{CpuRun, Pending};
    use gradlab_core::gpu::EvalSet;
    use gradlab_core::hidden::Rows;
    use gradlab_core::landscape::{random_plane, Grid};
    use gradlab_core::{Problem, Subset};

    use super::NetTask;
    use crate::kit::probe::{Probe, Probed};
    use crate::kit::remote::{Params, Setup};
    use crate::kit::worker::{Activity, Command, Task, Update};
    use crate::labs::landscape::state::LandscapeState;

    thread_local! {
        static TIME: Cell<f64> = const { Cell::new(0.0) };
    }

    /// A clock that moves a millisecond a reading.
    fn clock() -> f64 {
        TIME.with(|t| {
            t.set(t.get() + 1.0);
            t.get()
        })
    }

    /// Whatever crosses to the worker and back crosses as JSON.
    fn through_json<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    /// A CPU result, computed to the end (a clock that stands still leaves
    /// time for everything).
    fn finish<T: 'static>(mut pending: Pending<T>) -> T {
        pending.poll(|| 0.0).expect("done in one poll").unwrap()
    }

    /// Advances `task` until it is idle; everything it sent.
    fn drain(task: &mut NetTask) -> Vec<Update> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            if task.advance(40.0, &mut out) != Activity::Busy {
                return out.iter().map(through_json).collect();
            }
        }
        panic!("the task never went idle");
    }

    /// A net in the worker stops exactly where the steps asked end, sends
    /// its parameters there, and answers probes at those
    /// parameters exactly as the CPU run computes them (a forgotten probe
    /// is not answered); so the NTK lab's checkpoints and the landscape's
    /// pictures are the same from the worker as in the page.
    #[test]
    fn a_net_in_the_worker_steps_exactly_and_answers_probes_at_its_parameters() {
        let config = LandscapeState::default().run_config();
        let setup = Setup { init_seed: Some(9), params: Params::AtStops, ..Setup::default() };
        let mut task = NetTask::new(config.clone(), through_json(&setup), clock);
        let start = drain(&mut task);
        assert!(matches!(&start[..], [Update::Params(_), Update::Snapshot(s)] if s.step == 0), "a first snapshot, paused");

        task.tell(through_json(&Command::Steps(7)));
        let updates = drain(&mut task);
        let Some(Update::Snapshot(last)) = updates.last() else { panic!("no snapshot after the steps") };
        assert_eq!(last.step, 7);
        let Some(Update::Params(params)) = updates.iter().rev().nth(1) else { panic!("no parameters before the snapshot") };
        assert_eq!(updates.iter().filter(|u| matches!(u, Update::Params(_))).count(), 1, "parameters only where it stopped");

        // The same net, here.
        let problem = Problem::new(config).unwrap();
        let init = problem.spec.init_params(9);
        let mut here = CpuRun::new(problem.clone(), Some(init), None).unwrap();
        here.train(7, f64::INFINITY, clock);
        assert_eq!(params.as_slice(), here.params());
        assert_eq!(last.grid, here.snapshot().grid);

        let plane = random_plane(&problem.spec.layout(), here.params(), 3);
        let points = Grid::square(5, 0.5).points();
        let ask = |id, probe| through_json(&Command::Probe { id, probe });
        task.tell(ask(1, Probe::Losses { plane: plane.clone(), points: points.clone(), subset: Subset::Test }));
        task.tell(ask(2, Probe::Sharpness { iterations: 3 }));
        task.tell(ask(3, Probe::NtkGram));
        task.tell(Command::Forget(3));
        let answers: Vec<(u32, Probed)> = drain(&mut task)
            .into_iter()
            .filter_map(|u| match u {
                Update::Probed { id, result } => Some((id, result.unwrap())),
                _ => None,
            })
            .collect();
        let losses = finish(here.losses(plane, points, Subset::Test).unwrap());
        assert_eq!(answers, vec![(1, Probed::Losses(losses)), (2, Probed::Sharpness(finish(here.sharpness(3))))]);

        // A gram through the wire is the run's gram.
        task.tell(ask(4, Probe::NtkGram));
        let Some(Update::Probed { id: 4, result: Ok(Probed::NtkGram { n, values }) }) = drain(&mut task).pop() else { panic!("no gram") };
        let gram = finish(here.ntk_gram());
        assert_eq!((n, values.as_slice()), (gram.nrows(), gram.as_slice()));

        // Hidden activations too; rows past their set are refused.
        let rows = Rows { set: EvalSet::Grid, index: vec![5, 0, 199] };
        task.tell(ask(5, Probe::Hidden(rows.clone())));
        let got = drain(&mut task).pop();
        let Some(Update::Probed { id: 5, result: Ok(Probed::Hidden { rows: n, widths, values }) }) = got else {
            panic!("no hidden activations: {got:?}")
        };
        let want = here.hidden(&rows).unwrap();
        assert_eq!((n, widths, values.as_slice()), (want.rows, want.widths.clone(), want.layers()));
        task.tell(ask(6, Probe::Hidden(Rows { set: EvalSet::Test, index: vec![u32::MAX] })));
        assert!(matches!(drain(&mut task).pop(), Some(Update::Probed { id: 6, result: Err(_) })));
        task.tell(ask(8, Probe::Gradient { rows: 5 }));
        let Some(Update::Probed { id: 8, result: Ok(Probed::Gradient(g)) }) = drain(&mut task).pop() else { panic!("no gradient") };
        assert_eq!(g, here.gradient(5).unwrap());
        task.tell(ask(7, Probe::Params));
        let Some(Update::Probed { id: 7, result: Ok(Probed::Params(p)) }) = drain(&mut task).pop() else { panic!("no parameters") };
        assert_eq!(p, here.params());
    }

    /// Playing, a young run is drawn at steps 2, 4, 8, … however fast it
    /// trains (here, a frame's budget holds thousands of steps).
    #[test]
    fn a_playing_net_sends_snapshots_at_each_doubling_of_its_step() {
        let mut task = NetTask::new(LandscapeState::default().run_config(), Setup::default(), clock);
        task.tell(Command::Play);
        let mut out = Vec::new();
        for _ in 0..12 {
            task.advance(100_000.0, &mut out);
        }
        let steps: Vec<u64> = out.iter().filter_map(|u| if let Update::Snapshot(s) = u { Some(s.step) } else { None }).collect();
        assert_eq!(steps[..8], [0, 2, 4, 8, 16, 32, 64, 128], "snapshots at {steps:?}");
    }
}
