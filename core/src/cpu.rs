//! The CPU reference backend: the oracle for every GPU result, and the
//! browser's fallback when WebGPU is missing.
//!
//! The maths is generic over the float type: `f32` to mirror the GPU, `f64`
//! for finite-difference checks. Batches are nalgebra matrices with one
//! column per sample, which is the same memory as the row-major `n × d`
//! arrays used everywhere else, and the layout's row-major `W` (`fan_out ×
//! fan_in`) is a column-major `Wᵀ` view, so every product is one GEMM.

use nalgebra::{DMatrix, DMatrixView, DVector, RealField};

use crate::dropout::Dropout;
use crate::spec::{Activation, ParamLayout};
use crate::train::{BatchSampler, Loss, Optimizer, TrainConfig};

/// A float type the reference maths runs in (`f32` or `f64`).
pub trait Real: RealField + Copy {
    fn of(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    fn of(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)
const GELU_A: f64 = 0.044_715;

/// `φ(z)`; the GPU twin is `activate` in `common.wgsl`.
pub fn activate<T: Real>(act: Activation, z: T) -> T {
    match act {
        Activation::Relu => {
            if z > T::zero() {
                z
            } else {
                T::zero()
            }
        }
        Activation::Tanh => z.tanh(),
        Activation::Gelu => {
            let u = T::of(GELU_C) * (z + T::of(GELU_A) * z * z * z);
            T::of(0.5) * z * (T::one() + u.tanh())
        }
        Activation::Linear => z,
    }
}

/// `φ'(z)`; the GPU twin is `activate_grad` in `common.wgsl`.
pub fn activate_grad<T: Real>(act: Activation, z: T) -> T {
    match act {
        Activation::Relu => {
            if z > T::zero() {
                T::one()
            } else {
                T::zero()
            }
        }
        Activation::Tanh => {
            let t = z.tanh();
            T::one() - t * t
        }
        Activation::Gelu => {
            let u = T::of(GELU_C) * (z + T::of(GELU_A) * z * z * z);
            let t = u.tanh();
            let du = T::of(GELU_C) * (T::one() + T::of(3.0 * GELU_A) * z * z);
            T::of(0.5) * (T::one() + t) + T::of(0.5) * z * (T::one() - t * t) * du
        }
        Activation::Linear => T::one(),
    }
}

/// `φ''(z)`, for exact Hessian-vector products (CPU only).
pub fn activate_grad2<T: Real>(act: Activation, z: T) -> T {
    match act {
        Activation::Relu | Activation::Linear => T::zero(),
        Activation::Tanh => {
            let t = z.tanh();
            T::of(-2.0) * t * (T::one() - t * t)
        }
        Activation::Gelu => {
            // φ' = ½(1 + t) + ½z(1 − t²)u' with t = tanh u, u = c(z + az³).
            let u = T::of(GELU_C) * (z + T::of(GELU_A) * z * z * z);
            let t = u.tanh();
            let du = T::of(GELU_C) * (T::one() + T::of(3.0 * GELU_A) * z * z);
            let ddu = T::of(6.0 * GELU_A * GELU_C) * z;
            let sech2 = T::one() - t * t;
            sech2 * du + T::of(0.5) * z * sech2 * (ddu - T::of(2.0) * t * du * du)
        }
    }
}

/// Pre- and post-activations of every layer for one batch, kept for the
/// backward pass. `z[l]`, `h[l]` are `fan_out × n`.
#[derive(Clone, Debug)]
pub struct Forward<T: Real> {
    pub z: Vec<DMatrix<T>>,
    pub h: Vec<DMatrix<T>>,
}

impl<T: Real> Forward<T> {
    /// The network's outputs, `output_dim × n` (column `i` is sample `i`).
    #[must_use]
    pub fn output(&self) -> &DMatrix<T> {
        &self.h[self.h.len() - 1]
    }
}

pub(crate) fn weights<'a, T: Real>(layout: &ParamLayout, l: usize, params: &'a [T]) -> DMatrixView<'a, T> {
    let s = &layout.layers[l];
    // Row-major fan_out × fan_in == column-major fan_in × fan_out = Wᵀ.
    DMatrixView::from_slice(&params[s.w_offset..s.b_offset], s.fan_in, s.fan_out)
}

/// Forward pass on `x` (`input_dim × n`, one column per sample).
#[must_use]
pub fn forward<T: Real>(layout: &ParamLayout, params: &[T], x: &DMatrix<T>) -> Forward<T> {
    forward_dropped(layout, params, x, None)
}

/// [`forward`] of a training step with `dropout` on every hidden layer's
/// output (column `r` is the batch's row `r`).
#[must_use]
pub fn forward_dropped<T: Real>(layout: &ParamLayout, params: &[T], x: &DMatrix<T>, dropout: Option<&Dropout>) -> Forward<T> {
    let mut z = Vec::with_capacity(layout.layers.len());
    let mut h: Vec<DMatrix<T>> = Vec::with_capacity(layout.layers.len());
    for (l, s) in layout.layers.iter().enumerate() {
        let input = if l == 0 { x } else { &h[l - 1] };
        let wt = weights(layout, l, params);
        let (wm, bm) = (T::of(layout.w_mult(s)), T::of(layout.b_mult(s)));
        let b = DVector::from_column_slice(&params[s.b_offset..s.end()]) * bm;
        let mut zl = wt.tr_mul(input) * wm;
        for mut col in zl.column_iter_mut() {
            col += &b;
        }
        let act = layout.activation_of(l);
        let mut hl = zl.map(|v| activate(act, v));
        if let Some(d) = dropout.filter(|_| l + 1 < layout.layers.len()) {
            for ((c, r), v) in hl.iter_mut().enumerate().map(|(i, v)| ((i % s.fan_out, i / s.fan_out), v)) {
                *v *= T::of(f64::from(d.factor(l, r, c)));
            }
        }
        h.push(hl);
        z.push(zl);
    }
    Forward { z, h }
}

/// Mean loss of outputs `f` against targets `y` (both `output_dim × n`) and,
/// if asked, `∂L/∂f`. The GPU twin is `loss.wgsl`.
pub fn loss<T: Real>(kind: Loss, f: &DMatrix<T>, y: &DMatrix<T>, mut grad: Option<&mut DMatrix<T>>) -> T {
    let (k, n) = f.shape();
    let mut total = T::zero();
    match kind {
        Loss::Mse => {
            let scale = T::of(1.0 / (n * k) as f64);
            for (i, (fv, yv)) in f.iter().zip(y.iter()).enumerate() {
                let r = *fv - *yv;
                total += r * r;
                if let Some(g) = grad.as_deref_mut() {
                    g[i] = T::of(2.0) * r * scale;
                }
            }
            total * scale
        }
        Loss::Bce => {
            let scale = T::of(1.0 / n as f64);
            for (i, (fv, yv)) in f.iter().zip(y.iter()).enumerate() {
                let (fv, yv) = (*fv, *yv);
                // max(f, 0) − f·y + ln(1 + e^−|f|), stable for any f.
                let relu = if fv > T::zero() { fv } else { T::zero() };
                total += relu - fv * yv + (T::one() + (-fv.abs()).exp()).ln();
                if let Some(g) = grad.as_deref_mut() {
                    g[i] = (T::one() / (T::one() + (-fv).exp()) - yv) * scale;
                }
            }
            total * scale
        }
        Loss::Softmax => {
            let scale = T::of(1.0 / n as f64);
            for j in 0..n {
                let col = f.column(j);
                let m = col.max();
                let sum: T = col.iter().map(|&v| (v - m).exp()).fold(T::zero(), |a, b| a + b);
                let lse = m + sum.ln();
                for c in 0..k {
                    total += y[(c, j)] * (lse - f[(c, j)]);
                    if let Some(g) = grad.as_deref_mut() {
                        g[(c, j)] = ((f[(c, j)] - lse).exp() - y[(c, j)]) * scale;
                    }
                }
            }
            total * scale
        }
    }
}

/// Mean loss on a batch and its gradient with respect to every parameter
/// (written into `grad`, laid out like `params`).
pub fn loss_and_grad<T: Real>(layout: &ParamLayout, params: &[T], x: &DMatrix<T>, y: &DMatrix<T>, kind: Loss, grad: &mut [T]) -> T {
    loss_and_grad_dropped(layout, params, x, y, kind, grad, None)
}

/// [`loss_and_grad`] of a training step with `dropout` ([`forward_dropped`]).
pub fn loss_and_grad_dropped<T: Real>(
    layout: &ParamLayout,
    params: &[T],
    x: &DMatrix<T>,
    y: &DMatrix<T>,
    kind: Loss,
    grad: &mut [T],
    dropout: Option<&Dropout>,
) -> T {
    let fwd = forward_dropped(layout, params, x, dropout);
    let mut delta = DMatrix::zeros(y.nrows(), y.ncols());
    let value = loss(kind, fwd.output(), y, Some(&mut delta));
    for l in (0..layout.layers.len()).rev() {
        let s = &layout.layers[l];
        let (wm, bm) = (T::of(layout.w_mult(s)), T::of(layout.b_mult(s)));
        let input = if l == 0 { x } else { &fwd.h[l - 1] };
        // ∂W (fan_out × fan_in, row-major) = column-major Wᵀ = wm · H · δᵀ.
        let dwt = input * delta.transpose() * wm;
        grad[s.w_offset..s.b_offset].copy_from_slice(dwt.as_slice());
        for (j, g) in grad[s.b_offset..s.end()].iter_mut().enumerate() {
            *g = bm * delta.row(j).sum();
        }
        if l > 0 {
            let mut dh = weights(layout, l, params) * &delta * wm;
            let act = layout.activation_of(l - 1);
            dh.zip_apply(&fwd.z[l - 1], |d, z| *d *= activate_grad(act, z));
            if let Some(d) = dropout {
                let width = s.fan_in;
                for ((c, r), v) in dh.iter_mut().enumerate().map(|(i, v)| ((i % width, i / width), v)) {
                    *v *= T::of(f64::from(d.factor(l - 1, r, c)));
                }
            }
            delta = dh;
        }
    }
    value
}

/// Column-per-sample matrix over row-major `n × d` data.
#[must_use]
pub fn columns<T: Real>(data: &[f32], d: usize) -> DMatrix<T> {
    DMatrix::from_iterator(d, data.len() / d, data.iter().map(|&v| T::of(f64::from(v))))
}

/// A training run on the CPU, in `f32`: the reference every GPU run is
/// checked against.
#[derive(Clone, Debug)]
pub struct CpuTrainer {
    layout: ParamLayout,
    /// The layers that train (all but the frozen ones) and where their
    /// parameters start in `params`.
    trained: ParamLayout,
    offset: usize,
    config: TrainConfig,
    params: Vec<f32>,
    /// Gradients and optimizer state of the trained layers.
    grads: Vec<f32>,
    state: Vec<f32>,
    /// The trained layers' inputs, `n × trained input_dim` row-major: the
    /// data, or with frozen layers their (unchanging) outputs, computed once.
    x: Vec<f32>,
    y: Vec<f32>,
    sampler: BatchSampler,
    step: u64,
    batch: Vec<u32>,
    /// The trained layers' mask (1 kept, 0 pruned), if pruned.
    mask: Option<Vec<f32>>,
    /// Seeds dropout's masks.
    seed: u64,
}

impl CpuTrainer {
    /// `x` is `n × input_dim` and `y` is `n × output_dim`, row-major.
    #[must_use]
    pub fn new(layout: ParamLayout, config: TrainConfig, params: Vec<f32>, x: Vec<f32>, y: Vec<f32>, seed: u64) -> Self {
        let n = y.len() / layout.output_dim();
        let frozen = config.frozen_layers.min(layout.layers.len() - 1);
        let (trained, offset) = layout.tail(frozen);
        let x = if frozen == 0 {
            x
        } else {
            // Column-major `width × n` is row-major `n × width`.
            forward(&layout, &params, &columns::<f32>(&x, layout.input_dim())).h.swap_remove(frozen - 1).as_slice().to_vec()
        };
        let state = vec![0.0; trained.num_params * config.optimizer.state_per_param()];
        let sampler = BatchSampler::new(n, config.batch(n), seed);
        let grads = vec![0.0; trained.num_params];
        Self { grads, layout, trained, offset, config, params, state, x, y, sampler, step: 0, batch: Vec::new(), mask: None, seed }
    }

    /// Prunes the net: `mask` (one entry per parameter, 1 kept, 0 pruned)
    /// zeroes the pruned parameters now and keeps them zero through every
    /// step ([`Optimizer::update`]).
    ///
    /// # Panics
    /// If `mask` is not one entry per parameter.
    #[must_use]
    pub fn with_mask(mut self, mask: &[f32]) -> Self {
        assert_eq!(mask.len(), self.params.len(), "one mask entry per parameter");
        for (p, m) in self.params.iter_mut().zip(mask) {
            *p *= m;
        }
        self.mask = Some(mask[self.offset..].to_vec());
        self
    }

    /// Trains on with `config` from the next step ([`TrainConfig::retuned`]).
    ///
    /// # Errors
    /// As [`TrainConfig::retuned`].
    pub fn retune(&mut self, config: &TrainConfig) -> Result<(), crate::Error> {
        let config = self.config.retuned(config)?;
        if config.batch_size != self.config.batch_size {
            self.sampler = self.sampler.rebatched(config.batch(self.y.len() / self.layout.output_dim()));
        }
        self.config = config;
        Ok(())
    }

    #[must_use]
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    #[must_use]
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    #[must_use]
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// One optimizer step; returns the loss of the batch it trained on
    /// (before the update).
    pub fn step(&mut self) -> f32 {
        self.batch.clear();
        self.sampler.next_into(&mut self.batch);
        let (din, dout) = (self.trained.input_dim(), self.trained.output_dim());
        let gather = |src: &[f32], d: usize| -> Vec<f32> {
            self.batch.iter().flat_map(|&i| &src[i as usize * d..(i as usize + 1) * d]).copied().collect()
        };
        let (bx, by) = if self.sampler.is_full_batch() {
            (columns(&self.x, din), columns(&self.y, dout))
        } else {
            (columns(&gather(&self.x, din), din), columns(&gather(&self.y, dout), dout))
        };
        // Frozen layers take no step (their weight decay is zero: validated).
        let params = &mut self.params[self.offset..];
        let dropout = Dropout::at(self.config.dropout, self.seed, self.step);
        let value = loss_and_grad_dropped(&self.trained, params, &bx, &by, self.config.loss, &mut self.grads, dropout.as_ref());
        let sp = self.config.step_params(self.step);
        let mask = self.mask.as_deref();
        let norm = match self.config.optimizer {
            Optimizer::NormalizedGd { .. } => {
                let keep = |i: usize| mask.map_or(1.0, |m| m[i]);
                let g = |(i, (g, p)): (usize, (&f32, &f32))| (keep(i) * (g + sp.weight_decay * p)).powi(2);
                self.grads.iter().zip(params.iter()).enumerate().map(g).sum::<f32>().sqrt()
            }
            _ => 0.0,
        };
        self.config.optimizer.update(params, &self.grads, &mut self.state, sp, norm, mask);
        self.step += 1;
        value
    }

    /// Outputs on `x` (`n × input_dim` row-major), as `n × output_dim`
    /// row-major.
    #[must_use]
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        predict(&self.layout, &self.params, x)
    }
}

/// Outputs of the network on `x` (`n × input_dim` row-major), as `n ×
/// output_dim` row-major.
#[must_use]
pub fn predict(layout: &ParamLayout, params: &[f32], x: &[f32]) -> Vec<f32> {
    forward(layout, params, &columns::<f32>(x, layout.input_dim())).output().as_slice().to_vec()
}

/// The fraction of rows classified right, from `n × out_dim` row-major
/// outputs and targets: for BCE the logit's sign against the 0/1 label,
/// for softmax the largest output against the one-hot label; `None` for
/// MSE (regression has no classes).
#[must_use]
pub fn accuracy(kind: Loss, outputs: &[f32], targets: &[f32], out_dim: usize) -> Option<f64> {
    let rows = outputs.len() / out_dim.max(1);
    let right = match kind {
        Loss::Mse => return None,
        Loss::Bce => outputs.iter().zip(targets).filter(|&(&f, &y)| (f > 0.0) == (y > 0.5)).count(),
        Loss::Softmax => {
            let argmax = |r: &[f32]| r.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
            outputs.chunks(out_dim).zip(targets.chunks(out_dim)).filter(|(f, y)| argmax(f) == argmax(y)).count()
        }
    };
    Some(right as f64 / rows.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Init, MlpSpec, Parameterization};

    fn layout(act: Activation, param: Parameterization, out: usize) -> (ParamLayout, Vec<f64>) {
        let spec = MlpSpec {
            input_dim: 3,
            hidden: vec![5, 4],
            output_dim: out,
            activation: act,
            parameterization: param,
            init: Init::Normal { sigma: 1.5 },
        };
        let mut p: Vec<f64> = spec.init_params(11).iter().map(|&v| f64::from(v)).collect();
        // Non-zero biases so their gradients are exercised too.
        for (i, v) in p.iter_mut().enumerate() {
            *v += 0.05 * ((i as f64) * 0.7).sin();
        }
        (spec.layout(), p)
    }

    fn batch(out: usize, kind: Loss) -> (DMatrix<f64>, DMatrix<f64>) {
        let n = 6;
        let x = DMatrix::from_fn(3, n, |r, c| ((r * 7 + c * 3) as f64 * 0.37).sin());
        let y = DMatrix::from_fn(out, n, |r, c| match kind {
            Loss::Mse => ((r + c) as f64 * 0.5).cos(),
            Loss::Bce => f64::from(u8::from((r + c) % 2 == 0)),
            Loss::Softmax => f64::from(u8::from(c % out == r)),
        });
        (x, y)
    }

    #[test]
    fn accuracy_counts_the_rows_classified_right() {
        assert_eq!(accuracy(Loss::Bce, &[2.0, -1.0, 0.5, -0.1], &[1.0, 0.0, 0.0, 1.0], 1), Some(0.5));
        assert_eq!(accuracy(Loss::Softmax, &[0.1, 0.7, 0.2, 3.0, 1.0, 0.0], &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 3), Some(0.5));
        assert_eq!(accuracy(Loss::Mse, &[1.0], &[1.0], 1), None);
    }

    /// Every activation × parameterization × loss: backprop against central
    /// finite differences in f64.
    #[test]
    fn gradients_match_finite_differences() {
        for act in Activation::ALL {
            for param in Parameterization::ALL {
                for (kind, out) in [(Loss::Mse, 2), (Loss::Bce, 1), (Loss::Softmax, 3)] {
                    let (layout, p) = layout(act, param, out);
                    let (x, y) = batch(out, kind);
                    let mut g = vec![0.0; p.len()];
                    loss_and_grad(&layout, &p, &x, &y, kind, &mut g);
                    let h = 1e-6;
                    for i in 0..p.len() {
                        let (mut up, mut down) = (p.clone(), p.clone());
                        up[i] += h;
                        down[i] -= h;
                        let fd = (loss(kind, forward(&layout, &up, &x).output(), &y, None)
                            - loss(kind, forward(&layout, &down, &x).output(), &y, None))
                            / (2.0 * h);
                        // ReLU's kink can sit within h of a pre-activation;
                        // at these inputs none does (checked by the bound).
                        assert!(
                            (fd - g[i]).abs() <= 1e-6 + 1e-5 * fd.abs(),
                            "{act:?} {param:?} {kind:?} param {i}: backprop {} vs fd {fd}",
                            g[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn losses_by_hand() {
        let f = DMatrix::from_row_slice(1, 2, &[0.0f64, 2.0]);
        let y = DMatrix::from_row_slice(1, 2, &[1.0f64, 0.0]);
        assert!((loss(Loss::Mse, &f, &y, None) - 2.5).abs() < 1e-12);
        let bce = 0.5 * (2f64.ln() + (1.0 + 2f64.exp()).ln());
        assert!((loss(Loss::Bce, &f, &y, None) - bce).abs() < 1e-12);
        let f = DMatrix::from_column_slice(2, 1, &[1.0f64, 3.0]);
        let y = DMatrix::from_column_slice(2, 1, &[0.0f64, 1.0]);
        let ce = (1f64.exp() + 3f64.exp()).ln() - 3.0;
        assert!((loss(Loss::Softmax, &f, &y, None) - ce).abs() < 1e-12);
    }

    #[test]
    fn bce_is_stable_for_huge_logits() {
        let f = DMatrix::from_row_slice(1, 2, &[1000.0f32, -1000.0]);
        let y = DMatrix::from_row_slice(1, 2, &[0.0f32, 1.0]);
        let v = loss(Loss::Bce, &f, &y, None);
        assert!((v - 1000.0).abs() < 1e-3, "{v}");
    }
}
