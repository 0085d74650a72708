//! What a page may ask of a net at its current parameters ([`Probe`]),
//! and the answers ([`Probed`]), as they cross to and from the worker.

use gradlab_core::hidden::Rows;
use gradlab_core::landscape::Plane;
use gradlab_core::{wire, Subset};
use serde::{Deserialize, Serialize};

/// A question about a net at its current parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Probe {
    /// The mean loss on `subset` at `points` of `plane`.
    Losses { plane: Plane, points: Vec<[f32; 2]>, subset: Subset },
    /// Power iterations for the top Hessian eigenvalue, warm-started.
    Sharpness { iterations: u32 },
    /// The empirical NTK on the training set.
    NtkGram,
    /// Every hidden unit's activation at some inputs.
    Hidden(Rows),
    /// The parameters now.
    Params,
    /// The gradient of the mean loss over the first training points.
    Gradient { rows: usize },
}

/// A probe's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Probed {
    Losses(#[serde(with = "wire::vec_f32")] Vec<f32>),
    Sharpness(#[serde(with = "wire::f32")] f32),
    NtkGram {
        n: usize,
        #[serde(with = "wire::vec_f64")]
        values: Vec<f64>,
    },
    Params(#[serde(with = "wire::vec_f32")] Vec<f32>),
    Gradient(#[serde(with = "wire::vec_f32")] Vec<f32>),
    /// A [`Hidden`], its values apart (they travel as a typed array).
    Hidden {
        rows: usize,
        widths: Vec<usize>,
        #[serde(with = "wire::vec_f32")]
        values: Vec<f32>,
    },
}
