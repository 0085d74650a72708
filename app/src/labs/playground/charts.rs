//! The playground's charts: the network's function over the data (a
//! decision-boundary heat map in 2D, the fitted curve in 1D) and the loss
//! curves. The colour maths is plain Rust with native tests.

use gradlab_core::engine::GRID_2D;
use gradlab_core::{DatasetKind, Loss, Problem};
use plotters::coord::types::RangedCoordf32;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::charts::surface::Backend;
use crate::charts::{class_colour, format_loss_tick, legend, mesh, History, Point, Surface, CLASS0, CLASS1, CLASSES, GREY_RGB};

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

/// Heatmap colour for more than two classes: the predicted class's
/// colour, saturated by how far its softmax probability is above chance.
#[must_use]
pub fn heat_of(out: &[f32]) -> [u8; 3] {
    let top = out.iter().copied().fold(f32::NEG_INFINITY, |m, v| if v > m { v } else { m });
    let sum: f32 = out.iter().map(|&v| (v - top).exp()).sum();
    let Some(best) = (0..out.len()).max_by(|&a, &b| out[a].total_cmp(&out[b])) else { return [255; 3] };
    let k = out.len() as f32;
    let p = 1.0 / sum; // the best class's probability
    if !p.is_finite() {
        return [255; 3];
    }
    let t = 0.75 * ((p - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0);
    let c = CLASSES[best.min(CLASSES.len() - 1)];
    let mix = |a: u8| (255.0 + (f32::from(a) - 255.0) * t).round() as u8;
    [mix(c.0), mix(c.1), mix(c.2)]
}

/// RGBA pixels of a `g × g` heatmap from grid outputs (`g² × k`).
#[must_use]
pub fn heatmap_pixels(loss: Loss, grid: &[f32], k: usize) -> Vec<u8> {
    grid.chunks(k)
        .flat_map(|out| {
            let [r, g, b] = if k > 2 { heat_of(out) } else { heat(class1_probability(loss, out)) };
            [r, g, b, 255]
        })
        .collect()
}

/// The true function of a regression dataset, for reference.
#[must_use]
pub fn truth(kind: DatasetKind, x: f32) -> Option<f32> {
    (kind == DatasetKind::Sine).then(|| (std::f32::consts::TAU * x).sin())
}

/// Where a chart put its data: the plotting area as fractions of the
/// chart (left, top, right, bottom) and the data's box, `[(x₀, x₁), (y₀, y₁)]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plot {
    pub area: [f64; 4],
    pub domain: [(f32, f32); 2],
}

impl Plot {
    /// The data point under `(x, y)`, fractions of the chart, if inside.
    #[must_use]
    pub fn at(&self, x: f64, y: f64) -> Option<[f32; 2]> {
        let [l, t, r, b] = self.area;
        let (u, v) = ((x - l) / (r - l), (y - t) / (b - t));
        let [(x0, x1), (y0, y1)] = self.domain;
        ((0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v)).then_some([x0 + (x1 - x0) * u as f32, y1 - (y1 - y0) * v as f32])
    }
}

/// The function chart's axes.
type Axes<'a> = ChartContext<'a, Backend<'a>, Cartesian2d<RangedCoordf32, RangedCoordf32>>;

/// The function chart's axes over `domain`, and where they are.
fn axes<'a>(s: &Surface<'a>, root: &DrawingArea<Backend<'a>, Shift>, [(x0, x1), (y0, y1)]: [(f32, f32); 2]) -> Option<(Axes<'a>, Plot)> {
    let chart = ChartBuilder::on(root)
        .margin(s.px(8.0))
        .x_label_area_size(s.px(24.0))
        .y_label_area_size(s.px(32.0))
        .build_cartesian_2d(x0..x1, y0..y1)
        .ok()?;
    let (w, h) = root.dim_in_pixel();
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (w, h) = (f64::from(w.max(1)), f64::from(h.max(1)));
    let area = [f64::from(xr.start) / w, f64::from(yr.start) / h, f64::from(xr.end) / w, f64::from(yr.end) / h];
    Some((chart, Plot { area, domain: [(x0, x1), (y0, y1)] }))
}

/// Your data with no points yet: the axes, and how to add some.
pub fn draw_empty(s: &mut Surface<'_>, domain: [(f32, f32); 2], hint: &str) -> Option<Plot> {
    let root = s.root()?;
    let (mut chart, plot) = axes(s, &root, domain)?;
    let _ = mesh(&mut chart, s).draw();
    let _ = root.draw(&Text::new(hint.to_owned(), (s.px(48.0), s.px(20.0)), s.font(13.0)));
    let _ = root.present();
    Some(plot)
}

/// The network's function: a decision-boundary heatmap with the
/// training points (2D), or the fitted curve with the points (1D).
/// Returns where the data went (for clicks that add points).
pub fn draw_function(s: &mut Surface<'_>, problem: &Problem, grid_x: &[f32], grid: &[f32]) -> Option<Plot> {
    let root = s.root()?;
    let [(_, _), (y0, y1)] = problem.dataset.domain();
    let (mut chart, plot) = axes(s, &root, problem.dataset.domain())?;
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
        let class = |c: f32| s.theme.rgb(class_colour(c));
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
    Some(plot)
}

/// Train (solid) and test (dashed) loss against steps, log scale, with
/// the step of the lowest test loss marked; under them a classifier's
/// accuracies, with chance (`1/classes`) marked.
pub fn draw_losses(s: &mut Surface<'_>, history: &History, classes: usize) {
    let Some(root) = s.root() else { return };
    let (_, h) = root.dim_in_pixel();
    if classes > 1 && history.points.iter().any(|p| p.train_accuracy.is_some()) {
        let (top, bottom) = root.split_vertically(h * 3 / 5);
        draw_loss_curves(s, &top, history);
        draw_accuracy(s, &bottom, history, classes);
    } else {
        draw_loss_curves(s, &root, history);
    }
    let _ = root.present();
}

/// The loss and accuracy charts' axes: steps, and a value.
type StepAxes<'a> = ChartContext<'a, Backend<'a>, Cartesian2d<plotters::coord::types::RangedCoordu64, RangedCoordf32>>;

/// A dotted line at the step of the lowest test loss, from `lo` to
/// `hi` (in the legend where `label`).
fn draw_best(chart: &mut StepAxes<'_>, s: &Surface<'_>, history: &History, (lo, hi): (f32, f32), label: bool) {
    let Some((step, _)) = history.best else { return };
    let ink = s.theme.ink.stroke_width(s.stroke(1.5));
    if let Ok(series) = chart.draw_series(DashedLineSeries::new([(step, lo), (step, hi)], s.stroke(2.0), s.stroke(3.0), ink)) {
        if label {
            series.label(format!("lowest test loss, step {step}")).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], ink));
        }
    }
}

fn draw_loss_curves(s: &Surface<'_>, area: &DrawingArea<Backend<'_>, Shift>, history: &History) {
    let pts = &history.points;
    let finite = |v: f32| v.is_finite() && v > 0.0;
    let values = pts.iter().chain(&history.beside).flat_map(|p| [Some(p.train), p.test]).flatten().filter(|&v| finite(v));
    let (lo, hi) =
        values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (if v < lo { v } else { lo }, if v > hi { v } else { hi }));
    // A linear axis of log₁₀ loss, labelled with the loss: tight around
    // the data (plotters' log axis labels only from a power of ten up).
    let (lo, hi) = if lo.is_finite() { ((lo * 0.8).log10(), (hi * 1.25).log10()) } else { (-3.0, 0.0) };
    let max_step = pts.last().map_or(1, |p| p.step.max(1));
    let Ok(mut chart) = ChartBuilder::on(area)
        .margin(s.px(8.0))
        .x_label_area_size(s.px(36.0))
        .y_label_area_size(s.px(52.0))
        .build_cartesian_2d(0u64..max_step, lo..hi)
    else {
        return;
    };
    let _ = mesh(&mut chart, s).x_desc("step").y_desc("loss").y_label_formatter(&|v| format_loss_tick(10f32.powf(*v))).draw();
    let curves = |pts: &[Point]| -> [Vec<(u64, f32)>; 2] {
        let train = pts.iter().filter(|p| finite(p.train)).map(|p| (p.step, p.train.log10())).collect();
        let test = pts.iter().filter_map(|p| p.test.filter(|&v| finite(v)).map(|v| (p.step, v.log10()))).collect();
        [train, test]
    };
    draw_pair(&mut chart, s, curves(pts), None);
    draw_pair(&mut chart, s, curves(&history.beside), Some(GREY_RGB));
    draw_best(&mut chart, s, history, (lo, hi), true);
    if !pts.is_empty() {
        legend(&mut chart, s, SeriesLabelPosition::UpperRight);
    }
}

/// Train (solid) and test (dashed) curves in the class colours, named in
/// the legend; or, with `grey`, the net beside on shuffled labels, thinner
/// and named once.
fn draw_pair(chart: &mut StepAxes<'_>, s: &Surface<'_>, [train, test]: [Vec<(u64, f32)>; 2], grey: Option<(u8, u8, u8)>) {
    if train.is_empty() && test.is_empty() {
        return;
    }
    let width = s.stroke(if grey.is_some() { 1.5 } else { 2.0 });
    let (c0, c1) = match grey {
        Some(g) => (s.theme.rgb(g), s.theme.rgb(g)),
        None => (s.theme.rgb(CLASS0), s.theme.rgb(CLASS1)),
    };
    let names = if grey.is_some() { ["shuffled labels", ""] } else { ["train", "test"] };
    if let Ok(series) = chart.draw_series(LineSeries::new(train, c0.stroke_width(width))) {
        series.label(names[0]).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c0.stroke_width(width)));
    }
    if let Ok(series) = chart.draw_series(DashedLineSeries::new(test, s.stroke(6.0), s.stroke(4.0), c1.stroke_width(width))) {
        if grey.is_none() {
            series.label(names[1]).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c1.stroke_width(width)));
        }
    }
}

/// Accuracy in percent against steps (the loss chart's legend holds for
/// it), chance dotted and named.
fn draw_accuracy(s: &Surface<'_>, area: &DrawingArea<Backend<'_>, Shift>, history: &History, classes: usize) {
    let pts = &history.points;
    let max_step = pts.last().map_or(1, |p| p.step.max(1));
    let Ok(mut chart) = ChartBuilder::on(area)
        .margin(s.px(8.0))
        .x_label_area_size(s.px(36.0))
        .y_label_area_size(s.px(52.0))
        .build_cartesian_2d(0u64..max_step, 0f32..100.0)
    else {
        return;
    };
    let _ = mesh(&mut chart, s).x_desc("step").y_desc("accuracy %").y_labels(6).y_label_formatter(&|v| format!("{v:.0}")).draw();
    let chance = 100.0 / classes as f32;
    let grey = s.theme.rgb(GREY_RGB);
    let _ = chart.draw_series(DashedLineSeries::new(
        [(0, chance), (max_step, chance)],
        s.stroke(1.0),
        s.stroke(3.0),
        grey.stroke_width(s.stroke(1.0)),
    ));
    let _ = chart.draw_series([Text::new("chance", (0, chance + 9.0), s.font(11.0).color(&grey))]);
    let percent = |v: Option<f32>| v.filter(|v| v.is_finite()).map(|v| 100.0 * v);
    let curves = |pts: &[Point]| -> [Vec<(u64, f32)>; 2] {
        let train = pts.iter().filter_map(|p| percent(p.train_accuracy).map(|v| (p.step, v))).collect();
        let test = pts.iter().filter_map(|p| percent(p.test_accuracy).map(|v| (p.step, v))).collect();
        [train, test]
    };
    draw_pair(&mut chart, s, curves(pts), None);
    draw_pair(&mut chart, s, curves(&history.beside), Some(GREY_RGB));
    draw_best(&mut chart, s, history, (0.0, 100.0), false);
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
    fn more_classes_colour_by_the_winner_and_its_confidence() {
        assert_eq!(heat_of(&[0.0, 0.0, 0.0]), [255, 255, 255], "no preference is white");
        let sure = heat_of(&[0.0, 30.0, 0.0, 0.0]);
        let mix = |a: u8| (255.0 + (f32::from(a) - 255.0) * 0.75).round() as u8;
        assert_eq!(sure, [mix(CLASS1.0), mix(CLASS1.1), mix(CLASS1.2)], "a sure class 2 is its colour at full strength");
        let unsure = heat_of(&[0.0, 0.0, 0.5]);
        let g = CLASSES[2];
        assert!(unsure[0] > mix(g.0) && unsure[0] < 255, "a weak preference is paler: {unsure:?}");
        assert_eq!(heat_of(&[f32::NAN, 0.0, 0.0]), [255, 255, 255], "a diverged output is white");
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
}
