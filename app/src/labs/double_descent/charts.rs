//! The double-descent charts: train and test error (median and quartile
//! band over seeds) against the number of features or of samples, log-log,
//! with the interpolation threshold marked and trained nets' errors as
//! markers over the exact curve; and the epoch-wise curves (a
//! [`crate::charts::lines`] chart).

use gradlab_core::double_descent::{bands, Band, SweepLog};
use plotters::prelude::*;

use super::run::Run;
use super::state::{DdState, DdView, Train};
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::SERIES;

use crate::charts::{decade_below, format_loss_tick, legend, mesh, Surface, CLASS0, CLASS1, GREY_RGB};

/// One curve: x values with the train and test bands at each.
pub struct Curve<'a> {
    pub x: &'a [usize],
    pub train: &'a [Band],
    pub test: &'a [Band],
    /// Where the interpolation threshold sits on the x axis.
    pub threshold: usize,
    pub threshold_label: &'a str,
    pub x_desc: &'a str,
    /// Points of the x axis the curve will cover (drawn as the frame before
    /// they are computed).
    pub x_range: (usize, usize),
    /// Trained nets' errors: (width, train, test) medians and quartiles.
    pub trained: &'a [(usize, Band, Band)],
    /// A second threshold (full training: where the parameters reach n).
    pub params_threshold: Option<f64>,
}

pub fn draw_curve(s: &mut Surface<'_>, c: &Curve<'_>) {
    let Some(root) = s.root() else { return };
    let trained = c.trained.iter().flat_map(|(_, a, b)| [a, b]);
    let values = c.train.iter().chain(c.test).chain(trained).flat_map(|b| [b.lo, b.hi, b.median]).filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (if v < lo { v } else { lo }, if v > hi { v } else { hi }));
    // Train error reaches 0 past the threshold: floor the axis a little
    // below the smallest test error instead of at machine precision.
    let test_lo = c.test.iter().map(|b| b.lo).filter(|v| v.is_finite() && *v > 0.0).fold(f64::INFINITY, |a, b| if b < a { b } else { a });
    let lo = if test_lo.is_finite() { (test_lo / 30.0).max(if lo.is_finite() { lo } else { 1e-3 }) } else { 1e-3 };
    let (lo, hi) = if hi.is_finite() && hi > lo { (decade_below(lo * 0.8), hi * 1.25) } else { (1e-3, 10.0) };
    let x0 = decade_below(c.x_range.0.max(1) as f64);
    let x1 = (c.x_range.1 as f64).max(x0 * 2.0);
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(s.px(8.0))
        .margin_right(s.px(18.0))
        .x_label_area_size(s.px(36.0))
        .y_label_area_size(s.px(52.0))
        .build_cartesian_2d((x0..x1).log_scale(), (lo..hi).log_scale())
    else {
        return;
    };
    let _ = mesh(&mut chart, s)
        .x_desc(c.x_desc)
        .y_desc("mean squared error")
        .x_label_formatter(&|v| format_loss_tick(*v as f32))
        .y_label_formatter(&|v| format_loss_tick(*v as f32))
        .draw();
    let clamp = |v: f64| if v.is_finite() { v.clamp(lo, hi) } else { hi };
    let width = s.stroke(2.0);
    let grey = s.theme.rgb(GREY_RGB);
    let thresholds = std::iter::once((c.threshold as f64, c.threshold_label)).chain(c.params_threshold.map(|t| (t, "params = n")));
    for (threshold, label) in thresholds {
        let _ = chart.draw_series(DashedLineSeries::new(
            [(threshold, lo), (threshold, hi)],
            s.stroke(6.0),
            s.stroke(4.0),
            grey.stroke_width(s.stroke(1.0)),
        ));
        let _ = chart.draw_series(std::iter::once(Text::new(label.to_owned(), (threshold * 1.04, hi / 1.6), s.font(12.0).color(&grey))));
    }
    for (bands, colour, name) in [(c.train, CLASS0, "train"), (c.test, CLASS1, "test")] {
        let xs = c.x.iter().take(bands.len()).map(|&x| x as f64);
        let upper: Vec<(f64, f64)> = xs.clone().zip(bands).map(|(x, b)| (x, clamp(b.hi))).collect();
        let lower: Vec<(f64, f64)> = xs.clone().zip(bands).rev().map(|(x, b)| (x, clamp(b.lo))).collect();
        let colour = s.theme.rgb(colour);
        let _ = chart.draw_series(std::iter::once(Polygon::new([upper, lower].concat(), colour.mix(0.18).filled())));
        let median: Vec<(f64, f64)> = xs.zip(bands).map(|(x, b)| (x, clamp(b.median))).collect();
        if let Ok(series) = chart.draw_series(LineSeries::new(median, colour.stroke_width(width))) {
            series.label(name).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(width)));
        }
    }
    // Trained nets: a marker at the median, a bar over the quartiles.
    let r = s.px(3.5);
    for (pick, colour, filled, name) in [(0, CLASS0, false, "trained: train"), (1, CLASS1, true, "trained: test")] {
        let band = |t: &(usize, Band, Band)| if pick == 0 { t.1 } else { t.2 };
        let points: Vec<(f64, Band)> = c.trained.iter().map(|t| (t.0 as f64, band(t))).filter(|(_, b)| b.median.is_finite()).collect();
        if points.is_empty() {
            continue;
        }
        let dark = s.theme.rgb(colour).mix(1.0);
        let _ = chart.draw_series(
            points.iter().map(|&(x, b)| PathElement::new([(x, clamp(b.lo)), (x, clamp(b.hi))], dark.stroke_width(s.stroke(1.0)))),
        );
        let style = if filled { dark.filled() } else { dark.stroke_width(s.stroke(1.5)) };
        if let Ok(series) = chart.draw_series(points.iter().map(|&(x, b)| Circle::new((x, clamp(b.median)), r, style))) {
            series.label(name).legend(move |(x, y)| Circle::new((x + 8, y), r, style));
        }
    }
    legend(&mut chart, s, SeriesLabelPosition::UpperLeft);
    let _ = root.present();
}

/// The widths the trained sweep shows over time: nearest to n/4, n and 4n
/// (and, in full training, to where the parameter count reaches n).
pub fn epoch_widths(s: &DdState, trained: &[usize]) -> Vec<usize> {
    let mut targets = vec![s.n as f64 / 4.0, s.n as f64, 4.0 * s.n as f64];
    if s.train == Train::Full {
        targets.insert(0, s.params_threshold());
    }
    let mut out: Vec<usize> = targets
        .iter()
        .filter_map(|&t| trained.iter().copied().min_by(|a, b| ((*a as f64 / t).ln().abs()).total_cmp(&(*b as f64 / t).ln().abs())))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Draws `view`'s chart (model-, sample- or epoch-wise) on `surface`.
pub fn draw_view(r: &Run, s: &DdState, view: DdView, surface: &mut Surface<'_>) {
    let trained = r.sweep.as_ref().and_then(|t| t.log()).map(SweepLog::latest).unwrap_or_default();
    for (series, v, model) in [(&r.model, DdView::Model, true), (&r.sample, DdView::Sample, false)] {
        let Some(se) = series.as_ref().filter(|_| v == view) else { continue };
        let (train, test) = bands(&se.errors(s.noise));
        let (threshold, label, x_desc) = if model { (s.n, "p = n", "features p") } else { (s.p, "n = p", "training samples n") };
        let curve = Curve {
            x: &se.xs,
            train: &train,
            test: &test,
            threshold,
            threshold_label: label,
            x_desc,
            x_range: (se.xs[0], *se.xs.last().unwrap_or(&1)),
            trained: if model { &trained } else { &[] },
            params_threshold: (model && s.train == Train::Full).then(|| s.params_threshold()),
        };
        draw_curve(surface, &curve);
    }
    if let (Some(sweep), DdView::Epoch) = (r.sweep.as_ref().and_then(|t| t.log()), view) {
        let lines: Vec<Line> = epoch_widths(s, &sweep.widths())
            .into_iter()
            .zip(SERIES)
            .map(|(w, colour)| {
                let points = sweep.test_over_time(w).into_iter().map(|(step, e)| (step as f64, e)).collect();
                Line { label: format!("p = {w}"), colour, dashed: false, points }
            })
            .collect();
        let chart = Lines {
            lines: &lines,
            dots: &[],
            x_desc: "training step",
            y_desc: "test mean squared error",
            log_x: true,
            log_y: true,
            floor: 1e-6,
        };
        draw_lines(surface, &chart);
    }
}
