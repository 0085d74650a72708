//! Implicit bias of gradient descent: among the many zero-loss solutions
//! of an underdetermined problem, which one the optimizer finds. Three
//! worked examples, each beside its exact answer in f64:
//!
//! - [`lstsq`]: underdetermined least squares. Gradient descent (and heavy
//!   ball) from `x₀` converges to the solution nearest `x₀` (from zero, the
//!   minimum-norm solution `A⁺b`); Adam and sign descent do not.
//! - [`margin`]: logistic regression on separable data. The weights grow
//!   without bound, and their direction converges to the hard-margin SVM's
//!   (Soudry et al. 2018), slowly: the angle falls like `1/log t`.
//! - [`matrix`]: matrix completion by a factorized model `X = UUᵀ` or
//!   `W_L⋯W_1`. From a small initialization it learns the target's
//!   singular values one at a time and finds a low-rank completion close to
//!   the minimum nuclear norm one (Gunasekar et al. 2017; Arora et al.
//!   2019); from a large one it does not.
//!
//! The problems are tiny, so everything here runs in f64 on the CPU, a
//! bounded number of steps per call, for a caller that ticks each frame;
//! [`sweep`] also trains matrix completion's initialization sweep on the
//! GPU, in f32, as one batch.

pub mod lstsq;
pub mod margin;
pub mod matrix;
pub mod sweep;

/// Adam's constants, as the MLP trainers use them.
pub(crate) const BETA1: f64 = 0.9;
pub(crate) const BETA2: f64 = 0.999;
pub(crate) const EPS: f64 = 1e-8;

/// One Adam update of `x` by gradient `g` at step `t` (1-based), with
/// moments `m`, `v`.
pub(crate) fn adam(x: &mut [f64], g: &[f64], m: &mut [f64], v: &mut [f64], t: u64, lr: f64) {
    let t = t.min(i32::MAX as u64) as i32;
    let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
    for i in 0..x.len() {
        m[i] = BETA1 * m[i] + (1.0 - BETA1) * g[i];
        v[i] = BETA2 * v[i] + (1.0 - BETA2) * g[i] * g[i];
        x[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + EPS);
    }
}
