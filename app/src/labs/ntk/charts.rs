//! The NTK lab's charts: the Gram matrix as a heat map, and line charts
//! ([`crate::charts::lines`]) of its spectrum, drift, the function beside
//! its linearization, and the residual along eigenvectors.

use nalgebra::{DMatrix, DVector};

use super::run::{Nets, Record};
use super::state::NtkState;
use crate::charts::heat::{draw_heat, Heat};
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::{Surface, CLASS0, CLASS1, GREY_RGB, SERIES};
use gradlab_core::engine::grid_points;

/// Eigen-directions the spectral-bias picture follows (0-based).
const DIRECTIONS: [usize; 4] = [0, 1, 2, 4];

/// The Gram matrix's heat map: training points sorted by x, so the
/// kernel's structure shows.
#[must_use]
pub fn gram_image(theta: &DMatrix<f64>, x: &[f32]) -> Heat {
    let mut order: Vec<usize> = (0..theta.nrows()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    Heat::of(theta, &order, None)
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
        if let Some(root) = surface.root() {
            draw_heat(&root, &root, surface, image, ("training point j", "point i"), true);
            let _ = root.present();
        }
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
