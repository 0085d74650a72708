//! A matrix-completion sweep (several initialization scales, one depth) on
//! the GPU, for a caller that ticks once per frame: the models train as one
//! [`FactorBatch`], submits sized by the engine's [`Schedule`] and
//! pipelined behind an in-flight readback of the models' `X`, read at the
//! eye's rate, at steps 1, 2, 4, … (for log-step charts), when paused and
//! at the last step. Never waits.

use std::rc::Rc;

use nalgebra::DMatrix;

use super::matrix::{Completion, Factorized};
use crate::engine::schedule::Schedule;
use crate::engine::{AfterQueued, Backend, Clock};
use crate::gpu::{FactorBatch, PendingProducts};
use crate::Error;

/// The models' `X` at a step.
#[derive(Clone, Debug)]
pub struct Products {
    pub step: u64,
    pub x: Vec<DMatrix<f64>>,
}

/// See the module docs.
pub struct GpuSweep {
    backend: Rc<Backend>,
    /// Made once the work queued before this sweep is done
    /// ([`Backend::after_queued`]).
    batch: Option<FactorBatch>,
    ready: AfterQueued,
    schedule: Schedule,
    pending: Option<PendingProducts>,
    /// The step of the last readback asked for.
    read: Option<u64>,
}

impl GpuSweep {
    /// A sweep on `backend` (which must be a GPU).
    #[must_use]
    pub fn new(backend: Rc<Backend>) -> Self {
        let ready = backend.after_queued();
        Self { backend, batch: None, ready, schedule: Schedule::default(), pending: None, read: None }
    }

    /// Steps submitted so far.
    #[must_use]
    pub fn submitted(&self) -> u64 {
        self.batch.as_ref().map_or(0, FactorBatch::steps)
    }

    /// Submits up to `asked` more steps of `models` on `c` (`u32::MAX`: as
    /// many as the schedule allows; `None`: paused), never past `total`,
    /// and returns the models' `X` when a readback lands.
    ///
    /// # Errors
    /// The batch cannot be made (not a GPU backend, or beyond its limits),
    /// or a readback failed.
    pub fn tick(
        &mut self,
        c: &Completion,
        models: &[Factorized],
        asked: Option<u32>,
        total: u64,
        clock: Clock,
    ) -> Option<Result<Products, Error>> {
        self.schedule.collect();
        let landed = self.pending.as_ref().and_then(|p| {
            let step = p.step;
            p.try_take().map(|r| r.map(|x| Products { step, x }))
        });
        if landed.is_some() {
            self.pending = None;
        }
        let Backend::Gpu(gpu) = &*self.backend else {
            return Some(Err(Error::gpu("a GPU sweep needs a GPU backend")));
        };
        if self.batch.is_none() {
            if !self.ready.done() {
                return landed;
            }
            match FactorBatch::new(&gpu.device, &gpu.queue, &gpu.kernels.factor, c, models) {
                Ok(b) => self.batch = Some(b),
                Err(e) => return Some(Err(e)),
            }
        }
        let Some(batch) = &mut self.batch else { return landed };
        // As the engine's GPU path: a readback due goes before the frame's
        // steps, which wait while the queue has no room for it.
        let mut left = u64::from(asked.unwrap_or(0)).min(total.saturating_sub(batch.steps()));
        for after in [false, true] {
            if after {
                loop {
                    let n = self.schedule.steps(u32::try_from(left).unwrap_or(u32::MAX));
                    if n == 0 {
                        break;
                    }
                    batch.train(n);
                    submitted(&gpu.queue, &mut self.schedule, n, clock);
                    left -= u64::from(n);
                }
            }
            let step = batch.steps();
            let doubled = self.read.is_some_and(|r| step >= 2 * r.max(1));
            // Before the frame's steps, only what was due before them: a
            // paused or finished sweep's readback, or a playing one's.
            let asked_done = after && asked != Some(u32::MAX) && left == 0;
            let timely = (after || asked == Some(u32::MAX)) && (doubled || self.schedule.eval_due(clock()));
            let due = asked.is_none() || asked_done || step == total || timely;
            if self.pending.is_some() || self.read == Some(step) || !due {
                continue;
            }
            if !self.schedule.eval_fits() {
                break;
            }
            self.pending = Some(batch.read_products());
            submitted(&gpu.queue, &mut self.schedule, 0, clock);
            self.read = Some(step);
        }
        landed
    }
}

/// Tells `schedule` that `steps` were submitted (0: a readback), and has
/// the queue say when they are done.
fn submitted(queue: &wgpu::Queue, schedule: &mut Schedule, steps: u32, clock: Clock) {
    schedule.submitted(steps, clock());
    queue.on_submitted_work_done(schedule.on_done(clock));
}
