//! The playground's run on the CPU, in the page's worker
//! ([`crate::kit::remote`]): it trains whenever it plays and sends a
//! snapshot at the eye's rate, or at once after a pause, a step or a reset.

use gradlab_core::engine::CpuRun;
use gradlab_core::{Problem, RunConfig};

use crate::kit::worker::{Activity, Command, Task, Update};
use crate::web;

/// Milliseconds between snapshots while playing (10 a second: each is
/// drawn on the main thread).
const SNAPSHOT_EVERY_MS: f64 = 100.0;

pub struct TrainTask {
    run: Result<CpuRun, String>,
    playing: bool,
    step_once: bool,
    /// A snapshot is owed (the start, a pause, a step, a reset).
    owed: bool,
    /// When the last snapshot was sent.
    sent: f64,
}

impl TrainTask {
    #[must_use]
    pub fn new(config: RunConfig) -> Self {
        let run = Problem::new(config).and_then(CpuRun::new).map_err(|e| e.to_string());
        Self { run, playing: false, step_once: false, owed: true, sent: f64::NEG_INFINITY }
    }
}

impl Task for TrainTask {
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        let run = match &mut self.run {
            Ok(run) => run,
            Err(e) => {
                out.push(Update::Failed(e.clone()));
                return Activity::Done;
            }
        };
        if std::mem::take(&mut self.step_once) {
            run.train(1, 0.0, web::now);
            self.owed = true;
        } else if self.playing {
            run.train(u64::MAX, budget_ms, web::now);
        }
        let now = web::now();
        if self.owed || (self.playing && now - self.sent >= SNAPSHOT_EVERY_MS) {
            out.push(Update::Snapshot(run.snapshot()));
            (self.owed, self.sent) = (false, now);
        }
        if self.playing {
            Activity::Busy
        } else {
            Activity::Idle
        }
    }

    fn tell(&mut self, command: Command) {
        match command {
            Command::Play => self.playing = true,
            Command::Pause => (self.playing, self.owed) = (false, true),
            Command::Step => (self.playing, self.step_once) = (false, true),
            Command::Reset => {
                if let Ok(run) = &mut self.run {
                    run.reset();
                }
                self.owed = true;
            }
        }
    }
}
