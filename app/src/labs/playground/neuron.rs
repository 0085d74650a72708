//! The network view's enlarged neuron: its activation over the data's
//! domain with the training points (a curve in 1D, beside the points
//! when it is the output).

use gradlab_core::Problem;
use plotters::prelude::*;

use super::network::{diverging, top, Geometry, Inside, SIDE};
use crate::charts::{class_colour, mesh, Surface, CLASS0, CLASS1};

/// The enlarged neuron, over the data's domain with the training points.
pub(super) fn draw_panel<'a>(
    surface: &Surface<'a>,
    root: &DrawingArea<crate::charts::surface::Backend<'a>, plotters::coord::Shift>,
    problem: &Problem,
    inside: &Inside,
    (layer, unit): (usize, usize),
    g: &Geometry,
    hp: i32,
) {
    let layout = problem.spec.layout();
    let hidden = inside.hidden.widths.len();
    let (c, name) = if layer == 0 || layer > hidden {
        (hidden + 1, if layout.output_dim() > 1 { format!("output {}", unit + 1) } else { "output".to_owned() })
    } else {
        (layer, format!("layer {layer}, unit {unit}"))
    };
    let values = inside.values(c, unit, &layout);
    let m = top(&values);
    let (l, t, w, h) = g.panel;
    let at = |v: f64| (v * f64::from(hp)).round() as i32;
    let area = root.clone().shrink((at(l), at(t)), (at(w).max(1) as u32, at(h).max(1) as u32));
    let [(x0, x1), (y0, y1)] = problem.dataset.domain();
    let title = format!("{name} · largest |value| {m:.3}");
    let train = &problem.dataset.train;
    if layout.input_dim() == 2 {
        let Ok(mut chart) = ChartBuilder::on(&area)
            .margin(surface.px(6.0))
            .caption(title, surface.font(13.0))
            .x_label_area_size(surface.px(24.0))
            .y_label_area_size(surface.px(32.0))
            .build_cartesian_2d(x0..x1, y0..y1)
        else {
            return;
        };
        let pixels: Vec<u8> = values.iter().flat_map(|&v| diverging(v, m, surface.theme.bg)).collect();
        if values.len() == SIDE * SIDE {
            surface.raster(root, &pixels, (SIDE as u32, SIDE as u32), chart.plotting_area().get_pixel_range(), surface.on_page());
        }
        let _ = mesh(&mut chart, surface).disable_mesh().draw();
        let r = surface.px(1.8).max(1);
        let class = |c: f32| surface.theme.rgb(class_colour(c));
        let _ = chart.draw_series(train.x.chunks(2).zip(&train.y).map(|(p, &c)| Circle::new((p[0], p[1]), r, class(c).stroke_width(1))));
    } else {
        let lim = if m > 1e-6 { 1.1 * f64::from(m) } else { 1e-6 };
        let Ok(mut chart) = ChartBuilder::on(&area)
            .margin(surface.px(6.0))
            .caption(title, surface.font(13.0))
            .x_label_area_size(surface.px(24.0))
            .y_label_area_size(surface.px(40.0))
            .build_cartesian_2d(f64::from(x0)..f64::from(x1), -lim..lim)
        else {
            return;
        };
        let _ = mesh(&mut chart, surface).draw();
        let xs = inside.inputs.iter().map(|&x| f64::from(x));
        let line: Vec<(f64, f64)> = xs.zip(&values).filter(|(_, v)| v.is_finite()).map(|(x, &v)| (x, f64::from(v))).collect();
        let _ = chart.draw_series(LineSeries::new(line, surface.theme.rgb(CLASS1).stroke_width(surface.stroke(2.0))));
        if c > hidden {
            // The output is in the targets' units: the training points belong beside it.
            let r = surface.px(1.8).max(1);
            let dots = train
                .x
                .iter()
                .zip(&train.y)
                .map(|(&x, &y)| Circle::new((f64::from(x), f64::from(y)), r, surface.theme.rgb(CLASS0).stroke_width(1)));
            let _ = chart.draw_series(dots);
        }
    }
}
