//! A trained double-descent sweep on either backend, ticked like the
//! [`crate::engine::Engine`]: every width and
//! seed of [`trained::groups`] trained to the same step budget, each net's
//! train and test error recorded along the way (log-spaced checkpoints, and
//! after every GPU submit) for the model-wise overlay and the epoch-wise
//! view.
//!
//! A sweep first makes its nets, a member at a time within each tick's
//! budget ([`trained::Planner`]), then their trainers a group at a time; what it records is a [`SweepLog`], plain
//! data that a page can also receive from a worker.
//!
//! On the GPU each group (or half group, where the device's limits ask)
//! is one batched [`GpuTrainer`]; a submit of up to 256 steps is followed
//! by a snapshot read, and the next submit waits for it, so the queue
//! never runs ahead of the GPU. On the CPU the nets take one step in turn
//! within the frame's budget, so the whole curve fills in at once.

use std::ops::Range;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::trained::{self, checkpoints, Group, Planner, Training};
use super::{Band, RfConfig};
use crate::engine::{AfterQueued, Backend, Clock};
use crate::gpu::{GpuTrainer, PendingSnapshot, MAX_STEPS_PER_SUBMIT};
use crate::{CpuTrainer, Error};

/// Checkpoints over the step budget.
const CHECKPOINTS: usize = 16;

/// One net's errors at one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub step: u64,
    #[serde(with = "crate::wire::f64")]
    pub train: f64,
    #[serde(with = "crate::wire::f64")]
    pub test: f64,
}

/// What a sweep has recorded: each net's width and errors so far, and the
/// steps trained. Plain data, so a sweep trained elsewhere (a worker) can
/// be drawn from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepLog {
    pub training: Training,
    /// Steps each net trains.
    pub steps: u64,
    /// Every net, group by group in member order: (width, records in step order).
    pub nets: Vec<(usize, Vec<Record>)>,
    /// Steps trained, summed over nets.
    pub done: u64,
}

struct GpuPart {
    group: usize,
    members: Range<usize>,
    trainer: Box<GpuTrainer>,
    pending: Option<PendingSnapshot>,
}

struct CpuPart {
    /// Index into the log's nets.
    net: usize,
    group: usize,
    member: usize,
    trainer: Box<CpuTrainer>,
    /// The next checkpoint to record at.
    next: usize,
}

enum Work {
    /// Nets still being made, a member at a time.
    Planning(Box<Planner>),
    Gpu(Vec<GpuPart>),
    Cpu {
        parts: Vec<CpuPart>,
        turn: usize,
    },
}

/// A sweep in progress. See the module docs.
pub struct SweepRun {
    pub log: SweepLog,
    groups: Vec<Group>,
    /// Each group's first net in the log.
    first: Vec<usize>,
    /// Groups whose trainers are made.
    ready: usize,
    checkpoints: Vec<u64>,
    work: Work,
    backend: Rc<Backend>,
    /// Set once the work queued before the sweep is done: it allocates and
    /// submits nothing before ([`Backend::after_queued`]).
    after_queued: AfterQueued,
    /// Why the sweep stopped early (a GPU error, a net too large).
    pub error: Option<String>,
}

impl SweepRun {
    /// Plans the sweep: its step sizes ([`trained::step_sizes`]), then
    /// [`Self::planned`].
    ///
    /// # Errors
    /// Sizes out of range.
    pub fn new(
        backend: &Rc<Backend>,
        cfg: &RfConfig,
        widths: &[usize],
        seeds: usize,
        training: Training,
        steps: u64,
    ) -> Result<Self, Error> {
        Self::planned(backend, cfg, widths, seeds, training, steps, &trained::step_sizes(cfg, widths, seeds, training)?)
    }

    /// A sweep at the step sizes `lrs` (one per group). Its nets are made
    /// and uploaded by the first [`Self::tick`]s, within their budgets.
    ///
    /// # Errors
    /// As [`Planner::new`].
    pub fn planned(
        backend: &Rc<Backend>,
        cfg: &RfConfig,
        widths: &[usize],
        seeds: usize,
        training: Training,
        steps: u64,
        lrs: &[f32],
    ) -> Result<Self, Error> {
        let planner = Planner::new(cfg, widths, seeds, training, lrs)?;
        let nets = planner.widths().into_iter().map(|w| (w, Vec::new())).collect();
        Ok(Self {
            log: SweepLog { training, steps, nets, done: 0 },
            groups: Vec::new(),
            first: Vec::new(),
            ready: 0,
            checkpoints: checkpoints(steps, CHECKPOINTS),
            work: Work::Planning(Box::new(planner)),
            backend: Rc::clone(backend),
            after_queued: backend.after_queued(),
            error: None,
        })
    }

    /// Makes the trainers of group `g` (its uploads on the GPU, its data
    /// copies on the CPU), after the groups before it.
    fn start_group(&mut self, g: usize) -> Result<(), Error> {
        let (group, first) = (&self.groups[g], self.first[g]);
        match (&mut self.work, self.backend.as_ref()) {
            (Work::Gpu(parts), Backend::Gpu(gpu)) => {
                for (members, trainer) in trained::gpu_trainers(&gpu.device, &gpu.queue, &gpu.kernels, group)? {
                    parts.push(GpuPart { group: g, members, trainer: Box::new(trainer), pending: None });
                }
            }
            (Work::Cpu { parts, .. }, _) => {
                for (member, m) in group.members.iter().enumerate() {
                    let (x, y) = m.problem.subset(crate::Subset::Train);
                    let (layout, train) = (m.problem.spec.layout(), m.problem.config.train.clone());
                    let trainer = CpuTrainer::new(layout, train, m.init.clone(), x.to_vec(), y.to_vec(), m.seed);
                    parts.push(CpuPart { net: first + member, group: g, member, trainer: Box::new(trainer), next: 0 });
                }
            }
            _ => unreachable!("the work matches the backend once planned"),
        }
        Ok(())
    }

    /// Trains for about `budget_ms` of the caller's time by `clock` (CPU)
    /// or keeps the GPU fed; true if new errors were recorded.
    pub fn tick(&mut self, budget_ms: f64, clock: Clock) -> bool {
        let start = clock();
        let mut changed = false;
        // The trainers of the groups planned, a group at a time (on the
        // GPU, once the work queued before the sweep is done).
        while self.ready < self.groups.len() && !matches!(self.work, Work::Planning(_)) && self.after_queued.done() {
            if let Err(e) = self.start_group(self.ready) {
                self.error = Some(e.to_string());
                return false;
            }
            self.ready += 1;
            if clock() - start >= budget_ms {
                return false;
            }
        }
        match &mut self.work {
            Work::Planning(planner) => {
                let more = loop {
                    match planner.step() {
                        Ok(true) if clock() - start < budget_ms => {}
                        Ok(more) => break more,
                        Err(e) => {
                            self.error = Some(e.to_string());
                            return false;
                        }
                    }
                };
                if !more {
                    let empty = match self.backend.as_ref() {
                        Backend::Gpu(_) => Work::Gpu(Vec::new()),
                        Backend::Cpu { .. } => Work::Cpu { parts: Vec::new(), turn: 0 },
                    };
                    let Work::Planning(planner) = std::mem::replace(&mut self.work, empty) else { unreachable!("matched above") };
                    self.groups = planner.finish();
                    self.first = self.groups.iter().scan(0, |at, g| Some(std::mem::replace(at, *at + g.members.len()))).collect();
                }
            }
            Work::Gpu(parts) => {
                for part in parts.iter_mut() {
                    if let Some(pending) = &part.pending {
                        match pending.try_take_all() {
                            None => continue,
                            Some(Err(e)) => {
                                self.error = Some(e.to_string());
                                return changed;
                            }
                            Some(Ok(snaps)) => {
                                for (m, snap) in part.members.clone().zip(&snaps) {
                                    let test = snap.test_loss.map_or(f64::NAN, f64::from);
                                    let net = &mut self.log.nets[self.first[part.group] + m].1;
                                    net.push(Record { step: snap.step, train: f64::from(snap.train_loss), test });
                                }
                                part.pending = None;
                                changed = true;
                            }
                        }
                    }
                    let done = part.trainer.steps_done();
                    if done < self.log.steps {
                        let next = self.checkpoints.iter().copied().find(|&c| c > done).unwrap_or(self.log.steps);
                        part.trainer.train((next - done).min(u64::from(MAX_STEPS_PER_SUBMIT)) as u32);
                        part.pending = Some(part.trainer.read_snapshot());
                    }
                }
            }
            Work::Cpu { parts, turn } => {
                let (count, mut idle) = (parts.len(), 0);
                while clock() - start < budget_ms && idle < count {
                    let part = &mut parts[*turn % count];
                    *turn += 1;
                    if part.trainer.steps_done() >= self.log.steps {
                        idle += 1;
                        continue;
                    }
                    idle = 0;
                    part.trainer.step();
                    let step = part.trainer.steps_done();
                    if self.checkpoints.get(part.next) == Some(&step) {
                        part.next += 1;
                        let (train, test) = self.groups[part.group].members[part.member].errors(part.trainer.params());
                        self.log.nets[part.net].1.push(Record { step, train, test });
                        changed = true;
                    }
                }
            }
        }
        self.log.done = match &self.work {
            Work::Planning(_) => 0,
            Work::Gpu(parts) => parts.iter().map(|p| p.trainer.steps_done().min(self.log.steps) * p.members.len() as u64).sum(),
            Work::Cpu { parts, .. } => parts.iter().map(|p| p.trainer.steps_done()).sum(),
        };
        changed
    }

    /// Steps trained, summed over nets, and the sweep's total.
    #[must_use]
    pub fn progress(&self) -> (u64, u64) {
        self.log.progress()
    }
}

impl SweepLog {
    /// Steps trained, summed over nets, and the sweep's total.
    #[must_use]
    pub fn progress(&self) -> (u64, u64) {
        (self.done, self.nets.len() as u64 * self.steps)
    }

    /// True once every net has trained its budget and been recorded (never
    /// for a log of no nets: one not received yet).
    #[must_use]
    pub fn finished(&self) -> bool {
        !self.nets.is_empty() && self.nets.iter().all(|(_, r)| r.last().is_some_and(|r| r.step >= self.steps))
    }

    /// Every net with its records, as (width, records).
    fn nets(&self) -> impl Iterator<Item = (usize, &[Record])> {
        self.nets.iter().map(|(w, r)| (*w, r.as_slice()))
    }

    /// The widths trained, ascending.
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.nets.iter().map(|(w, _)| *w).collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// Model-wise: the latest train and test errors of each width, median
    /// and quartiles over seeds (widths with no record yet left out), or
    /// `None` for a width whose nets diverged.
    #[must_use]
    pub fn latest(&self) -> Vec<(usize, Band, Band)> {
        self.widths()
            .into_iter()
            .filter_map(|w| {
                let last: Vec<Record> = self.nets().filter(|(x, _)| *x == w).filter_map(|(_, r)| r.last().copied()).collect();
                (!last.is_empty()).then(|| {
                    let (train, test): (Vec<f64>, Vec<f64>) = last.iter().map(|r| (r.train, r.test)).unzip();
                    (w, Band::of(&train), Band::of(&test))
                })
            })
            .collect()
    }

    /// Epoch-wise: median test error over seeds against step, for width `w`
    /// (at the steps every seed has reached).
    #[must_use]
    pub fn test_over_time(&self, w: usize) -> Vec<(u64, f64)> {
        let runs: Vec<&[Record]> = self.nets().filter(|(x, _)| *x == w).map(|(_, r)| r).collect();
        let common = runs.iter().map(|r| r.len()).min().unwrap_or(0);
        (0..common).map(|i| (runs[0][i].step, Band::of(&runs.iter().map(|r| r[i].test).collect::<Vec<_>>()).median)).collect()
    }

    /// True if any net's loss went non-finite (a step size too large).
    #[must_use]
    pub fn diverged(&self) -> bool {
        self.nets().any(|(_, r)| r.iter().any(|r| !r.train.is_finite()))
    }
}
