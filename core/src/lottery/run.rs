//! IMP trained live on either backend, ticked like the double-descent
//! sweep: the dense run of every seed as one batch, then each round's
//! ticket, re-initialization and random-mask models of every seed as one
//! pruned batch ([`Lineage`] decides their masks and starts).
//!
//! Every model records its mean test loss at log-spaced checkpoints (on
//! the GPU from the snapshot after each submit, which waits for the read
//! before the next; on the CPU from its own forward pass, the models
//! taking a step each in turn within the frame's budget), and its test
//! loss and accuracy after training, computed on the CPU from its
//! parameters a model at a time. What it records is an [`ImpLog`].

use std::rc::Rc;

use super::{dense, kept_overall, Imp, Lineage, Start};
use crate::double_descent::trained::checkpoints;
use crate::double_descent::Band;
use crate::engine::{AfterQueued, Backend, Clock};
use crate::gpu::{GpuTrainer, PendingRead, PendingSnapshot, MAX_STEPS_PER_SUBMIT};
use crate::{cpu, CpuTrainer, Error, Part, Problem, RunConfig};

/// Checkpoints of a phase's training (and its start).
const CHECKPOINTS: usize = 16;

/// The re-initialization control of the net seeded `s` starts from
/// `init_params(s + FRESH)`, and its random masks are seeded the same.
pub const FRESH: u64 = 999;

/// What a model of IMP is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The unpruned net (round 0).
    Dense,
    /// Magnitude-pruned, rewound to `θ_k`.
    Ticket,
    /// The ticket's mask on a fresh initialization.
    Reinit,
    /// A random mask of the ticket's per-layer counts, rewound to `θ_k`.
    Random,
}

impl Kind {
    /// A round's models, in batch order.
    pub const ROUND: [Self; 3] = [Self::Ticket, Self::Reinit, Self::Random];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Dense => "dense",
            Self::Ticket => "ticket",
            Self::Reinit => "reinit",
            Self::Random => "random",
        }
    }
}

/// One model's record.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelLog {
    /// Which of the run's seeds.
    pub seed: usize,
    pub kind: Kind,
    /// `(step, mean test loss)` at the checkpoints, steps counted from the
    /// dense run's start (a round starts at the rewind step `k`).
    pub losses: Vec<(u64, f64)>,
    /// Test loss and accuracy after training.
    pub end: Option<(f64, f64)>,
}

impl ModelLog {
    /// The early-stopping iteration: the checkpoint of lowest test loss.
    #[must_use]
    pub fn best(&self) -> Option<(u64, f64)> {
        self.losses.iter().copied().filter(|l| l.1.is_finite()).min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The dense run (round 0) or one round of IMP.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseLog {
    pub round: u32,
    /// The fraction of prunable weights kept.
    pub kept: f64,
    /// Seed after seed: the dense net, or the round's ticket and controls.
    pub models: Vec<ModelLog>,
    /// Milliseconds from the phase's start to its last result.
    pub ms: Option<f64>,
}

/// What an [`ImpRun`] has recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpLog {
    pub imp: Imp,
    pub seeds: usize,
    /// Rounds from this one on train the controls.
    pub controls_from: u32,
    /// The dense run, then each round begun.
    pub phases: Vec<PhaseLog>,
    /// Steps trained, summed over models.
    pub done: u64,
}

impl ImpLog {
    /// The steps the whole run trains, summed over models.
    #[must_use]
    pub fn total(&self) -> u64 {
        let per_round = |r: u32| if r >= self.controls_from { 3 } else { 1 };
        let rounds: u64 = (1..=self.imp.rounds).map(per_round).sum();
        self.seeds as u64 * (self.imp.steps + rounds * (self.imp.steps - self.imp.rewind))
    }

    /// True once every phase is trained and evaluated.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.phases.len() == self.imp.rounds as usize + 1 && self.phases.iter().all(|p| p.ms.is_some())
    }

    /// Every finished phase's `kind` models after training, as `(kept,
    /// band over seeds)` of test accuracy (or, `accuracy` false, loss).
    #[must_use]
    pub fn ends(&self, kind: Kind, accuracy: bool) -> Vec<(f64, Band)> {
        self.phases
            .iter()
            .filter_map(|p| {
                let v: Vec<f64> =
                    p.models.iter().filter(|m| m.kind == kind).filter_map(|m| m.end.map(|(l, a)| if accuracy { a } else { l })).collect();
                (!v.is_empty()).then(|| (p.kept, Band::of(&v)))
            })
            .collect()
    }

    /// Round `round`'s `kind` models' test loss against step, as a band over
    /// seeds at the checkpoints every seed has reached.
    #[must_use]
    pub fn curve(&self, round: u32, kind: Kind) -> Vec<(u64, Band)> {
        let Some(p) = self.phases.iter().find(|p| p.round == round) else { return Vec::new() };
        let runs: Vec<&[(u64, f64)]> = p.models.iter().filter(|m| m.kind == kind).map(|m| m.losses.as_slice()).collect();
        let common = runs.iter().map(|r| r.len()).min().unwrap_or(0);
        (0..common).map(|i| (runs[0][i].0, Band::of(&runs.iter().map(|r| r[i].1).collect::<Vec<_>>()))).collect()
    }

    /// True if any model's test loss went non-finite.
    #[must_use]
    pub fn diverged(&self) -> bool {
        self.phases.iter().flat_map(|p| &p.models).any(|m| m.losses.iter().any(|l| !l.1.is_finite()))
    }
}

/// A GPU read in flight.
enum Read {
    Snapshot(PendingSnapshot),
    ThetaK(PendingRead),
    End(PendingRead),
}

enum Work {
    /// The phase's models are to be made (on the GPU, once the work queued
    /// before the run is done).
    Start,
    Gpu {
        trainer: Box<GpuTrainer>,
        read: Option<Read>,
    },
    Cpu {
        trainers: Vec<CpuTrainer>,
        /// Each model's next checkpoint.
        next: Vec<usize>,
        turn: usize,
    },
    /// The phase's trained parameters, evaluated a model at a time.
    Ending {
        params: Vec<Vec<f32>>,
        next: usize,
    },
    Done,
}

/// IMP in progress. See the module docs.
pub struct ImpRun {
    pub log: ImpLog,
    /// One problem (data and `θ₀`) per seed; the first's batch order and
    /// training configuration are every model's.
    problems: Vec<Problem>,
    lines: Vec<Lineage>,
    /// Each seed's dense parameters at the rewind step.
    theta_k: Vec<Vec<f32>>,
    /// The phase's models: their seeds, starts and masks.
    models: Vec<(usize, Start)>,
    /// Steps at which the phase records (relative to its start, from 0).
    checkpoints: Vec<u64>,
    /// The first seed's ticket (the dense net in round 0) of each phase:
    /// its mask and parameters (its start, then its trained values).
    pictures: Vec<Start>,
    work: Work,
    started: f64,
    backend: Rc<Backend>,
    after_queued: AfterQueued,
    /// Why the run stopped early (a GPU error, a net too large).
    pub error: Option<String>,
}

impl ImpRun {
    /// IMP for `config`'s net, data and optimizer over `seeds` seeds from
    /// `config.seed`, the controls trained from round `controls_from` on.
    ///
    /// # Errors
    /// A configuration [`Problem::new`] rejects, a net too large for a CPU
    /// backend ([`crate::engine::check_work`]), an MSE loss (no accuracy),
    /// or a rewind step not before the end.
    pub fn new(backend: &Rc<Backend>, config: &RunConfig, seeds: usize, imp: Imp, controls_from: u32) -> Result<Self, Error> {
        if seeds == 0 {
            return Err(Error::invalid(Part::Request, "seeds", "at least one"));
        }
        if imp.rewind >= imp.steps {
            return Err(Error::invalid(Part::Request, "rewind", format!("step {} is not before the end ({})", imp.rewind, imp.steps)));
        }
        let problems = (0..seeds as u64)
            .map(|s| Problem::new(RunConfig { seed: config.seed + s, ..config.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        // Each model's step and evaluation within what a CPU backend allows
        // a frame (before drawing millions of weights).
        crate::engine::check_work(backend, &problems[0], &[])?;
        if config.train.loss == crate::Loss::Mse {
            return Err(Error::invalid(Part::Request, "loss", "lottery tickets need a classification task (accuracy)"));
        }
        let mut run = Self {
            log: ImpLog { imp, seeds, controls_from, phases: Vec::new(), done: 0 },
            problems,
            lines: Vec::new(),
            theta_k: Vec::new(),
            models: Vec::new(),
            checkpoints: Vec::new(),
            pictures: Vec::new(),
            work: Work::Start,
            started: 0.0,
            backend: Rc::clone(backend),
            after_queued: backend.after_queued(),
            error: None,
        };
        run.begin_phase();
        Ok(run)
    }

    /// The first seed's ticket (or the dense net) of round `round`: its
    /// mask and parameters (trained, once its round is done).
    #[must_use]
    pub fn picture(&self, round: u32) -> Option<(&[f32], &[f32])> {
        self.pictures.get(round as usize).map(|(p, m)| (m.as_slice(), p.as_slice()))
    }

    /// The net's layout.
    #[must_use]
    pub fn layout(&self) -> crate::spec::ParamLayout {
        self.problems[0].spec.layout()
    }

    /// The next phase's models and log entry.
    fn begin_phase(&mut self) {
        let round = self.log.phases.len() as u32;
        let layout = self.layout();
        let imp = self.log.imp;
        let controls = round >= self.log.controls_from;
        self.models = if round == 0 {
            self.problems.iter().enumerate().map(|(s, p)| (s, (p.init_params(), dense(&layout)))).collect()
        } else {
            let lines = self.lines.iter_mut().enumerate();
            lines
                .flat_map(|(s, l)| {
                    l.next_round(&layout, imp.pruning, round).into_iter().take(if controls { 3 } else { 1 }).map(move |m| (s, m))
                })
                .collect()
        };
        let kinds: &[Kind] = if round == 0 { &[Kind::Dense] } else { &Kind::ROUND[..if controls { 3 } else { 1 }] };
        let models = self.models.iter().enumerate().map(|(i, (seed, _))| ModelLog {
            seed: *seed,
            kind: kinds[i % kinds.len()],
            losses: Vec::new(),
            end: None,
        });
        let kept = if round == 0 { 1.0 } else { kept_overall(&layout, &self.lines[0].mask, imp.pruning) };
        self.log.phases.push(PhaseLog { round, kept, models: models.collect(), ms: None });
        self.pictures.push(self.models[0].1.clone());
        let steps = self.phase_steps();
        self.checkpoints = std::iter::once(0).chain(checkpoints(steps, CHECKPOINTS)).collect();
        if round == 0 && imp.rewind > 0 && !self.checkpoints.contains(&imp.rewind) {
            self.checkpoints.push(imp.rewind);
            self.checkpoints.sort_unstable();
        }
        if round == 0 && imp.rewind == 0 {
            self.theta_k = self.models.iter().map(|(_, (p, _))| p.clone()).collect();
        }
        self.work = Work::Start;
    }

    /// The steps the current phase trains, and the step it starts at.
    fn phase_steps(&self) -> u64 {
        if self.log.phases.len() == 1 {
            self.log.imp.steps
        } else {
            self.log.imp.steps - self.log.imp.rewind
        }
    }

    fn offset(&self) -> u64 {
        if self.log.phases.len() == 1 {
            0
        } else {
            self.log.imp.rewind
        }
    }

    fn phase(&mut self) -> &mut PhaseLog {
        self.log.phases.last_mut().expect("a phase begun")
    }

    /// Makes the phase's trainers.
    fn start(&mut self) -> Result<Work, Error> {
        let dense = self.log.phases.len() == 1;
        let p0 = &self.problems[0];
        let batch_seed = p0.config.seed;
        Ok(match self.backend.as_ref() {
            Backend::Gpu(gpu) => {
                let starts: Vec<f32> = self.models.iter().flat_map(|(_, (p, _))| p.iter().copied()).collect();
                let data: Vec<&Problem> = self.models.iter().map(|(s, _)| &self.problems[*s]).collect();
                let mut trainer = if dense {
                    GpuTrainer::with_datasets(&gpu.device, &gpu.queue, &gpu.kernels, p0, &data, &starts, &[])?
                } else {
                    let masks: Vec<f32> = self.models.iter().flat_map(|(_, (_, m))| m.iter().copied()).collect();
                    GpuTrainer::pruned(&gpu.device, &gpu.queue, &gpu.kernels, p0, &data, &starts, &masks, &[])?
                };
                let read = Some(Read::Snapshot(trainer.read_snapshot()));
                Work::Gpu { trainer: Box::new(trainer), read }
            }
            Backend::Cpu { .. } => {
                let layout = self.layout();
                let trainers = self.models.iter().map(|(s, (start, mask))| {
                    let p = &self.problems[*s];
                    let t = CpuTrainer::new(
                        layout.clone(),
                        p0.config.train.clone(),
                        start.clone(),
                        p.dataset.train.x.clone(),
                        p.train_targets.clone(),
                        batch_seed,
                    );
                    if dense {
                        t
                    } else {
                        t.with_mask(mask)
                    }
                });
                Work::Cpu { trainers: trainers.collect(), next: vec![0; self.models.len()], turn: 0 }
            }
        })
    }

    /// Trains for about `budget_ms` of the caller's time by `clock` (CPU)
    /// or keeps the GPU fed; true if anything new was recorded.
    pub fn tick(&mut self, budget_ms: f64, clock: Clock) -> bool {
        let start = clock();
        let mut changed = false;
        while clock() - start < budget_ms && self.error.is_none() {
            match self.advance(clock) {
                Ok(Some(fresh)) => changed |= fresh,
                Ok(None) => break,
                Err(e) => self.error = Some(e.to_string()),
            }
        }
        self.log.done = self.steps_done();
        changed
    }

    /// One piece of work: `Some(recorded)` if the loop may go on, `None`
    /// if it waits (for the GPU, or for nothing: done).
    fn advance(&mut self, clock: Clock) -> Result<Option<bool>, Error> {
        let (steps, offset) = (self.phase_steps(), self.offset());
        let dense = self.log.phases.len() == 1;
        let rewind = self.log.imp.rewind;
        match &mut self.work {
            Work::Done => Ok(None),
            Work::Start => {
                if !self.after_queued.done() {
                    return Ok(None);
                }
                self.started = clock();
                self.work = self.start()?;
                Ok(Some(false))
            }
            Work::Gpu { trainer, read } => {
                if let Some(r) = read {
                    let taken = match r {
                        Read::Snapshot(s) => s.try_take_all().map(|r| r.map(Ok)),
                        Read::ThetaK(p) | Read::End(p) => p.try_take().map(|r| r.map(Err)),
                    };
                    let Some(taken) = taken else { return Ok(None) };
                    let r = read.take().expect("matched above");
                    match (taken?, r) {
                        (Ok(snaps), _) => {
                            let phase = self.log.phases.last_mut().expect("a phase begun");
                            for (m, snap) in phase.models.iter_mut().zip(&snaps) {
                                m.losses.push((offset + snap.step, snap.test_loss.map_or(f64::NAN, f64::from)));
                            }
                        }
                        (Err(params), Read::ThetaK(_)) => {
                            self.theta_k = params.chunks(params.len() / self.models.len()).map(<[f32]>::to_vec).collect()
                        }
                        (Err(params), _) => {
                            let params = params.chunks(params.len() / self.models.len()).map(<[f32]>::to_vec).collect();
                            self.work = Work::Ending { params, next: 0 };
                        }
                    }
                    return Ok(Some(true));
                }
                let done = trainer.steps_done();
                if dense && rewind > 0 && done == rewind && self.theta_k.is_empty() {
                    *read = Some(Read::ThetaK(trainer.read_params()));
                } else if done >= steps {
                    *read = Some(Read::End(trainer.read_params()));
                } else {
                    let next = self.checkpoints.iter().copied().find(|&c| c > done).unwrap_or(steps);
                    trainer.train((next - done).min(u64::from(MAX_STEPS_PER_SUBMIT)) as u32);
                    *read = Some(Read::Snapshot(trainer.read_snapshot()));
                }
                Ok(None)
            }
            Work::Cpu { trainers, next, turn } => {
                let count = trainers.len();
                // A model at a time: its step, or its record at a checkpoint.
                for _ in 0..count {
                    let i = *turn % count;
                    *turn += 1;
                    let t = &mut trainers[i];
                    let done = t.steps_done();
                    if self.checkpoints.get(next[i]) == Some(&done) {
                        next[i] += 1;
                        let (loss, _) = evaluate(&self.problems[self.models[i].0], t.params());
                        self.log.phases.last_mut().expect("a phase begun").models[i].losses.push((offset + done, loss));
                        if dense && done == rewind && rewind > 0 {
                            self.theta_k.resize(count, Vec::new());
                            self.theta_k[i] = t.params().to_vec();
                        }
                        return Ok(Some(true));
                    }
                    if done < steps {
                        t.step();
                        return Ok(Some(false));
                    }
                }
                let params = trainers.iter().map(|t| t.params().to_vec()).collect();
                self.work = Work::Ending { params, next: 0 };
                Ok(Some(false))
            }
            Work::Ending { params, next } => {
                if *next < params.len() {
                    let i = *next;
                    *next += 1;
                    let seed = self.models[i].0;
                    let end = evaluate(&self.problems[seed], &params[i]);
                    self.phase().models[i].end = Some(end);
                    return Ok(Some(true));
                }
                let params = std::mem::take(params);
                self.end_phase(params, clock());
                Ok(Some(true))
            }
        }
    }

    /// After a phase's last evaluation: the lineages move on, and the next
    /// phase begins (or the run is done).
    fn end_phase(&mut self, params: Vec<Vec<f32>>, now: f64) {
        let round = self.log.phases.len() as u32 - 1;
        let started = self.started;
        self.phase().ms = Some(now - started);
        let per_seed = params.len() / self.problems.len();
        self.pictures[round as usize].0.clone_from(&params[0]);
        if round == 0 {
            let layout = self.layout();
            let theta_k = std::mem::take(&mut self.theta_k);
            self.lines = params
                .into_iter()
                .zip(theta_k)
                .zip(&self.problems)
                .map(|((end, theta_k), p)| {
                    let fresh = p.config.seed + FRESH;
                    Lineage::new(&layout, theta_k, end, p.spec.init_params(fresh), fresh)
                })
                .collect();
        } else {
            for (line, mut models) in self.lines.iter_mut().zip(params.chunks(per_seed).map(<[Vec<f32>]>::to_vec)) {
                line.last = models.swap_remove(0);
            }
        }
        if round < self.log.imp.rounds {
            self.begin_phase();
        } else {
            self.work = Work::Done;
        }
    }

    /// Steps trained, summed over models.
    fn steps_done(&self) -> u64 {
        let (steps, done_phases) = (self.log.imp.steps, self.log.phases.len().saturating_sub(1));
        let per_round = |r: u32| if r >= self.log.controls_from { 3 } else { 1 };
        let finished: u64 =
            (0..done_phases as u32).map(|r| if r == 0 { steps } else { per_round(r) as u64 * (steps - self.log.imp.rewind) }).sum();
        let now = match &self.work {
            Work::Gpu { trainer, .. } => trainer.steps_done() * self.models.len() as u64,
            Work::Cpu { trainers, .. } => trainers.iter().map(CpuTrainer::steps_done).sum(),
            Work::Ending { .. } => self.phase_steps() * self.models.len() as u64,
            Work::Start => 0,
            Work::Done => return self.log.total(),
        };
        finished * self.problems.len() as u64 + now
    }
}

/// Mean test loss and test accuracy of `params` on `problem`'s test set.
#[must_use]
pub fn evaluate(problem: &Problem, params: &[f32]) -> (f64, f64) {
    let layout = problem.spec.layout();
    let out = layout.output_dim();
    let f = cpu::predict(&layout, params, &problem.dataset.test.x);
    let kind = problem.config.train.loss;
    let loss = cpu::loss(kind, &cpu::columns::<f32>(&f, out), &cpu::columns::<f32>(&problem.test_targets, out), None);
    (f64::from(loss), cpu::accuracy(kind, &f, &problem.test_targets, out).unwrap_or(f64::NAN))
}
