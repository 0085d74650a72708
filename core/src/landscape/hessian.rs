//! Curvature: Hessian-vector products, the top Hessian eigenvalue
//! ("sharpness") by power iteration, and the quadratic model behind the
//! edge of stability.
//!
//! Gradient descent with step `η` on a quadratic with Hessian `H` is
//! stable exactly when `η < 2/λ_max(H)`. Cohen et al. (2021) found that
//! full-batch GD on neural nets drives `λ_max` of the loss Hessian up
//! (progressive sharpening) until it reaches `2/η`, then hovers there
//! while the loss keeps falling, non-monotonically (the edge of
//! stability). The landscape lab plots [`sharpness`] against `2/η`.
//!
//! The CPU computes Hessian-vector products exactly, with Pearlmutter's
//! R-operator ([`hvp`]); the GPU uses central differences of gradients and
//! is checked against it.

use nalgebra::{DMatrix, DVector};

use crate::config::{Problem, Subset};
use crate::cpu::{activate_grad, activate_grad2, columns, forward, loss, Real};
use crate::rng::{Rng, Stream};
use crate::spec::ParamLayout;
use crate::train::Loss;

fn weights_t<'a, T: Real>(layout: &ParamLayout, l: usize, p: &'a [T]) -> nalgebra::DMatrixView<'a, T> {
    let s = &layout.layers[l];
    // Row-major fan_out × fan_in == column-major fan_in × fan_out = Wᵀ.
    nalgebra::DMatrixView::from_slice(&p[s.w_offset..s.b_offset], s.fan_in, s.fan_out)
}

/// `H·v` for the mean loss on a batch (`x`: `input_dim × n`, `y`:
/// `output_dim × n`), exactly, by the R-operator (Pearlmutter 1994): one
/// forward pass of the directional derivatives `Ż, Ḣ` along `v`, then a
/// backward pass of `δ̇`. Written into `out`; returns the loss.
pub fn hvp<T: Real>(layout: &ParamLayout, params: &[T], x: &DMatrix<T>, y: &DMatrix<T>, kind: Loss, v: &[T], out: &mut [T]) -> T {
    let fwd = forward(layout, params, x);
    let n_layers = layout.layers.len();
    // R-forward: Ż_l = wm(V_l H_{l−1} + W_l Ḣ_{l−1}) + bm v_b; Ḣ_l = φ'(Z_l) ⊙ Ż_l.
    let mut zdot: Vec<DMatrix<T>> = Vec::with_capacity(n_layers);
    let mut hdot: Vec<DMatrix<T>> = Vec::with_capacity(n_layers);
    for (l, s) in layout.layers.iter().enumerate() {
        let (wm, bm) = (T::of(layout.w_mult(s)), T::of(layout.b_mult(s)));
        let input = if l == 0 { x } else { &fwd.h[l - 1] };
        let mut zd = weights_t(layout, l, v).tr_mul(input);
        if l > 0 {
            zd += weights_t(layout, l, params).tr_mul(&hdot[l - 1]);
        }
        zd *= wm;
        let vb = DVector::from_column_slice(&v[s.b_offset..s.end()]) * bm;
        for mut col in zd.column_iter_mut() {
            col += &vb;
        }
        let act = layout.activation_of(l);
        let mut hd = zd.clone();
        hd.zip_apply(&fwd.z[l], |d, z| *d *= activate_grad(act, z));
        zdot.push(zd);
        hdot.push(hd);
    }
    // Output: δ = ∂L/∂f and δ̇ = (∂²L/∂f²)·ḟ, per sample.
    let f = fwd.output();
    let fdot = &hdot[n_layers - 1];
    let mut delta = DMatrix::zeros(f.nrows(), f.ncols());
    let value = loss(kind, f, y, Some(&mut delta));
    let (k, n) = f.shape();
    let mut ddot = DMatrix::zeros(k, n);
    match kind {
        Loss::Mse => ddot = fdot * T::of(2.0 / (n * k) as f64),
        Loss::Bce => {
            for i in 0..n {
                let s = T::one() / (T::one() + (-f[(0, i)]).exp());
                ddot[(0, i)] = s * (T::one() - s) * fdot[(0, i)] / T::of(n as f64);
            }
        }
        Loss::Softmax => {
            for i in 0..n {
                let m = f.column(i).max();
                let e: Vec<T> = f.column(i).iter().map(|&v| (v - m).exp()).collect();
                let sum = e.iter().fold(T::zero(), |a, &b| a + b);
                let mean = (0..k).fold(T::zero(), |a, c| a + e[c] / sum * fdot[(c, i)]);
                for c in 0..k {
                    ddot[(c, i)] = e[c] / sum * (fdot[(c, i)] - mean) / T::of(n as f64);
                }
            }
        }
    }
    // R-backward through every layer.
    for l in (0..n_layers).rev() {
        let s = &layout.layers[l];
        let (wm, bm) = (T::of(layout.w_mult(s)), T::of(layout.b_mult(s)));
        let input = if l == 0 { x } else { &fwd.h[l - 1] };
        // R{∂W} = wm(δ̇ H_{l−1}ᵀ + δ Ḣ_{l−1}ᵀ), stored as Wᵀ (column-major).
        let mut dwt = input * ddot.transpose();
        if l > 0 {
            dwt += &hdot[l - 1] * delta.transpose();
        }
        dwt *= wm;
        out[s.w_offset..s.b_offset].copy_from_slice(dwt.as_slice());
        for (j, o) in out[s.b_offset..s.end()].iter_mut().enumerate() {
            *o = bm * ddot.row(j).sum();
        }
        if l > 0 {
            // δ_{l−1} = e ⊙ φ'(Z), e = wm·Wᵀδ;
            // δ̇_{l−1} = wm(Vᵀδ + Wᵀδ̇) ⊙ φ'(Z) + e ⊙ φ''(Z) ⊙ Ż.
            let act = layout.activation_of(l - 1);
            let (z, zd) = (&fwd.z[l - 1], &zdot[l - 1]);
            let e = weights_t(layout, l, params) * &delta * wm;
            let mut ed = (weights_t(layout, l, v) * &delta + weights_t(layout, l, params) * &ddot) * wm;
            for i in 0..ed.len() {
                ed[i] = ed[i] * activate_grad(act, z[i]) + e[i] * activate_grad2(act, z[i]) * zd[i];
            }
            delta = e.zip_map(z, |e, z| e * activate_grad(act, z));
            ddot = ed;
        }
    }
    value
}

/// The result of [`power_iteration`].
#[derive(Clone, Debug, PartialEq)]
pub struct TopEigen {
    /// Rayleigh quotient `vᵀHv` at the last iterate.
    pub value: f64,
    /// The last iterate, unit length; pass it back in to warm-start.
    pub vector: Vec<f64>,
}

/// The eigenvalue of largest magnitude of a symmetric operator given as
/// `apply(v, out)`, by power iteration from `start` (any non-zero vector).
/// At a minimum, and whenever the loss curves upward more than it curves
/// down, that is `λ_max`.
pub fn power_iteration(start: Vec<f64>, iterations: usize, mut apply: impl FnMut(&[f64], &mut [f64])) -> TopEigen {
    let mut v = DVector::from_vec(start);
    v /= v.norm();
    let mut hv = DVector::zeros(v.len());
    let mut value = 0.0;
    for _ in 0..iterations {
        apply(v.as_slice(), hv.as_mut_slice());
        value = v.dot(&hv);
        let norm = hv.norm();
        if norm == 0.0 || !norm.is_finite() {
            break;
        }
        v.copy_from(&(&hv / norm));
    }
    TopEigen { value, vector: v.as_slice().to_vec() }
}

/// A unit start vector for power iteration in `dim` dimensions, from a
/// seed (the GPU's start is the same vector).
#[must_use]
pub fn start_vector(dim: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed, Stream::Directions);
    let v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

/// Sharpness: the top eigenvalue of the Hessian of the training loss at
/// `params`, on the CPU in f64 (the oracle, and the browser fallback).
#[must_use]
pub fn sharpness(problem: &Problem, params: &[f32], start: Vec<f64>, iterations: usize) -> TopEigen {
    let layout = problem.spec.layout();
    let (x, y) = problem.subset(Subset::Train);
    let (x, y) = (columns::<f64>(x, layout.input_dim()), columns::<f64>(y, layout.output_dim()));
    let p: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
    power_iteration(start, iterations, |v, out| {
        hvp(&layout, &p, &x, &y, problem.config.train.loss, v, out);
    })
}

/// `L(θ) = ½ θᵀHθ`: the local model of every smooth loss near a minimum,
/// and the textbook case of the stability threshold `η < 2/λ_max`.
#[derive(Clone, Debug)]
pub struct Quadratic {
    pub h: DMatrix<f64>,
}

impl Quadratic {
    #[must_use]
    pub fn loss(&self, theta: &[f64]) -> f64 {
        let t = DVector::from_column_slice(theta);
        0.5 * t.dot(&(&self.h * &t))
    }

    /// The losses of `steps` steps of gradient descent `θ ← θ − η Hθ`
    /// from `theta`, the starting loss first.
    #[must_use]
    pub fn gradient_descent(&self, theta: &[f64], lr: f64, steps: usize) -> Vec<f64> {
        let mut t = DVector::from_column_slice(theta);
        let mut losses = vec![self.loss(t.as_slice())];
        for _ in 0..steps {
            t -= &self.h * &t * lr;
            losses.push(self.loss(t.as_slice()));
        }
        losses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::loss_and_grad;
    use crate::spec::{Activation, Init, MlpSpec, Parameterization};
    use crate::train::diverged;

    fn net(act: Activation, param: Parameterization, out: usize) -> (ParamLayout, Vec<f64>) {
        let spec = MlpSpec {
            input_dim: 2,
            hidden: vec![4, 3],
            output_dim: out,
            activation: act,
            parameterization: param,
            init: Init::Normal { sigma: 1.3 },
        };
        let mut p: Vec<f64> = spec.init_params(5).iter().map(|&v| f64::from(v)).collect();
        for (i, v) in p.iter_mut().enumerate() {
            *v += 0.07 * ((i as f64) * 1.3).cos();
        }
        (spec.layout(), p)
    }

    /// `H·v` against the Hessian built column by column from central
    /// differences of backprop gradients, in f64, for every activation,
    /// loss and parameterization.
    #[test]
    fn hvp_matches_finite_difference_hessian() {
        for act in Activation::ALL {
            for param in Parameterization::ALL {
                for (kind, out) in [(Loss::Mse, 2), (Loss::Bce, 1), (Loss::Softmax, 3)] {
                    let (layout, p) = net(act, param, out);
                    let n = 5;
                    let x = DMatrix::from_fn(2, n, |r, c| ((r * 5 + c * 2) as f64 * 0.41).sin());
                    let y = DMatrix::from_fn(out, n, |r, c| match kind {
                        Loss::Mse => ((r + 2 * c) as f64 * 0.3).cos(),
                        Loss::Bce => f64::from(u8::from(c % 2 == 0)),
                        Loss::Softmax => f64::from(u8::from(c % out == r)),
                    });
                    let dim = p.len();
                    let v: Vec<f64> = (0..dim).map(|i| ((i * 7 % 11) as f64 - 5.0) / 5.0).collect();
                    let mut exact = vec![0.0; dim];
                    hvp(&layout, &p, &x, &y, kind, &v, &mut exact);
                    let grad = |q: &[f64]| {
                        let mut g = vec![0.0; dim];
                        loss_and_grad(&layout, q, &x, &y, kind, &mut g);
                        g
                    };
                    let h = 1e-5;
                    let mut fd = vec![0.0; dim];
                    for i in 0..dim {
                        let (mut up, mut down) = (p.clone(), p.clone());
                        up[i] += h;
                        down[i] -= h;
                        let (gu, gd) = (grad(&up), grad(&down));
                        for j in 0..dim {
                            fd[j] += (gu[j] - gd[j]) / (2.0 * h) * v[i];
                        }
                    }
                    for j in 0..dim {
                        assert!(
                            (fd[j] - exact[j]).abs() <= 1e-6 + 1e-5 * fd[j].abs(),
                            "{act:?} {param:?} {kind:?} entry {j}: R-op {} vs fd {}",
                            exact[j],
                            fd[j]
                        );
                    }
                }
            }
        }
    }

    /// `Q·diag(eigenvalues)·Qᵀ` with a fixed rotation `Q` of the first
    /// three axes.
    fn known_quadratic(eigenvalues: [f64; 4]) -> Quadratic {
        let q = nalgebra::Rotation3::from_euler_angles(0.3, -0.7, 1.1);
        let mut rot = DMatrix::<f64>::identity(4, 4);
        rot.view_mut((0, 0), (3, 3)).copy_from(q.matrix());
        let d = DMatrix::from_diagonal(&DVector::from_vec(eigenvalues.to_vec()));
        Quadratic { h: &rot * d * rot.transpose() }
    }

    #[test]
    fn power_iteration_finds_the_top_eigenvalue_of_a_quadratic() {
        // A saddle: the negative eigenvalue is smaller in magnitude.
        let q = known_quadratic([5.0, 2.0, 0.5, -1.0]);
        let top = power_iteration(start_vector(4, 1), 200, |v, out| {
            let hv = &q.h * DVector::from_column_slice(v);
            out.copy_from_slice(hv.as_slice());
        });
        assert!((top.value - 5.0).abs() < 1e-9, "{}", top.value);
    }

    /// The stability threshold, and the lab's divergence rule reading it:
    /// GD on a quadratic converges for η < 2/λ_max and diverges above.
    #[test]
    fn gd_on_a_quadratic_diverges_exactly_past_two_over_lambda_max() {
        let q = known_quadratic([5.0, 2.0, 0.5, 0.1]);
        let theta = [1.0, -0.5, 0.25, 0.3];
        let lambda_max = 5.0;
        for (ratio, should_diverge) in [(0.5, false), (0.95, false), (1.05, true), (1.5, true)] {
            let losses = q.gradient_descent(&theta, ratio * 2.0 / lambda_max, 400);
            let blew_up = losses.iter().any(|&l| diverged(losses[0] as f32, l as f32));
            assert_eq!(blew_up, should_diverge, "η = {ratio}·2/λ: final loss {}", losses.last().unwrap());
            if !should_diverge {
                assert!(losses.last().unwrap().abs() < 1e-6 * losses[0], "converges: {}", losses.last().unwrap());
            }
        }
    }

    /// Cohen et al. (2021) on a small net: full-batch GD with MSE at
    /// η = 0.04 starts well below 2/η = 50, sharpens progressively, then
    /// hovers at 2/η while the loss keeps falling (not monotonically).
    #[test]
    fn gradient_descent_sharpens_to_the_edge_of_stability() {
        use crate::data::{DataConfig, DatasetKind};
        use crate::{ModelConfig, Optimizer, RunConfig, TrainConfig};
        let lr = 0.04f32;
        let p = Problem::new(RunConfig {
            model: ModelConfig { hidden: vec![32, 32], activation: Activation::Tanh, ..ModelConfig::default() },
            data: DataConfig {
                kind: DatasetKind::Sine,
                n_train: 128,
                n_test: 64,
                noise: 0.1,
                label_noise: 0.0,
                dim: 20,
                ..DataConfig::default()
            },
            train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, lr),
            seed: 1,
        })
        .unwrap();
        let edge = 2.0 / f64::from(lr);
        let mut trainer = p.cpu_trainer();
        let start = sharpness(&p, trainer.params(), start_vector(trainer.params().len(), 1), 100);
        assert!(start.value < 0.8 * edge, "starts below the edge: {}", start.value);
        let mut v = start.vector;
        let (mut early, mut late) = (0.0, Vec::new());
        for step in 1..=3000 {
            let loss = trainer.step();
            if step == 300 {
                early = loss;
            }
            if step >= 2000 && step % 100 == 0 {
                let top = sharpness(&p, trainer.params(), v, if late.is_empty() { 100 } else { 20 });
                v = top.vector;
                late.push((top.value, loss));
            }
        }
        for &(s, _) in &late {
            assert!((0.85 * edge..1.15 * edge).contains(&s), "sharpness {s} should hover at 2/η = {edge}: {late:?}");
        }
        let last = late.last().unwrap().1;
        assert!(last < 0.6 * early, "the loss still falls at the edge: {early} at step 300, {last} at 3000");
    }
}
