//! A trained double-descent sweep on either backend, ticked like the
//! [`crate::engine::Engine`]: every width and
//! seed of [`trained::groups`] trained to the same step budget, each net's
//! train and test error recorded along the way (log-spaced checkpoints, and
//! after every GPU submit) for the model-wise overlay and the epoch-wise
//! view.
//!
//! On the GPU each group (or half group, where the device's limits ask)
//! is one batched [`GpuTrainer`]; a submit of up to 256 steps is followed
//! by a snapshot read, and the next submit waits for it, so the queue
//! never runs ahead of the GPU. On the CPU the nets take one step in turn
//! within the frame's budget, so the whole curve fills in at once.

use std::ops::Range;
use std::rc::Rc;

use super::trained::{self, checkpoints, Group, Training};
use super::{Band, RfConfig};
use crate::engine::{Backend, Clock};
use crate::gpu::{GpuTrainer, PendingSnapshot, MAX_STEPS_PER_SUBMIT};
use crate::{CpuTrainer, Error};

/// Checkpoints over the step budget.
const CHECKPOINTS: usize = 16;

/// One net's errors at one step.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub step: u64,
    pub train: f64,
    pub test: f64,
}

struct GpuPart {
    group: usize,
    members: Range<usize>,
    trainer: Box<GpuTrainer>,
    pending: Option<PendingSnapshot>,
}

struct CpuPart {
    group: usize,
    member: usize,
    trainer: Box<CpuTrainer>,
    /// The next checkpoint to record at.
    next: usize,
}

enum Work {
    Gpu(Vec<GpuPart>),
    Cpu { parts: Vec<CpuPart>, turn: usize },
}

/// A sweep in progress. See the module docs.
pub struct SweepRun {
    pub training: Training,
    pub steps: u64,
    groups: Vec<Group>,
    /// `records[group][member]`, in step order.
    records: Vec<Vec<Vec<Record>>>,
    checkpoints: Vec<u64>,
    work: Work,
    backend: Rc<Backend>,
    /// Whether the GPU parts submitted their first batch (a new sweep waits
    /// for the work queued before it: see [`crate::engine::Gpu`]).
    started: bool,
    /// Why the sweep stopped early (a GPU error).
    pub error: Option<String>,
}

impl SweepRun {
    /// Plans the sweep and uploads it.
    ///
    /// # Errors
    /// Sizes out of range, or a net too large for the device.
    pub fn new(
        backend: &Rc<Backend>,
        cfg: &RfConfig,
        widths: &[usize],
        seeds: usize,
        training: Training,
        steps: u64,
    ) -> Result<Self, Error> {
        let groups = trained::groups(cfg, widths, seeds, training)?;
        let work = match backend.as_ref() {
            Backend::Gpu(gpu) => {
                let mut parts = Vec::new();
                for (g, group) in groups.iter().enumerate() {
                    for (members, trainer) in trained::gpu_trainers(&gpu.device, &gpu.queue, &gpu.kernels, group)? {
                        parts.push(GpuPart { group: g, members, trainer: Box::new(trainer), pending: None });
                    }
                }
                Work::Gpu(parts)
            }
            Backend::Cpu { .. } => Work::Cpu {
                parts: groups
                    .iter()
                    .enumerate()
                    .flat_map(|(g, group)| {
                        group.members.iter().enumerate().map(move |(member, m)| {
                            let (x, y) = m.problem.subset(crate::Subset::Train);
                            let trainer = CpuTrainer::new(
                                m.problem.spec.layout(),
                                m.problem.config.train.clone(),
                                m.init.clone(),
                                x.to_vec(),
                                y.to_vec(),
                                m.seed,
                            );
                            CpuPart { group: g, member, trainer: Box::new(trainer), next: 0 }
                        })
                    })
                    .collect(),
                turn: 0,
            },
        };
        let records = groups.iter().map(|g| vec![Vec::new(); g.members.len()]).collect();
        Ok(Self {
            training,
            steps,
            groups,
            records,
            checkpoints: checkpoints(steps, CHECKPOINTS),
            work,
            backend: Rc::clone(backend),
            started: false,
            error: None,
        })
    }

    /// Trains for about `budget_ms` of the caller's time by `clock` (CPU)
    /// or keeps the GPU fed; true if new errors were recorded.
    pub fn tick(&mut self, budget_ms: f64, clock: Clock) -> bool {
        let start = clock();
        let mut changed = false;
        match &mut self.work {
            Work::Gpu(parts) => {
                if !self.started && !self.backend.idle() {
                    return false;
                }
                self.started = true;
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
                                    self.records[part.group][m].push(Record { step: snap.step, train: f64::from(snap.train_loss), test });
                                }
                                part.pending = None;
                                changed = true;
                            }
                        }
                    }
                    let done = part.trainer.steps_done();
                    if done < self.steps {
                        let next = self.checkpoints.iter().copied().find(|&c| c > done).unwrap_or(self.steps);
                        part.trainer.train((next - done).min(u64::from(MAX_STEPS_PER_SUBMIT)) as u32);
                        part.pending = Some(part.trainer.read_snapshot());
                        self.backend.track();
                    }
                }
            }
            Work::Cpu { parts, turn } => {
                let (count, mut idle) = (parts.len(), 0);
                while clock() - start < budget_ms && idle < count {
                    let part = &mut parts[*turn % count];
                    *turn += 1;
                    if part.trainer.steps_done() >= self.steps {
                        idle += 1;
                        continue;
                    }
                    idle = 0;
                    part.trainer.step();
                    let step = part.trainer.steps_done();
                    if self.checkpoints.get(part.next) == Some(&step) {
                        part.next += 1;
                        let (train, test) = self.groups[part.group].members[part.member].errors(part.trainer.params());
                        self.records[part.group][part.member].push(Record { step, train, test });
                        changed = true;
                    }
                }
            }
        }
        changed
    }

    /// Steps trained, summed over nets, and the sweep's total.
    #[must_use]
    pub fn progress(&self) -> (u64, u64) {
        let members: usize = self.groups.iter().map(|g| g.members.len()).sum();
        let done = match &self.work {
            Work::Gpu(parts) => parts.iter().map(|p| p.trainer.steps_done().min(self.steps) * p.members.len() as u64).sum(),
            Work::Cpu { parts, .. } => parts.iter().map(|p| p.trainer.steps_done()).sum(),
        };
        (done, members as u64 * self.steps)
    }

    /// True once every net has trained its budget and been recorded.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.records.iter().flatten().all(|r| r.last().is_some_and(|r| r.step >= self.steps))
    }

    /// Every net with its records, as (width, records).
    fn nets(&self) -> impl Iterator<Item = (usize, &[Record])> {
        self.groups.iter().zip(&self.records).flat_map(|(g, rs)| g.members.iter().zip(rs).map(|(m, r)| (m.width, r.as_slice())))
    }

    /// The widths trained, ascending.
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.groups.iter().flat_map(|g| g.members.iter().map(|m| m.width)).collect();
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
