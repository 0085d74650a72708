//! The NTK lab's Gram matrix as a heat map (its line charts are
//! [`super::lines`]).

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::lines::range;
use super::{blit, colour_bar, fit, format_loss_tick, viridis};

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
    let colour = |v: f64| viridis((v - lo) / (hi - lo));
    let (w, _) = root.dim_in_pixel();
    let (plot, bar) = root.split_horizontally(w.saturating_sub((80.0 * dpr) as u32));
    let font = ("sans-serif", 12.0 * dpr).into_font();
    let Ok(mut chart) = ChartBuilder::on(&plot)
        .margin((8.0 * dpr) as i32)
        .x_label_area_size((30.0 * dpr) as i32)
        .y_label_area_size((40.0 * dpr) as i32)
        .build_cartesian_2d(0.0..n as f64, n as f64..0.0)
    else {
        return;
    };
    let pixels: Vec<u8> = gram
        .iter()
        .flat_map(|&v| {
            let RGBColor(r, g, b) = if v.is_finite() { colour(v) } else { RGBColor(200, 200, 200) };
            [r, g, b, 255]
        })
        .collect();
    blit(canvas, scratch, &pixels, (n as u32, n as u32), chart.plotting_area().get_pixel_range(), false);
    let _ = chart.configure_mesh().disable_mesh().label_style(font).x_desc("training point j").y_desc("point i").draw();
    colour_bar(&bar, dpr, (lo, hi), colour, |v| format_loss_tick(v as f32));
    let _ = root.present();
}
