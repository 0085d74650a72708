//! Matrices as heat maps: the NTK's Gram matrix, the implicit-bias lab's
//! target, mask and completion. An image is coloured once per matrix, not
//! once per redraw (a 512-point kernel took 30 ms of every frame).

use nalgebra::DMatrix;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::lines::range;
use super::surface::Backend;
use super::{colour_bar, format_loss_tick, mesh, viridis, Surface};

/// A matrix as an image: one of 256 viridis colours a pixel over `range`,
/// rows and columns in a chosen order, entry `(0, 0)` top left.
pub struct Heat {
    pub n: usize,
    pub range: (f64, f64),
    pub rgba: Vec<u8>,
}

impl Heat {
    /// The image of the square matrix `m` with rows and columns taken in
    /// `order`, coloured over `range` (`None`: its own, padded 5 %).
    /// Pixel `(r, c)` is `m[(order[r], order[c])]`.
    #[must_use]
    pub fn of(m: &DMatrix<f64>, order: &[usize], range: Option<(f64, f64)>) -> Self {
        let n = order.len();
        let (lo, hi) = range.unwrap_or_else(|| self::range(m.iter().copied(), false));
        let lut: Vec<[u8; 4]> = (0..=255)
            .map(|k| {
                let RGBColor(r, g, b) = viridis(f64::from(k) / 255.0);
                [r, g, b, 255]
            })
            .collect();
        let scale = 255.0 / (hi - lo);
        // Rows of `m` are columns of its transpose: read in memory order
        // (by rows, a 512-point kernel took 100 ms).
        let t = m.transpose();
        let mut rgba = Vec::with_capacity(4 * n * n);
        for &i in order {
            let row = t.column(i);
            for &j in order {
                let v = row[j];
                rgba.extend_from_slice(&if v.is_finite() {
                    lut[((v - lo) * scale).round().clamp(0.0, 255.0) as usize]
                } else {
                    [200, 200, 200, 255]
                });
            }
        }
        Self { n, range: (lo, hi), rgba }
    }
}

/// `image` in `area` (a part of `root`) with its axes (`x`, `y` their
/// names) and, if `bar`, a colour bar at the right.
pub fn draw_heat<'a>(
    root: &DrawingArea<Backend<'a>, Shift>,
    area: &DrawingArea<Backend<'a>, Shift>,
    s: &Surface<'a>,
    image: &Heat,
    (x, y): (&str, &str),
    bar: bool,
) {
    let ((lo, hi), n) = (image.range, image.n);
    let (w, _) = area.dim_in_pixel();
    let (plot, strip) = if bar { area.split_horizontally(w.saturating_sub(s.px(80.0) as u32)) } else { (area.clone(), area.clone()) };
    let Ok(mut chart) = ChartBuilder::on(&plot)
        .margin(s.px(8.0))
        .x_label_area_size(s.px(40.0))
        .y_label_area_size(s.px(40.0))
        .build_cartesian_2d(0.0..n as f64, n as f64..0.0)
    else {
        return;
    };
    s.raster(root, &image.rgba, (n as u32, n as u32), chart.plotting_area().get_pixel_range(), false);
    let _ = mesh(&mut chart, s)
        .disable_mesh()
        .x_desc(x)
        .y_desc(y)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw();
    if bar {
        colour_bar(&strip, s, (lo, hi), |v| viridis((v - lo) / (hi - lo)), |v| format_loss_tick(v as f32));
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::DMatrix;
    use plotters::style::RGBColor;

    use super::Heat;
    use crate::charts::viridis;

    /// Pixels in the order given, each entry's colour on the padded range,
    /// the matrix read as it is drawn: row r, column c is m(order[r], order[c]),
    /// also for a matrix that is not symmetric.
    #[test]
    fn a_heat_image_follows_the_order_and_colours_each_entry() {
        let m = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.0, 3.0, 2.0, 0.5, 0.0, -0.5, 1.0]);
        let order = [1, 0, 2];
        let image = Heat::of(&m, &order, None);
        let (lo, hi) = image.range;
        assert!((lo - -0.725).abs() < 1e-12 && (hi - 4.225).abs() < 1e-12, "5 % padding: {lo} {hi}");
        for (r, &i) in order.iter().enumerate() {
            for (c, &j) in order.iter().enumerate() {
                let RGBColor(red, g, b) = viridis((((m[(i, j)] - lo) / (hi - lo)) * 255.0).round() / 255.0);
                assert_eq!(image.rgba[4 * (3 * r + c)..][..4], [red, g, b, 255], "pixel ({r}, {c}) is m({i}, {j})");
            }
        }
    }
}
