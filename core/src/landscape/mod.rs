//! Loss landscapes: low-dimensional slices through parameter space and the
//! loss on them.
//!
//! - [`Plane`]: `θ(α, β) = center + α·d₁ + β·d₂`; a line is a plane with
//!   `d₂ = 0` (1D slices, mode connectivity).
//! - Directions: Li et al.'s filter-normalized random directions
//!   ([`filter_normalized`]) and the top two principal components of a
//!   training trajectory ([`pca_plane`]).
//! - [`plane_losses`]: the loss at points of a plane, on the CPU (the
//!   oracle and the browser fallback); `gpu::LossProbe` does the same as
//!   one batched dispatch sequence.
//! - [`barrier`]: the loss barrier on the straight line between two
//!   solutions (linear mode connectivity).
//! - [`hessian`]: Hessian-vector products and the top eigenvalue
//!   (sharpness), for the edge of stability.

pub mod hessian;

use nalgebra::DMatrix;

use crate::config::{Problem, Subset};
use crate::cpu;
use crate::pca::principal_axes;
use crate::rng::{Rng, Stream};
use crate::spec::ParamLayout;

/// A 2D affine slice of parameter space: `θ(α, β) = center + α·d₁ + β·d₂`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plane {
    #[serde(with = "crate::wire::vec_f32")]
    pub center: Vec<f32>,
    #[serde(with = "crate::wire::vec_f32")]
    pub d1: Vec<f32>,
    #[serde(with = "crate::wire::vec_f32")]
    pub d2: Vec<f32>,
}

impl Plane {
    /// The straight line `from + t·(to − from)`: `t = 0` is `from`, `t = 1`
    /// is `to` (β is unused).
    #[must_use]
    pub fn line(from: &[f32], to: &[f32]) -> Self {
        Self { center: from.to_vec(), d1: to.iter().zip(from).map(|(b, a)| b - a).collect(), d2: vec![0.0; from.len()] }
    }

    /// The parameters at `(α, β)`.
    #[must_use]
    pub fn at(&self, alpha: f32, beta: f32) -> Vec<f32> {
        self.center.iter().zip(&self.d1).zip(&self.d2).map(|((c, a), b)| c + alpha * a + beta * b).collect()
    }

    /// The coordinates of `θ`'s orthogonal projection onto the plane (least
    /// squares; exact when `θ` lies in it).
    #[must_use]
    pub fn coordinates(&self, theta: &[f32]) -> [f32; 2] {
        let (mut g11, mut g12, mut g22, mut r1, mut r2) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
        for (((&t, &c), &a), &b) in theta.iter().zip(&self.center).zip(&self.d1).zip(&self.d2) {
            let (a, b) = (f64::from(a), f64::from(b));
            let r = f64::from(t) - f64::from(c);
            g11 += a * a;
            g12 += a * b;
            g22 += b * b;
            r1 += a * r;
            r2 += b * r;
        }
        let det = g11 * g22 - g12 * g12;
        if det > 1e-12 * g11 * g22 {
            [((g22 * r1 - g12 * r2) / det) as f32, ((g11 * r2 - g12 * r1) / det) as f32]
        } else if g11 > 0.0 {
            [(r1 / g11) as f32, 0.0]
        } else {
            [0.0, 0.0]
        }
    }
}

/// A random direction with Li et al.'s filter normalization (2018, §4):
/// a Gaussian draw, then each output neuron's row of incoming weights
/// rescaled to the norm of the same row of `theta`; bias entries zero.
/// Slices along such directions are comparable across networks whose
/// weights differ in scale (the loss is scale-invariant under ReLU).
#[must_use]
pub fn filter_normalized(layout: &ParamLayout, theta: &[f32], rng: &mut Rng) -> Vec<f32> {
    let mut d = vec![0.0f32; layout.num_params];
    for layer in &layout.layers {
        for j in 0..layer.fan_out {
            let row = layer.w_offset + j * layer.fan_in..layer.w_offset + (j + 1) * layer.fan_in;
            let draw: Vec<f64> = row.clone().map(|_| rng.normal()).collect();
            let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
            let target = norm(&mut theta[row.clone()].iter().map(|&v| f64::from(v)));
            let have = norm(&mut draw.iter().copied());
            let scale = if have > 0.0 { target / have } else { 0.0 };
            for (out, x) in d[row].iter_mut().zip(draw) {
                *out = (x * scale) as f32;
            }
        }
    }
    d
}

/// Li et al.'s random plane through `center`: two filter-normalized
/// directions drawn from `seed` (the same seed gives the same Gaussian
/// draws; normalization follows `center`).
#[must_use]
pub fn random_plane(layout: &ParamLayout, center: &[f32], seed: u64) -> Plane {
    let mut rng = Rng::new(seed, Stream::Directions);
    let d1 = filter_normalized(layout, center, &mut rng);
    let d2 = filter_normalized(layout, center, &mut rng);
    Plane { center: center.to_vec(), d1, d2 }
}

/// The plane of a trajectory's two principal components.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaPlane {
    /// Centred on the final parameters, unit directions.
    pub plane: Plane,
    /// Fraction of the trajectory's variance along `d₁` and `d₂`.
    pub explained: [f64; 2],
}

/// PCA of a training trajectory, as Li et al. (2018, §7) plot it: the rows
/// `θ_t − θ_final` for every snapshot but the last, centred, and their top
/// two principal directions ([`principal_axes`]: from the `T × T` Gram
/// matrix, so the cost is `O(T²·P)`, not `O(P³)`). The plane is centred on `θ_final`, so the final
/// point projects to the origin. Signs are chosen so the first snapshot
/// has non-negative coordinates. `None` with fewer than three snapshots
/// or a trajectory that never moved.
#[must_use]
pub fn pca_plane(snapshots: &[Vec<f32>]) -> Option<PcaPlane> {
    let (last, rest) = snapshots.split_last()?;
    if rest.len() < 2 {
        return None;
    }
    let (t, p) = (rest.len(), last.len());
    let rows = DMatrix::from_fn(t, p, |i, j| f64::from(rest[i][j]) - f64::from(last[j]));
    let mean = rows.row_mean();
    let centred = DMatrix::from_fn(t, p, |i, j| rows[(i, j)] - mean[j]);
    let (axes, total) = principal_axes(&centred, 2);
    if total <= 0.0 {
        return None;
    }
    let first = rows.row(0).transpose();
    let mut explained = [0.0; 2];
    let dirs: Vec<_> = axes
        .into_iter()
        .enumerate()
        .map(|(k, axis)| {
            explained[k] = axis.variance / total;
            let d = axis.direction;
            if first.dot(&d) < 0.0 {
                -d
            } else {
                d
            }
        })
        .collect();
    let to_f32 = |d: &nalgebra::DVector<f64>| d.iter().map(|&v| v as f32).collect::<Vec<f32>>();
    let d1 = to_f32(dirs.first()?);
    // A straight-line trajectory has no second component: any unit
    // direction orthogonal to d₁ spans the plane (its variance is zero).
    let d2 = dirs.get(1).map_or_else(|| orthogonal_unit(&d1), to_f32);
    Some(PcaPlane { plane: Plane { center: last.clone(), d1, d2 }, explained })
}

/// A unit vector orthogonal to unit `d`, drawn from a fixed seed.
fn orthogonal_unit(d: &[f32]) -> Vec<f32> {
    let mut rng = Rng::new(0, Stream::Directions);
    let mut v: Vec<f64> = d.iter().map(|_| rng.normal()).collect();
    let dot: f64 = v.iter().zip(d).map(|(a, &b)| a * f64::from(b)).sum();
    v.iter_mut().zip(d).for_each(|(a, &b)| *a -= dot * f64::from(b));
    let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    v.iter().map(|a| (a / norm) as f32).collect()
}

/// A `size × size` grid of points on a plane: `α` along columns, `β`
/// along rows, row 0 at `β.0` (the bottom). Point `(row i, column j)` is
/// entry `i·size + j`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub size: usize,
    pub alpha: (f32, f32),
    pub beta: (f32, f32),
}

/// Grid sizes the landscape lab allows.
pub const GRID_SIZES: (usize, usize) = (16, 128);

impl Grid {
    /// The square `[−range, range]²`.
    #[must_use]
    pub fn square(size: usize, range: f32) -> Self {
        Self { size, alpha: (-range, range), beta: (-range, range) }
    }

    /// The `k`-th of `size` evenly spaced values in `(lo, hi)`, ends
    /// included.
    #[must_use]
    pub fn tick(&self, (lo, hi): (f32, f32), k: usize) -> f32 {
        lo + (hi - lo) * k as f32 / (self.size - 1).max(1) as f32
    }

    #[must_use]
    pub fn points(&self) -> Vec<[f32; 2]> {
        (0..self.size).flat_map(|i| (0..self.size).map(move |j| [self.tick(self.alpha, j), self.tick(self.beta, i)])).collect()
    }
}

/// Points `t = (i − 10)/40`, `i = 0..=60`, along a line: from −0.25 to
/// 1.25 in steps of 0.025, with 0 and 1 exactly on it.
#[must_use]
pub fn line_points() -> Vec<[f32; 2]> {
    (0..=60).map(|i| [(i as f32 - 10.0) / 40.0, 0.0]).collect()
}

/// The mean loss at each point of `plane`, on a subset of `problem`'s
/// data, on the CPU.
#[must_use]
pub fn plane_losses(problem: &Problem, subset: Subset, plane: &Plane, points: &[[f32; 2]]) -> Vec<f32> {
    let layout = problem.spec.layout();
    let (x, y) = problem.subset(subset);
    let x = cpu::columns::<f32>(x, layout.input_dim());
    let y = cpu::columns::<f32>(y, layout.output_dim());
    points
        .iter()
        .map(|&[a, b]| cpu::loss(problem.config.train.loss, cpu::forward(&layout, &plane.at(a, b), &x).output(), &y, None))
        .collect()
}

/// The loss barrier of a path sampled at `t` (which must contain 0 and 1):
/// the largest excess of the loss over the straight interpolation of its
/// end values, `max_{t∈[0,1]} L(t) − ((1−t)·L(0) + t·L(1))` (Frankle et
/// al. 2020). Zero or less: the two ends are linearly mode-connected.
/// `None` if 0 or 1 is missing or a loss is not finite.
#[must_use]
pub fn barrier(t: &[f32], loss: &[f32]) -> Option<f32> {
    let at = |v: f32| t.iter().position(|&s| s == v).map(|i| loss[i]);
    let (l0, l1) = (at(0.0)?, at(1.0)?);
    let mut worst = f32::NEG_INFINITY;
    for (&s, &l) in t.iter().zip(loss) {
        if (0.0..=1.0).contains(&s) {
            if !l.is_finite() {
                return None;
            }
            let excess = l - ((1.0 - s) * l0 + s * l1);
            if excess > worst {
                worst = excess;
            }
        }
    }
    Some(worst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataConfig, DatasetKind};
    use crate::{Activation, Loss, ModelConfig, Optimizer, RunConfig, TrainConfig};

    pub(crate) fn problem(hidden: Vec<usize>, loss: Loss) -> Problem {
        Problem::new(RunConfig {
            model: ModelConfig { hidden, activation: Activation::Tanh, ..ModelConfig::default() },
            data: DataConfig {
                kind: DatasetKind::Moons,
                n_train: 48,
                n_test: 24,
                noise: 0.1,
                label_noise: 0.0,
                dim: 20,
                ..DataConfig::default()
            },
            train: TrainConfig::full_batch(loss, Optimizer::Sgd, 0.1),
            seed: 3,
        })
        .unwrap()
    }

    #[test]
    fn filter_normalized_rows_match_theta_and_biases_are_zero() {
        let p = problem(vec![5, 3], Loss::Bce);
        let layout = p.spec.layout();
        let theta = p.init_params();
        let d = filter_normalized(&layout, &theta, &mut Rng::new(1, Stream::Directions));
        for l in &layout.layers {
            for j in 0..l.fan_out {
                let row = l.w_offset + j * l.fan_in..l.w_offset + (j + 1) * l.fan_in;
                let n = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
                assert!((n(&d[row.clone()]) - n(&theta[row.clone()])).abs() < 1e-5 * n(&theta[row]).max(1.0));
            }
            assert!(d[l.b_offset..l.end()].iter().all(|&b| b == 0.0));
        }
        // Not a copy of θ.
        assert!(d.iter().zip(&theta).any(|(a, b)| (a - b).abs() > 1e-3));
    }

    #[test]
    fn pca_explains_at_most_everything_and_puts_the_end_at_the_origin() {
        // A curved trajectory in 6D plus noise.
        let snaps: Vec<Vec<f32>> = (0..20)
            .map(|t| {
                let s = t as f32 / 19.0;
                vec![1.0 - s, (1.0 - s).powi(2), 0.3 * (3.0 * s).sin(), 0.01 * (t % 3) as f32, 2.0, -1.0]
            })
            .collect();
        let pca = pca_plane(&snaps).unwrap();
        let [e1, e2] = pca.explained;
        assert!(e1 >= e2 && e2 >= 0.0 && e1 + e2 <= 1.0 + 1e-12, "{:?}", pca.explained);
        assert!(e1 + e2 > 0.95, "a nearly planar path is nearly all explained: {:?}", pca.explained);
        assert_eq!(pca.plane.coordinates(snaps.last().unwrap()), [0.0, 0.0]);
        let [a, b] = pca.plane.coordinates(&snaps[0]);
        assert!(a >= 0.0 && b >= 0.0);
        let dot: f32 = pca.plane.d1.iter().zip(&pca.plane.d2).map(|(x, y)| x * y).sum();
        assert!(dot.abs() < 1e-5);
        // A straight path still yields a plane; one component explains it.
        let line: Vec<Vec<f32>> = (0..5).map(|t| vec![t as f32, 2.0 * t as f32, 0.0]).collect();
        let pca = pca_plane(&line).unwrap();
        assert!((pca.explained[0] - 1.0).abs() < 1e-9 && pca.explained[1].abs() < 1e-9);
        assert!(pca_plane(&line[..2]).is_none());
    }

    #[test]
    fn plane_coordinates_invert_at() {
        let plane = Plane { center: vec![1.0, 2.0, 3.0], d1: vec![1.0, 0.0, 1.0], d2: vec![0.0, 2.0, 1.0] };
        let [a, b] = plane.coordinates(&plane.at(0.5, -1.5));
        assert!((a - 0.5).abs() < 1e-6 && (b + 1.5).abs() < 1e-6);
    }

    #[test]
    fn grid_centre_is_the_training_loss() {
        let p = problem(vec![6], Loss::Bce);
        let theta = p.init_params();
        let plane = random_plane(&p.spec.layout(), &theta, 9);
        let grid = Grid::square(5, 1.0);
        let losses = plane_losses(&p, Subset::Train, &plane, &grid.points());
        let direct = plane_losses(&p, Subset::Train, &Plane::line(&theta, &theta), &[[0.0, 0.0]])[0];
        assert_eq!(losses[2 * 5 + 2], direct);
        assert!(losses.iter().all(|l| l.is_finite()));
        assert!(losses.iter().any(|&l| l != direct));
    }

    #[test]
    fn barrier_by_hand() {
        let t = [-0.5, 0.0, 0.5, 1.0, 1.5];
        assert_eq!(barrier(&t, &[9.0, 1.0, 4.0, 3.0, 9.0]), Some(2.0));
        assert_eq!(barrier(&t, &[9.0, 1.0, 1.0, 3.0, 9.0]), Some(0.0));
        assert_eq!(barrier(&[0.5], &[1.0]), None);
        let line = line_points();
        assert!(line.iter().any(|p| p[0] == 0.0) && line.iter().any(|p| p[0] == 1.0));
    }

    /// Entezari et al. (2021): the loss barrier on the straight line
    /// between two nets trained from different seeds shrinks as the nets
    /// get wider (one ReLU layer, moons, full-batch GD; means over seeds:
    /// about 0.19 at width 16 and 0.07 at width 256).
    #[test]
    fn barriers_shrink_as_width_grows() {
        let mean_barrier = |width: usize| {
            let mut total = 0.0;
            for seed in 1..=3u64 {
                let p = Problem::new(RunConfig {
                    model: ModelConfig { hidden: vec![width], activation: Activation::Relu, ..ModelConfig::default() },
                    data: DataConfig {
                        kind: DatasetKind::Moons,
                        n_train: 128,
                        n_test: 128,
                        noise: 0.1,
                        label_noise: 0.0,
                        dim: 20,
                        ..DataConfig::default()
                    },
                    train: TrainConfig::full_batch(Loss::Bce, Optimizer::Sgd, 0.2),
                    seed,
                })
                .unwrap();
                let (x, y) = p.subset(Subset::Train);
                let mut a = p.cpu_trainer();
                let other = p.spec.init_params(seed + 100);
                let mut b = crate::CpuTrainer::new(p.spec.layout(), p.config.train.clone(), other, x.to_vec(), y.to_vec(), seed);
                for _ in 0..2000 {
                    a.step();
                    b.step();
                }
                let t: Vec<f32> = line_points().iter().map(|q| q[0]).collect();
                let losses = plane_losses(&p, Subset::Train, &Plane::line(a.params(), b.params()), &line_points());
                total += barrier(&t, &losses).unwrap();
            }
            total / 3.0
        };
        let (narrow, wide) = (mean_barrier(16), mean_barrier(256));
        assert!(wide > 0.0, "different seeds are not linearly connected at this width: {wide}");
        assert!(narrow > 1.5 * wide, "barrier at width 16 ({narrow}) should be well above width 256 ({wide})");
    }
}
