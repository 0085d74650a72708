//! The CPU trainer as a worker runs it, off the page's main thread:
//! training for as long as it is given, and evaluated (train set, test set
//! and drawing grid: about three steps' work) only when asked, so the time
//! goes to training, not to snapshots no one sees.

use super::{check_work, cpu_snapshot, grid_points, Backend, Clock, Engine};
use crate::gpu::Snapshot;
use crate::{CpuTrainer, Error, Problem};

/// One configuration training on the CPU. See the module docs.
pub struct CpuRun {
    pub problem: Problem,
    pub grid: Vec<f32>,
    init: Vec<f32>,
    trainer: CpuTrainer,
    /// Batch losses since the last snapshot.
    batch_losses: Vec<f32>,
}

impl CpuRun {
    /// # Errors
    /// A step or an evaluation past the CPU's work limit.
    pub fn new(problem: Problem) -> Result<Self, Error> {
        let grid = grid_points(&problem);
        check_work(&Backend::Cpu { reason: String::new() }, &problem, &grid)?;
        let init = problem.init_params();
        let trainer = Engine::cpu_trainer(&problem, &init);
        Ok(Self { problem, grid, init, trainer, batch_losses: Vec::new() })
    }

    /// Back to the initial parameters.
    pub fn reset(&mut self) {
        self.trainer = Engine::cpu_trainer(&self.problem, &self.init);
        self.batch_losses.clear();
    }

    #[must_use]
    pub fn steps_done(&self) -> u64 {
        self.trainer.steps_done()
    }

    /// Trains up to `max` steps, stopping once `budget_ms` by `clock` have
    /// passed (at least one step); returns the steps taken.
    pub fn train(&mut self, max: u64, budget_ms: f64, clock: Clock) -> u64 {
        let start = clock();
        let mut taken = 0;
        while taken < max {
            self.batch_losses.push(self.trainer.step());
            taken += 1;
            if clock() - start >= budget_ms {
                break;
            }
        }
        taken
    }

    /// The losses and the function on the grid now, with the batch losses
    /// since the last snapshot.
    pub fn snapshot(&mut self) -> Snapshot {
        cpu_snapshot(&self.problem, &self.trainer, &self.grid, std::mem::take(&mut self.batch_losses))
    }
}
