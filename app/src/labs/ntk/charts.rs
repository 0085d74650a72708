//! The NTK lab's charts: the Gram matrix as a heat map, and line charts
//! ([`crate::charts::lines`]) of its spectrum, drift, the function beside
//! its linearization, and the residual along eigenvectors.

use nalgebra::{DMatrix, DVector};
use plotters::prelude::*;

use super::run::{Nets, Record};
use super::state::NtkState;
use crate::charts::lines::{draw_lines, range, Line, Lines};
use crate::charts::{colour_bar, format_loss_tick, mesh, viridis, Surface, CLASS0, CLASS1, GREY_RGB, SERIES};
use gradlab_core::engine::grid_points;

/// Eigen-directions the spectral-bias picture follows (0-based).
const DIRECTIONS: [usize; 4] = [0, 1, 2, 4];

/// A Gram matrix's heat map, coloured once per kernel rather than once
/// per redraw (at 512 points, 30 ms of every frame): training points
/// sorted by x, so the kernel's structure shows; entry (0, 0) top left.
pub struct GramImage {
    n: usize,
    range: (f64, f64),
    rgba: Vec<u8>,
}

impl GramImage {
    /// The image of `theta`, the kernel on the training inputs `x`: one
    /// of 256 viridis colours a pixel, read column by column (the matrix
    /// is symmetric; by rows, a 512-point kernel took 100 ms).
    #[must_use]
    pub fn of(theta: &DMatrix<f64>, x: &[f32]) -> Self {
        let n = theta.nrows();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let (lo, hi) = range(theta.iter().copied(), false);
        let lut: Vec<[u8; 4]> = (0..=255)
            .map(|k| {
                let RGBColor(r, g, b) = viridis(f64::from(k) / 255.0);
                [r, g, b, 255]
            })
            .collect();
        let scale = 255.0 / (hi - lo);
        let mut rgba = Vec::with_capacity(4 * n * n);
        for &i in &order {
            let column = theta.column(i);
            for &j in &order {
                let v = column[j];
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

/// The Gram matrix as a heat map, with a colour bar.
pub fn draw_gram(s: &mut Surface<'_>, image: &GramImage) {
    let Some(root) = s.root() else { return };
    let ((lo, hi), n) = (image.range, image.n);
    let (w, _) = root.dim_in_pixel();
    let (plot, bar) = root.split_horizontally(w.saturating_sub(s.px(80.0) as u32));
    let Ok(mut chart) = ChartBuilder::on(&plot)
        .margin(s.px(8.0))
        .x_label_area_size(s.px(40.0))
        .y_label_area_size(s.px(40.0))
        .build_cartesian_2d(0.0..n as f64, n as f64..0.0)
    else {
        return;
    };
    s.raster(&root, &image.rgba, (n as u32, n as u32), chart.plotting_area().get_pixel_range(), false);
    let _ = mesh(&mut chart, s).disable_mesh().x_desc("training point j").y_desc("point i").draw();
    colour_bar(&bar, s, (lo, hi), |v| viridis((v - lo) / (hi - lo)), |v| format_loss_tick(v as f32));
    let _ = root.present();
}

/// The NTK lab's charts.
#[derive(Clone, Copy, PartialEq)]
pub enum Chart {
    Gram,
    Spectrum,
    Drift,
    Function,
    Bias,
}

/// Draws `chart` of the run so far on `surface`.
pub fn draw_chart(run: &Nets, s: &NtkState, chart: Chart, surface: &mut Surface<'_>) {
    let main = run.main();
    let n = s.n;
    if let (Chart::Gram, Some((_, image))) = (chart, &run.gram) {
        draw_gram(surface, image);
    }
    if chart == Chart::Spectrum {
        let (init, now) = run.spectra();
        let lines: Vec<Line> = [("initialization", GREY_RGB, init), ("now", CLASS1, now)]
            .into_iter()
            .filter_map(|(label, colour, values)| {
                let points = values?.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)).collect();
                Some(Line { label: label.into(), colour, dashed: false, points })
            })
            .collect();
        draw_lines(
            surface,
            &Lines { lines: &lines, dots: &[], x_desc: "index i", y_desc: "eigenvalue λᵢ", log_x: false, log_y: true, floor: 1e-9 },
        );
    }
    if chart == Chart::Drift {
        let mut lines = Vec::new();
        let colours = &SERIES[SERIES.len() - run.runs.len()..];
        for (w, &colour) in run.runs.iter().zip(colours) {
            let pts = |f: fn(&Record) -> f64| w.records.iter().filter(|r| r.step > 0).map(|r| (r.step as f64, f(r))).collect();
            lines.push(Line { label: format!("width {}", w.width), colour, dashed: false, points: pts(|r| r.drift) });
            lines.push(Line { label: String::new(), colour, dashed: true, points: pts(|r| r.movement) });
        }
        draw_lines(
            surface,
            &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "relative change", log_x: true, log_y: true, floor: 1e-6 },
        );
    }
    let Some(lin) = &run.linear else { return };
    let Some(last) = main.records.last() else { return };
    let t = last.step as f64;
    let lr = f64::from(s.lr);
    if chart == Chart::Function {
        let grid = grid_points(&run.problem);
        let g = grid.len();
        let r0 = &lin.y - &lin.f0_train;
        let xs = |v: &DVector<f64>| grid.iter().zip(v.iter()).map(|(&x, &y)| (f64::from(x), y)).collect::<Vec<_>>();
        let net: Vec<(f64, f64)> = grid.iter().zip(&last.outputs[..g]).map(|(&x, &y)| (f64::from(x), f64::from(y))).collect();
        let lines = [
            Line {
                label: "kernel regression (t = ∞)".into(),
                colour: GREY_RGB,
                dashed: false,
                points: xs(&lin.spectrum0.linearized(&lin.f0_grid, &lin.cross, &r0, lr, f64::INFINITY)),
            },
            Line {
                label: format!("linearized, step {}", last.step),
                colour: CLASS0,
                dashed: true,
                points: xs(&lin.spectrum0.linearized(&lin.f0_grid, &lin.cross, &r0, lr, t)),
            },
            Line { label: format!("network, step {}", last.step), colour: CLASS1, dashed: false, points: net },
        ];
        let dots: Vec<(f64, f64)> =
            run.problem.dataset.train.x.iter().zip(&run.problem.train_targets).map(|(&x, &y)| (f64::from(x), f64::from(y))).collect();
        draw_lines(surface, &Lines { lines: &lines, dots: &dots, x_desc: "x", y_desc: "f(x)", log_x: false, log_y: false, floor: 0.0 });
    }
    if chart == Chart::Bias {
        let g = grid_points(&run.problem).len();
        let start = lin.spectrum0.project(&(&lin.y - &lin.f0_train));
        let comps: Vec<(u64, DVector<f64>)> = main
            .records
            .iter()
            .filter(|r| r.step > 0)
            .map(|r| {
                let f = DVector::from_iterator(n, r.outputs[g..].iter().map(|&v| f64::from(v)));
                (r.step, lin.spectrum0.project(&(&lin.y - f)))
            })
            .collect();
        let mut lines = Vec::new();
        for (&i, &colour) in DIRECTIONS.iter().filter(|&&i| i < n).zip(&SERIES) {
            let measured = comps.iter().map(|(step, c)| (*step as f64, (c[i] / start[i]).abs())).collect();
            let theory = comps.iter().map(|(step, _)| (*step as f64, lin.spectrum0.decay(i, lr, n, *step as f64))).collect();
            lines.push(Line {
                label: format!("i = {} (λ = {:.2e})", i + 1, lin.spectrum0.values[i]),
                colour,
                dashed: false,
                points: measured,
            });
            lines.push(Line { label: String::new(), colour, dashed: true, points: theory });
        }
        draw_lines(
            surface,
            &Lines {
                lines: &lines,
                dots: &[],
                x_desc: "step",
                y_desc: "|residual along vᵢ| / start",
                log_x: true,
                log_y: true,
                floor: 1e-4,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::DMatrix;
    use plotters::style::RGBColor;

    use super::GramImage;
    use crate::charts::viridis;

    /// Pixels in the order of x, each entry's colour on the padded range,
    /// the matrix read as it is drawn: row i, column j is Θ(xᵢ, xⱼ).
    #[test]
    fn the_gram_image_sorts_points_by_x_and_colours_each_entry() {
        let theta = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.0, 1.0, 2.0, 0.5, 0.0, 0.5, 1.0]);
        let image = GramImage::of(&theta, &[0.3, -1.0, 2.0]);
        let (lo, hi) = image.range;
        assert!((lo - -0.2).abs() < 1e-12 && (hi - 4.2).abs() < 1e-12, "5 % padding: {lo} {hi}");
        let order = [1, 0, 2];
        for (r, &i) in order.iter().enumerate() {
            for (c, &j) in order.iter().enumerate() {
                let RGBColor(red, g, b) = viridis((((theta[(i, j)] - lo) / (hi - lo)) * 255.0).round() / 255.0);
                assert_eq!(image.rgba[4 * (3 * r + c)..][..4], [red, g, b, 255], "pixel ({r}, {c}) is Θ({i}, {j})");
            }
        }
    }
}
