//! Line charts through one function: the NTK lab's spectrum, drift,
//! function and spectral-bias pictures and the double-descent lab's
//! epoch-wise curves.

use plotters::prelude::*;

use super::surface::{Backend, Surface};
use super::{decade_below, format_loss_tick, legend, mesh, GREY_RGB};

/// One line of a [`Lines`] chart.
pub struct Line {
    pub label: String,
    pub colour: (u8, u8, u8),
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

/// A line chart; log axes drop non-positive values.
pub struct Lines<'a> {
    pub lines: &'a [Line],
    /// Points drawn as dots (the training data).
    pub dots: &'a [(f64, f64)],
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub log_x: bool,
    pub log_y: bool,
    /// On a log y axis, values below `floor × the largest` are left out
    /// (decays to 10⁻²⁰⁰ and f32 round-off carry no picture).
    pub floor: f64,
}

/// An axis label: log axes in the loss charts' style, linear ones rounded
/// (so round-off shows as 0, not 2e-16).
fn tick(v: f64, log: bool) -> String {
    if log {
        format_loss_tick(v as f32)
    } else {
        let r = (v * 1000.0).round() / 1000.0;
        format!("{}", if r == 0.0 { 0.0 } else { r })
    }
}

/// The axis range of `values`, padded (log: from a decade below).
pub(crate) fn range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (if v < lo { v } else { lo }, if v > hi { v } else { hi }));
    if !(lo.is_finite() && hi.is_finite()) {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        (decade_below(lo), if hi > lo { hi * 1.3 } else { lo * 10.0 })
    } else {
        let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
        (lo - pad, hi + pad)
    }
}

fn builder<'a, 'b, 's>(root: &'a DrawingArea<Backend<'s>, plotters::coord::Shift>, s: &Surface<'_>) -> ChartBuilder<'a, 'b, Backend<'s>> {
    let mut b = ChartBuilder::on(root);
    b.margin(s.px(8.0)).margin_right(s.px(18.0)).x_label_area_size(s.px(36.0)).y_label_area_size(s.px(56.0));
    b
}

pub fn draw_lines(s: &mut Surface<'_>, c: &Lines<'_>) {
    let Some(root) = s.root() else { return };
    let all = || c.lines.iter().flat_map(|l| l.points.iter()).chain(c.dots);
    let (x0, x1) = range(all().map(|p| p.0), c.log_x);
    let top = all().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0, |a, b| if b > a { b } else { a });
    let shown = |y: f64| !c.log_y || y >= c.floor * top;
    let (y0, y1) = range(all().map(|p| p.1).filter(|&y| shown(y)), c.log_y);
    let width = s.stroke(2.0);
    let dash = (s.stroke(6.0), s.stroke(4.0));
    // One body for the four axis kinds.
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            let _ = mesh(&mut chart, s)
                .x_desc(c.x_desc)
                .y_desc(c.y_desc)
                .x_label_formatter(&|v| tick(*v, c.log_x))
                .y_label_formatter(&|v| tick(*v, c.log_y))
                .draw();
            let keep =
                |&&(x, y): &&(f64, f64)| x.is_finite() && y.is_finite() && (!c.log_x || x > 0.0) && (!c.log_y || y > 0.0) && shown(y);
            let _ = chart.draw_series(c.dots.iter().filter(keep).map(|&p| Circle::new(p, s.px(3.0), s.theme.rgb(GREY_RGB).filled())));
            for line in c.lines {
                let colour = s.theme.rgb(line.colour);
                let pts: Vec<(f64, f64)> = line.points.iter().filter(keep).copied().collect();
                let drawn = if line.dashed {
                    chart.draw_series(DashedLineSeries::new(pts, dash.0, dash.1, colour.stroke_width(width)))
                } else {
                    chart.draw_series(LineSeries::new(pts, colour.stroke_width(width)))
                };
                if let (Ok(s), false) = (drawn, line.label.is_empty()) {
                    s.label(line.label.clone()).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(width)));
                }
            }
            if c.lines.iter().any(|l| !l.label.is_empty()) {
                legend(&mut chart, s, SeriesLabelPosition::UpperRight);
            }
        }};
    }
    match (c.log_x, c.log_y) {
        (true, true) => {
            if let Ok(ch) = builder(&root, s).build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale()) {
                body!(ch);
            }
        }
        (true, false) => {
            if let Ok(ch) = builder(&root, s).build_cartesian_2d((x0..x1).log_scale(), y0..y1) {
                body!(ch);
            }
        }
        (false, true) => {
            if let Ok(ch) = builder(&root, s).build_cartesian_2d(x0..x1, (y0..y1).log_scale()) {
                body!(ch);
            }
        }
        (false, false) => {
            if let Ok(ch) = builder(&root, s).build_cartesian_2d(x0..x1, y0..y1) {
                body!(ch);
            }
        }
    }
    let _ = root.present();
}
