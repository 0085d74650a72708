//! The model: an MLP described by [`MlpSpec`], with every parameter in one
//! flat `f32` vector whose layout ([`ParamLayout`]) is shared by the CPU and
//! GPU backends, the CLI's JSON and every experiment.
//!
//! # Parameter layout
//!
//! Layers are stored in order, input side first. Layer `l` maps `fan_in`
//! inputs to `fan_out` outputs and owns
//!
//! ```text
//! W_l: fan_out × fan_in, row-major   (W[j][k] at w_offset + j·fan_in + k)
//! b_l: fan_out                       (b[j]    at b_offset + j)
//! ```
//!
//! with `b_offset = w_offset + fan_out·fan_in` and the next layer starting
//! right after `b_l`. Row `j` of `W_l` is the "filter" of output neuron `j`
//! (what Li et al.'s filter normalisation normalises).
//!
//! # Parameterizations
//!
//! The pre-activation of layer `l` is `z = w_mult·W·h + b_mult·b` with
//!
//! | parameterization | `w_mult` | `b_mult` | stored `W` at init |
//! |---|---|---|---|
//! | standard | 1 | 1 | `N(0, s²)`, `s` from the [`Init`] scheme |
//! | NTK | `1/√fan_in` | 1 | `N(0, (s·√fan_in)²)` |
//!
//! so both start from the same distribution of functions; they differ in
//! how gradients scale with width. Under NTK parameterization the gradient
//! of each weight shrinks like `1/√fan_in`, the kernel stays put as width
//! grows (lazy training). Biases start at zero in both.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Part};
use crate::rng::Rng;

/// Hidden layers allowed, and widths allowed per hidden layer.
pub const MAX_DEPTH: usize = 16;
/// The widest hidden layer allowed.
pub const MAX_WIDTH: usize = 4096;

/// The non-linearity applied after every hidden layer (the output layer is
/// always linear).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
    Relu,
    Tanh,
    /// The tanh approximation `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, used
    /// by both backends (WGSL has no `erf`).
    Gelu,
    Linear,
}

impl Activation {
    pub const ALL: [Self; 4] = [Self::Relu, Self::Tanh, Self::Gelu, Self::Linear];

    /// The code the shaders use for this activation (`common.wgsl`).
    #[must_use]
    pub fn code(self) -> u32 {
        self as u32
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Tanh => "tanh",
            Self::Gelu => "gelu",
            Self::Linear => "linear",
        }
    }
}

/// How weights enter the forward pass; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Parameterization {
    #[default]
    Standard,
    Ntk,
}

impl Parameterization {
    pub const ALL: [Self; 2] = [Self::Standard, Self::Ntk];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Ntk => "ntk",
        }
    }
}

/// The standard deviation of the *effective* weights `w_mult·W` at init.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase", tag = "scheme")]
pub enum Init {
    /// `s = √(2/fan_in)` (Kaiming He, for ReLU).
    #[default]
    He,
    /// `s = √(2/(fan_in + fan_out))` (Glorot & Bengio).
    Xavier,
    /// `s = sigma/√fan_in`.
    Normal { sigma: f32 },
}

impl Init {
    /// Standard deviation of the effective weight for a layer.
    #[must_use]
    pub fn std(self, fan_in: usize, fan_out: usize) -> f64 {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        match self {
            Self::He => (2.0 / fi).sqrt(),
            Self::Xavier => (2.0 / (fi + fo)).sqrt(),
            Self::Normal { sigma } => f64::from(sigma) / fi.sqrt(),
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::He => "he",
            Self::Xavier => "xavier",
            Self::Normal { .. } => "normal",
        }
    }
}

/// A multi-layer perceptron.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    pub input_dim: usize,
    /// Widths of the hidden layers, input side first (1 to [`MAX_DEPTH`]).
    pub hidden: Vec<usize>,
    pub output_dim: usize,
    #[serde(default)]
    pub activation: Activation,
    #[serde(default)]
    pub parameterization: Parameterization,
    #[serde(default)]
    pub init: Init,
}

/// Where one layer lives in the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LayerShape {
    pub fan_in: usize,
    pub fan_out: usize,
    pub w_offset: usize,
    pub b_offset: usize,
}

impl LayerShape {
    /// One past the last parameter of this layer.
    #[must_use]
    pub fn end(&self) -> usize {
        self.b_offset + self.fan_out
    }
}

/// The flat parameter layout of an [`MlpSpec`] (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamLayout {
    pub layers: Vec<LayerShape>,
    pub parameterization: Parameterization,
    pub activation: Activation,
    pub num_params: usize,
}

impl MlpSpec {
    /// Checks the shape against the limits gradlab supports.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |field, reason: String| Err(Error::invalid(Part::Model, field, reason));
        if self.input_dim == 0 || self.input_dim > MAX_WIDTH {
            return bad("input_dim", format!("{} is not in 1..={MAX_WIDTH}", self.input_dim));
        }
        if self.output_dim == 0 || self.output_dim > MAX_WIDTH {
            return bad("output_dim", format!("{} is not in 1..={MAX_WIDTH}", self.output_dim));
        }
        if self.hidden.is_empty() || self.hidden.len() > MAX_DEPTH {
            return bad("depth", format!("{} is not in 1..={MAX_DEPTH}", self.hidden.len()));
        }
        if let Some(w) = self.hidden.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return bad("hidden width", format!("{w} is not in 1..={MAX_WIDTH}"));
        }
        if let Init::Normal { sigma } = self.init {
            if !(sigma.is_finite() && sigma > 0.0) {
                return bad("init sigma", format!("{sigma} must be a positive number"));
            }
        }
        Ok(())
    }

    /// Layer widths including input and output: `[input, hidden.., output]`.
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        let mut w = Vec::with_capacity(self.hidden.len() + 2);
        w.push(self.input_dim);
        w.extend_from_slice(&self.hidden);
        w.push(self.output_dim);
        w
    }

    #[must_use]
    pub fn layout(&self) -> ParamLayout {
        let mut offset = 0;
        let layers = self
            .widths()
            .windows(2)
            .map(|pair| {
                let (fan_in, fan_out) = (pair[0], pair[1]);
                let shape = LayerShape { fan_in, fan_out, w_offset: offset, b_offset: offset + fan_in * fan_out };
                offset = shape.end();
                shape
            })
            .collect();
        ParamLayout { layers, parameterization: self.parameterization, activation: self.activation, num_params: offset }
    }

    /// Fresh parameters for this spec, drawn from `seed` (same seed, same
    /// parameters on every platform).
    #[must_use]
    pub fn init_params(&self, seed: u64) -> Vec<f32> {
        InitDraw::new(self, seed).finish()
    }
}

/// [`MlpSpec::init_params`] drawn a slice at a time: a million weights
/// take about 0.1 s in the browser, which a GPU run spends over frames
/// instead of in one (the same weights, in the same order).
#[derive(Clone, Debug)]
pub struct InitDraw {
    params: Vec<f32>,
    rng: Rng,
    /// Each layer's weights and their standard deviation as stored.
    layers: Vec<(std::ops::Range<usize>, f64)>,
    /// The layer being drawn, and the next weight in it.
    layer: usize,
    next: usize,
}

impl InitDraw {
    #[must_use]
    pub fn new(spec: &MlpSpec, seed: u64) -> Self {
        let layout = spec.layout();
        let layers: Vec<_> =
            layout.layers.iter().map(|l| (l.w_offset..l.b_offset, spec.init.std(l.fan_in, l.fan_out) / layout.w_mult(l))).collect();
        let next = layers.first().map_or(0, |(w, _)| w.start);
        Self { params: vec![0.0; layout.num_params], rng: Rng::new(seed, crate::rng::Stream::Init), layers, layer: 0, next }
    }

    /// Parameters given, with nothing left to draw.
    #[must_use]
    pub fn drawn(params: Vec<f32>) -> Self {
        Self { params, rng: Rng::new(0, crate::rng::Stream::Init), layers: Vec::new(), layer: 0, next: 0 }
    }

    /// How many parameters it draws.
    #[must_use]
    pub fn len(&self) -> usize {
        self.params.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Draws up to `count` more weights; whether all are drawn.
    pub fn draw(&mut self, mut count: usize) -> bool {
        while let Some((weights, std)) = self.layers.get(self.layer) {
            let end = weights.end.min(self.next.saturating_add(count));
            for w in &mut self.params[self.next..end] {
                *w = (std * self.rng.normal()) as f32;
            }
            count -= end - self.next;
            if end < weights.end {
                self.next = end;
                return false;
            }
            self.layer += 1;
            self.next = self.layers.get(self.layer).map_or(0, |(w, _)| w.start);
        }
        true
    }

    /// The parameters, drawing what is left.
    pub fn params(&mut self) -> &[f32] {
        self.draw(usize::MAX);
        &self.params
    }

    /// The parameters, drawing what is left, handed over.
    #[must_use]
    pub fn finish(mut self) -> Vec<f32> {
        self.draw(usize::MAX);
        self.params
    }
}

impl MlpSpec {
    /// These parameters placed in `wider`, a net of the same depth, input
    /// and output whose hidden layers are at least as wide. The extra units
    /// get zero weights in and out and zero biases, so the wider net
    /// computes the same function; and training keeps them at exactly zero
    /// (their incoming gradients carry their zero outgoing weights, their
    /// outgoing gradients their zero activations, as φ(0) = 0 for every
    /// activation here), so the wider net trains exactly as this one. This
    /// is how nets of many widths train side by side as one GPU batch.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `wider` is not wider in every hidden layer
    /// with the same depth, input, output and activation, or if either uses
    /// the NTK parameterization (its `1/√fan_in` depends on the width).
    pub fn embed_params(&self, params: &[f32], wider: &MlpSpec) -> Result<Vec<f32>, Error> {
        let fits = self.input_dim == wider.input_dim
            && self.output_dim == wider.output_dim
            && self.activation == wider.activation
            && self.hidden.len() == wider.hidden.len()
            && self.hidden.iter().zip(&wider.hidden).all(|(a, b)| a <= b);
        if !fits || self.parameterization == Parameterization::Ntk || wider.parameterization == Parameterization::Ntk {
            return Err(Error::invalid(Part::Model, "hidden", format!("{:?} does not embed in {:?}", self.hidden, wider.hidden)));
        }
        let (small, big) = (self.layout(), wider.layout());
        let mut out = vec![0.0; big.num_params];
        for (a, b) in small.layers.iter().zip(&big.layers) {
            for j in 0..a.fan_out {
                let from = a.w_offset + j * a.fan_in;
                let to = b.w_offset + j * b.fan_in;
                out[to..to + a.fan_in].copy_from_slice(&params[from..from + a.fan_in]);
                out[b.b_offset + j] = params[a.b_offset + j];
            }
        }
        Ok(out)
    }
}

impl ParamLayout {
    /// Multiplier on `W` in the forward pass.
    #[must_use]
    pub fn w_mult(&self, layer: &LayerShape) -> f64 {
        match self.parameterization {
            Parameterization::Standard => 1.0,
            Parameterization::Ntk => 1.0 / (layer.fan_in as f64).sqrt(),
        }
    }

    /// Multiplier on `b` in the forward pass.
    #[must_use]
    pub fn b_mult(&self, _layer: &LayerShape) -> f64 {
        1.0
    }

    #[must_use]
    pub fn input_dim(&self) -> usize {
        self.layers[0].fan_in
    }

    #[must_use]
    pub fn output_dim(&self) -> usize {
        self.layers[self.layers.len() - 1].fan_out
    }

    /// Activation of layer `l`: the spec's for hidden layers, linear for the
    /// output layer.
    #[must_use]
    pub fn activation_of(&self, l: usize) -> Activation {
        if l + 1 == self.layers.len() {
            Activation::Linear
        } else {
            self.activation
        }
    }

    /// The layers from `first` on, as a net of their own whose input is
    /// layer `first − 1`'s output: its parameters are `params[offset..]`
    /// of this layout's (the layers lie in order), `offset` returned beside.
    #[must_use]
    pub fn tail(&self, first: usize) -> (ParamLayout, usize) {
        let offset = self.layers[first].w_offset;
        let layers = self.layers[first..]
            .iter()
            .map(|l| LayerShape { w_offset: l.w_offset - offset, b_offset: l.b_offset - offset, ..*l })
            .collect();
        (ParamLayout { layers, num_params: self.num_params - offset, ..self.clone() }, offset)
    }

    /// The widest layer (input and output included).
    #[must_use]
    pub fn max_width(&self) -> usize {
        self.layers.iter().map(|l| l.fan_in.max(l.fan_out)).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(parameterization: Parameterization) -> MlpSpec {
        MlpSpec { input_dim: 2, hidden: vec![3, 4], output_dim: 1, activation: Activation::Tanh, parameterization, init: Init::He }
    }

    #[test]
    fn layout_is_contiguous_and_documented() {
        let layout = spec(Parameterization::Standard).layout();
        let l = &layout.layers;
        assert_eq!((l[0].w_offset, l[0].b_offset), (0, 6));
        assert_eq!((l[1].w_offset, l[1].b_offset), (9, 21));
        assert_eq!((l[2].w_offset, l[2].b_offset), (25, 29));
        assert_eq!(layout.num_params, 30);
    }

    /// Drawn in slices of any size, the weights are those of one draw
    /// layer after layer, weight after weight, biases zero.
    #[test]
    fn weights_drawn_in_slices_are_the_weights_drawn_at_once() {
        let spec = spec(Parameterization::Ntk);
        let layout = spec.layout();
        let mut rng = Rng::new(11, crate::rng::Stream::Init);
        let mut expected = vec![0.0f32; layout.num_params];
        for layer in &layout.layers {
            let std = spec.init.std(layer.fan_in, layer.fan_out) / layout.w_mult(layer);
            for w in &mut expected[layer.w_offset..layer.b_offset] {
                *w = (std * rng.normal()) as f32;
            }
        }
        assert_eq!(spec.init_params(11), expected);
        for slice in [1, 2, 5, 6, 7, 12, 29, 100] {
            let mut draw = InitDraw::new(&spec, 11);
            let mut calls = 1;
            while !draw.draw(slice) {
                calls += 1;
            }
            assert_eq!(draw.len(), layout.num_params);
            assert_eq!(draw.finish(), expected, "slices of {slice}");
            assert!(calls >= 22 / slice, "{calls} calls of {slice} for 22 weights");
        }
        assert!(!InitDraw::new(&spec, 11).draw(0));
    }

    #[test]
    fn ntk_and_standard_start_from_the_same_effective_weights() {
        let std = spec(Parameterization::Standard);
        let ntk = spec(Parameterization::Ntk);
        let (ps, pn) = (std.init_params(7), ntk.init_params(7));
        let layout = ntk.layout();
        for layer in &layout.layers {
            let m = layout.w_mult(layer);
            for i in layer.w_offset..layer.b_offset {
                assert!((f64::from(pn[i]) * m - f64::from(ps[i])).abs() < 1e-6);
            }
            assert!(pn[layer.b_offset..layer.end()].iter().all(|&b| b == 0.0));
        }
    }

    #[test]
    fn validate_names_the_bad_field() {
        let mut s = spec(Parameterization::Standard);
        s.hidden = vec![0];
        let err = s.validate().unwrap_err();
        assert!(matches!(err, Error::Invalid { part: Part::Model, field: "hidden width", .. }), "{err}");
        assert_eq!(err.to_string(), format!("invalid model: hidden width 0 is not in 1..={MAX_WIDTH}"));
        s.hidden = vec![1; MAX_DEPTH + 1];
        assert!(matches!(s.validate(), Err(Error::Invalid { field: "depth", .. })));
    }
}
