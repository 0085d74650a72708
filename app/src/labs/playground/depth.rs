//! The depth view: layer by layer, how large the activations are and how
//! large the loss gradient is, at initialization and now. With the wrong
//! scale they shrink or grow geometrically with depth; He initialization
//! keeps a ReLU net's activations level.

use gradlab_core::gpu::EvalSet;
use gradlab_core::hidden::{LayerStats, Rows};
use gradlab_core::Problem;
use plotters::prelude::*;

use super::hidden::MAX_POINTS;
use crate::charts::{format_loss_tick, legend, mesh, Surface, CLASS0, CLASS1};

/// The training points the statistics are over (the first ones).
#[must_use]
pub fn rows(problem: &Problem) -> Rows {
    Rows::first(EvalSet::Train, problem.dataset.train.len().min(MAX_POINTS))
}

/// The statistics at initialization and at the latest look.
#[derive(Default)]
pub struct DepthLook {
    pub init: Option<LayerStats>,
    pub now: Option<(u64, LayerStats)>,
}

/// Positive, finite values of a series, as `(layer, log₁₀ value)`.
fn logs(values: &[f64]) -> Vec<(f64, f64)> {
    values.iter().enumerate().filter(|(_, v)| v.is_finite() && **v > 0.0).map(|(l, v)| ((l + 1) as f64, v.log10())).collect()
}

/// The log₁₀ range covering `series`, padded; a decade around 1 if empty.
fn range(series: &[&[(f64, f64)]]) -> (f64, f64) {
    let all = series.iter().flat_map(|s| s.iter().map(|p| p.1));
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (if v < lo { v } else { lo }, if v > hi { v } else { hi }));
    if lo.is_finite() {
        // Room at the top for the legend.
        let span = if hi - lo > 0.3 { hi - lo } else { 0.3 };
        (lo - 0.08 * span, hi + 0.35 * span)
    } else {
        (-1.0, 1.0)
    }
}

/// One panel: a statistic against the layer, at init (dashed) and now.
fn panel<'a>(
    area: &DrawingArea<crate::charts::surface::Backend<'a>, plotters::coord::Shift>,
    surface: &Surface<'a>,
    title: &str,
    layers: usize,
    init: Option<&[f64]>,
    now: Option<(u64, &[f64])>,
) {
    let (a, b) = (init.map(logs).unwrap_or_default(), now.map(|n| logs(n.1)).unwrap_or_default());
    let (lo, hi) = range(&[&a, &b]);
    let Ok(mut chart) = ChartBuilder::on(area)
        .margin(surface.px(8.0))
        .caption(title, surface.font(13.0))
        .x_label_area_size(surface.px(36.0))
        .y_label_area_size(surface.px(52.0))
        .build_cartesian_2d(0.5..layers as f64 + 0.5, lo..hi)
    else {
        return;
    };
    let _ = mesh(&mut chart, surface)
        .x_desc("layer")
        .x_labels(layers.min(16))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format_loss_tick(10f32.powf(*v as f32)))
        .draw();
    let width = surface.stroke(2.0);
    let (c0, c1) = (surface.theme.rgb(CLASS0), surface.theme.rgb(CLASS1));
    let r = surface.px(3.0).max(1);
    if let Ok(series) =
        chart.draw_series(DashedLineSeries::new(a.clone(), surface.stroke(6.0), surface.stroke(4.0), c1.stroke_width(width)))
    {
        series.label("at initialization").legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c1.stroke_width(width)));
    }
    let _ = chart.draw_series(a.iter().map(|&p| Circle::new(p, r, c1.filled())));
    if let Some((step, _)) = now {
        if let Ok(series) = chart.draw_series(LineSeries::new(b.clone(), c0.stroke_width(width))) {
            series.label(format!("at step {step}")).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c0.stroke_width(width)));
        }
        let _ = chart.draw_series(b.iter().map(|&p| Circle::new(p, r, c0.filled())));
    }
    legend(&mut chart, surface, SeriesLabelPosition::UpperRight);
}

/// Both panels: the activations' spread and the gradient's size per layer.
pub fn draw_depth(surface: &mut Surface<'_>, problem: &Problem, look: &DepthLook) {
    let Some(root) = surface.root() else { return };
    let depth = problem.spec.hidden.len();
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(w / 2);
    let now = look.now.as_ref();
    let std = |s: &LayerStats| s.activation_std.clone();
    let (init_a, now_a) = (look.init.as_ref().map(std), now.map(|(t, s)| (*t, std(s))));
    panel(&left, surface, "spread of the activations, std(h_l)", depth, init_a.as_deref(), now_a.as_ref().map(|(t, v)| (*t, &v[..])));
    let grad = |s: &LayerStats| s.gradient_norm.clone();
    let (init_g, now_g) = (look.init.as_ref().map(grad), now.map(|(t, s)| (*t, grad(s))));
    panel(&right, surface, "gradient size, ‖∂L/∂W_l‖", depth + 1, init_g.as_deref(), now_g.as_ref().map(|(t, v)| (*t, &v[..])));
    let _ = root.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_series_skip_what_a_log_axis_cannot_show() {
        assert_eq!(logs(&[1.0, 0.0, 100.0, f64::NAN]), [(1.0, 0.0), (3.0, 2.0)]);
        let (lo, hi) = range(&[&[(1.0, -2.0)], &[(2.0, 3.0)]]);
        assert!(lo < -2.0 && hi > 3.0);
        assert_eq!(range(&[&[]]), (-1.0, 1.0));
    }
}
