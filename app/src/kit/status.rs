//! Where a run stands: its [`Phase`], the [`Status`] the page shows and
//! mirrors in `data-*` attributes, and the [`Progress`] (steps/s, loss
//! history, divergence) it is computed from.

use gradlab_core::gpu::memory::Held;
use gradlab_core::gpu::Snapshot;
use leptos::prelude::*;

use crate::charts::History;

/// Where a run stands, as the page and `data-phase` show it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Phase {
    #[default]
    Starting,
    Running,
    Paused,
    /// Work that ends (the double-descent curves) has ended.
    Done,
    Diverged,
    Failed(String),
}

impl Phase {
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Done => "done",
            Self::Diverged => "diverged",
            Self::Failed(_) => "failed",
        }
    }
}

/// What the page shows about the run; mirrored in `data-*` attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    /// `data-backend`: `webgpu: <adapter>` or `cpu`.
    pub backend: String,
    /// The badge's words, and its tooltip.
    pub badge: String,
    pub backend_note: String,
    /// The other backend, where the badge offers it (`backend=` value).
    pub backend_switch: Option<&'static str>,
    pub steps: u64,
    pub train_loss: Option<f32>,
    pub test_loss: Option<f32>,
    /// A classifier's accuracies on the training and test sets.
    pub accuracy: [Option<f32>; 2],
    pub steps_per_s: f64,
    pub phase: Phase,
    /// GPU buffers the page holds (`data-gpu-buffers`, `data-gpu-bytes`).
    pub gpu: Held,
    /// The wasm module's linear memory (`data-wasm-bytes`), a high-water mark.
    pub wasm_bytes: u64,
    /// Bytes the page's heap holds now (`data-wasm-live`).
    pub wasm_live: u64,
    /// Bytes the worker's heap held at its last message (`data-worker-live`).
    pub worker_live: u64,
}

/// A run that has played this long (ms) without a pause...
const SLOW_AFTER_MS: f64 = 3000.0;
/// ... at fewer steps/s than this (a 1000-step run would take over three
/// minutes) is called slow, once.
pub const SLOW_STEPS_PER_S: f64 = 5.0;
/// Milliseconds over which the badge's steps/s is measured.
const RATE_WINDOW_MS: f64 = 1000.0;

/// Steps/s, loss history and divergence from the stream of snapshots.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub history: History,
    /// `(time ms, step)` where the current steps/s window began.
    rate_mark: Option<(f64, u64)>,
    /// `(time ms, step)` since when the run has played without a pause.
    playing_since: Option<(f64, u64)>,
    /// `(time ms, step)` when its steps first moved after that: the slow
    /// rate counts from there, as a start-up (the worker compiling its
    /// wasm, the GPU its pipelines) is not training time.
    moving_since: Option<(f64, u64)>,
    /// The steps at the last call.
    seen: u64,
    called_slow: bool,
}

impl Progress {
    /// The run's steps/s, once per run, when it has trained for
    /// [`SLOW_AFTER_MS`] without a pause (from its first step after Play)
    /// at fewer than [`SLOW_STEPS_PER_S`], or played that long without a
    /// step (0). Called every frame with the steps taken so far; measured
    /// when they move, as they arrive in snapshots.
    pub fn slow(&mut self, playing: bool, now: f64, step: u64) -> Option<f64> {
        let moved = std::mem::replace(&mut self.seen, step) != step;
        if !playing {
            (self.playing_since, self.moving_since) = (None, None);
            return None;
        }
        let (t0, s0) = *self.playing_since.get_or_insert((now, step));
        if self.called_slow {
            return None;
        }
        let rate = match self.moving_since {
            None if step > s0 => {
                self.moving_since = Some((now, step));
                return None;
            }
            None if now - t0 >= SLOW_AFTER_MS => 0.0,
            Some((t1, s1)) if moved && now - t1 >= SLOW_AFTER_MS => step.saturating_sub(s1) as f64 / (now - t1) * 1000.0,
            _ => return None,
        };
        self.called_slow = rate < SLOW_STEPS_PER_S;
        self.called_slow.then_some(rate)
    }

    /// The steps/s over the window that a snapshot at `step`, arriving at
    /// `now`, closes: windows of [`RATE_WINDOW_MS`] at least, since
    /// snapshots that travelled behind queued work land in bursts.
    fn rate(&mut self, now: f64, step: u64) -> Option<f64> {
        let (t0, s0) = *self.rate_mark.get_or_insert((now, step));
        if now - t0 < RATE_WINDOW_MS {
            return None;
        }
        self.rate_mark = Some((now, step));
        (step > s0).then(|| (step - s0) as f64 / (now - t0) * 1000.0)
    }

    /// Records `snap` (taken at `now` ms) into the history and `status`;
    /// returns whether the run has diverged (`train::diverged` against the
    /// first training loss).
    pub fn record(&mut self, snap: &Snapshot, now: f64, status: RwSignal<Status>) -> bool {
        if let Some(rate) = self.rate(now, snap.step) {
            status.update(|st| st.steps_per_s = if st.steps_per_s > 0.0 { 0.5 * st.steps_per_s + 0.5 * rate } else { rate });
        }
        self.history.push(snap);
        let first = self.history.points.first().map_or(snap.train_loss, |p| p.train);
        let diverged = snap.diverged() || gradlab_core::train::diverged(first, snap.train_loss);
        status.update(|st| {
            st.steps = snap.step;
            st.train_loss = Some(snap.train_loss);
            st.test_loss = snap.test_loss;
            st.accuracy = [snap.train_accuracy, snap.test_accuracy];
            if diverged {
                st.phase = Phase::Diverged;
            } else if st.phase == Phase::Diverged {
                st.phase = Phase::Running;
            }
        });
        diverged
    }
}

/// Accuracies as the stats show them: `97.3 % / 91.0 %` (train / test).
#[must_use]
pub fn fmt_accuracy([train, test]: [Option<f32>; 2]) -> String {
    let percent = |v: Option<f32>| v.map_or("–".to_owned(), |v| format!("{:.1} %", 100.0 * v));
    format!("{} / {}", percent(train), percent(test))
}

/// A loss as the stats show it.
#[must_use]
pub fn fmt_loss(v: Option<f32>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v.is_finite() => format!("{v:.4}"),
        Some(_) => "NaN".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_accuracy, Progress};

    #[test]
    fn accuracies_read_as_percent() {
        assert_eq!(fmt_accuracy([Some(0.973), Some(0.91)]), "97.3 % / 91.0 %");
        assert_eq!(fmt_accuracy([Some(1.0), None]), "100.0 % / –");
    }

    #[test]
    fn a_run_is_called_slow_once_after_three_seconds_of_training_below_five_steps_per_second() {
        let mut p = Progress::default();
        // Single steps pressed slowly are not a slow run.
        assert_eq!(p.slow(false, 0.0, 0), None);
        assert_eq!(p.slow(false, 5000.0, 3), None);
        // Playing from step 3 at t = 5 s; the first step lands at 7 s, then
        // 2 steps/s.
        assert_eq!(p.slow(true, 5000.0, 3), None);
        assert_eq!(p.slow(true, 6000.0, 3), None);
        assert_eq!(p.slow(true, 7000.0, 5), None);
        assert_eq!(p.slow(true, 9000.0, 9), None, "not before three seconds of training");
        assert_eq!(p.slow(true, 9500.0, 9), None, "measured as steps arrive");
        assert_eq!(p.slow(true, 10_000.0, 11), Some(2.0));
        assert_eq!(p.slow(true, 13_000.0, 17), None, "said once");
        // A fast run never is, however long its start-up.
        let mut fast = Progress::default();
        assert_eq!(fast.slow(true, 0.0, 0), None);
        assert_eq!(fast.slow(true, 2000.0, 0), None);
        assert_eq!(fast.slow(true, 2100.0, 1), None);
        assert_eq!(fast.slow(true, 5100.0, 31), None);
        // A run that never steps is, with 0.
        let mut stuck = Progress::default();
        assert_eq!(stuck.slow(true, 0.0, 0), None);
        assert_eq!(stuck.slow(true, 3000.0, 0), Some(0.0));
        // A pause restarts the clock.
        let mut paused = Progress::default();
        paused.slow(true, 0.0, 0);
        paused.slow(true, 1000.0, 1);
        paused.slow(false, 2000.0, 1);
        assert_eq!(paused.slow(true, 2500.0, 1), None);
        assert_eq!(paused.slow(true, 4000.0, 2), None);
        assert!(paused.slow(true, 7100.0, 4).is_some_and(|r| (r - 2.0 / 3.1).abs() < 1e-9));
    }

    /// Snapshots that land in a burst (the second 20 ms after the first,
    /// both having travelled behind queued work) do not make the badge
    /// claim 100 steps/s for a run training 5: it measures over a second.
    #[test]
    fn steps_per_second_are_measured_over_a_second() {
        let mut p = Progress::default();
        assert_eq!(p.rate(0.0, 0), None);
        assert_eq!(p.rate(980.0, 5), None);
        assert_eq!(p.rate(1000.0, 5), Some(5.0));
        assert_eq!(p.rate(1020.0, 7), None, "a burst is not a rate");
        assert_eq!(p.rate(2000.0, 10), Some(5.0));
        assert_eq!(p.rate(3500.0, 10), None, "paused: no rate");
    }
}
