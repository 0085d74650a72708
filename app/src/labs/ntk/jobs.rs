//! The NTK lab's computation off the main thread ([`crate::kit::worker`]):
//! what the widest net's linearization needs at initialization (for a
//! width of 1024, seconds of work: the gradients at every drawing point),
//! and the kernel's eigenvalues at each checkpoint (a quarter of a second
//! for 512 points). Both froze the page when they ran there.

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

/// Eigenvalues of a symmetric matrix, largest first (no eigenvectors: a
/// third of the work).
#[must_use]
pub fn eigenvalues(matrix: &DMatrix<f64>) -> Vec<f64> {
    let mut values: Vec<f64> = ((matrix + matrix.transpose()) * 0.5).symmetric_eigenvalues().iter().copied().collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// [`eigenvalues`] as a job, of a square matrix given column by column (a
/// matrix that is not square has none).
pub struct EigenvaluesTask(pub Option<Vec<f64>>);

impl Task for EigenvaluesTask {
    fn advance(&mut self, _budget_ms: f64, out: &mut Vec<Update>) -> Activity {
        if let Some(matrix) = self.0.take() {
            let n = matrix.len().isqrt();
            let values = if n * n == matrix.len() { eigenvalues(&DMatrix::from_vec(n, n, matrix)) } else { Vec::new() };
            out.push(Update::Eigenvalues(values));
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

    /// The eigenvalues job of a kernel with a known spectrum: a rotation of
    /// diag(3, 2, 0.5), largest first; a matrix that is not square has none.
    #[test]
    fn the_eigenvalues_job_finds_a_known_spectrum() {
        use super::EigenvaluesTask;
        use crate::kit::worker::{Task, Update};
        let (c, s) = (0.6f64, 0.8f64);
        let q = DMatrix::from_row_slice(3, 3, &[c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0]);
        let m = &q * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![0.5, 3.0, 2.0])) * q.transpose();
        let run = |matrix: Vec<f64>| {
            let mut out = Vec::new();
            EigenvaluesTask(Some(matrix)).advance(10.0, &mut out);
            match out.pop() {
                Some(Update::Eigenvalues(v)) => v,
                other => panic!("{other:?}"),
            }
        };
        let values = run(m.as_slice().to_vec());
        assert_eq!(values.len(), 3);
        for (got, want) in values.iter().zip([3.0, 2.0, 0.5]) {
            assert!((got - want).abs() < 1e-12, "{values:?}");
        }
        assert!(run(vec![1.0; 6]).is_empty());
    }
}
