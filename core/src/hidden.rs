//! Inside the network: every hidden unit's activation at chosen inputs,
//! for the playground's pictures of its neurons and of the hidden
//! representation. The GPU copies them out of its own forward pass
//! ([`crate::gpu::GpuTrainer::read_hidden`]); [`Hidden::compute`] is the
//! CPU's answer and the reference the GPU is tested against.

use serde::{Deserialize, Serialize};

use crate::gpu::EvalSet;
use crate::spec::ParamLayout;
use crate::{cpu, Error, Part};

/// Most inputs one request may name (the drawing grid's 64²).
pub const MAX_ROWS: usize = 4096;

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

    /// Refuses no rows, more than [`MAX_ROWS`], or a row past the set's `n`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the row.
    pub fn check(&self, n: usize) -> Result<(), Error> {
        if !(1..=MAX_ROWS).contains(&self.index.len()) {
            return Err(Error::invalid(Part::Request, "rows", format!("{} rows; 1 to {MAX_ROWS}", self.index.len())));
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hidden {
    pub rows: usize,
    pub widths: Vec<usize>,
    #[serde(with = "crate::wire::vec_f32")]
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
        self.layer(l).iter().skip(j).step_by(self.widths[l]).copied()
    }
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

    #[test]
    fn rows_are_checked_and_gathered() {
        let rows = Rows { set: EvalSet::Train, index: vec![2, 0] };
        assert_eq!(rows.gather(&[0.0, 1.0, 10.0, 11.0, 20.0, 21.0], 2), [20.0, 21.0, 0.0, 1.0]);
        assert!(rows.check(3).is_ok());
        assert!(rows.check(2).unwrap_err().to_string().contains("row 2 is past a set of 2 rows"));
        assert!(Rows::first(EvalSet::Grid, 10_000).check(10_000).is_ok());
        assert!(Rows { set: EvalSet::Grid, index: vec![0; MAX_ROWS + 1] }.check(1).is_err());
        assert!(Rows { set: EvalSet::Grid, index: vec![] }.check(1).is_err());
    }
}
