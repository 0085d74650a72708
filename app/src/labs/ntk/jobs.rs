//! The NTK lab's computation off the main thread ([`crate::kit::worker`]):
//! what the widest net's linearization needs at initialization. For a
//! width of 1024 that is seconds of work (the gradients at every drawing
//! point), which froze the page when it ran there.

use gradlab_core::engine::grid_points;
use gradlab_core::ntk::{self, Spectrum};
use gradlab_core::{cpu, wire, Error, Problem, RunConfig};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::kit::worker::{Activity, Task, Update};

/// The kernel at the initial parameters: its eigendecomposition on the
/// training points, and `Θ₀(grid, X)`, column-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AtInit {
    #[serde(with = "wire::vec_f64")]
    pub values: Vec<f64>,
    #[serde(with = "wire::vec_f64")]
    pub vectors: Vec<f64>,
    #[serde(with = "wire::vec_f64")]
    pub cross: Vec<f64>,
}

impl AtInit {
    /// Computes it for `config`'s net (one input, one output).
    ///
    /// # Errors
    /// An invalid configuration or more than one output.
    pub fn of(config: RunConfig) -> Result<Self, Error> {
        let problem = Problem::new(config)?;
        let layout = problem.spec.layout();
        let params: Vec<f64> = problem.init_params().iter().map(|&v| f64::from(v)).collect();
        let train = ntk::factors(&layout, &params, &cpu::columns::<f64>(&problem.dataset.train.x, 1))?;
        let grid = ntk::factors(&layout, &params, &cpu::columns::<f64>(&grid_points(&problem), 1))?;
        let spectrum = Spectrum::of(&ntk::cross_gram(&layout, &train, &train));
        Ok(Self {
            values: spectrum.values.as_slice().to_vec(),
            vectors: spectrum.vectors.as_slice().to_vec(),
            cross: ntk::cross_gram(&layout, &grid, &train).as_slice().to_vec(),
        })
    }

    /// The spectrum and the cross kernel, for `n` training points.
    #[must_use]
    pub fn unpack(self, n: usize) -> Option<(Spectrum, DMatrix<f64>)> {
        let ok = self.values.len() == n && self.vectors.len() == n * n && n > 0 && self.cross.len().is_multiple_of(n);
        ok.then(|| {
            let g = self.cross.len() / n;
            let spectrum = Spectrum { values: DVector::from_vec(self.values), vectors: DMatrix::from_vec(n, n, self.vectors) };
            (spectrum, DMatrix::from_vec(g, n, self.cross))
        })
    }
}

/// [`AtInit::of`] as a job.
pub struct AtInitTask(pub Option<RunConfig>);

impl Task for AtInitTask {
    fn advance(&mut self, _budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        if let Some(config) = self.0.take() {
            out.push(Update::NtkAtInit(AtInit::of(config).map_err(|e| e.to_string())));
        }
        Activity::Done
    }
}

#[cfg(test)]
mod tests {
    use gradlab_core::engine::grid_points;
    use gradlab_core::{cpu, ntk, Problem};
    use nalgebra::DMatrix;

    use super::AtInit;
    use crate::labs::ntk::state::NtkState;

    /// What crosses from the worker unpacks to the kernel of the drawing
    /// grid and the training points taken together at initialization:
    /// `Θ₀(grid, X)` is its off-diagonal block, and the spectrum
    /// rebuilds `Θ₀(X, X)`.
    #[test]
    fn the_kernel_at_init_unpacks_to_the_joint_gram() {
        let config = NtkState::default().run_config(16);
        let at: AtInit = serde_json::from_str(&serde_json::to_string(&AtInit::of(config.clone()).unwrap()).unwrap()).unwrap();
        let p = Problem::new(config).unwrap();
        let (n, grid) = (p.dataset.train.len(), grid_points(&p));
        let (spectrum, cross) = at.unpack(n).unwrap();

        let layout = p.spec.layout();
        let params: Vec<f64> = p.init_params().iter().map(|&v| f64::from(v)).collect();
        let joint = ntk::gram(&layout, &params, &cpu::columns::<f64>(&[grid.clone(), p.dataset.train.x.clone()].concat(), 1)).unwrap();
        let g = grid.len();
        let scale = joint.amax();
        assert_eq!((cross.nrows(), cross.ncols()), (g, n));
        assert!((&cross - joint.view((0, g), (g, n))).amax() < 1e-12 * scale);
        let rebuilt = &spectrum.vectors * DMatrix::from_diagonal(&spectrum.values) * spectrum.vectors.transpose();
        assert!((rebuilt - joint.view((g, g), (n, n))).amax() < 1e-9 * scale);
        assert!(spectrum.values.as_slice().windows(2).all(|w| w[0] >= w[1]), "largest first");
        assert!(AtInit::of(NtkState::default().run_config(16)).unwrap().unpack(n + 1).is_none(), "sizes are checked");
    }
}
