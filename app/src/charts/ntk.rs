//! The NTK lab's charts: the Gram matrix as a heat map, and line charts
//! (spectrum, drift, function, spectral bias) through one [`draw_lines`].

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::{decade_below, fit, format_loss_tick, rgb, GREY};

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

fn range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (if v < lo { v } else { lo }, if v > hi { v } else { hi }));
    if !(lo.is_finite() && hi.is_finite()) {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        (decade_below(lo * 0.9), if hi > lo { hi * 1.3 } else { lo * 10.0 })
    } else {
        let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
        (lo - pad, hi + pad)
    }
}

fn builder<'a, 'b>(root: &'a DrawingArea<CanvasBackend, plotters::coord::Shift>, dpr: f64) -> ChartBuilder<'a, 'b, CanvasBackend> {
    let mut b = ChartBuilder::on(root);
    b.margin((8.0 * dpr) as i32)
        .margin_right((18.0 * dpr) as i32)
        .x_label_area_size((36.0 * dpr) as i32)
        .y_label_area_size((56.0 * dpr) as i32);
    b
}

pub fn draw_lines(canvas: &HtmlCanvasElement, c: &Lines<'_>) {
    let dpr = fit(canvas);
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
        return;
    };
    let root = backend.into_drawing_area();
    let _ = root.fill(&WHITE);
    let all = || c.lines.iter().flat_map(|l| l.points.iter()).chain(c.dots);
    let (x0, x1) = range(all().map(|p| p.0), c.log_x);
    let top = all().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0, |a, b| if b > a { b } else { a });
    let shown = |y: f64| !c.log_y || y >= c.floor * top;
    let (y0, y1) = range(all().map(|p| p.1).filter(|&y| shown(y)), c.log_y);
    let font = ("sans-serif", 12.0 * dpr).into_font();
    let width = (2.0 * dpr) as u32;
    let dash = ((6.0 * dpr) as u32, (4.0 * dpr) as u32);
    // One body for the four axis kinds.
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            let _ = chart
                .configure_mesh()
                .light_line_style(RGBColor(235, 235, 235))
                .label_style(font.clone())
                .x_desc(c.x_desc)
                .y_desc(c.y_desc)
                .x_labels(6)
                .y_labels(8)
                .x_label_formatter(&|v| tick(*v, c.log_x))
                .y_label_formatter(&|v| tick(*v, c.log_y))
                .draw();
            let keep =
                |&&(x, y): &&(f64, f64)| x.is_finite() && y.is_finite() && (!c.log_x || x > 0.0) && (!c.log_y || y > 0.0) && shown(y);
            let _ = chart.draw_series(c.dots.iter().filter(keep).map(|&p| Circle::new(p, (3.0 * dpr) as i32, GREY.filled())));
            for line in c.lines {
                let colour = rgb(line.colour);
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
                let _ = chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .label_font(font.clone())
                    .background_style(WHITE.mix(0.85))
                    .border_style(GREY)
                    .draw();
            }
        }};
    }
    match (c.log_x, c.log_y) {
        (true, true) => {
            if let Ok(ch) = builder(&root, dpr).build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale()) {
                body!(ch);
            }
        }
        (true, false) => {
            if let Ok(ch) = builder(&root, dpr).build_cartesian_2d((x0..x1).log_scale(), y0..y1) {
                body!(ch);
            }
        }
        (false, true) => {
            if let Ok(ch) = builder(&root, dpr).build_cartesian_2d(x0..x1, (y0..y1).log_scale()) {
                body!(ch);
            }
        }
        (false, false) => {
            if let Ok(ch) = builder(&root, dpr).build_cartesian_2d(x0..x1, y0..y1) {
                body!(ch);
            }
        }
    }
    let _ = root.present();
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// The `n × n` Gram matrix (row-major) as a heat map, entry (0, 0) top
/// left, with a colour bar; `scratch` is an off-screen canvas.
pub fn draw_gram(canvas: &HtmlCanvasElement, scratch: &HtmlCanvasElement, gram: &[f64], n: usize) {
    let dpr = fit(canvas);
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
        return;
    };
    let root = backend.into_drawing_area();
    let _ = root.fill(&WHITE);
    let (lo, hi) = range(gram.iter().copied(), false);
    let colour = |v: f64| ViridisRGB::get_color(((v - lo) / (hi - lo)).clamp(0.0, 1.0) as f32);
    let (w, _) = root.dim_in_pixel();
    let bar_w = (80.0 * dpr) as u32;
    let (plot, bar) = root.split_horizontally(w.saturating_sub(bar_w));
    let font = ("sans-serif", 12.0 * dpr).into_font();
    let Ok(mut chart) = ChartBuilder::on(&plot)
        .margin((8.0 * dpr) as i32)
        .x_label_area_size((30.0 * dpr) as i32)
        .y_label_area_size((40.0 * dpr) as i32)
        .build_cartesian_2d(0.0..n as f64, n as f64..0.0)
    else {
        return;
    };
    let mut pixels = Vec::with_capacity(n * n * 4);
    for v in gram {
        let RGBColor(r, g, b) = if v.is_finite() { colour(*v) } else { RGBColor(200, 200, 200) };
        pixels.extend_from_slice(&[r, g, b, 255]);
    }
    scratch.set_width(n as u32);
    scratch.set_height(n as u32);
    if let (Some(sctx), Some(ctx)) = (context(scratch), context(canvas)) {
        if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), n as u32, n as u32) {
            let _ = sctx.put_image_data(&img, 0.0, 0.0);
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            ctx.set_image_smoothing_enabled(false);
            let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                scratch,
                f64::from(xr.start),
                f64::from(yr.start),
                f64::from(xr.end - xr.start),
                f64::from(yr.end - yr.start),
            );
        }
    }
    let _ = chart.configure_mesh().disable_mesh().label_style(font.clone()).x_desc("training point j").y_desc("point i").draw();
    let Ok(mut cb) = ChartBuilder::on(&bar)
        .margin_top((8.0 * dpr) as i32)
        .margin_bottom((38.0 * dpr) as i32)
        .margin_left((4.0 * dpr) as i32)
        .right_y_label_area_size((52.0 * dpr) as i32)
        .build_cartesian_2d(0.0f64..1.0, lo..hi)
    else {
        return;
    };
    let steps = 64;
    let _ = cb.draw_series((0..steps).map(|k| {
        let (v0, v1) = (lo + (hi - lo) * k as f64 / steps as f64, lo + (hi - lo) * (k + 1) as f64 / steps as f64);
        Rectangle::new([(0.0, v0), (1.0, v1)], colour(lo + (hi - lo) * (k as f64 + 0.5) / steps as f64).filled())
    }));
    let _ =
        cb.configure_mesh().disable_mesh().disable_x_axis().label_style(font).y_label_formatter(&|v| format_loss_tick(*v as f32)).draw();
    let _ = root.present();
}
