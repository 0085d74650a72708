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
    pub steps: u64,
    pub train_loss: Option<f32>,
    pub test_loss: Option<f32>,
    pub steps_per_s: f64,
    pub phase: Phase,
    /// GPU buffers the page holds (`data-gpu-buffers`, `data-gpu-bytes`).
    pub gpu: Held,
    /// The wasm module's linear memory (`data-wasm-bytes`).
    pub wasm_bytes: u64,
}

/// Steps/s, loss history and divergence from the stream of snapshots.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub history: History,
    /// `(time ms, step)` of the previous snapshot.
    rate_mark: Option<(f64, u64)>,
}

impl Progress {
    /// Records `snap` (taken at `now` ms) into the history and `status`;
    /// returns whether the run has diverged (`train::diverged` against the
    /// first training loss).
    pub fn record(&mut self, snap: &Snapshot, now: f64, status: RwSignal<Status>) -> bool {
        if let Some((t0, s0)) = self.rate_mark {
            if snap.step > s0 && now > t0 {
                let rate = (snap.step - s0) as f64 / (now - t0) * 1000.0;
                status.update(|st| st.steps_per_s = if st.steps_per_s > 0.0 { 0.8 * st.steps_per_s + 0.2 * rate } else { rate });
            }
        }
        self.rate_mark = Some((now, snap.step));
        self.history.push(snap.step, snap.train_loss, snap.test_loss);
        let first = self.history.points.first().map_or(snap.train_loss, |p| p.1);
        let diverged = snap.diverged() || gradlab_core::train::diverged(first, snap.train_loss);
        status.update(|st| {
            st.steps = snap.step;
            st.train_loss = Some(snap.train_loss);
            st.test_loss = snap.test_loss;
            if diverged {
                st.phase = Phase::Diverged;
            } else if st.phase == Phase::Diverged {
                st.phase = Phase::Running;
            }
        });
        diverged
    }
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
