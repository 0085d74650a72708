//! The empirical neural tangent kernel of a scalar-output MLP,
//! `Θ(x, x') = ⟨∇θ f(x), ∇θ f(x')⟩`, without per-sample Jacobians.
//!
//! Layer `l` computes `z = w·W a + b·c` (`w`, `b` the parameterization's
//! multipliers, `a` its input, `c` its bias), so `∂f/∂W = w·δ aᵀ` and
//! `∂f/∂c = b·δ` with `δ = ∂f/∂z`. Summing the products over a layer's
//! parameters factors into two small Gram matrices:
//!
//! `Θ = Σ_l (B_l B_lᵀ) ⊙ (w_l² A_l A_lᵀ + b_l²)`
//!
//! with `A_l` the layer inputs and `B_l` the backward signals of every
//! sample (rows). That is one forward pass, one backward pass seeded with
//! `∂f/∂f = 1`, and per layer two GEMMs: `O(n²·Σ widths)` instead of the
//! `O(n²·P)` of `J Jᵀ`. The GPU computes the same (`ntk.wgsl`).
//!
//! Training under MSE `L = (1/n)Σ(f(xᵢ) − yᵢ)²` by gradient descent with
//! step η moves the training outputs, to first order, by `−(2η/n) Θ (f − y)`
//! per step: in the kernel's eigenbasis `Θ = Σ λᵢ vᵢvᵢᵀ` the residual's
//! component along `vᵢ` decays like `e^{−2ηλᵢt/n}` ([`Spectrum::decay`]),
//! large-eigenvalue directions first (spectral bias), and the linearized
//! network is kernel regression ([`Spectrum::linearized`]).

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use crate::cpu::{activate_grad, forward, weights, Real};
use crate::spec::ParamLayout;
use crate::{Error, Part};

/// Per layer, the inputs `A_l` (`fan_in × n`) and backward signals `B_l`
/// (`fan_out × n`) of `n` samples, one column per sample.
#[derive(Clone, Debug)]
pub struct Factors<T: Real> {
    pub inputs: Vec<DMatrix<T>>,
    pub signals: Vec<DMatrix<T>>,
}

/// The factors of `x` (`input_dim × n`, one column per sample).
///
/// # Errors
/// [`Error::Invalid`] for a net with more than one output.
pub fn factors<T: Real>(layout: &ParamLayout, params: &[T], x: &DMatrix<T>) -> Result<Factors<T>, Error> {
    if layout.output_dim() != 1 {
        return Err(Error::invalid(Part::Model, "output_dim", format!("{}: the NTK here is for one output", layout.output_dim())));
    }
    let fwd = forward(layout, params, x);
    let last = layout.layers.len() - 1;
    let mut signals = vec![DMatrix::zeros(0, 0); layout.layers.len()];
    let mut delta = DMatrix::from_element(1, x.ncols(), T::one());
    for l in (0..=last).rev() {
        if l > 0 {
            let wm = T::of(layout.w_mult(&layout.layers[l]));
            let mut below = weights(layout, l, params) * &delta * wm;
            let act = layout.activation_of(l - 1);
            below.zip_apply(&fwd.z[l - 1], |d, z| *d *= activate_grad(act, z));
            signals[l] = std::mem::replace(&mut delta, below);
        } else {
            signals[0] = delta.clone();
        }
    }
    let mut inputs = Vec::with_capacity(layout.layers.len());
    inputs.push(x.clone());
    inputs.extend(fwd.h.into_iter().take(last));
    Ok(Factors { inputs, signals })
}

/// `Θ(X₁, X₂)` (`n₁ × n₂`) from two sets' factors.
#[must_use]
pub fn cross_gram<T: Real>(layout: &ParamLayout, one: &Factors<T>, two: &Factors<T>) -> DMatrix<T> {
    let mut theta = DMatrix::zeros(one.signals[0].ncols(), two.signals[0].ncols());
    for (l, s) in layout.layers.iter().enumerate() {
        let (wm, bm) = (T::of(layout.w_mult(s)), T::of(layout.b_mult(s)));
        let signal = one.signals[l].tr_mul(&two.signals[l]);
        let input = (one.inputs[l].tr_mul(&two.inputs[l]) * (wm * wm)).add_scalar(bm * bm);
        theta += signal.component_mul(&input);
    }
    theta
}

/// `Θ(X, X)` for `x` (`input_dim × n`).
///
/// # Errors
/// As [`factors`].
pub fn gram<T: Real>(layout: &ParamLayout, params: &[T], x: &DMatrix<T>) -> Result<DMatrix<T>, Error> {
    let f = factors(layout, params, x)?;
    Ok(cross_gram(layout, &f, &f))
}

/// `‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F`.
#[must_use]
pub fn drift(theta0: &DMatrix<f64>, theta: &DMatrix<f64>) -> f64 {
    (theta - theta0).norm() / theta0.norm()
}

/// `‖θ_t − θ_0‖ / ‖θ_0‖`.
#[must_use]
pub fn movement(params0: &[f32], params: &[f32]) -> f64 {
    let moved: f64 = params0.iter().zip(params).map(|(a, b)| f64::from(b - a).powi(2)).sum();
    let start: f64 = params0.iter().map(|&a| f64::from(a).powi(2)).sum();
    (moved / start).sqrt()
}

/// A kernel's eigendecomposition, eigenvalues descending.
#[derive(Clone, Debug)]
pub struct Spectrum {
    pub values: DVector<f64>,
    /// Column `i` is the unit eigenvector of `values[i]`.
    pub vectors: DMatrix<f64>,
}

impl Spectrum {
    #[must_use]
    pub fn of(theta: &DMatrix<f64>) -> Self {
        let eig = SymmetricEigen::new((theta + theta.transpose()) * 0.5);
        let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        Self {
            values: DVector::from_iterator(order.len(), order.iter().map(|&i| eig.eigenvalues[i])),
            vectors: DMatrix::from_columns(&order.iter().map(|&i| eig.eigenvectors.column(i)).collect::<Vec<_>>()),
        }
    }

    /// The components `vᵢᵀr` of a residual on the training points.
    #[must_use]
    pub fn project(&self, residual: &DVector<f64>) -> DVector<f64> {
        self.vectors.tr_mul(residual)
    }

    /// The linearized network's factor `e^{−2ηλᵢt/n}` by which gradient
    /// descent (MSE, step `lr`, `n` training points) shrinks the residual's
    /// component `i` after `t` steps (gradient flow: `t` steps of length η).
    #[must_use]
    pub fn decay(&self, i: usize, lr: f64, n: usize, t: f64) -> f64 {
        (-2.0 * lr * self.values[i].max(0.0) * t / n as f64).exp()
    }

    /// The linearized network's outputs after `t` steps of gradient flow
    /// (`t = ∞`: kernel regression, `f₀(x) + Θ(x, X) Θ⁻¹ (y − f₀(X))`) at
    /// points with initial outputs `f0` and kernel rows `cross` (`m × n`
    /// against the training points), from the training residual `y − f₀(X)`.
    /// Directions with `λ ≤ rcond·λ_max` are left out (a pseudo-inverse).
    #[must_use]
    pub fn linearized(&self, f0: &DVector<f64>, cross: &DMatrix<f64>, target_residual: &DVector<f64>, lr: f64, t: f64) -> DVector<f64> {
        const RCOND: f64 = 1e-10;
        let n = target_residual.len();
        let top = self.values.iter().copied().fold(0.0, |a, b| if b > a { b } else { a });
        let coeff = self.project(target_residual);
        let scaled = DVector::from_iterator(
            n,
            (0..n).map(|i| {
                let l = self.values[i];
                if l <= RCOND * top {
                    0.0
                } else {
                    coeff[i] * (1.0 - self.decay(i, lr, n, t)) / l
                }
            }),
        );
        f0 + cross * (&self.vectors * scaled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::columns;
    use crate::spec::{Activation, Init, MlpSpec, Parameterization};

    fn net(activation: Activation, parameterization: Parameterization, hidden: Vec<usize>) -> (ParamLayout, Vec<f64>) {
        let spec = MlpSpec { input_dim: 2, hidden, output_dim: 1, activation, parameterization, init: Init::He };
        let mut p: Vec<f64> = spec.init_params(3).iter().map(|&v| f64::from(v)).collect();
        // Non-zero biases, so their terms are tested too.
        for (i, v) in p.iter_mut().enumerate() {
            *v += 0.05 * ((i as f64) * 0.7).sin();
        }
        (spec.layout(), p)
    }

    fn inputs(n: usize) -> DMatrix<f64> {
        DMatrix::from_fn(2, n, |r, c| ((r * 7 + c * 3) as f64 * 0.37).sin() * 1.5)
    }

    /// `J Jᵀ` from central differences of the outputs.
    fn jacobian_gram(layout: &ParamLayout, params: &[f64], x: &DMatrix<f64>) -> DMatrix<f64> {
        let h = 1e-6;
        let out = |p: &[f64]| forward(layout, p, x).output().clone();
        let mut j = DMatrix::zeros(x.ncols(), params.len());
        for k in 0..params.len() {
            let (mut up, mut down) = (params.to_vec(), params.to_vec());
            up[k] += h;
            down[k] -= h;
            let d = (out(&up) - out(&down)) / (2.0 * h);
            j.set_column(k, &DVector::from_column_slice(d.as_slice()));
        }
        &j * j.transpose()
    }

    #[test]
    fn the_factored_gram_is_the_jacobian_gram() {
        for activation in [Activation::Relu, Activation::Tanh, Activation::Gelu] {
            for parameterization in [Parameterization::Standard, Parameterization::Ntk] {
                for hidden in [vec![5], vec![4, 3], vec![3, 6, 2]] {
                    let (layout, p) = net(activation, parameterization, hidden.clone());
                    let x = inputs(7);
                    let got = gram(&layout, &p, &x).unwrap();
                    let want = jacobian_gram(&layout, &p, &x);
                    let err = (&got - &want).amax() / want.amax();
                    assert!(err < 1e-6, "{activation:?} {parameterization:?} {hidden:?}: relative error {err}");
                }
            }
        }
    }

    #[test]
    fn the_gram_is_symmetric_positive_semidefinite() {
        let (layout, p) = net(Activation::Relu, Parameterization::Ntk, vec![64, 64]);
        let theta = gram(&layout, &p, &inputs(40)).unwrap();
        assert!((&theta - theta.transpose()).amax() <= 1e-12 * theta.amax());
        let s = Spectrum::of(&theta);
        assert!(s.values.iter().all(|&l| l >= -1e-9 * s.values[0]), "smallest {} of {}", s.values[s.values.len() - 1], s.values[0]);
        assert!(s.values.as_slice().windows(2).all(|w| w[0] >= w[1]), "descending");
    }

    #[test]
    fn the_linearized_prediction_meets_its_defining_equation() {
        let (layout, p) = net(Activation::Tanh, Parameterization::Ntk, vec![32]);
        let x = inputs(12);
        let f = factors(&layout, &p, &x).unwrap();
        let theta = cross_gram(&layout, &f, &f);
        let s = Spectrum::of(&theta);
        let f0 = DVector::from_column_slice(forward(&layout, &p, &x).output().as_slice());
        let y = DVector::from_fn(12, |i, _| (i as f64 * 0.9).cos());
        let r0 = &y - &f0;
        // t = ∞: kernel regression interpolates the training targets.
        let fit = s.linearized(&f0, &theta, &r0, 0.1, f64::INFINITY);
        assert!((&fit - &y).amax() < 1e-6, "interpolates: {}", (&fit - &y).amax());
        // Finite t: the residual is e^{−2ηtΘ/n} r₀, component by component.
        let (lr, t) = (0.1, 50.0);
        let at = s.linearized(&f0, &theta, &r0, lr, t);
        let residual = s.project(&(&y - &at));
        let start = s.project(&r0);
        for i in 0..12 {
            let want = start[i] * s.decay(i, lr, 12, t);
            assert!((residual[i] - want).abs() < 1e-6 * start.amax(), "component {i}: {} vs {want}", residual[i]);
        }
        // Gradient descent's first step moves the outputs by −(2η/n)Θ(f − y).
        let mut grad = vec![0.0; p.len()];
        let yt = DMatrix::from_row_slice(1, 12, y.as_slice());
        crate::cpu::loss_and_grad(&layout, &p, &x, &yt, crate::Loss::Mse, &mut grad);
        let eta = 1e-4;
        let stepped: Vec<f64> = p.iter().zip(&grad).map(|(a, g)| a - eta * g).collect();
        let moved = DVector::from_column_slice(forward(&layout, &stepped, &x).output().as_slice()) - &f0;
        let predicted = -&theta * (&f0 - &y) * (2.0 * eta / 12.0);
        assert!((&moved - &predicted).amax() < 1e-3 * predicted.amax(), "first-order step");
    }

    /// Lazy training: under the NTK parameterization the kernel moves less
    /// the wider the net (drift ~ 1/√width), averaged over seeds.
    #[test]
    fn kernel_drift_falls_with_width_under_ntk_parameterization() {
        use crate::data::{DataConfig, DatasetKind};
        use crate::{Init, Loss, ModelConfig, Optimizer, Problem, RunConfig, Subset, TrainConfig};
        let mean_drift = |width: usize| {
            let seeds = 3;
            let total: f64 = (0..seeds)
                .map(|seed| {
                    let problem = Problem::new(RunConfig {
                        model: ModelConfig {
                            hidden: vec![width, width],
                            activation: Activation::Tanh,
                            parameterization: Parameterization::Ntk,
                            init: Init::Normal { sigma: 1.0 },
                        },
                        data: DataConfig {
                            kind: DatasetKind::Sine,
                            n_train: 24,
                            n_test: 0,
                            noise: 0.05,
                            label_noise: 0.0,
                            dim: 1,
                            ..DataConfig::default()
                        },
                        train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, 0.1),
                        seed,
                    })
                    .unwrap();
                    let layout = problem.spec.layout();
                    let (x, _) = problem.subset(Subset::Train);
                    let x = columns::<f64>(x, 1);
                    let as64 = |p: &[f32]| p.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
                    let mut trainer = problem.cpu_trainer();
                    let theta0 = gram(&layout, &as64(trainer.params()), &x).unwrap();
                    for _ in 0..1000 {
                        trainer.step();
                    }
                    drift(&theta0, &gram(&layout, &as64(trainer.params()), &x).unwrap())
                })
                .sum();
            total / f64::from(seeds as u32)
        };
        let drifts: Vec<f64> = [16, 64, 256].iter().map(|&w| mean_drift(w)).collect();
        eprintln!("mean kernel drift at widths 16, 64, 256: {drifts:?}");
        assert!(drifts[0] > 1.5 * drifts[1] && drifts[1] > 1.5 * drifts[2], "drift falls with width: {drifts:?}");
    }
}
