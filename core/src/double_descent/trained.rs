//! Trained sweeps: real two-layer nets beside the exact curve.
//!
//! Each net is `x → φ(Wx + c) → aᵀh + b` of width `p`, on the same teacher
//! data and (with `Init::Normal { sigma: 1 }`) the same first layer as
//! the exact curve's seed, so in [`Training::Readout`] it *is* the random
//! features model: the first layer frozen, the readout trained from zero by
//! gradient descent with heavy-ball momentum. Its iterates stay in the row
//! space of the feature matrix, so they converge to the minimum-norm
//! least-squares readout, the exact curve's fit; near `p = n` convergence
//! takes ever longer (the smallest singular value vanishes), and a finite
//! run is an early-stopped, ridge-like fit there. [`Training::Full`] trains
//! every layer from the standard init: its interpolation threshold is where
//! the *parameter count* `p(d + 2) + 1` reaches `n`.
//!
//! Nets of similar width train together as one [`Group`] (one GPU batch,
//! narrower nets zero-padded to the widest, every seed on its own data);
//! widths more than twice apart go to different groups, so padding wastes
//! at most about half of a group's work.

use std::ops::Range;

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::{Feature, RfConfig, Teacher};
use crate::cpu::{columns, forward, loss};
use crate::data::{DataConfig, DatasetKind};
use crate::error::Part;
use crate::gpu::{GpuTrainer, Kernels};
use crate::{Activation, Error, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Schedule, Subset, TrainConfig};

/// What trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Training {
    /// The readout only, from zero: converges to the exact curve's fit.
    #[default]
    Readout,
    /// Every layer, from the standard init.
    Full,
}

/// Heavy-ball momentum of every sweep (ten times plain GD's speed along
/// the slow directions, same limit).
pub const MOMENTUM: f32 = 0.9;
/// A group takes widths up to this times its first one's...
const GROUP_RATIO: usize = 2;
/// ... counted as at least this (narrow nets cost little, padded or not).
const GROUP_MIN_WIDTH: usize = 32;

/// One net of a sweep.
#[derive(Clone, Debug)]
pub struct Member {
    pub width: usize,
    pub seed: u64,
    /// Its own net, data and training configuration.
    pub problem: Problem,
    pub init: Vec<f32>,
}

impl Member {
    /// Train and test mean squared error at `params` (on the CPU, in f64;
    /// the test targets are the teacher's clean signal).
    #[must_use]
    pub fn errors(&self, params: &[f32]) -> (f64, f64) {
        let layout = self.problem.spec.layout();
        let p: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
        let mse = |subset| {
            let (x, y) = self.problem.subset(subset);
            let f = forward(&layout, &p, &columns(x, layout.input_dim()));
            loss(Loss::Mse, f.output(), &columns(y, 1), None)
        };
        (mse(Subset::Train), mse(Subset::Test))
    }
}

/// Nets trained together: the widest one's problem (net and training
/// configuration, its step size safe for every member) and the members,
/// widths ascending, seed by seed.
#[derive(Clone, Debug)]
pub struct Group {
    pub problem: Problem,
    pub members: Vec<Member>,
}

impl Group {
    /// Every member's initial parameters in the widest net's layout, member
    /// after member (what [`crate::gpu::GpuTrainer::with_datasets`] takes).
    ///
    /// # Errors
    /// Never for groups made by [`groups`] (standard parameterization, one
    /// hidden layer, widths up to the group's).
    pub fn params(&self) -> Result<Vec<f32>, Error> {
        let mut all = Vec::with_capacity(self.members.len() * self.problem.spec.layout().num_params);
        for m in &self.members {
            all.extend(m.problem.spec.embed_params(&m.init, &self.problem.spec)?);
        }
        Ok(all)
    }

    /// Each member's data, in member order.
    #[must_use]
    pub fn datasets(&self) -> Vec<&Problem> {
        self.members.iter().map(|m| &m.problem).collect()
    }

    /// A member's parameters out of the group's (embedded) ones.
    #[must_use]
    pub fn member_params(&self, m: usize, group_params: &[f32]) -> Vec<f32> {
        let wide = self.problem.spec.layout();
        let own = self.members[m].problem.spec.layout();
        let at = m * wide.num_params;
        let mut out = vec![0.0; own.num_params];
        for (a, b) in own.layers.iter().zip(&wide.layers) {
            for j in 0..a.fan_out {
                let (from, to) = (at + b.w_offset + j * b.fan_in, a.w_offset + j * a.fan_in);
                out[to..to + a.fan_in].copy_from_slice(&group_params[from..from + a.fan_in]);
                out[a.b_offset + j] = group_params[at + b.b_offset + j];
            }
        }
        out
    }
}

/// A group's nets on the GPU: one trainer for all, or where that would
/// pass the device's limits, the members split into halves (again and
/// again) with one trainer each. Returns each trainer with the range of
/// members it trains.
///
/// # Errors
/// [`Error::DeviceLimit`] if even one member does not fit.
pub fn gpu_trainers(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    kernels: &Kernels,
    group: &Group,
) -> Result<Vec<(Range<usize>, GpuTrainer)>, Error> {
    let params = group.params()?;
    let size = group.problem.spec.layout().num_params;
    let data = group.datasets();
    let mut done = Vec::new();
    let mut todo = Vec::new();
    todo.push(0..group.members.len());
    while let Some(r) = todo.pop() {
        let made =
            GpuTrainer::with_datasets(device, queue, kernels, &group.problem, &data[r.clone()], &params[r.start * size..r.end * size], &[]);
        match made {
            Ok(t) => done.push((r, t)),
            Err(Error::TooLarge { within: "this GPU", .. }) if r.len() > 1 => {
                let mid = r.start + r.len() / 2;
                todo.extend([mid..r.end, r.start..mid]);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The run of one net of width `width` on seed `seed`'s data at step size `lr`.
///
/// # Errors
/// [`Error::Invalid`] for sizes out of range.
pub fn problem(cfg: &RfConfig, width: usize, seed: u64, training: Training, lr: f32) -> Result<Problem, Error> {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![width],
            activation: match cfg.feature {
                Feature::Relu => Activation::Relu,
                Feature::Tanh => Activation::Tanh,
            },
            parameterization: Parameterization::Standard,
            init: Init::Normal { sigma: 1.0 },
        },
        data: DataConfig {
            kind: match cfg.teacher {
                Teacher::Linear => DatasetKind::Teacher,
                Teacher::Nonlinear => DatasetKind::TanhTeacher,
            },
            n_train: cfg.n,
            n_test: cfg.n_test,
            noise: 0.0,
            label_noise: cfg.noise as f32,
            dim: cfg.d,
            ..DataConfig::default()
        },
        train: TrainConfig {
            loss: Loss::Mse,
            optimizer: Optimizer::Momentum { beta: MOMENTUM },
            lr,
            schedule: Schedule::Constant,
            warmup: 0,
            dropout: 0.0,
            weight_decay: 0.0,
            batch_size: None,
            frozen_layers: usize::from(training == Training::Readout),
        },
        seed,
    })
}

/// The largest eigenvalue of the readout's Hessian `(2/n)·AᵀA`, `A = [Φ 1]`
/// the features with a column of ones, by power iteration on `AAᵀ` (until
/// it changes by under a millionth).
fn readout_curvature(problem: &Problem, init: &[f32]) -> f64 {
    let layout = problem.spec.layout();
    let (x, _) = problem.subset(Subset::Train);
    let p: Vec<f64> = init.iter().map(|&v| f64::from(v)).collect();
    let h = forward(&layout, &p, &columns(x, layout.input_dim())).h.swap_remove(0); // p × n
    let n = h.ncols();
    let mut u = DVector::from_element(n, 1.0 / (n as f64).sqrt());
    let mut lambda: f64 = 0.0;
    for _ in 0..100 {
        let hu = &h * &u;
        let next = h.tr_mul(&hu).add_scalar(u.sum());
        let last = std::mem::replace(&mut lambda, next.norm());
        if lambda == 0.0 || (lambda - last).abs() <= 1e-6 * lambda {
            break;
        }
        u = next / lambda;
    }
    2.0 * lambda / n as f64
}

/// Splits `widths` (ascending) into groups of similar width.
fn split(widths: &[usize]) -> Vec<Vec<usize>> {
    let mut split: Vec<Vec<usize>> = Vec::new();
    for &w in widths {
        match split.last_mut() {
            Some(g) if w <= GROUP_RATIO * g[0].max(GROUP_MIN_WIDTH) => g.push(w),
            _ => split.push(vec![w]),
        }
    }
    split
}

/// One member: its problem at step size `lr` and its initial parameters
/// (the readout zeroed when only the readout trains).
fn member(cfg: &RfConfig, width: usize, seed: u64, training: Training, lr: f32) -> Result<Member, Error> {
    let problem = problem(cfg, width, seed, training, lr)?;
    let mut init = problem.init_params();
    if training == Training::Readout {
        let readout = problem.spec.layout().layers[1].w_offset;
        init[readout..].fill(0.0);
    }
    Ok(Member { width, seed, problem, init })
}

/// Each group's step size: `1/λ` for the readout's largest curvature λ
/// over the group's widest nets, one per seed (heavy ball is stable up to
/// `2(1 + β)/λ`), half that for full training, whose first layer adds
/// curvature. This is the costly part of planning a sweep (a forward pass
/// and power iterations per widest net), so it goes a net at a time
/// ([`Self::step`]) and a page computes it off its main thread, handing
/// the result to [`Planner`].
pub struct StepSizes {
    cfg: RfConfig,
    training: Training,
    seeds: usize,
    widest: Vec<usize>,
    /// The largest curvature so far of the group being measured.
    curvature: f64,
    /// Nets measured of the group being measured.
    seed: usize,
    /// One per group measured.
    pub lrs: Vec<f32>,
}

impl StepSizes {
    #[must_use]
    pub fn new(cfg: &RfConfig, widths: &[usize], seeds: usize, training: Training) -> Self {
        let widest = split(widths).iter().map(|ws| *ws.last().expect("groups are not empty")).collect();
        Self { cfg: cfg.clone(), training, seeds, widest, curvature: f64::MIN_POSITIVE, seed: 0, lrs: Vec::new() }
    }

    /// Measures the next net; true while more remain.
    ///
    /// # Errors
    /// As [`problem`].
    pub fn step(&mut self) -> Result<bool, Error> {
        let Some(&width) = self.widest.get(self.lrs.len()) else { return Ok(false) };
        if self.seed < self.seeds {
            let m = member(&self.cfg, width, self.cfg.seed + self.seed as u64, self.training, 1.0)?;
            self.curvature = self.curvature.max(readout_curvature(&m.problem, &m.init));
            self.seed += 1;
        }
        if self.seed >= self.seeds {
            self.lrs.push((if self.training == Training::Readout { 1.0 } else { 0.5 } / self.curvature) as f32);
            (self.curvature, self.seed) = (f64::MIN_POSITIVE, 0);
        }
        Ok(self.lrs.len() < self.widest.len())
    }
}

/// [`StepSizes`], all at once.
///
/// # Errors
/// As [`problem`].
pub fn step_sizes(cfg: &RfConfig, widths: &[usize], seeds: usize, training: Training) -> Result<Vec<f32>, Error> {
    let mut sizes = StepSizes::new(cfg, widths, seeds, training);
    while sizes.step()? {}
    Ok(sizes.lrs)
}

/// Makes the groups of a sweep a member at a time ([`Self::step`]), so a
/// page can spread the work over frames: `widths` (ascending) split into
/// groups of similar width, each with every one of `seeds` seeds from
/// `cfg.seed` on, trained at the step sizes `lrs` (one per group, from
/// [`step_sizes`]).
pub struct Planner {
    cfg: RfConfig,
    training: Training,
    seeds: usize,
    lrs: Vec<f32>,
    split: Vec<Vec<usize>>,
    groups: Vec<Group>,
    members: Vec<Member>,
}

impl Planner {
    /// # Errors
    /// [`Error::Invalid`] if `lrs` does not have one step size per group,
    /// or there are no seeds.
    pub fn new(cfg: &RfConfig, widths: &[usize], seeds: usize, training: Training, lrs: &[f32]) -> Result<Self, Error> {
        let split = split(widths);
        if lrs.len() != split.len() {
            return Err(Error::invalid(Part::Request, "step sizes", format!("are {} for {} groups", lrs.len(), split.len())));
        }
        if seeds == 0 {
            return Err(Error::invalid(Part::Request, "seeds", "are none"));
        }
        Ok(Self { cfg: cfg.clone(), training, seeds, lrs: lrs.to_vec(), split, groups: Vec::new(), members: Vec::new() })
    }

    /// Every net's width, in the order of the groups' members.
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        self.split.iter().flat_map(|ws| (0..self.seeds).flat_map(move |_| ws.iter().copied())).collect()
    }

    /// Makes the next member; true while more remain.
    ///
    /// # Errors
    /// As [`problem`].
    pub fn step(&mut self) -> Result<bool, Error> {
        let g = self.groups.len();
        let Some(ws) = self.split.get(g) else { return Ok(false) };
        let (i, lr) = (self.members.len(), self.lrs[g]);
        self.members.push(member(&self.cfg, ws[i % ws.len()], self.cfg.seed + (i / ws.len()) as u64, self.training, lr)?);
        if self.members.len() == self.seeds * ws.len() {
            let widest = *ws.last().expect("groups are not empty");
            let problem = problem(&self.cfg, widest, self.cfg.seed, self.training, lr)?;
            self.groups.push(Group { problem, members: std::mem::take(&mut self.members) });
        }
        Ok(self.groups.len() < self.split.len())
    }

    /// The groups made (all of them once [`Self::step`] returned false).
    #[must_use]
    pub fn finish(self) -> Vec<Group> {
        self.groups
    }
}

/// The groups of a sweep at the step sizes `lrs`, made at once (see
/// [`Planner`]).
///
/// # Errors
/// As [`Planner::new`] and [`problem`].
pub fn groups_at(cfg: &RfConfig, widths: &[usize], seeds: usize, training: Training, lrs: &[f32]) -> Result<Vec<Group>, Error> {
    let mut planner = Planner::new(cfg, widths, seeds, training, lrs)?;
    while planner.step()? {}
    Ok(planner.finish())
}

/// [`groups_at`] the [`step_sizes`], in one call.
///
/// # Errors
/// As [`problem`].
pub fn groups(cfg: &RfConfig, widths: &[usize], seeds: usize, training: Training) -> Result<Vec<Group>, Error> {
    groups_at(cfg, widths, seeds, training, &step_sizes(cfg, widths, seeds, training)?)
}

/// Steps at which a sweep records its errors: about `count` of them,
/// log-spaced from 1 to `steps` (both included), no repeats.
#[must_use]
pub fn checkpoints(steps: u64, count: usize) -> Vec<u64> {
    let steps = steps.max(1);
    let mut at: Vec<u64> =
        (0..count).map(|i| (steps as f64).powf(i as f64 / (count - 1).max(1) as f64).round() as u64).chain([steps]).collect();
    at.dedup();
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::double_descent::model_wise;

    fn config() -> RfConfig {
        RfConfig { n: 60, n_test: 200, d: 10, noise: 0.3, ridge: 0.0, teacher: Teacher::Linear, feature: Feature::Relu, seed: 4 }
    }

    #[test]
    fn groups_keep_similar_widths_together() {
        let cfg = config();
        let gs = groups(&cfg, &[1, 4, 30, 40, 70, 90, 200], 2, Training::Readout).unwrap();
        let widths: Vec<Vec<usize>> = gs.iter().map(|g| g.members.iter().filter(|m| m.seed == 4).map(|m| m.width).collect()).collect();
        assert_eq!(widths, vec![vec![1, 4, 30, 40], vec![70, 90], vec![200]]);
        let planned = Planner::new(&cfg, &[1, 4, 30, 40, 70, 90, 200], 2, Training::Readout, &[1.0; 3]).unwrap().widths();
        assert_eq!(planned, gs.iter().flat_map(|g| g.members.iter().map(|m| m.width)).collect::<Vec<_>>(), "a log's nets in member order");
        for g in &gs {
            assert_eq!(g.members.len() % 2, 0, "every seed");
            let params = g.params().unwrap();
            for (i, m) in g.members.iter().enumerate() {
                assert_eq!(g.member_params(i, &params), m.init, "embedding round-trips");
                assert_eq!(m.problem.config.train.lr, g.problem.config.train.lr);
            }
        }
    }

    #[test]
    fn checkpoints_are_log_spaced_and_end_at_the_budget() {
        let c = checkpoints(1000, 13);
        assert_eq!((c[0], *c.last().unwrap()), (1, 1000));
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(c[6], 32);
    }

    /// The sweep's recipe (its step size, momentum, zero readout) lands on
    /// the exact curve on both sides of the threshold, and the readout's
    /// features are the exact curve's.
    #[test]
    fn a_readout_sweep_converges_to_the_exact_fit() {
        let cfg = config();
        for g in groups(&cfg, &[15, 240], 1, Training::Readout).unwrap() {
            let m = &g.members[0];
            let exact = model_wise(&cfg, &[m.width], m.seed).at(cfg.noise);
            let mut trainer = crate::CpuTrainer::new(
                m.problem.spec.layout(),
                m.problem.config.train.clone(),
                m.init.clone(),
                m.problem.dataset.train.x.clone(),
                m.problem.train_targets.clone(),
                m.seed,
            );
            for _ in 0..3000 {
                trainer.step();
            }
            let (train, test) = m.errors(trainer.params());
            assert!((test - exact.test[0]).abs() < 0.05 * exact.test[0], "p = {}: test {test} vs exact {}", m.width, exact.test[0]);
            assert!((train - exact.train[0]).abs() < 0.05 * exact.train[0] + 1e-3, "p = {}: train {train} vs {}", m.width, exact.train[0]);
        }
    }
}
