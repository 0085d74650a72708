//! Drawing with plotters on canvases: the network's function over the data,
//! and the loss curves. Colour maths lives in plain functions with native
//! tests; the drawing itself needs a browser.

use gradlab_core::{DatasetKind, Loss};

/// Class colours: blue and orange, told apart by every common form of
/// colour blindness.
pub const CLASS0: (u8, u8, u8) = (49, 104, 172);
pub const CLASS1: (u8, u8, u8) = (230, 126, 34);
/// Axes, reference lines and secondary series.
pub const GREY_RGB: (u8, u8, u8) = (90, 90, 90);

/// Probability of class 1 that a network output means under each loss
/// (`out` is one grid point's outputs).
#[must_use]
pub fn class1_probability(loss: Loss, out: &[f32]) -> f32 {
    let p = match loss {
        Loss::Bce => 1.0 / (1.0 + (-out[0]).exp()),
        Loss::Softmax => 1.0 / (1.0 + (out[0] - out[1]).exp()),
        // Targets are ±1: map the output linearly onto [0, 1].
        Loss::Mse => 0.5 * (out[0] + 1.0),
    };
    if p.is_nan() {
        0.5
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// Heatmap colour for probability `p`: class colours at the extremes,
/// white at the boundary (p = ½), so confidence reads as saturation.
#[must_use]
pub fn heat(p: f32) -> [u8; 3] {
    let (c, t) = if p < 0.5 { (CLASS0, 1.0 - 2.0 * p) } else { (CLASS1, 2.0 * p - 1.0) };
    // Soften the extremes so data points stay visible on top.
    let t = 0.75 * t;
    let mix = |a: u8| (255.0 + (f32::from(a) - 255.0) * t).round() as u8;
    [mix(c.0), mix(c.1), mix(c.2)]
}

/// RGBA pixels of a `g × g` heatmap from grid outputs (`g² × k`).
#[must_use]
pub fn heatmap_pixels(loss: Loss, grid: &[f32], k: usize) -> Vec<u8> {
    grid.chunks(k)
        .flat_map(|out| {
            let [r, g, b] = heat(class1_probability(loss, out));
            [r, g, b, 255]
        })
        .collect()
}

/// The true function of a regression dataset, for reference.
#[must_use]
pub fn truth(kind: DatasetKind, x: f32) -> Option<f32> {
    (kind == DatasetKind::Sine).then(|| (std::f32::consts::TAU * x).sin())
}

pub mod double_descent;
pub mod landscape;
pub mod lines;
pub mod ntk;
pub mod surface;
pub mod theme;

pub(crate) use draw::{colour_bar, legend, mesh, viridis};
pub use draw::{draw_function, draw_losses};
pub use surface::Surface;
pub use theme::{Theme, SERIES};

/// An SVG document of `size` CSS pixels holding what `draw` draws.
#[must_use]
pub fn svg(size: (u32, u32), draw: impl FnOnce(&mut Surface<'_>)) -> String {
    let mut out = String::new();
    {
        let mut s = Surface::svg(&mut out, size);
        draw(&mut s);
        // A chart with nothing to show yet is its background.
        let _ = s.root();
    }
    out
}

/// Loss curve points kept for drawing: `(step, train, test)`. Thinned by
/// half when full, so any run length fits in a fixed memory.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub points: Vec<(u64, f32, Option<f32>)>,
}

const HISTORY_CAP: usize = 2000;

/// A log-axis tick as people write it: `0.3`, `0.02`, `12`, and only
/// below 10⁻³ or from 10⁴ on in scientific notation.
#[must_use]
pub fn format_loss_tick(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e4).contains(&a) {
        return format!("{v:.0e}");
    }
    // Two significant digits, trailing zeros dropped.
    let decimals = (1 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Just below the power of ten at or below `v` (> 0). plotters labels a
/// log axis at powers of ten and the steps after them only, so an axis
/// must start at (a hair below) one to carry labels.
#[must_use]
pub fn decade_below(v: f64) -> f64 {
    0.999 * 10f64.powf(v.log10().floor())
}

impl History {
    pub fn push(&mut self, step: u64, train: f32, test: Option<f32>) {
        if self.points.last().is_some_and(|p| p.0 == step) {
            self.points.pop();
        }
        self.points.push((step, train, test));
        if self.points.len() > HISTORY_CAP {
            let last = self.points.len() - 1;
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                (i - 1) % 2 == 0 || i - 1 == last
            });
        }
    }
}

mod draw {
    use plotters::chart::MeshStyle;
    use plotters::coord::ranged1d::{Ranged, ValueFormatter};
    use plotters::coord::Shift;
    use plotters::prelude::*;

    use super::surface::{Backend, Surface};
    use super::{format_loss_tick, heatmap_pixels, truth, History, CLASS0, CLASS1, GREY_RGB};
    use crate::engine::GRID_2D;
    use gradlab_core::Problem;

    /// The viridis colour at `t` ∈ [0, 1] (clamped).
    pub(crate) fn viridis(t: f64) -> RGBColor {
        ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32)
    }

    /// A chart's axes and grid in the surface's theme, ready for the
    /// chart's own labels.
    pub(crate) fn mesh<'a, 'b, DB: DrawingBackend, X, Y, XT, YT>(
        chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
        s: &Surface<'_>,
    ) -> MeshStyle<'a, 'b, X, Y, DB>
    where
        X: Ranged<ValueType = XT> + ValueFormatter<XT>,
        Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    {
        // As many labels as fit without crowding, at most ten a side.
        let (w, h) = chart.plotting_area().dim_in_pixel();
        let fits = |room: u32, per_label: f64| (f64::from(room) / (per_label * s.unit)).clamp(2.0, 10.0) as usize;
        let (x_labels, y_labels) = (fits(w, 90.0), fits(h, 30.0));
        let mut m = chart.configure_mesh();
        m.label_style(s.font(12.0))
            .axis_style(s.theme.ink)
            .bold_line_style(s.theme.grid)
            .light_line_style(s.theme.grid.mix(0.4))
            .x_labels(x_labels)
            .y_labels(y_labels);
        m
    }

    /// A vertical colour bar over `lo..hi` in `area`, `colour` giving each
    /// value's colour and `label` its tick text.
    pub(crate) fn colour_bar(
        area: &DrawingArea<Backend<'_>, Shift>,
        s: &Surface<'_>,
        (lo, hi): (f64, f64),
        colour: impl Fn(f64) -> RGBColor,
        label: impl Fn(f64) -> String,
    ) {
        let Ok(mut cb) = ChartBuilder::on(area)
            .margin_top(s.px(8.0))
            .margin_bottom(s.px(40.0))
            .margin_left(s.px(4.0))
            .right_y_label_area_size(s.px(50.0))
            .build_cartesian_2d(0.0f64..1.0, lo..hi)
        else {
            return;
        };
        let steps = 64;
        let at = |k: f64| lo + (hi - lo) * k / f64::from(steps);
        let _ = cb.draw_series((0..steps).map(|k| {
            let k = f64::from(k);
            Rectangle::new([(0.0, at(k)), (1.0, at(k + 1.0))], colour(at(k + 0.5)).filled())
        }));
        let _ = mesh(&mut cb, s).disable_mesh().disable_x_axis().y_label_formatter(&|v| label(*v)).draw();
    }

    /// The series legend, in the style of every gradlab chart.
    pub(crate) fn legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
        chart: &mut ChartContext<'a, Backend<'b>, CT>,
        s: &Surface<'_>,
        at: SeriesLabelPosition,
    ) {
        let _ = chart
            .configure_series_labels()
            .position(at)
            .label_font(s.font(12.0))
            .background_style(s.theme.bg.mix(0.85))
            .border_style(s.theme.muted)
            .draw();
    }

    /// The network's function: a decision-boundary heatmap with the
    /// training points (2D), or the fitted curve with the points (1D).
    pub fn draw_function(s: &mut Surface<'_>, problem: &Problem, grid_x: &[f32], grid: &[f32]) {
        let Some(root) = s.root() else { return };
        let [(x0, x1), (y0, y1)] = problem.dataset.domain();
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(s.px(8.0))
            .x_label_area_size(s.px(24.0))
            .y_label_area_size(s.px(32.0))
            .build_cartesian_2d(x0..x1, y0..y1)
        else {
            return;
        };
        let k = problem.spec.output_dim;
        let train = &problem.dataset.train;
        let r = s.px(2.6);
        if problem.spec.input_dim == 2 {
            // Heatmap: a GRID_2D² image, scaled smoothly into the plot area.
            let pixels = heatmap_pixels(problem.config.train.loss, grid, k);
            let g = GRID_2D as u32;
            s.raster(&root, &pixels, (g, g), chart.plotting_area().get_pixel_range(), true);
            let _ = mesh(&mut chart, s).disable_mesh().draw();
            let pts = train.x.chunks(2).zip(&train.y);
            let _ = chart.draw_series(pts.clone().map(|(p, _)| Circle::new((p[0], p[1]), r + s.px(1.0).max(1), WHITE.filled())));
            let class = |c: f32| s.theme.rgb(if c > 0.5 { CLASS1 } else { CLASS0 });
            let _ = chart.draw_series(pts.map(|(p, &c)| Circle::new((p[0], p[1]), r, class(c).filled())));
        } else {
            let _ = mesh(&mut chart, s).draw();
            let curve = |f: &dyn Fn(usize) -> Option<f32>| -> Vec<(f32, f32)> {
                (0..grid_x.len()).filter_map(|i| f(i).map(|y| (grid_x[i], y.clamp(y0 * 4.0, y1 * 4.0)))).collect()
            };
            let truth_pts = curve(&|i| truth(problem.dataset.kind, grid_x[i]));
            let grey = s.theme.rgb(GREY_RGB).stroke_width(s.stroke(1.0));
            let _ = chart.draw_series(DashedLineSeries::new(truth_pts, s.stroke(6.0), s.stroke(4.0), grey));
            let _ = chart.draw_series(train.x.iter().zip(&train.y).map(|(&x, &y)| Circle::new((x, y), r, s.theme.rgb(CLASS0).filled())));
            let fit = curve(&|i| grid.get(i).copied().filter(|v| v.is_finite()));
            let _ = chart.draw_series(LineSeries::new(fit, s.theme.rgb(CLASS1).stroke_width(s.stroke(2.5))));
        }
        let _ = root.present();
    }

    /// Train (solid) and test (dashed) loss against steps, log scale.
    pub fn draw_losses(s: &mut Surface<'_>, history: &History) {
        let Some(root) = s.root() else { return };
        let pts = &history.points;
        let finite = |v: f32| v.is_finite() && v > 0.0;
        let values = pts.iter().flat_map(|p| [Some(p.1), p.2]).flatten().filter(|&v| finite(v));
        let (lo, hi) =
            values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (if v < lo { v } else { lo }, if v > hi { v } else { hi }));
        // A linear axis of log₁₀ loss, labelled with the loss: tight around
        // the data (plotters' log axis labels only from a power of ten up).
        let (lo, hi) = if lo.is_finite() { ((lo * 0.8).log10(), (hi * 1.25).log10()) } else { (-3.0, 0.0) };
        let max_step = pts.last().map_or(1, |p| p.0.max(1));
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(s.px(8.0))
            .x_label_area_size(s.px(36.0))
            .y_label_area_size(s.px(52.0))
            .build_cartesian_2d(0u64..max_step, lo..hi)
        else {
            return;
        };
        let _ = mesh(&mut chart, s).x_desc("step").y_label_formatter(&|v| format_loss_tick(10f32.powf(*v))).draw();
        let train: Vec<(u64, f32)> = pts.iter().filter(|p| finite(p.1)).map(|p| (p.0, p.1.log10())).collect();
        let test: Vec<(u64, f32)> = pts.iter().filter_map(|p| p.2.filter(|&v| finite(v)).map(|v| (p.0, v.log10()))).collect();
        let width = s.stroke(2.0);
        let (c0, c1) = (s.theme.rgb(CLASS0), s.theme.rgb(CLASS1));
        if let Ok(series) = chart.draw_series(LineSeries::new(train, c0.stroke_width(width))) {
            series.label("train").legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c0.stroke_width(width)));
        }
        if let Ok(series) = chart.draw_series(DashedLineSeries::new(test, s.stroke(6.0), s.stroke(4.0), c1.stroke_width(width))) {
            series.label("test").legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c1.stroke_width(width)));
        }
        legend(&mut chart, s, SeriesLabelPosition::UpperRight);
        let _ = root.present();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_follow_each_loss() {
        assert!((class1_probability(Loss::Bce, &[0.0]) - 0.5).abs() < 1e-6);
        assert!(class1_probability(Loss::Bce, &[20.0]) > 0.99);
        assert!(class1_probability(Loss::Softmax, &[0.0, 3.0]) > 0.9);
        assert!(class1_probability(Loss::Mse, &[-1.0]) < 1e-6);
        assert_eq!(class1_probability(Loss::Mse, &[f32::NAN]), 0.5);
        assert_eq!(class1_probability(Loss::Mse, &[7.0]), 1.0);
    }

    #[test]
    fn heat_is_white_on_the_boundary_and_coloured_off_it() {
        assert_eq!(heat(0.5), [255, 255, 255]);
        let blue = heat(0.0);
        assert!(blue[2] > blue[0]);
        let orange = heat(1.0);
        assert!(orange[0] > orange[2]);
        assert_eq!(heatmap_pixels(Loss::Bce, &[0.0, 100.0], 1).len(), 8);
    }

    #[test]
    fn loss_ticks_read_as_plain_numbers() {
        let ticks: Vec<String> = [0.8, 0.3, 0.02, 0.0015, 1.0, 12.0, 2e-5, 3e4, 0.0].into_iter().map(format_loss_tick).collect();
        assert_eq!(ticks, ["0.8", "0.3", "0.02", "0.0015", "1", "12", "2e-5", "3e4", "0"]);
    }

    #[test]
    fn log_axes_start_at_a_decade() {
        assert!((decade_below(0.196) - 0.0999).abs() < 1e-12);
        assert!((decade_below(3.0) - 0.999).abs() < 1e-12);
    }

    #[test]
    fn history_thins_but_keeps_the_ends() {
        let mut h = History::default();
        for s in 0..5000u64 {
            h.push(s, 1.0 / (s + 1) as f32, None);
        }
        assert!(h.points.len() <= HISTORY_CAP);
        assert_eq!(h.points[0].0, 0);
        assert_eq!(h.points.last().unwrap().0, 4999);
        assert!(h.points.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
