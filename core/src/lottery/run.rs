//! IMP trained live on either backend, ticked like the double-descent
//! sweep: the dense run of every seed as one batch, then each round's
//! ticket, re-initialization and random-mask models of every seed as one
//! pruned batch ([`Lineage`] decides their masks and starts).
//!
//! Every model records its mean test loss and accuracy at log-spaced
//! checkpoints (on the GPU from the snapshot after each submit, which
//! waits for the read before the next, its grid every seed's test set; on
//! the CPU from its own forward pass, the models taking a step each in
//! turn within the frame's budget); the last checkpoint, at the end of
//! training, is its result. What it records is an [`ImpLog`].
//!
//! Then, if asked, the stability test (Frankle et al. 2020): for each of
//! a few rewind steps `k`, two copies of the dense net and of the last
//! round's ticket start from `θ_k` (pruned) and train to the end with two
//! different mini-batch orders (each order one batch of every seed's two
//! nets); the test-loss barrier on the straight line between the copies
//! ([`crate::landscape::barrier`]) says whether training from `θ_k` is
//! stable to that noise.

use std::rc::Rc;

use super::log::{Checkpoint, ImpLog, Kind, ModelLog, PhaseLog, StabilityLog};
use super::{dense, kept_overall, rewind, Imp, Lineage, Start};
use crate::double_descent::trained::checkpoints;
use crate::engine::{AfterQueued, Backend, Clock};
use crate::gpu::{GpuTrainer, PendingRead, PendingSnapshot, MAX_STEPS_PER_SUBMIT};
use crate::landscape::{barrier, plane_losses, Plane};
use crate::{cpu, CpuTrainer, Error, Part, Problem, RunConfig, Subset};

/// Checkpoints of a phase's training (and its start).
const CHECKPOINTS: usize = 16;

/// The re-initialization control of the net seeded `s` starts from
/// `init_params(s + FRESH)`, and its random masks are seeded the same.
pub const FRESH: u64 = 999;

/// The stability test's second copies train with the batch order of seed
/// `config.seed + SECOND_ORDER` (the first copies: `config.seed`'s).
pub const SECOND_ORDER: u64 = 7919;

/// Points `t` of the line between two copies where the barrier is measured.
const LINE: usize = 11;

/// A GPU read in flight: a snapshot, the dense nets at rewind step
/// `rewinds[i]`, or the phase's trained parameters.
enum Read {
    Snapshot(PendingSnapshot),
    Rewound(usize, PendingRead),
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
    /// The stability test's copies (each seed's dense net, then its
    /// ticket), a point of a line at a time.
    Barriers {
        first: Vec<Vec<f32>>,
        second: Vec<Vec<f32>>,
        /// The pair, its line, and the test losses along it so far.
        pair: usize,
        line: Plane,
        losses: Vec<f32>,
        out: Vec<f64>,
    },
    Done,
}

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// IMP's phase: 0 the dense run, `r` round `r`.
    Round(u32),
    /// The stability test at `stability_steps[i]`, copies of batch order
    /// `order` (0 or 1).
    Stability { i: usize, order: usize },
}

/// IMP in progress. See the module docs.
pub struct ImpRun {
    pub log: ImpLog,
    /// One problem (data and `θ₀`) per seed; the first's batch order and
    /// training configuration are every model's.
    problems: Vec<Problem>,
    /// The stability test's second batch order (its data unused).
    second_order: Option<Problem>,
    lines: Vec<Lineage>,
    /// The steps at which the dense nets are kept (the rewind step and the
    /// stability test's), and the nets there, `[step][seed]`.
    rewinds: Vec<u64>,
    rewound: Vec<Vec<Vec<f32>>>,
    stage: Stage,
    /// The phase's models: their seeds, starts and masks.
    models: Vec<(usize, Start)>,
    /// Steps at which the phase records (relative to its start, from 0).
    checkpoints: Vec<u64>,
    /// The first seed's ticket (the dense net in round 0) of each round:
    /// its mask and parameters (its start, then its trained values).
    pictures: Vec<Start>,
    /// The stability test's first copies, while the second train.
    copies: Vec<Vec<f32>>,
    work: Work,
    started: f64,
    /// Steps of the phases done, summed over models.
    done_before: u64,
    backend: Rc<Backend>,
    after_queued: AfterQueued,
    /// Why the run stopped early (a GPU error, a net too large).
    pub error: Option<String>,
}

impl ImpRun {
    /// IMP for `config`'s net, data and optimizer over `seeds` seeds from
    /// `config.seed`, the controls trained from round `controls_from` on,
    /// then the stability test at the rewind steps `stability` (none: no
    /// test).
    ///
    /// # Errors
    /// A configuration [`Problem::new`] rejects, a net too large for a CPU
    /// backend ([`crate::engine::check_work`]), an MSE loss (no accuracy),
    /// or a rewind step not before the end.
    pub fn new(
        backend: &Rc<Backend>,
        config: &RunConfig,
        seeds: usize,
        imp: Imp,
        controls_from: u32,
        stability: &[u64],
    ) -> Result<Self, Error> {
        if seeds == 0 {
            return Err(Error::invalid(Part::Request, "seeds", "at least one"));
        }
        if let Some(k) = stability.iter().chain([&imp.rewind]).find(|&&k| k >= imp.steps) {
            return Err(Error::invalid(Part::Request, "rewind", format!("step {k} is not before the end ({})", imp.steps)));
        }
        let problems = (0..seeds as u64)
            .map(|s| Problem::new(RunConfig { seed: config.seed + s, ..config.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        // Each model's step and evaluation within what a CPU backend allows
        // a frame (before drawing millions of weights).
        crate::engine::check_work(backend, &problems[0], &test_grid(&problems))?;
        if config.train.loss == crate::Loss::Mse {
            return Err(Error::invalid(Part::Request, "loss", "lottery tickets need a classification task (accuracy)"));
        }
        let second_order =
            if stability.is_empty() { None } else { Some(Problem::new(RunConfig { seed: config.seed + SECOND_ORDER, ..config.clone() })?) };
        let mut stability_steps = stability.to_vec();
        stability_steps.sort_unstable();
        stability_steps.dedup();
        let mut rewinds: Vec<u64> = stability_steps.iter().copied().chain([imp.rewind]).collect();
        rewinds.sort_unstable();
        rewinds.dedup();
        let mut run = Self {
            log: ImpLog { imp, seeds, controls_from, phases: Vec::new(), stability_steps, stability: Vec::new(), done: 0 },
            problems,
            second_order,
            lines: Vec::new(),
            rewound: vec![Vec::new(); rewinds.len()],
            rewinds,
            stage: Stage::Round(0),
            models: Vec::new(),
            checkpoints: Vec::new(),
            pictures: Vec::new(),
            copies: Vec::new(),
            work: Work::Start,
            started: 0.0,
            done_before: 0,
            backend: Rc::clone(backend),
            after_queued: backend.after_queued(),
            error: None,
        };
        run.begin_round(0);
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

    /// Round `round`'s models and log entry (round 0: the dense nets).
    fn begin_round(&mut self, round: u32) {
        let layout = self.layout();
        let imp = self.log.imp;
        let controls = round >= self.log.controls_from;
        self.stage = Stage::Round(round);
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
            checkpoints: Vec::new(),
            end: None,
        });
        let kept = if round == 0 { 1.0 } else { kept_overall(&layout, &self.lines[0].mask, imp.pruning) };
        self.log.phases.push(PhaseLog { round, kept, models: models.collect(), ms: None });
        self.pictures.push(self.models[0].1.clone());
        self.checkpoints = std::iter::once(0).chain(checkpoints(self.phase_steps(), CHECKPOINTS)).collect();
        if round == 0 {
            // The dense nets stop at every rewind step to be kept.
            self.checkpoints.extend(self.rewinds.iter().filter(|&&k| k > 0));
            self.checkpoints.sort_unstable();
            self.checkpoints.dedup();
            if self.rewinds[0] == 0 {
                self.rewound[0] = self.models.iter().map(|(_, (p, _))| p.clone()).collect();
            }
        }
        self.work = Work::Start;
    }

    /// The stability test's phase `i` (its rewind step), copies of batch
    /// order `order`: each seed's dense net and last ticket from `θ_k`.
    fn begin_stability(&mut self, i: usize, order: usize) {
        let layout = self.layout();
        let k = self.log.stability_steps[i];
        let at = &self.rewound[self.rewinds.iter().position(|&r| r == k).expect("kept during the dense run")];
        self.stage = Stage::Stability { i, order };
        self.models = self
            .lines
            .iter()
            .zip(at)
            .enumerate()
            .flat_map(|(s, (line, theta))| [(s, (theta.clone(), dense(&layout))), (s, (rewind(theta, &line.mask), line.mask.clone()))])
            .collect();
        self.checkpoints = Vec::new();
        self.work = Work::Start;
    }

    /// The steps the current phase trains, and the step it starts at.
    fn phase_steps(&self) -> u64 {
        let imp = self.log.imp;
        match self.stage {
            Stage::Round(0) => imp.steps,
            Stage::Round(_) => imp.steps - imp.rewind,
            Stage::Stability { i, .. } => imp.steps - self.log.stability_steps[i],
        }
    }

    fn offset(&self) -> u64 {
        self.log.imp.steps - self.phase_steps()
    }

    fn phase(&mut self) -> &mut PhaseLog {
        self.log.phases.last_mut().expect("a phase begun")
    }

    /// The batch order of the current phase (a problem's seed).
    fn order(&self) -> &Problem {
        match (self.stage, &self.second_order) {
            (Stage::Stability { order: 1, .. }, Some(p)) => p,
            _ => &self.problems[0],
        }
    }

    /// Makes the phase's trainers.
    fn start(&mut self) -> Result<Work, Error> {
        let dense = self.stage == Stage::Round(0);
        let p0 = self.order();
        Ok(match self.backend.as_ref() {
            Backend::Gpu(gpu) => {
                let starts: Vec<f32> = self.models.iter().flat_map(|(_, (p, _))| p.iter().copied()).collect();
                let data: Vec<&Problem> = self.models.iter().map(|(s, _)| &self.problems[*s]).collect();
                let grid = test_grid(&self.problems);
                let mut trainer = if dense {
                    GpuTrainer::with_datasets(&gpu.device, &gpu.queue, &gpu.kernels, p0, &data, &starts, &grid)?
                } else {
                    let masks: Vec<f32> = self.models.iter().flat_map(|(_, (_, m))| m.iter().copied()).collect();
                    GpuTrainer::pruned(&gpu.device, &gpu.queue, &gpu.kernels, p0, &data, &starts, &masks, &grid)?
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
                        p0.config.seed,
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

    /// Keeps the dense nets at step `done` if it is a rewind step.
    fn keep_rewound(&mut self, done: u64, model: usize, params: &[f32]) {
        if let Some(i) = self.rewinds.iter().position(|&k| k == done && k > 0) {
            self.rewound[i].resize(self.models.len(), Vec::new());
            self.rewound[i][model] = params.to_vec();
        }
    }

    /// One piece of work: `Some(recorded)` if the loop may go on, `None`
    /// if it waits (for the GPU, or for nothing: done).
    fn advance(&mut self, clock: Clock) -> Result<Option<bool>, Error> {
        let (steps, offset) = (self.phase_steps(), self.offset());
        let (dense, recording) = (self.stage == Stage::Round(0), matches!(self.stage, Stage::Round(_)));
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
                        Read::Rewound(_, p) | Read::End(p) => p.try_take().map(|r| r.map(Err)),
                    };
                    let Some(taken) = taken else { return Ok(None) };
                    let r = read.take().expect("matched above");
                    let models = self.models.len();
                    match (taken?, r) {
                        (Ok(snaps), _) if recording => {
                            let phase = self.log.phases.last_mut().expect("a phase begun");
                            for ((m, snap), (seed, _)) in phase.models.iter_mut().zip(&snaps).zip(&self.models) {
                                // The grid is every seed's test set: this model's own is its seed's part.
                                let p = &self.problems[*seed];
                                let part = p.test_targets.len();
                                let f = &snap.grid[seed * part..][..part];
                                let accuracy =
                                    cpu::accuracy(p.config.train.loss, f, &p.test_targets, p.spec.output_dim).unwrap_or(f64::NAN);
                                let loss = snap.test_loss.map_or(f64::NAN, f64::from);
                                m.checkpoints.push(Checkpoint { step: offset + snap.step, loss, accuracy });
                            }
                        }
                        (Ok(_), _) => {}
                        (Err(params), Read::Rewound(i, _)) => {
                            self.rewound[i] = params.chunks(params.len() / models).map(<[f32]>::to_vec).collect();
                        }
                        (Err(params), _) => self.trained(params.chunks(params.len() / models).map(<[f32]>::to_vec).collect(), clock()),
                    }
                    return Ok(Some(recording));
                }
                let done = trainer.steps_done();
                let rewind = self.rewinds.iter().position(|&k| k == done && k > 0).filter(|&i| dense && self.rewound[i].is_empty());
                if let Some(i) = rewind {
                    *read = Some(Read::Rewound(i, trainer.read_params()));
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
                    let done = trainers[i].steps_done();
                    if self.checkpoints.get(next[i]) == Some(&done) {
                        next[i] += 1;
                        let params = trainers[i].params().to_vec();
                        let (loss, accuracy) = evaluate(&self.problems[self.models[i].0], &params);
                        self.phase().models[i].checkpoints.push(Checkpoint { step: offset + done, loss, accuracy });
                        if dense {
                            self.keep_rewound(done, i, &params);
                        }
                        return Ok(Some(true));
                    }
                    if done < steps {
                        trainers[i].step();
                        return Ok(Some(false));
                    }
                }
                let params = trainers.iter().map(|t| t.params().to_vec()).collect();
                self.trained(params, clock());
                Ok(Some(true))
            }
            Work::Barriers { first, second, pair, line, losses, out } => {
                let t = losses.len() as f32 / (LINE - 1) as f32;
                losses.push(plane_losses(&self.problems[self.models[*pair].0], Subset::Test, line, &[[t, 0.0]])[0]);
                if losses.len() == LINE {
                    let ts: Vec<f32> = (0..LINE).map(|j| j as f32 / (LINE - 1) as f32).collect();
                    out.push(barrier(&ts, losses).map_or(f64::NAN, f64::from));
                    *pair += 1;
                    losses.clear();
                    if *pair < first.len() {
                        *line = Plane::line(&first[*pair], &second[*pair]);
                    } else {
                        let Stage::Stability { i, .. } = self.stage else { unreachable!("barriers follow the stability test") };
                        let out = std::mem::take(out);
                        let step = self.log.stability_steps[i];
                        // Seed after seed: the dense net's pair, then the ticket's.
                        let (dense, ticket) = out.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
                        self.log.stability.push(StabilityLog { step, dense, ticket });
                        self.next_stability(i + 1);
                        return Ok(Some(true));
                    }
                }
                Ok(Some(false))
            }
        }
    }

    /// After a phase's training (at `now`), its trained parameters: a
    /// round ends; the stability test's first copies wait for the second,
    /// whose barriers are measured then.
    fn trained(&mut self, params: Vec<Vec<f32>>, now: f64) {
        self.done_before += self.phase_steps() * self.models.len() as u64;
        match self.stage {
            Stage::Round(_) => self.end_round(params, now),
            Stage::Stability { i, order: 0 } => {
                self.copies = params;
                self.begin_stability(i, 1);
            }
            Stage::Stability { .. } => {
                let first = std::mem::take(&mut self.copies);
                let line = Plane::line(&first[0], &params[0]);
                self.work = Work::Barriers { first, second: params, pair: 0, line, losses: Vec::new(), out: Vec::new() };
            }
        }
    }

    /// After a round's training: each model's result is its last
    /// checkpoint (the end of training), the lineages move on, and the next
    /// round begins (or the stability test, or the run is done).
    fn end_round(&mut self, params: Vec<Vec<f32>>, now: f64) {
        let Stage::Round(round) = self.stage else { unreachable!("rounds end rounds") };
        let started = self.started;
        let phase = self.phase();
        phase.ms = Some(now - started);
        for m in &mut phase.models {
            m.end = m.checkpoints.last().map(|c| (c.loss, c.accuracy));
        }
        let per_seed = params.len() / self.problems.len();
        self.pictures[round as usize].0.clone_from(&params[0]);
        if round == 0 {
            let layout = self.layout();
            let k = self.rewinds.iter().position(|&r| r == self.log.imp.rewind).expect("the rewind step is kept");
            let theta_k = self.rewound[k].clone();
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
            self.begin_round(round + 1);
        } else {
            self.next_stability(0);
        }
    }

    /// The stability test's phase `i`, or the end.
    fn next_stability(&mut self, i: usize) {
        if i < self.log.stability_steps.len() {
            self.begin_stability(i, 0);
        } else {
            self.work = Work::Done;
        }
    }

    /// Steps trained, summed over models.
    fn steps_done(&self) -> u64 {
        let now = match &self.work {
            Work::Gpu { trainer, .. } => trainer.steps_done() * self.models.len() as u64,
            Work::Cpu { trainers, .. } => trainers.iter().map(CpuTrainer::steps_done).sum(),
            Work::Barriers { .. } | Work::Start => 0,
            Work::Done => return self.log.total(),
        };
        self.done_before + now
    }
}

/// Every seed's test inputs, one after the other: the GPU snapshot's grid,
/// so that it brings back each model's outputs on its own test set.
fn test_grid(problems: &[Problem]) -> Vec<f32> {
    problems.iter().flat_map(|p| p.dataset.test.x.iter().copied()).collect()
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
