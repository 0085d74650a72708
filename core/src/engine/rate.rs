//! How fast a backend does a lab's work, measured the way the page does it:
//! what the page compares to choose between WebGPU and the CPU worker,
//! and what the bench page reports.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::{Backend, Clock, CpuRun, Engine, Pending};
use crate::double_descent::trained::Training;
use crate::double_descent::{RfConfig, SweepRun};
use crate::landscape::{random_plane, Grid};
use crate::{
    Activation, DataConfig, DatasetKind, Error, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Subset,
    TrainConfig,
};

/// The net the backend choice is measured on: a 2→64→64→1 ReLU MLP on 512
/// spiral points, full batch, BCE, Adam (the playground's kind of work).
#[must_use]
pub fn reference() -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![64, 64],
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        },
        data: DataConfig {
            kind: DatasetKind::Spiral,
            n_train: 512,
            n_test: 0,
            noise: 0.05,
            label_noise: 0.0,
            dim: 20,
            ..DataConfig::default()
        },
        train: TrainConfig::full_batch(Loss::Bce, Optimizer::with_defaults("adam").expect("adam is an optimizer"), 0.01),
        seed: 0,
    })
    .expect("the reference net is valid")
}

/// What a rate counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Workload {
    /// Training steps of a net.
    Train(RunConfig),
    /// Loss grids of `side²` points on a random filter-normalized plane
    /// through a net's initial parameters (training loss).
    LossGrid { config: RunConfig, side: usize },
    /// Empirical NTK Grams of a net on its training points.
    NtkGram(RunConfig),
    /// Training steps of a double-descent sweep, summed over its nets, at
    /// the step sizes `lrs` (one per group).
    Sweep { cfg: RfConfig, widths: Vec<usize>, seeds: usize, training: Training, steps: u64, lrs: Vec<f32> },
}

impl Workload {
    /// What one unit of the rate is.
    #[must_use]
    pub fn unit(&self) -> &'static str {
        match self {
            Self::Train(_) | Self::Sweep { .. } => "steps/s",
            Self::LossGrid { .. } => "grids/s",
            Self::NtkGram(_) => "Grams/s",
        }
    }
}

/// Starts the next probe on an engine.
type NextProbe = dyn FnMut(&mut Engine) -> Result<Pending<()>, Error>;

enum Running {
    /// A GPU run ticked as a lab ticks it (steps per submit and snapshots
    /// at the eye's rate, as [`Engine::tick`] schedules them): steps count
    /// as their snapshots come back.
    GpuTrain(Box<Engine>),
    /// The CPU training with all the time it is given, as the worker trains.
    CpuTrain(Box<CpuRun>),
    /// One probe after another (loss grids, Grams), each counted as it
    /// is done.
    Probes {
        engine: Box<Engine>,
        next: Box<NextProbe>,
        pending: Option<Pending<()>>,
        done: u64,
        /// On the GPU a probe is in flight between ticks; on the CPU it is
        /// computed a slice per poll.
        gpu: bool,
    },
    Sweep {
        sweep: Box<SweepRun>,
        gpu: bool,
    },
}

/// A workload on a backend, ticked with a budget (the page: once a frame;
/// the worker: a slice at a time). The rate counts what was done between
/// the first time the count moved (kernels compiled, buffers made) and the
/// last time it moved, once those are `ms` apart.
pub struct Rate {
    running: Running,
    ms: f64,
    /// By then, the rate over the readings there are (0 with none).
    deadline_ms: f64,
    started: Option<f64>,
    first: Option<(f64, u64)>,
    last: Option<(f64, u64)>,
}

/// Per second, from two `(milliseconds, count)` readings.
fn per_second((t0, c0): (f64, u64), (t1, c1): (f64, u64)) -> f64 {
    if t1 > t0 {
        (c1 - c0) as f64 * 1000.0 / (t1 - t0)
    } else {
        0.0
    }
}

impl Rate {
    /// # Errors
    /// If the workload does not fit the backend.
    pub fn new(backend: &Rc<Backend>, work: &Workload, ms: f64, deadline_ms: f64) -> Result<Self, Error> {
        let gpu = matches!(backend.as_ref(), Backend::Gpu(_));
        let running = match (work, backend.as_ref()) {
            (Workload::Train(config), Backend::Gpu(_)) => Running::GpuTrain(Box::new(Engine::new(backend, Problem::new(config.clone())?)?)),
            (Workload::Train(config), Backend::Cpu { .. }) => {
                Running::CpuTrain(Box::new(CpuRun::new(Problem::new(config.clone())?, None, None)?))
            }
            (Workload::LossGrid { config, side }, _) => {
                let p = Problem::new(config.clone())?;
                let plane = random_plane(&p.spec.layout(), &p.init_params(), p.config.seed);
                let points = Grid::square(*side, 1.0).points();
                let next = move |e: &mut Engine| Ok(e.losses(plane.clone(), points.clone(), Subset::Train)?.map(|_| ()));
                Running::Probes { engine: Box::new(Engine::new(backend, p)?), next: Box::new(next), pending: None, done: 0, gpu }
            }
            (Workload::NtkGram(config), _) => Running::Probes {
                engine: Box::new(Engine::new(backend, Problem::new(config.clone())?)?),
                next: Box::new(|e: &mut Engine| Ok(e.ntk_gram()?.map(|_| ()))),
                pending: None,
                done: 0,
                gpu,
            },
            (Workload::Sweep { cfg, widths, seeds, training, steps, lrs }, _) => {
                Running::Sweep { sweep: Box::new(SweepRun::planned(backend, cfg, widths, *seeds, *training, *steps, lrs)?), gpu }
            }
        };
        Ok(Self { running, ms, deadline_ms, started: None, first: None, last: None })
    }

    /// Works for about `budget_ms` of the caller's time by `clock` (the CPU),
    /// or keeps the GPU fed. The rate once measured.
    ///
    /// # Errors
    /// What the work met on the way (a lost device, say).
    pub fn tick(&mut self, budget_ms: f64, clock: Clock) -> Option<Result<f64, Error>> {
        let now = clock();
        let started = *self.started.get_or_insert(now);
        let count = match &mut self.running {
            Running::GpuTrain(engine) => match engine.tick(Some(u32::MAX), clock) {
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(s)) => Some(s.step),
                None => None,
            },
            Running::CpuTrain(run) => {
                run.train(u64::MAX, budget_ms, clock);
                Some(run.steps_done())
            }
            Running::Probes { engine, next, pending, done, gpu } => {
                let mut counted = None;
                while clock() - now < budget_ms.max(1.0) {
                    if pending.is_none() {
                        *pending = Some(match next(engine) {
                            Ok(p) => p,
                            Err(e) => return Some(Err(e)),
                        });
                    }
                    match pending.as_mut().and_then(|p| p.poll(clock)) {
                        Some(Err(e)) => return Some(Err(e)),
                        Some(Ok(())) => {
                            (*pending, *done) = (None, *done + 1);
                            counted = Some(*done);
                        }
                        // In flight on the GPU, or a slice done on the CPU.
                        None if *gpu => break,
                        None => {}
                    }
                }
                counted
            }
            Running::Sweep { sweep, gpu } => {
                sweep.tick(budget_ms, clock);
                if let Some(e) = &sweep.error {
                    // A device's failure, or a net too large for the backend.
                    let why = if *gpu { Error::gpu(e.clone()) } else { Error::invalid(crate::Part::Request, "sweep", e.clone()) };
                    return Some(Err(why));
                }
                Some(sweep.progress().0)
            }
        };
        // A reading each time the count moves (a GPU's counts come in bursts).
        let seen = self.last.or(self.first).map_or(0, |r| r.1);
        if let Some(c) = count.filter(|&c| c > seen) {
            let reading = (clock(), c);
            if self.first.is_none() {
                self.first = Some(reading);
            } else {
                self.last = Some(reading);
            }
        }
        let now = clock();
        match (self.first, self.last) {
            (Some(first), Some(last)) if last.0 - first.0 >= self.ms => Some(Ok(per_second(first, last))),
            _ if now - started < self.deadline_ms => None,
            (Some(first), Some(last)) => Some(Ok(per_second(first, last))),
            // One reading by the deadline: its count over the whole time.
            (Some(first), None) => Some(Ok(per_second((started, 0), first))),
            _ => Some(Ok(0.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::double_descent::{Feature, Teacher};

    thread_local! { static NOW: Cell<f64> = const { Cell::new(0.0) }; }

    /// A clock that moves a millisecond each time it is read.
    fn ticking() -> f64 {
        NOW.with(|t| {
            t.set(t.get() + 1.0);
            t.get()
        })
    }

    fn cpu() -> Rc<Backend> {
        Rc::new(Backend::Cpu { reason: "a test".into() })
    }

    fn measure(work: &Workload, ms: f64, deadline_ms: f64) -> (Rate, f64) {
        let mut rate = Rate::new(&cpu(), work, ms, deadline_ms).unwrap();
        let r = (0..100_000).find_map(|_| rate.tick(20.0, ticking)).expect("a rate").unwrap();
        (rate, r)
    }

    /// The rate is the count between the first and the last reading.
    fn check(rate: &Rate, r: f64, ms: f64) {
        let ((t0, c0), (t1, c1)) = (rate.first.unwrap(), rate.last.unwrap());
        assert!(t1 - t0 >= ms && c1 > c0, "{c0} at {t0} ms, {c1} at {t1}");
        assert!((r - (c1 - c0) as f64 * 1000.0 / (t1 - t0)).abs() < 1e-9, "{r}");
    }

    #[test]
    fn training_on_the_cpu_counts_its_steps() {
        let (rate, r) = measure(&Workload::Train(reference().config), 100.0, 10_000.0);
        check(&rate, r, 100.0);
        let Running::CpuTrain(run) = &rate.running else { panic!("the CPU trains as the worker does") };
        assert_eq!(rate.last.unwrap().1, run.steps_done(), "the rate ends at the last tick, which trained");
    }

    #[test]
    fn probes_count_each_one_done() {
        let mut config = reference().config;
        config.model.hidden = vec![8];
        config.data.n_train = 16;
        for work in [Workload::LossGrid { config: config.clone(), side: 4 }, Workload::NtkGram(config)] {
            let (rate, r) = measure(&work, 200.0, 100_000.0);
            check(&rate, r, 200.0);
            let Running::Probes { done, .. } = &rate.running else { panic!() };
            assert_eq!(rate.last.unwrap().1, *done, "{}", work.unit());
        }
    }

    #[test]
    fn a_sweep_counts_the_steps_of_all_its_nets() {
        let cfg = RfConfig { n: 20, n_test: 50, d: 5, noise: 0.3, ridge: 0.0, teacher: Teacher::Linear, feature: Feature::Relu, seed: 2 };
        let (widths, seeds, training) = (vec![2, 10], 2, Training::Readout);
        let lrs = crate::double_descent::trained::step_sizes(&cfg, &widths, seeds, training).unwrap();
        let work = Workload::Sweep { cfg, widths, seeds, training, steps: 1_000_000, lrs };
        let (rate, r) = measure(&work, 100.0, 100_000.0);
        check(&rate, r, 100.0);
        let Running::Sweep { sweep, .. } = &rate.running else { panic!() };
        assert_eq!(rate.last.unwrap().1, sweep.progress().0);
    }

    #[test]
    fn at_the_deadline_the_rate_spans_the_readings_there_are() {
        let (rate, r) = measure(&Workload::Train(reference().config), 1e9, 50.0);
        let ((t0, c0), (t1, c1)) = (rate.first.unwrap(), rate.last.unwrap());
        assert!(t1 - t0 < 1e9 && c1 > c0);
        assert!((r - (c1 - c0) as f64 * 1000.0 / (t1 - t0)).abs() < 1e-9);
    }
}
