//! Inside the network: every hidden unit's activation at chosen inputs,
//! for the playground's pictures of its neurons and of the hidden
//! representation. The GPU copies them out of its own forward pass
//! ([`crate::gpu::GpuTrainer::read_hidden`]); [`Hidden::compute`] is the
//! CPU's answer and the reference the GPU is tested against.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::gpu::EvalSet;
use crate::pca::principal_axes;
use crate::spec::ParamLayout;
use crate::{cpu, Error, Part};

/// Most inputs one request may name (the drawing grid's 64²).
pub const MAX_ROWS: usize = 4096;
/// Most activations one request may bring back (16 MB of floats): the
/// 64² grid of a 1024-wide, 16-deep net would be 250 MB.
pub const MAX_VALUES: usize = 1 << 22;

/// Which inputs: rows of the training set, the test set or the run's grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rows {
    pub set: EvalSet,
    pub index: Vec<u32>,
}

impl Rows {
    /// Every row of `set` up to `n`.
    #[must_use]
    pub fn first(set: EvalSet, n: usize) -> Self {
        Self { set, index: (0..n.min(MAX_ROWS) as u32).collect() }
    }

    /// Refuses no rows, more than [`MAX_ROWS`], a row past the set's
    /// `n`, or more than [`MAX_VALUES`] activations of `units` hidden
    /// units each.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the row, or [`Error::TooLarge`].
    pub fn check(&self, n: usize, units: usize) -> Result<(), Error> {
        let rows = self.index.len();
        if !(1..=MAX_ROWS).contains(&rows) {
            return Err(Error::invalid(Part::Request, "rows", format!("{rows} rows; 1 to {MAX_ROWS}")));
        }
        if rows.saturating_mul(units) > MAX_VALUES {
            let got = rows.saturating_mul(units) as u64;
            return Err(Error::TooLarge {
                what: "hidden activations (rows × hidden units)",
                got,
                limit: MAX_VALUES as u64,
                unit: "values",
                within: "gradlab",
            });
        }
        match self.index.iter().find(|&&i| i as usize >= n) {
            Some(i) => Err(Error::invalid(Part::Request, "row", format!("{i} is past a set of {n} rows"))),
            None => Ok(()),
        }
    }

    /// The inputs these rows name in `x` (`n × d` row-major; checked).
    #[must_use]
    pub fn gather(&self, x: &[f32], d: usize) -> Vec<f32> {
        self.index.iter().flat_map(|&i| &x[i as usize * d..(i as usize + 1) * d]).copied().collect()
    }
}

/// The activations `h_l = φ(z_l)` of every hidden layer (all but the
/// output) at some inputs: layer after layer, each `rows × width`
/// row-major (a row per input).
#[derive(Clone, Debug, PartialEq)]
pub struct Hidden {
    pub rows: usize,
    pub widths: Vec<usize>,
    values: Vec<f32>,
}

impl Hidden {
    /// The hidden layers' widths of `layout`.
    #[must_use]
    pub fn widths(layout: &ParamLayout) -> Vec<usize> {
        let n = layout.layers.len();
        layout.layers[..n - 1].iter().map(|l| l.fan_out).collect()
    }

    /// Activations laid out as the type says, from `values`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `values` is not `rows × Σ widths` floats.
    pub fn new(rows: usize, widths: Vec<usize>, values: Vec<f32>) -> Result<Self, Error> {
        let want = rows * widths.iter().sum::<usize>();
        if values.len() != want {
            return Err(Error::invalid(Part::Request, "hidden", format!("{} values for {want}", values.len())));
        }
        Ok(Self { rows, widths, values })
    }

    /// The CPU forward pass of `params` on `x` (`rows × input_dim`).
    #[must_use]
    pub fn compute(layout: &ParamLayout, params: &[f32], x: &[f32]) -> Self {
        let f = cpu::forward(layout, params, &cpu::columns::<f32>(x, layout.input_dim()));
        let widths = Self::widths(layout);
        // `h[l]` is `width × rows` column-major: its slice is row-major `rows × width`.
        let values = f.h[..widths.len()].iter().flat_map(|h| h.as_slice().iter().copied()).collect();
        Self { rows: x.len() / layout.input_dim(), widths, values }
    }

    /// Layer `l`'s activations, `rows × widths[l]` row-major.
    #[must_use]
    pub fn layer(&self, l: usize) -> &[f32] {
        let start: usize = self.widths[..l].iter().sum::<usize>() * self.rows;
        &self.values[start..start + self.rows * self.widths[l]]
    }

    /// Every layer's activations, layer after layer.
    #[must_use]
    pub fn layers(&self) -> &[f32] {
        &self.values
    }

    /// Unit `j` of layer `l` at every input.
    pub fn unit(&self, l: usize, j: usize) -> impl Iterator<Item = f32> + '_ {
        crate::data::column(self.layer(l), self.widths[l], j)
    }

    /// Layer `l`'s representation of the inputs on its top two principal
    /// axes (each input's coordinates, centred on their mean). Each axis's
    /// sign follows `previous`'s axes where given (the last picture's), so
    /// a live picture does not flip. `None` if the layer does not vary.
    #[must_use]
    pub fn projection(&self, l: usize, previous: Option<&Projection>) -> Option<Projection> {
        let (n, w) = (self.rows, self.widths[l]);
        let x = DMatrix::from_row_slice(n, w, self.layer(l)).map(f64::from);
        let mean = x.row_mean();
        let centred = DMatrix::from_fn(n, w, |i, j| x[(i, j)] - mean[j]);
        let (mut axes, total) = principal_axes(&centred, 2);
        if axes.is_empty() || !total.is_finite() {
            return None;
        }
        for (k, axis) in axes.iter_mut().enumerate() {
            if previous.and_then(|p| p.axes.get(k)).is_some_and(|old| old.len() == w && old.dot(&axis.direction) < 0.0) {
                axis.direction = -&axis.direction;
            }
        }
        let along = |k: usize| axes.get(k).map(|a| &centred * &a.direction);
        let (c1, c2) = (along(0)?, along(1));
        let points = (0..n).map(|i| [c1[i], c2.as_ref().map_or(0.0, |c| c[i])]).collect();
        let explained = [0, 1].map(|k| axes.get(k).map_or(0.0, |a| a.variance / total));
        Some(Projection { points, explained, axes: axes.into_iter().map(|a| a.direction).collect() })
    }

    /// The activation patterns of the inputs (which units are on, `h > 0`,
    /// in every hidden layer), each numbered in order of first appearance.
    /// For a ReLU net, inputs with one pattern share one linear piece of
    /// the network's function: the count of patterns over a fine grid is
    /// the count of linear regions the grid finds.
    #[must_use]
    pub fn regions(&self) -> Regions {
        let words = self.widths.iter().sum::<usize>().div_ceil(64);
        let mut seen: HashMap<Vec<u64>, u32> = HashMap::new();
        let ids = (0..self.rows)
            .map(|r| {
                let mut bits = vec![0u64; words];
                let mut at = 0;
                for (l, &w) in self.widths.iter().enumerate() {
                    for (j, &h) in self.layer(l)[r * w..(r + 1) * w].iter().enumerate() {
                        if h > 0.0 {
                            bits[(at + j) / 64] |= 1 << ((at + j) % 64);
                        }
                    }
                    at += w;
                }
                let next = seen.len() as u32;
                *seen.entry(bits).or_insert(next)
            })
            .collect();
        Regions { count: seen.len(), ids }
    }
}

/// What vanishes or explodes with depth: per hidden layer the standard
/// deviation of its activations (over the inputs and its units), and per
/// layer the norm of the loss gradient with respect to its weights
/// (`‖∂L/∂W_l‖`, biases left out).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerStats {
    pub activation_std: Vec<f64>,
    pub gradient_norm: Vec<f64>,
}

impl LayerStats {
    /// The statistics of `hidden` and of `gradient` (laid out like the
    /// parameters of `layout`).
    #[must_use]
    pub fn of(layout: &ParamLayout, hidden: &Hidden, gradient: &[f32]) -> Self {
        let activation_std = (0..hidden.widths.len())
            .map(|l| {
                let v = hidden.layer(l);
                let n = v.len().max(1) as f64;
                let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
                (v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n).sqrt()
            })
            .collect();
        let gradient_norm = layout
            .layers
            .iter()
            .map(|s| gradient[s.w_offset..s.b_offset].iter().map(|&g| f64::from(g).powi(2)).sum::<f64>().sqrt())
            .collect();
        Self { activation_std, gradient_norm }
    }
}

/// A layer's representation on its top two principal axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Each input's coordinates on the axes (0 on a second axis the layer lacks).
    pub points: Vec<[f64; 2]>,
    /// The share of the layer's variance along each axis.
    pub explained: [f64; 2],
    pub axes: Vec<DVector<f64>>,
}

/// Distinct activation patterns among some inputs ([`Hidden::regions`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regions {
    pub count: usize,
    /// Each input's pattern, numbered in order of first appearance.
    pub ids: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Init, MlpSpec, Parameterization};

    #[test]
    fn layers_and_units_are_the_forward_pass() {
        // 1 → 2 → 1, identity hidden layer: h = (2x + 1, −x).
        let spec = MlpSpec {
            input_dim: 1,
            hidden: vec![2],
            output_dim: 1,
            activation: Activation::Linear,
            parameterization: Parameterization::Standard,
            init: Init::default(),
        };
        let layout = spec.layout();
        let mut params = vec![0.0; layout.num_params];
        let l0 = &layout.layers[0];
        params[l0.w_offset..l0.b_offset].copy_from_slice(&[2.0, -1.0]);
        params[l0.b_offset..l0.end()].copy_from_slice(&[1.0, 0.0]);
        let h = Hidden::compute(&layout, &params, &[0.0, 1.0, 3.0]);
        assert_eq!(h.widths, [2]);
        assert_eq!(h.layer(0), [1.0, 0.0, 3.0, -1.0, 7.0, -3.0]);
        assert_eq!(h.unit(0, 1).collect::<Vec<_>>(), [0.0, -1.0, -3.0]);
    }

    /// Hand-checked: a ReLU layer whose units are `x₁` and `x₂` cuts the
    /// plane into its four quadrants. A second layer with the one unit
    /// `relu(h₁ − h₂)` is on in the whole quadrant (+, −), off in (−, +)
    /// and (−, −), and splits (+, +) along `x₁ = x₂`: five patterns.
    #[test]
    fn regions_are_the_hand_counted_pieces() {
        let spec = |hidden: Vec<usize>| MlpSpec {
            input_dim: 2,
            hidden,
            output_dim: 1,
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::default(),
        };
        // A 9 × 9 grid over [−1, 1]², off the lines.
        let grid: Vec<f32> =
            (0..9).flat_map(|i| (0..9).flat_map(move |j| [-0.95 + 0.2375 * j as f32, -0.95 + 0.2375 * i as f32])).collect();
        let one = spec(vec![2]).layout();
        let mut p = vec![0.0; one.num_params];
        p[one.layers[0].w_offset..one.layers[0].b_offset].copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
        let regions = Hidden::compute(&one, &p, &grid).regions();
        assert_eq!(regions.count, 4);
        assert_eq!(regions.ids[0], 0, "numbered as they appear");
        let two = spec(vec![2, 1]).layout();
        let mut p = vec![0.0; two.num_params];
        p[two.layers[0].w_offset..two.layers[0].b_offset].copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
        p[two.layers[1].w_offset..two.layers[1].b_offset].copy_from_slice(&[1.0, -1.0]);
        assert_eq!(Hidden::compute(&two, &p, &grid).regions().count, 5);
    }

    /// Points spread 3 along one direction of a 3-unit layer and 1 along
    /// another: 90 % and 10 % of the variance, and signs that follow the
    /// previous picture's.
    #[test]
    fn projection_finds_the_spread_directions() {
        let coeffs = [(1.0f32, 1.0f32), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)];
        let values: Vec<f32> = coeffs.iter().flat_map(|&(a, b)| [1.8 * a + 5.0, 2.4 * a - 1.0, b]).collect();
        let h = Hidden::new(4, vec![3], values).unwrap();
        let p = h.projection(0, None).unwrap();
        // The activations are f32: 1.8 and 2.4 are not exact.
        assert!((p.explained[0] - 0.9).abs() < 1e-6 && (p.explained[1] - 0.1).abs() < 1e-6, "{:?}", p.explained);
        for (pt, &(a, b)) in p.points.iter().zip(&coeffs) {
            assert!((pt[0].abs() - 3.0 * f64::from(a).abs()).abs() < 1e-6 && (pt[1].abs() - f64::from(b).abs()).abs() < 1e-6);
        }
        let flipped = Projection { axes: p.axes.iter().map(|a| -a).collect(), ..p.clone() };
        let q = h.projection(0, Some(&flipped)).unwrap();
        assert!(q.points.iter().zip(&p.points).all(|(q, p)| (q[0] + p[0]).abs() < 1e-9 && (q[1] + p[1]).abs() < 1e-9));
        assert!(Hidden::new(2, vec![1], vec![3.0, 3.0]).unwrap().projection(0, None).is_none(), "no spread, no picture");
    }

    #[test]
    fn layer_stats_are_by_hand() {
        let spec = MlpSpec {
            input_dim: 1,
            hidden: vec![2],
            output_dim: 1,
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::default(),
        };
        let layout = spec.layout();
        // Layer 0 has entries 1, 3, 1, 3 (mean 2, std 1).
        let h = Hidden::new(2, vec![2], vec![1.0, 3.0, 1.0, 3.0]).unwrap();
        let mut g = vec![0.0; layout.num_params];
        g[layout.layers[0].w_offset..layout.layers[0].b_offset].copy_from_slice(&[3.0, 4.0]);
        g[layout.layers[0].b_offset] = 100.0; // biases do not count
        g[layout.layers[1].w_offset] = -2.0;
        let s = LayerStats::of(&layout, &h, &g);
        assert_eq!(s.activation_std, [1.0]);
        assert_eq!(s.gradient_norm, [5.0, 2.0]);
    }

    #[test]
    fn rows_are_checked_and_gathered() {
        let rows = Rows { set: EvalSet::Train, index: vec![2, 0] };
        assert_eq!(rows.gather(&[0.0, 1.0, 10.0, 11.0, 20.0, 21.0], 2), [20.0, 21.0, 0.0, 1.0]);
        assert!(rows.check(3, 8).is_ok());
        assert!(rows.check(2, 8).unwrap_err().to_string().contains("row 2 is past a set of 2 rows"));
        assert!(Rows::first(EvalSet::Grid, 10_000).check(10_000, 8).is_ok());
        assert!(Rows { set: EvalSet::Grid, index: vec![0; MAX_ROWS + 1] }.check(1, 8).is_err());
        assert!(Rows { set: EvalSet::Grid, index: vec![] }.check(1, 8).is_err());
        let wide = Rows::first(EvalSet::Grid, MAX_ROWS).check(MAX_ROWS, 15 * 1024).unwrap_err();
        assert!(matches!(wide, Error::TooLarge { got, .. } if got == (MAX_ROWS * 15 * 1024) as u64), "{wide}");
    }
}
