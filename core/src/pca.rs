//! Principal axes of a cloud of points, exactly: nalgebra's symmetric
//! eigensolver on whichever of the Gram (`n × n`) and scatter (`d × d`)
//! matrices is smaller, so a few points in a huge space (a training
//! trajectory in parameter space) and many points in a small one (a
//! hidden layer's representation) both cost little.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// One principal axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The sum of squares along it (an eigenvalue of `XᵀX`).
    pub variance: f64,
    /// A unit vector.
    pub direction: DVector<f64>,
}

/// The top `k` principal axes of the rows of `centred` (centred
/// already), largest first, and the total sum of squares. Axes with no
/// variance (below 10⁻¹² of the total) are left out.
#[must_use]
pub fn principal_axes(centred: &DMatrix<f64>, k: usize) -> (Vec<Axis>, f64) {
    let total = centred.norm_squared();
    let (n, d) = centred.shape();
    let small_gram = n <= d;
    let m = if small_gram { centred * centred.transpose() } else { centred.tr_mul(centred) };
    let eig = SymmetricEigen::new(m);
    let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let axes = order
        .into_iter()
        .take(k)
        .map_while(|i| {
            let variance = eig.eigenvalues[i].max(0.0);
            if variance <= 1e-12 * total {
                return None;
            }
            // From the Gram matrix, the axis is Xᵀu / ‖Xᵀu‖.
            let v = eig.eigenvectors.column(i);
            let direction = if small_gram { centred.tr_mul(&v) } else { v.into_owned() };
            let norm = direction.norm();
            (norm > 0.0).then(|| Axis { variance, direction: direction / norm })
        })
        .collect();
    (axes, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread 3 along one unit direction and 1 along an orthogonal
    /// one: sums of squares 9·Σa² and Σb², in that order, whichever matrix
    /// is decomposed.
    #[test]
    fn axes_are_the_known_directions_and_variances() {
        let (u, v) = (DVector::from_vec(vec![0.6, 0.8, 0.0]), DVector::from_vec(vec![0.0, 0.0, 1.0]));
        let coeffs = [(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)];
        let rows: Vec<DVector<f64>> = coeffs.iter().map(|&(a, b)| &u * (3.0 * a) + &v * b).collect();
        let x = DMatrix::from_fn(4, 3, |i, j| rows[i][j]);
        // Four points in three dimensions go through the scatter matrix.
        let (axes, total) = principal_axes(&x, 3);
        assert!((total - 40.0).abs() < 1e-9);
        assert_eq!(axes.len(), 2, "the third direction has no variance");
        assert!((axes[0].variance - 36.0).abs() < 1e-9 && (axes[1].variance - 4.0).abs() < 1e-9);
        assert!((axes[0].direction.dot(&u).abs() - 1.0).abs() < 1e-9);
        assert!((axes[1].direction.dot(&v).abs() - 1.0).abs() < 1e-9);
        // Two points in three dimensions go through the Gram matrix.
        let two = DMatrix::from_row_slice(2, 3, &[0.6, 0.8, 0.0, -0.6, -0.8, 0.0]);
        let (axes, total) = principal_axes(&two, 2);
        assert_eq!(axes.len(), 1);
        assert!((axes[0].variance - total).abs() < 1e-12 && (axes[0].direction.dot(&u).abs() - 1.0).abs() < 1e-9);
    }
}
