//! How much work a run asks of one frame, and what a backend that computes
//! on the CPU allows: a run past it is refused before anything is allocated.

use super::Backend;
use crate::{Error, Problem};

impl Backend {
    /// The most multiply-adds one frame's work may take here, and where
    /// that is: on a backend that computes on the CPU (the wasm fallback, a
    /// software WebGPU adapter such as SwiftShader) more would freeze the
    /// page or the browser's GPU process; a hardware GPU has no such limit.
    #[must_use]
    pub fn work_limit(&self) -> Option<(u64, &'static str)> {
        match self {
            Self::Cpu { .. } => Some((SOFTWARE_WORK_LIMIT, "the CPU fallback")),
            Self::Gpu(gpu) if gpu.software => Some((SOFTWARE_WORK_LIMIT, "a software GPU adapter")),
            Self::Gpu(_) => None,
        }
    }
}

/// Multiply-adds that one training step, or one evaluation of a snapshot,
/// may take on a backend that computes on the CPU ([`Backend::work_limit`]):
/// about half a second in wasm. A run past it is refused before anything is
/// allocated (without it, `width=1024&depth=6&n=5000` froze the page for
/// minutes).
pub const SOFTWARE_WORK_LIMIT: u64 = 500_000_000;

/// Refuses a run past the backend's [`Backend::work_limit`].
///
/// # Errors
/// [`Error::TooLarge`] naming the step or the evaluation and the limit.
pub fn check_work(backend: &Backend, problem: &Problem, grid: &[f32]) -> Result<(), Error> {
    check_work_with(backend, problem, grid, false)
}

/// [`check_work`] of a run that may train a second net `beside` it on
/// shuffled labels: a step is then two, and an evaluation also measures
/// that net on the training and test sets.
///
/// # Errors
/// As [`check_work`].
pub fn check_work_with(backend: &Backend, problem: &Problem, grid: &[f32], beside: bool) -> Result<(), Error> {
    let Some((limit, within)) = backend.work_limit() else { return Ok(()) };
    let grid_rows = grid.len() / problem.spec.input_dim.max(1);
    let mut asked = work(problem, grid_rows);
    if beside {
        let sets = (problem.dataset.train.len() + problem.dataset.test.len()) as u64;
        asked[0].1 *= 2;
        asked[1].1 += sets * problem.spec.layout().num_params as u64;
    }
    match asked.into_iter().find(|&(_, got)| got > limit) {
        Some((what, got)) => Err(Error::TooLarge { what, got, limit, unit: "multiply-adds", within }),
        None => Ok(()),
    }
}

/// Multiply-adds of one training step (forward and backward, about three
/// forwards of the batch) and of one evaluation (train set, test set and
/// `grid_rows` more points), for [`Backend::work_limit`].
#[must_use]
pub fn work(problem: &Problem, grid_rows: usize) -> [(&'static str, u64); 2] {
    let params = problem.spec.layout().num_params as u64;
    let train = problem.dataset.train.len();
    let batch = problem.config.train.batch(train) as u64;
    let rows = (train + problem.dataset.test.len() + grid_rows) as u64;
    [("one training step", 3 * batch * params), ("one evaluation of the train set, test set and drawing grid", rows * params)]
}
