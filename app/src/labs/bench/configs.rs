//! The bench page's fixed configurations: each a lab's URL, whose settings
//! give both the work measured alone ([`Workload`]) and the lab measured
//! in a frame with its drawing on.

use gradlab_core::double_descent::trained::Training;
use gradlab_core::double_descent::RfConfig;
use gradlab_core::engine::rate::Workload;

use crate::kit::LabState;
use crate::labs::double_descent::state::DdState;
use crate::labs::landscape::state::LandscapeState;
use crate::labs::ntk::state::NtkState;
use crate::labs::playground::state::PlaygroundState;

/// One row of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub name: &'static str,
    /// The lab's query (no `?`).
    pub query: &'static str,
    /// The `data-*` attribute counting the lab's progress in the page, and
    /// its unit.
    pub counter: &'static str,
    pub counter_unit: &'static str,
}

pub const CONFIGS: [Config; 6] = [
    Config { name: "playground default", query: "lab=playground", counter: "data-steps", counter_unit: "steps/s" },
    Config {
        name: "2→64→64→1, 512 points",
        query: "lab=playground&data=spiral&n=512&width=64&depth=2&act=relu&opt=adam&lr=0.01&batch=0",
        counter: "data-steps",
        counter_unit: "steps/s",
    },
    Config { name: "width 256 × depth 3", query: "lab=playground&width=256&depth=3", counter: "data-steps", counter_unit: "steps/s" },
    Config { name: "landscape, 32² grid", query: "lab=landscape&grid=32&view=contour", counter: "data-grids", counter_unit: "grids/s" },
    Config { name: "NTK Gram, n = 256", query: "lab=ntk&n=256&view=kernel", counter: "data-steps", counter_unit: "steps/s" },
    Config {
        name: "double-descent sweep",
        query: "lab=dd&train=full&seeds=1&steps=20000&view=epoch",
        counter: "data-sweep-steps",
        counter_unit: "steps/s",
    },
];

/// Steps a sweep measured alone trains: more than any window lasts.
const SWEEP_STEPS: u64 = 1_000_000;

impl Config {
    /// The work measured alone. A sweep's needs its step sizes (`lrs`, one
    /// per group: [`Self::sweep`] says which to compute).
    #[must_use]
    pub fn workload(&self, lrs: Vec<f32>) -> Workload {
        let query = format!("?{}", self.query);
        if self.query.starts_with("lab=landscape") {
            let s = LandscapeState::from_query(&query).0;
            Workload::LossGrid { config: s.run_config(), side: s.grid }
        } else if self.query.starts_with("lab=ntk") {
            let s = NtkState::from_query(&query).0;
            Workload::NtkGram(s.run_config(s.width))
        } else if let Some((cfg, widths, seeds, training)) = self.sweep() {
            Workload::Sweep { cfg, widths, seeds, training, steps: SWEEP_STEPS, lrs }
        } else {
            Workload::Train(PlaygroundState::from_query(&query).0.run_config())
        }
    }

    /// For the double-descent row, the sweep as the lab plans it.
    #[must_use]
    pub fn sweep(&self) -> Option<(RfConfig, Vec<usize>, usize, Training)> {
        if !self.query.starts_with("lab=dd") {
            return None;
        }
        let s = DdState::from_query(&format!("?{}", self.query)).0;
        Some((s.config(), s.widths(), s.seeds, s.train.training()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_is_taken_as_written_and_gives_its_work() {
        for c in CONFIGS {
            let query = format!("?{}", c.query);
            let messages = match c.query.split('&').next() {
                Some("lab=playground") => PlaygroundState::from_query(&query).1,
                Some("lab=landscape") => LandscapeState::from_query(&query).1,
                Some("lab=ntk") => NtkState::from_query(&query).1,
                Some("lab=dd") => DdState::from_query(&query).1,
                other => panic!("{other:?}"),
            };
            assert_eq!(messages, Vec::<String>::new(), "{}", c.name);
            let work = c.workload(vec![0.1]);
            match (&work, c.counter) {
                (Workload::Train(config), "data-steps") => assert!(config.model.hidden.iter().all(|&w| w >= 8), "{}", c.name),
                (Workload::LossGrid { side, .. }, "data-grids") => assert_eq!(*side, 32),
                (Workload::NtkGram(config), "data-steps") => assert_eq!(config.data.n_train, 256),
                (Workload::Sweep { steps, .. }, "data-sweep-steps") => assert_eq!(*steps, SWEEP_STEPS),
                other => panic!("{}: {other:?}", c.name),
            }
        }
        let reference = CONFIGS[1].workload(Vec::new());
        let Workload::Train(config) = reference else { panic!() };
        assert_eq!((config.model.hidden, config.data.n_train), (vec![64, 64], 512));
    }
}
