//! The lottery-ticket charts: final test accuracy against the fraction of
//! weights left (median and quartile band over seeds), test loss against
//! step in one round, and the ticket's weight matrices with the pruned
//! entries blank.

use gradlab_core::double_descent::Band;
use gradlab_core::lottery::{kept, Kind};
use gradlab_core::spec::ParamLayout;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::run::Run;
use super::state::{LotteryState, LtView, Metric};
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::surface::Backend;
use crate::charts::{format_loss_tick, legend, mesh, viridis, Surface, CLASS0, CLASS1, GREY_RGB, SERIES};

/// Each model kind's colour and name in the charts.
#[must_use]
pub fn style(kind: Kind) -> ((u8, u8, u8), &'static str) {
    match kind {
        Kind::Dense => (GREY_RGB, "dense"),
        Kind::Ticket => (CLASS1, "ticket (rewound)"),
        Kind::Reinit => (CLASS0, "same mask, re-initialized"),
        Kind::Random => (SERIES[0], "random mask, rewound"),
    }
}

/// The x axis of the sparsity chart: rounds of pruning at rate `rate`
/// that leave `kept` (`log(1/kept) / log(1/(1 − p))`), so that the axis
/// is logarithmic in the share kept and sparser nets lie to the right.
fn level(kept: f64, rate: f64) -> f64 {
    kept.ln() / (1.0 - rate).ln()
}

/// A share in percent to three significant digits: `100%`, `12.5%`, `3.12%`.
fn percent(pct: f64) -> String {
    let decimals = (2.0 - pct.log10().floor()).clamp(0.0, 4.0) as usize;
    let text = format!("{pct:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text}%")
}

/// Test accuracy (%) or loss after training against the share of weights
/// left.
fn draw_sparsity(r: &Run, s: &LotteryState, surface: &mut Surface<'_>) {
    let Some(log) = r.log() else { return };
    let Some(root) = surface.root() else { return };
    // Accuracy in percent, or the mean test loss.
    let accuracy = s.metric == Metric::Accuracy;
    let scale = if accuracy { 100.0 } else { 1.0 };
    let dense = log.ends(Kind::Dense, accuracy).first().map(|d| d.1);
    let kinds = [Kind::Ticket, Kind::Reinit, Kind::Random];
    let series: Vec<(Kind, Vec<(f64, Band)>)> = kinds.iter().map(|&k| (k, log.ends(k, accuracy))).collect();
    let values = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.1)).chain(dense).flat_map(|b| [b.lo, b.hi]).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = match (lo.is_finite(), accuracy) {
        (false, true) => (50.0, 100.0),
        (false, false) => (0.0, 1.0),
        (true, true) => ((lo * 100.0 - 2.0).max(0.0), (hi * 100.0 + 1.0).min(100.0)),
        (true, false) => ((lo - 0.05 * (hi - lo + 0.01)).max(0.0), hi + 0.05 * (hi - lo + 0.01)),
    };
    let right = f64::from(s.rounds) * 1.04;
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(surface.px(8.0))
        .margin_right(surface.px(18.0))
        .x_label_area_size(surface.px(36.0))
        .y_label_area_size(surface.px(52.0))
        .build_cartesian_2d(-0.02 * right..right, lo..hi)
    else {
        return;
    };
    let _ = mesh(&mut chart, surface)
        .x_desc("weights remaining (log scale)")
        .y_desc(if accuracy { "test accuracy (%)" } else { "test loss" })
        .x_label_formatter(&|v| percent(100.0 * (1.0 - s.rate).powf(*v)))
        .y_label_formatter(&|v| if accuracy { format!("{v:.0}") } else { format_loss_tick(*v as f32) })
        .draw();
    let width = surface.stroke(2.0);
    if let Some(d) = dense {
        let grey = surface.theme.rgb(GREY_RGB);
        let _ = chart.draw_series(std::iter::once(Polygon::new(
            vec![(0.0, d.lo * scale), (right, d.lo * scale), (right, d.hi * scale), (0.0, d.hi * scale)],
            grey.mix(0.12).filled(),
        )));
        let dash = (surface.stroke(6.0), surface.stroke(4.0));
        if let Ok(line) = chart.draw_series(DashedLineSeries::new(
            [(0.0, d.median * scale), (right, d.median * scale)],
            dash.0,
            dash.1,
            grey.stroke_width(width),
        )) {
            line.label("dense").legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], grey.stroke_width(width)));
        }
    }
    for (kind, points) in &series {
        // The dense net starts every line.
        let points: Vec<(f64, Band)> =
            dense.map(|d| (0.0, d)).into_iter().chain(points.iter().map(|&(k, b)| (level(k, s.rate), b))).collect();
        if points.len() >= 2 {
            band_line(&mut chart, surface, &points, scale, *kind, true);
        }
    }
    legend(&mut chart, surface, if accuracy { SeriesLabelPosition::LowerLeft } else { SeriesLabelPosition::UpperLeft });
    let _ = root.present();
}

/// A median line over its quartile band, `scale` times the values, with
/// a marker at each point but, if `from_dense`, the first (the dense net's,
/// which has its own line).
fn band_line(chart: &mut Chart<'_, '_>, surface: &Surface<'_>, points: &[(f64, Band)], scale: f64, kind: Kind, from_dense: bool) {
    let (rgb, name) = style(kind);
    let (colour, width) = (surface.theme.rgb(rgb), surface.stroke(2.0));
    let upper: Vec<(f64, f64)> = points.iter().map(|(x, b)| (*x, b.hi * scale)).collect();
    let lower: Vec<(f64, f64)> = points.iter().rev().map(|(x, b)| (*x, b.lo * scale)).collect();
    let _ = chart.draw_series(std::iter::once(Polygon::new([upper, lower].concat(), colour.mix(0.15).filled())));
    let median: Vec<(f64, f64)> = points.iter().map(|(x, b)| (*x, b.median * scale)).collect();
    let radius = surface.px(3.5);
    let _ = chart.draw_series(median.iter().skip(usize::from(from_dense)).map(|&p| Circle::new(p, radius, colour.filled())));
    if let Ok(line) = chart.draw_series(LineSeries::new(median, colour.stroke_width(width))) {
        line.label(name).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(width)));
    }
}

/// A chart on two linear f64 axes.
type Chart<'a, 'b> = ChartContext<'a, Backend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The stability test: the test-loss barrier between two copies trained
/// from `θ_k` with different batch orders, against `k`, for the dense net
/// and the last round's ticket.
fn draw_stability(r: &Run, s: &LotteryState, surface: &mut Surface<'_>) {
    let Some(log) = r.log() else { return };
    let Some(root) = surface.root() else { return };
    let series = [(Kind::Dense, log.barriers(false)), (Kind::Ticket, log.barriers(true))];
    let top = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|p| p.1.hi))
        .filter(|v| v.is_finite())
        .fold(0.0, |a: f64, b| if b > a { b } else { a });
    let right = s.stability_steps().last().copied().unwrap_or(1).max(1) as f64 * 1.05;
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(surface.px(8.0))
        .margin_right(surface.px(18.0))
        .x_label_area_size(surface.px(36.0))
        .y_label_area_size(surface.px(60.0))
        .build_cartesian_2d(-0.02 * right..right, 0.0..(top * 1.15).max(1e-3))
    else {
        return;
    };
    let _ = mesh(&mut chart, surface)
        .x_desc("rewind step k")
        .y_desc("test-loss barrier between the copies")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format_loss_tick(*v as f32))
        .draw();
    for (kind, points) in &series {
        if !points.is_empty() {
            let points: Vec<(f64, Band)> = points.iter().map(|&(k, b)| (k as f64, b)).collect();
            band_line(&mut chart, surface, &points, 1.0, *kind, false);
        }
    }
    legend(&mut chart, surface, SeriesLabelPosition::UpperRight);
    let _ = root.present();
}

/// Test loss (median over seeds) against step, for the round shown.
fn draw_training(r: &Run, s: &LotteryState, surface: &mut Surface<'_>) {
    let Some(log) = r.log() else { return };
    let round = s.shown_round().min(log.phases.len().saturating_sub(1) as u32);
    let kinds: &[Kind] = if round == 0 { &[Kind::Dense] } else { &[Kind::Dense, Kind::Ticket, Kind::Reinit, Kind::Random] };
    let lines: Vec<Line> = kinds
        .iter()
        .map(|&kind| {
            let (colour, name) = style(kind);
            let points =
                log.curve(if kind == Kind::Dense { 0 } else { round }, kind).into_iter().map(|(step, b)| (step as f64, b.median)).collect();
            Line { label: name.to_owned(), colour, dashed: kind == Kind::Dense, points }
        })
        .filter(|l| !l.points.is_empty())
        .collect();
    draw_lines(
        surface,
        &Lines {
            lines: &lines,
            dots: &[],
            x_desc: "training step",
            y_desc: "test loss (median over seeds)",
            log_x: false,
            log_y: true,
            floor: 1e-6,
        },
    );
}

/// The first seed's ticket in the round shown: each layer's weights as
/// an image (brighter: larger |w|, relative to the layer's largest),
/// pruned entries blank, with the share each layer keeps.
fn draw_mask(r: &Run, s: &LotteryState, surface: &mut Surface<'_>) {
    let Some(run) = &r.imp else { return };
    let round = s.shown_round().min(run.log.phases.len().saturating_sub(1) as u32);
    let Some((mask, params)) = run.picture(round) else { return };
    let layout = run.layout();
    let Some(root) = surface.root() else { return };
    let shares = kept(&layout, mask);
    let (w, _) = root.dim_in_pixel();
    let (net, matrices) = root.split_horizontally(w * 2 / 7);
    draw_network(&net, surface, &layout, mask, params);
    let areas = matrices.split_evenly((1, layout.layers.len()));
    for (l, area) in areas.iter().enumerate() {
        let shape = &layout.layers[l];
        let (rows, cols) = (shape.fan_out, shape.fan_in);
        let title = format!("layer {} · {} kept", l + 1, percent(100.0 * shares[l]));
        let Ok(mut chart) = ChartBuilder::on(area)
            .margin(surface.px(6.0))
            .margin_top(surface.px(26.0))
            .caption(title, surface.font(13.0))
            .x_label_area_size(surface.px(30.0))
            .y_label_area_size(surface.px(36.0))
            .build_cartesian_2d(0.0..cols as f64, rows as f64..0.0)
        else {
            continue;
        };
        let pixels = layer_image(&layout, l, mask, params, surface.theme.bg);
        surface.raster(&root, &pixels, (cols as u32, rows as u32), chart.plotting_area().get_pixel_range(), false);
        let _ = mesh(&mut chart, surface)
            .disable_mesh()
            .x_labels(cols.min(5) + 1)
            .y_labels(rows.min(8) + 1)
            .x_desc("input")
            .y_desc("unit")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw();
    }
    let _ = root.present();
}

/// Surviving connections drawn, per layer at most this many (the largest).
const MAX_EDGES: usize = 1500;

/// The ticket as a network: a column of units per layer, a line for each
/// surviving weight (darker for larger |w|, relative to its layer's
/// largest; at most [`MAX_EDGES`] a layer, the largest).
fn draw_network<'a>(area: &DrawingArea<Backend<'a>, Shift>, surface: &Surface<'a>, layout: &ParamLayout, mask: &[f32], params: &[f32]) {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0));
    let (pad, top) = (surface.px(14.0), surface.px(30.0));
    let _ = area.draw(&Text::new("surviving connections", (pad, surface.px(8.0)), surface.font(13.0)));
    let sizes: Vec<usize> = std::iter::once(layout.input_dim()).chain(layout.layers.iter().map(|l| l.fan_out)).collect();
    let x = |l: usize| pad + (w - 2 * pad) * l as i32 / (sizes.len() - 1).max(1) as i32;
    let y = |l: usize, j: usize| top + ((h - top - pad) as f64 * (j as f64 + 0.5) / sizes[l] as f64) as i32;
    let ink = surface.theme.ink;
    for (l, shape) in layout.layers.iter().enumerate() {
        let mut kept: Vec<(usize, f32)> = (0..shape.fan_in * shape.fan_out)
            .map(|i| (i, params[shape.w_offset + i].abs()))
            .filter(|&(i, v)| mask[shape.w_offset + i] != 0.0 && v.is_finite())
            .collect();
        kept.sort_by(|a, b| b.1.total_cmp(&a.1));
        kept.truncate(MAX_EDGES);
        let largest = kept.first().map_or(1.0, |k| k.1);
        let largest = if largest > 0.0 { largest } else { 1.0 };
        // Faint first, so the strongest lie on top.
        for &(i, v) in kept.iter().rev() {
            let (unit, input) = (i / shape.fan_in, i % shape.fan_in);
            let style = ink.mix(0.08 + 0.72 * f64::from(v / largest)).stroke_width(1);
            let _ = area.draw(&PathElement::new([(x(l), y(l, input)), (x(l + 1), y(l + 1, unit))], style));
        }
    }
    let radius = surface.px(2.0).max(1);
    for (l, &n) in sizes.iter().enumerate() {
        for j in 0..n {
            let _ = area.draw(&Circle::new((x(l), y(l, j)), radius, surface.theme.muted.filled()));
        }
    }
}

/// Layer `l`'s weights as an RGBA image, a row per unit: viridis of
/// `|w| / max |w|`, pruned entries in `blank`.
#[must_use]
pub fn layer_image(layout: &ParamLayout, l: usize, mask: &[f32], params: &[f32], blank: RGBColor) -> Vec<u8> {
    let shape = &layout.layers[l];
    let w = shape.w_offset..shape.b_offset;
    let kept = params[w.clone()].iter().zip(&mask[w.clone()]).filter(|(_, &m)| m != 0.0).map(|(v, _)| v.abs());
    let top = kept.filter(|v| v.is_finite() && *v > 0.0).max_by(f32::total_cmp).unwrap_or(1.0);
    w.flat_map(|i| {
        let RGBColor(r, g, b) = if mask[i] == 0.0 { blank } else { viridis(f64::from(params[i].abs() / top)) };
        [r, g, b, 255]
    })
    .collect()
}

/// Draws `view`'s chart on `surface`.
pub fn draw_view(r: &Run, s: &LotteryState, view: LtView, surface: &mut Surface<'_>) {
    match view {
        LtView::Sparsity => draw_sparsity(r, s, surface),
        LtView::Training => draw_training(r, s, surface),
        LtView::Mask => draw_mask(r, s, surface),
        LtView::Stability => draw_stability(r, s, surface),
        LtView::All => {}
    }
}

#[cfg(test)]
mod tests {
    use gradlab_core::lottery::{dense, prune, Pruning, Scope};
    use gradlab_core::spec::{Activation, Init, MlpSpec, Parameterization};
    use plotters::style::RGBColor;

    use super::*;

    #[test]
    fn shares_read_to_three_digits() {
        let shown: Vec<String> = [100.0, 50.0, 12.5, 6.25, 3.125, 0.78125].into_iter().map(percent).collect();
        assert_eq!(shown, ["100%", "50%", "12.5%", "6.25%", "3.12%", "0.781%"]);
    }

    #[test]
    fn a_layer_image_blanks_the_pruned_weights_and_scales_by_the_largest_kept() {
        let spec = MlpSpec {
            input_dim: 2,
            hidden: vec![6],
            output_dim: 1,
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        };
        let (layout, params) = (spec.layout(), spec.init_params(3));
        let mask = prune(&layout, &params, &dense(&layout), Pruning { rate: 0.5, scope: Scope::Layer, prune_output: false }, 1);
        let blank = RGBColor(1, 2, 3);
        let image = layer_image(&layout, 0, &mask, &params, blank);
        assert_eq!(image.len(), 4 * 12, "a pixel a weight");
        let w = &params[..12];
        let top = w.iter().zip(&mask).filter(|(_, &m)| m == 1.0).map(|(v, _)| v.abs()).max_by(f32::total_cmp).unwrap();
        for i in 0..12 {
            let px = &image[4 * i..4 * i + 3];
            if mask[i] == 0.0 {
                assert_eq!(px, [1, 2, 3]);
            } else {
                let RGBColor(r, g, b) = viridis(f64::from(w[i].abs() / top));
                assert_eq!(px, [r, g, b]);
            }
        }
        assert_eq!(image.chunks(4).filter(|p| p[..3] == [1, 2, 3]).count(), 6, "half the layer pruned");
    }
}
