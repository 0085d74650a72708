//! The NTK lab's Gram matrix as a heat map (its line charts are
//! [`super::lines`]).

use plotters::prelude::*;

use super::lines::range;
use super::{colour_bar, format_loss_tick, mesh, viridis, Surface};

/// The `n × n` Gram matrix (row-major) as a heat map, entry (0, 0) top
/// left, with a colour bar.
pub fn draw_gram(s: &mut Surface<'_>, gram: &[f64], n: usize) {
    let Some(root) = s.root() else { return };
    let (lo, hi) = range(gram.iter().copied(), false);
    let colour = |v: f64| viridis((v - lo) / (hi - lo));
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
    let pixels: Vec<u8> = gram
        .iter()
        .flat_map(|&v| {
            let RGBColor(r, g, b) = if v.is_finite() { colour(v) } else { RGBColor(200, 200, 200) };
            [r, g, b, 255]
        })
        .collect();
    s.raster(&root, &pixels, (n as u32, n as u32), chart.plotting_area().get_pixel_range(), false);
    let _ = mesh(&mut chart, s).disable_mesh().x_desc("training point j").y_desc("point i").draw();
    colour_bar(&bar, s, (lo, hi), colour, |v| format_loss_tick(v as f32));
    let _ = root.present();
}
