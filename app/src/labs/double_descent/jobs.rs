//! The double-descent lab's computations, run off the main thread
//! ([`crate::kit::worker`]): exact curves a point at a time, a trained
//! sweep's step sizes, and a whole trained sweep on the CPU.

use std::rc::Rc;

use gradlab_core::double_descent::trained::{StepSizes, Training};
use gradlab_core::double_descent::{RfConfig, Sweep, SweepLog, SweepRun};
use gradlab_core::engine::Backend;

use crate::kit::worker::{Activity, Task, Update};
use crate::web;

/// Milliseconds between two posts of a sweep's log (it is resent whole).
const LOG_EVERY_MS: f64 = 200.0;

/// One exact curve, seed after seed.
pub struct CurveTask {
    cfg: RfConfig,
    xs: Vec<usize>,
    seeds: usize,
    sample_p: Option<usize>,
    seed: usize,
    running: Option<Sweep>,
}

impl CurveTask {
    #[must_use]
    pub fn new(cfg: RfConfig, xs: Vec<usize>, seeds: usize, sample_p: Option<usize>) -> Self {
        Self { cfg, xs, seeds, sample_p, seed: 0, running: None }
    }
}

impl Task for CurveTask {
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        let start = web::now();
        while web::now() - start < budget_ms {
            if self.running.is_none() {
                if self.seed >= self.seeds {
                    return Activity::Done;
                }
                let seed = self.cfg.seed + self.seed as u64;
                self.running = Some(match self.sample_p {
                    None => Sweep::model_wise(&self.cfg, &self.xs, seed),
                    Some(p) => Sweep::sample_wise(&self.cfg, p, &self.xs, seed),
                });
            }
            let sweep = self.running.as_mut().expect("set above");
            if sweep.step() {
                let c = sweep.curve();
                let (train, test) = (*c.train.last().expect("a point"), *c.test.last().expect("a point"));
                out.push(Update::DdPoint { seed: self.seed, train, test });
            } else {
                self.running = None;
                self.seed += 1;
            }
        }
        Activity::Busy
    }
}

/// Measures step sizes for about `budget_ms`: true once all are known.
fn measure(sizes: &mut StepSizes, budget_ms: f64) -> Result<bool, String> {
    let start = web::now();
    loop {
        match sizes.step() {
            Ok(true) if web::now() - start < budget_ms => {}
            Ok(more) => return Ok(!more),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// A trained sweep's step sizes, a net at a time.
pub struct StepSizesTask(pub StepSizes);

impl Task for StepSizesTask {
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        match measure(&mut self.0, budget_ms) {
            Ok(false) => Activity::Busy,
            done => {
                out.push(Update::DdStepSizes(done.map(|_| std::mem::take(&mut self.0.lrs))));
                Activity::Done
            }
        }
    }
}

/// A whole trained sweep on the CPU (its step sizes first), its log sent
/// as it grows.
pub struct SweepTask {
    cfg: RfConfig,
    widths: Vec<usize>,
    seeds: usize,
    training: Training,
    steps: u64,
    sizes: StepSizes,
    run: Option<SweepRun>,
    /// When the log was last sent.
    sent: f64,
}

impl SweepTask {
    #[must_use]
    pub fn new(cfg: RfConfig, widths: Vec<usize>, seeds: usize, training: Training, steps: u64) -> Self {
        let sizes = StepSizes::new(&cfg, &widths, seeds, training);
        Self { cfg, widths, seeds, training, steps, sizes, run: None, sent: f64::NEG_INFINITY }
    }

    fn fail(out: &mut Vec<Update>, error: String) -> Activity {
        out.push(Update::DdSweep { log: SweepLog::default(), error: Some(error) });
        Activity::Done
    }
}

impl Task for SweepTask {
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        if self.run.is_none() {
            match measure(&mut self.sizes, budget_ms) {
                Ok(false) => return Activity::Busy,
                Err(e) => return Self::fail(out, e),
                Ok(true) => {
                    let cpu = Rc::new(Backend::Cpu { reason: String::new() });
                    let run = SweepRun::planned(&cpu, &self.cfg, &self.widths, self.seeds, self.training, self.steps, &self.sizes.lrs);
                    match run {
                        Ok(run) => self.run = Some(run),
                        Err(e) => return Self::fail(out, e.to_string()),
                    }
                }
            }
        }
        let Some(run) = &mut self.run else { return Activity::Done };
        let fresh = run.tick(budget_ms, web::now);
        let over = run.error.is_some() || run.log.finished();
        let since = web::now() - self.sent;
        if over || (fresh || since > LOG_EVERY_MS) && since > LOG_EVERY_MS / 4.0 {
            self.sent = web::now();
            out.push(Update::DdSweep { log: run.log.clone(), error: run.error.clone() });
        }
        if over {
            Activity::Done
        } else {
            Activity::Busy
        }
    }
}
