//! Lottery tickets (Frankle & Carbin 2019): iterative magnitude pruning
//! with rewinding, and its controls.
//!
//! A mask holds one entry per parameter of the flat vector ([`crate::spec`]):
//! 1 kept, 0 pruned; both trainers keep pruned weights at exactly zero
//! ([`crate::CpuTrainer::with_mask`], `GpuTrainer::pruned`). Biases are
//! never pruned, and the output layer only when asked. Round `r` of IMP
//! keeps `round((1 − p)^r · n)` of a layer's `n` weights (or of all
//! prunable weights at once, [`Scope::Global`]): counted from the start,
//! not from the round before, so the fraction left after `R` rounds is
//! `(1 − p)^R` to within one weight per layer. The survivors are rewound
//! to `θ_k`, the dense run's parameters at step `k` (`k = 0`: the
//! original initialization; `k > 0`: late rewinding, Frankle et al. 2020).
//!
//! The controls, trained beside each ticket for the same `T − k` steps
//! (so that a round, every seed's ticket and controls, is one batch;
//! [`Lineage`]): the same mask from a fresh random initialization
//! ([`reinit`]), and a random mask with each layer's count of survivors,
//! rewound like the ticket ([`random_like`]). [`ImpRun`] trains the whole
//! experiment on either backend, a frame's budget at a time.

mod log;
mod run;

use serde::{Deserialize, Serialize};

pub use self::log::{Checkpoint, ImpLog, Kind, ModelLog, PhaseLog, StabilityLog};
pub use self::run::{evaluate, ImpRun, FRESH, SECOND_ORDER};

use crate::rng::{Rng, Stream};
use crate::spec::ParamLayout;

/// Whether each layer loses the same fraction, or the smallest weights go
/// wherever they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Layer,
    Global,
}

/// How IMP prunes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pruning {
    /// The fraction `p` of the surviving weights pruned each round.
    pub rate: f64,
    pub scope: Scope,
    /// Prune the output layer too (Frankle & Carbin prune it at half the
    /// rate of the others; here it is all or nothing).
    pub prune_output: bool,
}

impl Pruning {
    /// The layers whose weights are pruned.
    fn layers(self, layout: &ParamLayout) -> std::ops::Range<usize> {
        0..layout.layers.len() - usize::from(!self.prune_output)
    }

    /// Weights of each pruned layer kept after `round` rounds, counted from
    /// the dense `counts`.
    fn targets(self, counts: &[usize], round: u32) -> Vec<usize> {
        let keep = (1.0 - self.rate).powi(round as i32);
        counts.iter().map(|&n| (n as f64 * keep).round() as usize).collect()
    }
}

/// The setting where tickets win on a small MLP (the science test below):
/// moons (256 training points, noise 0.2), 2→128→128→1 ReLU, He
/// initialization, BCE, Adam at 3·10⁻³, batches of 32.
#[must_use]
pub fn moons(seed: u64, n_test: usize) -> crate::RunConfig {
    use crate::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, TrainConfig};
    crate::RunConfig {
        model: ModelConfig {
            hidden: vec![128, 128],
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        },
        data: DataConfig { kind: DatasetKind::Moons, n_train: 256, n_test, noise: 0.2, label_noise: 0.0, dim: 2, ..DataConfig::default() },
        train: TrainConfig {
            batch_size: Some(32),
            ..TrainConfig::full_batch(Loss::Bce, Optimizer::with_defaults("adam").expect("adam is an optimizer"), 0.003)
        },
        seed,
    }
}

/// The dense mask: everything kept.
#[must_use]
pub fn dense(layout: &ParamLayout) -> Vec<f32> {
    vec![1.0; layout.num_params]
}

/// The range of layer `l`'s weights in the flat vector.
fn weights(layout: &ParamLayout, l: usize) -> std::ops::Range<usize> {
    let s = &layout.layers[l];
    s.w_offset..s.w_offset + s.fan_in * s.fan_out
}

/// The fraction of each layer's weights `mask` keeps.
#[must_use]
pub fn kept(layout: &ParamLayout, mask: &[f32]) -> Vec<f64> {
    (0..layout.layers.len())
        .map(|l| {
            let w = weights(layout, l);
            let n = w.len();
            mask[w].iter().filter(|&&m| m != 0.0).count() as f64 / n as f64
        })
        .collect()
}

/// The fraction of the prunable weights `mask` keeps.
#[must_use]
pub fn kept_overall(layout: &ParamLayout, mask: &[f32], pruning: Pruning) -> f64 {
    let (mut kept, mut all) = (0, 0);
    for l in pruning.layers(layout) {
        let w = weights(layout, l);
        all += w.len();
        kept += mask[w].iter().filter(|&&m| m != 0.0).count();
    }
    kept as f64 / all.max(1) as f64
}

/// The mask of IMP's round `round` (1, 2, …): of the weights `mask`
/// keeps, those of largest `|θ|` in `params` (the end of the previous
/// round's training), as many as [`Pruning`] says. Ties go to the lower
/// index, so the mask is a function of its inputs alone.
#[must_use]
pub fn prune(layout: &ParamLayout, params: &[f32], mask: &[f32], pruning: Pruning, round: u32) -> Vec<f32> {
    let layers = pruning.layers(layout);
    let counts: Vec<usize> = layers.clone().map(|l| weights(layout, l).len()).collect();
    let targets = pruning.targets(&counts, round);
    let mut out = mask.to_vec();
    // Survivors by |θ|, largest first; the first `target` of each group stay.
    let mut cut = |candidates: Vec<usize>, target: usize| {
        let mut c = candidates;
        c.sort_by(|&a, &b| params[b].abs().total_cmp(&params[a].abs()).then(a.cmp(&b)));
        for &i in &c[target.min(c.len())..] {
            out[i] = 0.0;
        }
    };
    let survivors = |l: usize| weights(layout, l).filter(|&i| mask[i] != 0.0).collect::<Vec<_>>();
    match pruning.scope {
        Scope::Layer => {
            for (l, &target) in layers.zip(&targets) {
                cut(survivors(l), target);
            }
        }
        Scope::Global => cut(layers.flat_map(survivors).collect(), targets.iter().sum()),
    }
    out
}

/// A random mask keeping as many weights of each layer as `mask` does
/// (biases kept): the random-mask control.
#[must_use]
pub fn random_like(layout: &ParamLayout, mask: &[f32], seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed, Stream::Batches);
    let mut out = dense(layout);
    for l in 0..layout.layers.len() {
        let w = weights(layout, l);
        let kept = mask[w.clone()].iter().filter(|&&m| m != 0.0).count();
        let mut order: Vec<usize> = w.collect();
        rng.shuffle(&mut order);
        for &i in &order[kept..] {
            out[i] = 0.0;
        }
    }
    out
}

/// `θ ⊙ m`: the survivors at their values in `theta` (bit for bit), the
/// rest zero.
#[must_use]
pub fn rewind(theta: &[f32], mask: &[f32]) -> Vec<f32> {
    theta.iter().zip(mask).map(|(&t, &m)| if m != 0.0 { t } else { 0.0 }).collect()
}

/// The re-initialization control's start: a fresh initialization, pruned
/// by the ticket's mask.
#[must_use]
pub fn reinit(fresh: &[f32], mask: &[f32]) -> Vec<f32> {
    rewind(fresh, mask)
}

/// One IMP experiment's settings (the net, data and optimizer are the
/// problem's).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imp {
    pub pruning: Pruning,
    pub rounds: u32,
    /// Training steps `T` of the dense run and of each round.
    pub steps: u64,
    /// The rewind step `k`: the survivors restart from the dense run's
    /// `θ_k` and train `T − k` steps (the optimizer's state starts fresh).
    pub rewind: u64,
}

/// One seed's line of IMP between rounds: what each round's three models
/// start from. After the dense run, round `r` prunes the ticket's mask by
/// the ticket's last parameters ([`prune`]) and trains, side by side and
/// for the same `T − k` steps (so a round is one batch): the ticket
/// (`θ_k ⊙ m`), the re-initialization control (a fresh start `⊙ m`) and
/// the random-mask control (`θ_k ⊙ m'`, `m'` from [`random_like`]).
#[derive(Clone, Debug)]
pub struct Lineage {
    /// The dense run's parameters at the rewind step.
    pub theta_k: Vec<f32>,
    /// The re-initialization control's start, before pruning.
    pub fresh: Vec<f32>,
    /// The ticket's mask, and its parameters at the end of the last round.
    pub mask: Vec<f32>,
    pub last: Vec<f32>,
    /// Seeds the random masks.
    pub random_seed: u64,
}

/// One model of a round: its start (pruned) and its mask.
pub type Start = (Vec<f32>, Vec<f32>);

impl Lineage {
    /// After the dense run, which passed `theta_k` at the rewind step and
    /// ended at `end`.
    #[must_use]
    pub fn new(layout: &ParamLayout, theta_k: Vec<f32>, end: Vec<f32>, fresh: Vec<f32>, random_seed: u64) -> Self {
        Self { theta_k, fresh, mask: dense(layout), last: end, random_seed }
    }

    /// Round `round`'s ticket, re-initialization and random-mask models.
    pub fn next_round(&mut self, layout: &ParamLayout, pruning: Pruning, round: u32) -> [Start; 3] {
        self.mask = prune(layout, &self.last, &self.mask, pruning, round);
        let random = random_like(layout, &self.mask, self.random_seed);
        [
            (rewind(&self.theta_k, &self.mask), self.mask.clone()),
            (reinit(&self.fresh, &self.mask), self.mask.clone()),
            (rewind(&self.theta_k, &random), random),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Activation, Init, MlpSpec, Parameterization};

    fn layout() -> (ParamLayout, Vec<f32>) {
        let spec = MlpSpec {
            input_dim: 2,
            hidden: vec![37, 23],
            output_dim: 1,
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        };
        (spec.layout(), spec.init_params(5))
    }

    #[test]
    fn after_r_rounds_each_layer_keeps_its_share_to_within_one_weight() {
        let (l, theta) = layout();
        for (rate, scope) in [(0.2, Scope::Layer), (0.5, Scope::Layer), (0.3, Scope::Global)] {
            let pruning = Pruning { rate, scope, prune_output: false };
            let mut mask = dense(&l);
            // The weights move between rounds: prune by a perturbed copy.
            for round in 1..=6u32 {
                let params: Vec<f32> =
                    theta.iter().enumerate().map(|(i, t)| t * (1.0 + 0.3 * (i as f32 * 0.7 + round as f32).sin())).collect();
                let next = prune(&l, &params, &mask, pruning, round);
                assert!(next.iter().zip(&mask).all(|(n, m)| *n <= *m), "pruned weights stay pruned");
                mask = next;
                let want = (1.0 - rate).powi(round as i32);
                let k = kept(&l, &mask);
                match scope {
                    Scope::Layer => {
                        for (i, s) in l.layers[..2].iter().enumerate() {
                            let n = (s.fan_in * s.fan_out) as f64;
                            assert!((k[i] - want).abs() * n <= 0.5 + 1e-9, "{rate} round {round} layer {i}: {} vs {want}", k[i]);
                        }
                    }
                    Scope::Global => {
                        let n = (l.layers[0].fan_in * l.layers[0].fan_out + l.layers[1].fan_in * l.layers[1].fan_out) as f64;
                        assert!((kept_overall(&l, &mask, pruning) - want).abs() * n <= 1.0 + 1e-9);
                    }
                }
                assert_eq!(k[2], 1.0, "the output layer is kept");
                for s in &l.layers {
                    assert!(mask[s.b_offset..s.b_offset + s.fan_out].iter().all(|&m| m == 1.0), "biases are kept");
                }
            }
        }
    }

    #[test]
    fn magnitude_pruning_keeps_the_largest_survivors() {
        let (l, theta) = layout();
        let pruning = Pruning { rate: 0.5, scope: Scope::Layer, prune_output: true };
        let mask = prune(&l, &theta, &dense(&l), pruning, 1);
        for layer in 0..3 {
            let w = weights(&l, layer);
            let smallest_kept = w.clone().filter(|&i| mask[i] == 1.0).map(|i| theta[i].abs()).min_by(f32::total_cmp).unwrap();
            let largest_cut = w.filter(|&i| mask[i] == 0.0).map(|i| theta[i].abs()).max_by(f32::total_cmp).unwrap();
            assert!(largest_cut <= smallest_kept, "layer {layer}: cut {largest_cut} > kept {smallest_kept}");
        }
    }

    #[test]
    fn rewinding_restores_the_survivors_bit_for_bit_and_controls_match_the_counts() {
        let (l, theta) = layout();
        let pruning = Pruning { rate: 0.8, scope: Scope::Layer, prune_output: false };
        let trained: Vec<f32> = theta.iter().map(|t| t * 1.7 - 0.01).collect();
        let mask = prune(&l, &trained, &dense(&l), pruning, 1);
        let start = rewind(&theta, &mask);
        for i in 0..theta.len() {
            if mask[i] == 1.0 {
                assert_eq!(start[i].to_bits(), theta[i].to_bits());
            } else {
                assert_eq!(start[i], 0.0);
            }
        }
        let random = random_like(&l, &mask, 9);
        assert_eq!(kept(&l, &random), kept(&l, &mask));
        assert_ne!(random, mask, "a different mask");
        assert_eq!(random_like(&l, &mask, 9), random, "seeded");
    }

    /// The lottery-ticket effect where it shows on a small MLP: moons,
    /// 2→128→128→1 ReLU, Adam (3e-3), batches of 32, T = 2000, half the
    /// weights of each hidden layer pruned a round, five rounds (3.1 %
    /// left), late rewinding to step 100 (Frankle et al. 2020). Measured on
    /// three seeds (test accuracy, dense / ticket / re-init / random
    /// mask): seed 1 0.951 / 0.957 / 0.905 / 0.957, seed 2 0.921 / 0.917
    /// / 0.897 / 0.920, seed 3 0.947 / 0.951 / 0.886 / 0.921. Rewinding to
    /// θ₀ instead, the ticket matched re-initialization to 3 % (0.957 /
    /// 0.923 / 0.946 against 0.907 / 0.922 / 0.949) and only parted from
    /// it at 1.6 % and below; on the spiral (harder for this net) neither
    /// rewinding gave tickets an edge over re-initialization.
    #[test]
    fn late_rewound_tickets_match_dense_where_reinitialization_falls_behind() {
        fn clock() -> f64 {
            static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
            START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1000.0
        }
        let imp = Imp { pruning: Pruning { rate: 0.5, scope: Scope::Layer, prune_output: false }, rounds: 5, steps: 2000, rewind: 100 };
        // The seeds in parallel (the test's run time is theirs), each an
        // ImpRun of one seed on the CPU, the controls in the last round.
        // Test accuracy after training: the fraction kept, dense, ticket, re-init, random mask.
        #[derive(Debug)]
        struct Round {
            kept: f64,
            ticket: f64,
            reinit: Option<f64>,
            random: Option<f64>,
        }
        let runs: Vec<(u64, f64, Round)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (1..=3u64)
                .map(|seed| {
                    scope.spawn(move || {
                        let config = moons(seed, 1000);
                        let cpu = std::rc::Rc::new(crate::engine::Backend::Cpu { reason: String::new() });
                        let mut run = ImpRun::new(&cpu, &config, 1, imp, 5, &[]).unwrap();
                        while !run.log.finished() {
                            run.tick(1000.0, clock);
                        }
                        let end = |round: usize, kind: Kind| {
                            run.log.phases[round].models.iter().find(|m| m.kind == kind).and_then(|m| m.end).map(|e| e.1)
                        };
                        let last = Round {
                            kept: run.log.phases[5].kept,
                            ticket: end(5, Kind::Ticket).unwrap(),
                            reinit: end(5, Kind::Reinit),
                            random: end(5, Kind::Random),
                        };
                        assert_eq!(end(4, Kind::Reinit), None, "controls only from round 5");
                        (seed, end(0, Kind::Dense).unwrap(), last)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut gaps = Vec::new();
        for (seed, dense, last) in runs {
            assert!((last.kept - 0.5f64.powi(5)).abs() < 1e-3, "{}", last.kept);
            let (reinit, random) = (last.reinit.unwrap(), last.random.unwrap());
            eprintln!("seed {seed}: dense {dense:.3}, ticket {:.3}, reinit {reinit:.3}, random {random:.3}", last.ticket);
            // The ticket at 3 % stays within a point of the dense net…
            assert!(last.ticket > dense - 0.01, "seed {seed}: ticket {} against dense {dense}", last.ticket);
            // …and beats re-initialization on every seed. (The random mask
            // is not asserted: at 3 % its accuracy swings with the mask's
            // seed, here from level with the ticket to 5 points below.)
            assert!(last.ticket > reinit, "seed {seed}: {last:?}");
            gaps.push(last.ticket - reinit);
        }
        // Re-initialization is clearly worse: by 3 points on average.
        let mean = gaps.iter().sum::<f64>() / 3.0;
        assert!(mean > 0.03, "re-initialization behind by {gaps:?}");
    }
}
