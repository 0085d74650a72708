//! When the engine's GPU path submits: training steps per submit sized by
//! the GPU time submits are measured to take, training that goes on while
//! a snapshot is on its way back, and evaluations at the eye's rate. A
//! policy fed with times, so it is tested without a GPU.
//!
//! What it replaced: one submit and one snapshot per round trip, with the
//! steps per submit halved whenever a round trip took over 50 ms. A slow
//! readback (a software adapter evaluating the drawing grid) thus brought
//! training down to one step per evaluation.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use super::Clock;
use crate::gpu::MAX_STEPS_PER_SUBMIT;

/// GPU milliseconds a training submit aims at: most of a 60 Hz frame.
pub const SUBMIT_MS: f64 = 12.0;
/// Training submits queued at most (submitted, not yet done), topped up
/// each frame: enough to keep the GPU busy from one frame to the next, few
/// enough that a new run waits for little more than a frame's work
/// ([`super::Gpu::idle`]).
pub const QUEUED: usize = 2;
/// GPU milliseconds of work the queue holds at most, by the times measured
/// so far, beyond its first submit: two frames'. Where one step or one
/// evaluation takes longer (a wide net on a software adapter: a second),
/// the queue holds one submit at a time, and a new run, a reset or leaving
/// the page waits for that one only.
pub const QUEUE_MS: f64 = 3.0 * SUBMIT_MS;
/// Milliseconds between evaluations while training: 15 a second.
pub const EVAL_EVERY_MS: f64 = 1000.0 / 15.0;

/// When the next evaluation (or snapshot) may go while training: `every`
/// ms after the last began, and no sooner than three times what the last
/// took after it, so evaluations take at most a third of the time and
/// training the rest. The GPU path's [`Schedule`] and the page's CPU
/// worker both follow it.
#[derive(Clone, Copy, Debug)]
pub struct Cadence {
    every: f64,
    /// When the last evaluation began.
    last: f64,
    /// Milliseconds the last evaluation took.
    took: f64,
}

impl Cadence {
    #[must_use]
    pub const fn new(every_ms: f64) -> Self {
        Self { every: every_ms, last: f64::NEG_INFINITY, took: 0.0 }
    }

    #[must_use]
    pub fn due(&self, now: f64) -> bool {
        now - self.last >= self.every.max(3.0 * self.took)
    }

    /// An evaluation began at `at`.
    pub fn began(&mut self, at: f64) {
        self.last = at;
    }

    /// The last evaluation took `ms`.
    pub fn took(&mut self, ms: f64) {
        self.took = ms;
    }
}

/// While playing, a snapshot also goes at steps 2, 4, 8, …, so a young
/// run's fast start is drawn however fast it trains: after one at step
/// `last`, the next at this step. The GPU path and the worker both follow it.
#[must_use]
pub fn next_doubling(last: u64) -> u64 {
    2 * last.max(1)
}

/// See the module docs.
pub struct Schedule {
    /// Steps per training submit.
    k: u32,
    /// GPU milliseconds a training step took, by the last training submit
    /// (0 until one is done).
    step_ms: f64,
    /// Submits the GPU has not finished, oldest first: their steps (0 for
    /// an evaluation) and when each was submitted.
    queued: VecDeque<(u32, f64)>,
    /// When the last finished submit was done.
    last_done: f64,
    /// Evaluations: when submitted, and their GPU time.
    evals: Cadence,
    /// When the GPU finished each submit since the last [`Self::collect`],
    /// in order (written by [`Self::on_done`]'s callbacks).
    finished: Arc<Mutex<Vec<f64>>>,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            k: 1,
            step_ms: 0.0,
            queued: VecDeque::new(),
            last_done: f64::NEG_INFINITY,
            evals: Cadence::new(EVAL_EVERY_MS),
            finished: Arc::default(),
        }
    }
}

impl Schedule {
    /// Steps to submit now of `asked` (`u32::MAX`: as many as fit): none
    /// while [`QUEUED`] training submits are queued, or one before a step
    /// is measured, or while the queue is not empty and they would take it
    /// past [`QUEUE_MS`].
    #[must_use]
    pub fn steps(&self, asked: u32) -> u32 {
        let n = asked.min(self.k);
        let training = self.queued.iter().filter(|(steps, _)| *steps > 0).count();
        let unmeasured = self.step_ms == 0.0 && training > 0;
        if training >= QUEUED || unmeasured || !self.fits(f64::from(n) * self.step_ms) {
            0
        } else {
            n
        }
    }

    /// Whether an evaluation may go now, while training: [`EVAL_EVERY_MS`]
    /// after the last, and no sooner than three times its GPU time after
    /// it (so evaluations take at most a third of the GPU).
    #[must_use]
    pub fn eval_due(&self, now: f64) -> bool {
        self.evals.due(now)
    }

    /// Whether the queue has room for an evaluation ([`QUEUE_MS`]). One
    /// that is due goes before the frame's training, and while it has no
    /// room nothing more is submitted: training submits would otherwise
    /// take the room first, frame after frame, wherever one step or one
    /// evaluation is more than [`QUEUE_MS`].
    #[must_use]
    pub fn eval_fits(&self) -> bool {
        self.fits(self.evals.took)
    }

    /// Whether `ms` more of GPU work fits in the queue.
    fn fits(&self, ms: f64) -> bool {
        self.queued.is_empty() || self.queued_ms() + ms <= QUEUE_MS
    }

    /// GPU milliseconds of work queued, by the times measured so far.
    fn queued_ms(&self) -> f64 {
        self.queued.iter().map(|&(steps, _)| if steps == 0 { self.evals.took } else { f64::from(steps) * self.step_ms }).sum()
    }

    /// `steps` were submitted at `now` (0: an evaluation).
    pub fn submitted(&mut self, steps: u32, now: f64) {
        self.queued.push_back((steps, now));
        if steps == 0 {
            self.evals.began(now);
        }
    }

    /// The oldest queued submit was done at `at`. Its GPU time counts from
    /// when it was submitted or the one before it was done, whichever came
    /// later; a training submit's sets the steps per submit to fill
    /// [`SUBMIT_MS`], at most doubling or halving at once. Readbacks do not
    /// count: a slow one only delays the next evaluation.
    pub fn done(&mut self, at: f64) {
        let Some((steps, sent)) = self.queued.pop_front() else { return };
        let took = (at - sent.max(self.last_done)).max(1e-3);
        self.last_done = at;
        if steps == 0 {
            self.evals.took(took);
            return;
        }
        self.step_ms = took / f64::from(steps);
        let fits = (SUBMIT_MS / self.step_ms).floor().min(f64::from(MAX_STEPS_PER_SUBMIT)) as u32;
        self.k = fits.clamp((self.k / 2).max(1), self.k.saturating_mul(2)).min(MAX_STEPS_PER_SUBMIT);
    }

    /// A callback for `Queue::on_submitted_work_done` after a submit:
    /// notes when the GPU finished it, for [`Self::collect`].
    pub fn on_done(&self, clock: Clock) -> impl FnOnce() + Send + 'static {
        let finished = Arc::clone(&self.finished);
        move || finished.lock().unwrap_or_else(PoisonError::into_inner).push(clock())
    }

    /// Feeds the finish times the callbacks noted to [`Self::done`].
    pub fn collect(&mut self) {
        let finished = std::mem::take(&mut *self.finished.lock().unwrap_or_else(PoisonError::into_inner));
        for at in finished {
            self.done(at);
        }
    }

    /// Steps per training submit now.
    #[must_use]
    pub fn per_submit(&self) -> u32 {
        self.k
    }
}

#[cfg(test)]
mod tests {
    use super::{Cadence, Schedule, EVAL_EVERY_MS, QUEUE_MS, SUBMIT_MS};
    use crate::gpu::MAX_STEPS_PER_SUBMIT;

    /// A GPU taking `step_ms` a step and `eval_ms` an evaluation, driven at
    /// 60 frames a second for `frames`, evaluating when due and training as
    /// fast as allowed, in the engine's order (one evaluation in flight).
    /// Returns the schedule, the steps trained, the evaluations made, and
    /// the most GPU work ever queued after the first second, ms.
    fn simulate(step_ms: f64, eval_ms: f64, frames: usize) -> (Schedule, u64, usize, f64) {
        let mut s = Schedule::default();
        // When the GPU is free, and when each queued submit is done.
        let (mut free_at, mut trained, mut evals, mut most) = (0.0f64, 0u64, 0usize, 0.0f64);
        let mut done_at: Vec<f64> = Vec::new();
        for frame in 0..frames {
            let now = frame as f64 * 1000.0 / 60.0;
            // What the GPU finished by now is reported, in order.
            while let Some(&at) = done_at.first() {
                if at > now {
                    break;
                }
                s.done(at);
                done_at.remove(0);
            }
            let mut submit = |work: f64, steps: u32, s: &mut Schedule| {
                s.submitted(steps, now);
                free_at = free_at.max(now) + work;
                done_at.push(free_at);
                if now >= 1000.0 {
                    most = most.max(free_at - now);
                }
            };
            let eval_in_flight = s.queued.iter().any(|(steps, _)| *steps == 0);
            if !eval_in_flight && s.eval_due(now) {
                if !s.eval_fits() {
                    continue;
                }
                submit(eval_ms, 0, &mut s);
                evals += 1;
            }
            loop {
                let n = s.steps(u32::MAX);
                if n == 0 {
                    break;
                }
                submit(step_ms * f64::from(n), n, &mut s);
                trained += u64::from(n);
            }
        }
        (s, trained, evals, most)
    }

    /// On a fast GPU the steps per submit grow to fill the submit's time
    /// and stay there; evaluations run at 15 a second.
    #[test]
    fn steps_per_submit_grow_to_fill_a_submit() {
        let (s, trained, evals, most) = simulate(0.05, 1.0, 600);
        assert!(most <= QUEUE_MS + 1.0, "{most} ms of work queued");
        assert!(s.per_submit().abs_diff((SUBMIT_MS / 0.05) as u32) <= 1, "{} steps a submit", s.per_submit());
        // Ten seconds: the GPU trains for most of them.
        assert!(trained as f64 * 0.05 > 0.8 * 10_000.0, "trained {trained} steps");
        let rate = evals as f64 / 10.0;
        assert!((10.0..=1000.0 / EVAL_EVERY_MS + 0.5).contains(&rate), "{rate} evaluations a second");
    }

    /// A slow evaluation (a software adapter's drawing grid) neither
    /// shrinks the steps per submit nor takes more than a third of the GPU.
    #[test]
    fn a_slow_evaluation_does_not_starve_training() {
        let (s, trained, evals, _) = simulate(0.5, 300.0, 600);
        assert!(s.per_submit().abs_diff((SUBMIT_MS / 0.5) as u32) <= 1, "{} steps a submit", s.per_submit());
        let (train_ms, eval_ms) = (trained as f64 * 0.5, evals as f64 * 300.0);
        assert!(train_ms >= 1.5 * eval_ms && train_ms + eval_ms > 9000.0, "training {train_ms} ms of GPU time, evaluations {eval_ms} ms");
        assert!(evals >= 10, "still evaluating: {evals} in 10 s");
    }

    /// Cheap evaluations come at the eye's rate; a slow one spaces the
    /// next three times its cost after it began.
    #[test]
    fn a_cadence_keeps_evaluations_to_a_third_of_the_time() {
        let mut c = Cadence::new(100.0);
        assert!(c.due(0.0));
        c.began(0.0);
        c.took(10.0);
        assert!(!c.due(99.0) && c.due(100.0));
        c.began(100.0);
        c.took(200.0);
        assert!(!c.due(699.0) && c.due(700.0));
    }

    /// Steps and evaluations of a second each (a wide net on a software
    /// adapter): the queue holds one of them at a time, so a new run or
    /// leaving the page waits for one; training still gets most of the GPU
    /// and evaluations still come.
    #[test]
    fn slow_steps_and_evaluations_are_queued_one_at_a_time() {
        let (_, trained, evals, most) = simulate(1000.0, 900.0, 60 * 20);
        assert!(most <= 1000.0 + 1e-9, "{most} ms of work queued");
        let (train_ms, eval_ms) = (trained as f64 * 1000.0, evals as f64 * 900.0);
        assert!(train_ms >= 2.0 * eval_ms && train_ms + eval_ms > 18_000.0, "training {train_ms} ms of GPU time, evaluations {eval_ms} ms");
        assert!(evals >= 4, "still evaluating: {evals} in 20 s");
    }

    /// Steps slower than a submit's aim: one step a submit, one submit
    /// queued until a step is measured, then as many as fit [`QUEUE_MS`]
    /// and never more than [`QUEUED`], so what a new run waits for stays
    /// bounded.
    #[test]
    fn slow_steps_stay_one_a_submit_and_the_queue_stays_short() {
        let mut s = Schedule::default();
        for i in 0..10 {
            let n = s.steps(u32::MAX);
            assert!(n <= 1);
            if n > 0 {
                s.submitted(n, f64::from(i));
            }
        }
        assert_eq!(s.queued.len(), 1, "nothing more until a step is measured");
        s.done(40.0);
        assert_eq!((s.per_submit(), s.steps(u32::MAX), s.steps(1)), (1, 1, 1));
        // 40 ms a step: a second one would take the queue past its aim.
        s.submitted(1, 41.0);
        assert_eq!(s.steps(u32::MAX), 0);
        s.done(81.0);
        // 10 ms a step: two submits of one fit, and no more.
        s.submitted(1, 81.0);
        s.done(91.0);
        for i in 0..2 {
            assert_eq!(s.steps(u32::MAX), 1);
            s.submitted(1, 92.0 + f64::from(i));
        }
        assert_eq!(s.steps(u32::MAX), 0);
        // More steps than one submit holds are capped, and never past the
        // largest submit.
        let mut fast = Schedule::default();
        for i in 0..20 {
            fast.submitted(fast.steps(u32::MAX), f64::from(i));
            fast.done(f64::from(i) + 1e-4);
        }
        assert_eq!(fast.per_submit(), MAX_STEPS_PER_SUBMIT);
    }
}
