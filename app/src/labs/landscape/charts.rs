//! The landscape lab's charts: loss contours on a plane with the
//! trajectory, a 1D slice, sharpness against the stability edge, and the
//! loss along the line between two solutions. The number crunching
//! ([`levels`], [`isolines`]) is plain Rust with native tests.

use contour::ContourBuilder;
use gradlab_core::landscape::Grid;

use super::state::{LandscapeState, View};
use super::views::Views;
use crate::charts::Surface;

/// Values as the contour view shows them: `log₁₀` of the loss, or the
/// loss. Non-finite or non-positive losses (on a log scale) become NaN.
#[must_use]
pub fn shown(values: &[f32], log: bool) -> Vec<f64> {
    values
        .iter()
        .map(|&v| {
            let v = f64::from(v);
            match (v.is_finite(), log) {
                (false, _) => f64::NAN,
                (true, true) if v > 0.0 => v.log10(),
                (true, true) => f64::NAN,
                (true, false) => v,
            }
        })
        .collect()
}

/// The finite range of `values`, `None` if none is finite.
#[must_use]
pub fn finite_range(values: &[f64]) -> Option<(f64, f64)> {
    let mut range: Option<(f64, f64)> = None;
    for &v in values.iter().filter(|v| v.is_finite()) {
        range = Some(range.map_or((v, v), |(lo, hi)| (if v < lo { v } else { lo }, if v > hi { v } else { hi })));
    }
    range
}

/// `count` contour levels evenly spread strictly inside `(lo, hi)`.
#[must_use]
pub fn levels(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    (1..=count).map(|k| lo + (hi - lo) * k as f64 / (count + 1) as f64).collect()
}

/// Isolines of grid values (`size²`, row 0 at `β.0`) at `thresholds`, as
/// polylines in plane coordinates `(α, β)`. NaN cells are treated as
/// higher than every level, so a diverged region is fenced in.
#[must_use]
pub fn isolines(grid: &Grid, values: &[f64], thresholds: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let n = grid.size;
    if n < 2 || values.len() != n * n {
        return Vec::new();
    }
    let top = finite_range(values).map_or(1.0, |(_, hi)| hi + 1.0);
    let filled: Vec<f64> = values.iter().map(|&v| if v.is_finite() { v } else { top }).collect();
    let da = f64::from(grid.alpha.1 - grid.alpha.0) / (n - 1) as f64;
    let db = f64::from(grid.beta.1 - grid.beta.0) / (n - 1) as f64;
    // Marching squares puts sample (i, j) at the centre of pixel (j, i):
    // shift by half a step so samples sit on their (α, β).
    let builder = ContourBuilder::new(n, n, true)
        .x_origin(f64::from(grid.alpha.0) - da / 2.0)
        .y_origin(f64::from(grid.beta.0) - db / 2.0)
        .x_step(da)
        .y_step(db);
    let Ok(lines) = builder.lines(&filled, thresholds) else {
        return Vec::new();
    };
    // The rings close along the grid's outer edge where the region above a
    // level meets it; those stretches are not isolines: cut them out.
    let (x0, x1) = (f64::from(grid.alpha.0) - da / 2.0, f64::from(grid.alpha.1) + da / 2.0);
    let (y0, y1) = (f64::from(grid.beta.0) - db / 2.0, f64::from(grid.beta.1) + db / 2.0);
    let on_edge = |&(x, y): &(f64, f64)| {
        let near = |a: f64, b: f64, step: f64| (a - b).abs() < 1e-6 * step.abs().max(1e-12);
        near(x, x0, da) || near(x, x1, da) || near(y, y0, db) || near(y, y1, db)
    };
    let mut out = Vec::new();
    for ring in lines.iter().flat_map(|l| l.geometry().0.iter()) {
        let mut run: Vec<(f64, f64)> = Vec::new();
        for p in ring.0.iter().map(|c| (c.x, c.y)) {
            if on_edge(&p) {
                if run.len() > 1 {
                    out.push(std::mem::take(&mut run));
                }
                run.clear();
            } else {
                run.push(p);
            }
        }
        if run.len() > 1 {
            out.push(run);
        }
    }
    out
}

use draw::{draw_connect, draw_contour, draw_sharpness, draw_slice, ContourFrame};

/// Draws `view`'s chart on `surface` (nothing until it has data); `pca`
/// names the axes after principal components.
pub fn draw_view(v: &Views, s: &LandscapeState, pca: bool, view: View, surface: &mut Surface<'_>) {
    let axes = if pca { ("PC1", "PC2") } else { ("α (along d₁)", "β (along d₂)") };
    match (view, &v.picture, &v.line) {
        (View::Contour, Some(p), _) => {
            let frame = ContourFrame { grid: &p.request.grid, losses: &p.losses, log: s.log(), path: &p.request.path, axes };
            draw_contour(surface, &frame);
        }
        (View::Slice, Some(p), _) => draw_slice(surface, &p.request.alphas, &p.slice, s.log(), axes.0),
        (View::Sharpness, ..) => draw_sharpness(surface, &v.sharpness, s.edge() as f32, s.edge_label()),
        (View::Connect, _, Some(l)) => draw_connect(surface, &l.t, &l.train, &l.test, s.log()),
        _ => {}
    }
}

mod draw {
    use plotters::prelude::*;

    use super::{finite_range, isolines, levels, shown};
    use crate::charts::surface::Backend;
    use crate::charts::{colour_bar, format_loss_tick, legend, mesh, viridis, Surface, CLASS0, CLASS1, GREY_RGB};
    use gradlab_core::landscape::Grid;

    /// What one contour picture shows.
    pub struct ContourFrame<'a> {
        pub grid: &'a Grid,
        pub losses: &'a [f32],
        pub log: bool,
        /// The trajectory projected on the plane, oldest first.
        pub path: &'a [[f32; 2]],
        /// Axis names.
        pub axes: (&'a str, &'a str),
    }

    /// Heat map of the loss on the plane with isolines, a colour bar, the
    /// trajectory and the current point (the plane's centre).
    pub fn draw_contour(s: &mut Surface<'_>, f: &ContourFrame<'_>) {
        let Some(root) = s.root() else { return };
        let values = shown(f.losses, f.log);
        let Some((lo, hi)) = finite_range(&values) else {
            let _ = root.draw(&Text::new("the loss is not finite anywhere on this plane", (20, 30), s.font(14.0)));
            let _ = root.present();
            return;
        };
        let hi = if hi > lo { hi } else { lo + 1e-6 };
        let (w, _) = root.dim_in_pixel();
        let (plot, bar) = root.split_horizontally(w.saturating_sub(s.px(70.0) as u32));
        let (a0, a1, b0, b1) = (f.grid.alpha.0, f.grid.alpha.1, f.grid.beta.0, f.grid.beta.1);
        let Ok(mut chart) = ChartBuilder::on(&plot)
            .margin(s.px(8.0))
            .x_label_area_size(s.px(34.0))
            .y_label_area_size(s.px(40.0))
            .build_cartesian_2d(a0..a1, b0..b1)
        else {
            return;
        };
        // Heat map: one pixel per grid point, scaled smoothly.
        let n = f.grid.size;
        let mut pixels = Vec::with_capacity(n * n * 4);
        for i in (0..n).rev() {
            for j in 0..n {
                let v = values[i * n + j];
                let RGBColor(r, g, b) = if v.is_finite() { viridis((v - lo) / (hi - lo)) } else { RGBColor(200, 200, 200) };
                pixels.extend_from_slice(&[r, g, b, 255]);
            }
        }
        s.raster(&root, &pixels, (n as u32, n as u32), chart.plotting_area().get_pixel_range(), true);
        let _ = mesh(&mut chart, s).disable_mesh().x_desc(f.axes.0).y_desc(f.axes.1).draw();
        let line_style = WHITE.mix(0.75).stroke_width(s.stroke(1.0));
        for line in isolines(f.grid, &values, &levels(lo, hi, 10)) {
            let pts: Vec<(f32, f32)> = line.iter().map(|&(x, y)| (x as f32, y as f32)).collect();
            let _ = chart.draw_series(std::iter::once(PathElement::new(pts, line_style)));
        }
        // Trajectory: faint to strong, oldest first; the current point.
        let stroke = s.stroke(2.0);
        let c1 = s.theme.rgb(CLASS1);
        let path: Vec<(f32, f32)> = f.path.iter().map(|p| (p[0], p[1])).collect();
        let _ = chart.draw_series(LineSeries::new(path.clone(), c1.stroke_width(stroke)));
        if let Some(&start) = path.first() {
            let _ = chart.draw_series(std::iter::once(Circle::new(start, s.px(4.0), WHITE.filled())));
            let _ = chart.draw_series(std::iter::once(Circle::new(start, s.px(4.0), c1.stroke_width(stroke))));
        }
        let now = (0.0f32, 0.0f32);
        let _ = chart.draw_series(std::iter::once(Cross::new(now, s.px(6.0), WHITE.stroke_width(stroke + 2))));
        let _ = chart.draw_series(std::iter::once(Cross::new(now, s.px(6.0), RED.stroke_width(stroke))));

        let log = f.log;
        let label = |v: f64| if log { format_loss_tick(10f64.powf(v) as f32) } else { format_loss_tick(v as f32) };
        colour_bar(&bar, s, (lo, hi), |v| viridis((v - lo) / (hi - lo)), label);
        let _ = root.present();
    }

    fn line_chart<'a, 's>(
        root: &'a DrawingArea<Backend<'s>, plotters::coord::Shift>,
        s: &Surface<'_>,
        x: (f32, f32),
        y: (f32, f32),
        log_y: bool,
        x_desc: &str,
        y_desc: &str,
    ) -> Option<ChartContext<'a, Backend<'s>, Cartesian2d<plotters::coord::types::RangedCoordf32, plotters::coord::types::RangedCoordf32>>>
    {
        let (lo, hi) = if log_y { (y.0.log10(), y.1.log10()) } else { y };
        let mut chart = ChartBuilder::on(root)
            .margin(s.px(8.0))
            .x_label_area_size(s.px(36.0))
            .y_label_area_size(s.px(52.0))
            .build_cartesian_2d(x.0..x.1, lo..hi)
            .ok()?;
        let _ = mesh(&mut chart, s)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&|v| format_loss_tick(*v))
            .y_label_formatter(&|v| format_loss_tick(if log_y { 10f32.powf(*v) } else { *v }))
            .draw();
        Some(chart)
    }

    /// The finite positive `(min, max)` of `values` with a margin.
    fn span(values: impl Iterator<Item = f32>, log: bool) -> (f32, f32) {
        let mut r: Option<(f32, f32)> = None;
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            r = Some(r.map_or((v, v), |(lo, hi)| (if v < lo { v } else { lo }, if v > hi { v } else { hi })));
        }
        match r {
            None => (if log { 1e-3 } else { 0.0 }, 1.0),
            Some((lo, hi)) if log => (lo * 0.8, hi * 1.25),
            Some((lo, hi)) => {
                let pad = (hi - lo) * 0.08;
                let pad = if pad > 1e-6 { pad } else { 1e-6 };
                (lo - pad, hi + pad)
            }
        }
    }

    /// The loss along `α` through the current point (`α = 0`, marked).
    pub fn draw_slice(s: &mut Surface<'_>, alphas: &[f32], losses: &[f32], log: bool, axis: &str) {
        let Some(root) = s.root() else { return };
        let x = (alphas.first().copied().unwrap_or(-1.0), alphas.last().copied().unwrap_or(1.0));
        let y = span(losses.iter().copied(), log);
        let Some(mut chart) = line_chart(&root, s, x, y, log, axis, "train loss") else {
            return;
        };
        let t = |v: f32| if log { v.log10() } else { v };
        let pts: Vec<(f32, f32)> =
            alphas.iter().zip(losses).filter(|(_, l)| l.is_finite() && (!log || **l > 0.0)).map(|(&a, &l)| (a, t(l))).collect();
        let _ = chart.draw_series(LineSeries::new(pts, s.theme.rgb(CLASS0).stroke_width(s.stroke(2.5))));
        let mid = alphas.iter().position(|&a| a == 0.0).and_then(|i| losses.get(i)).copied();
        if let Some(l) = mid.filter(|l| l.is_finite() && (!log || *l > 0.0)) {
            let _ = chart.draw_series(std::iter::once(Circle::new((0.0, t(l)), s.px(5.0), RED.filled())));
        }
        let _ = root.present();
    }

    /// Sharpness `λ_max` against the step, with the edge `2/η` dashed.
    pub fn draw_sharpness(s: &mut Surface<'_>, points: &[(u64, f32)], edge: f32, edge_label: &str) {
        let Some(root) = s.root() else { return };
        let max_step = points.last().map_or(1, |p| p.0.max(1)) as f32;
        let (lo, hi) = span(points.iter().map(|p| p.1).chain([edge, 0.0]), false);
        let Some(mut chart) =
            line_chart(&root, s, (0.0, max_step), (if lo < 0.0 { lo } else { 0.0 }, hi), false, "step", "sharpness λ_max")
        else {
            return;
        };
        let width = s.stroke(2.0);
        let (grey, c0) = (s.theme.rgb(GREY_RGB), s.theme.rgb(CLASS0));
        let edge_line = vec![(0.0, edge), (max_step, edge)];
        if let Ok(series) = chart.draw_series(DashedLineSeries::new(edge_line, s.stroke(8.0), s.stroke(5.0), grey.stroke_width(width))) {
            let label = edge_label.to_owned();
            series.label(label).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], grey.stroke_width(width)));
        }
        let pts: Vec<(f32, f32)> = points.iter().filter(|p| p.1.is_finite()).map(|p| (p.0 as f32, p.1)).collect();
        if let Ok(series) = chart.draw_series(LineSeries::new(pts.clone(), c0.stroke_width(width))) {
            series
                .label("λ_max (top Hessian eigenvalue)")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c0.stroke_width(width)));
        }
        let _ = chart.draw_series(pts.iter().map(|&p| Circle::new(p, s.px(2.5), c0.filled())));
        legend(&mut chart, s, SeriesLabelPosition::LowerRight);
        let _ = root.present();
    }

    /// Train (solid) and test (dashed) loss along `θ_A + t(θ_B − θ_A)`,
    /// the two solutions marked at `t = 0` and `t = 1`.
    pub fn draw_connect(s: &mut Surface<'_>, t: &[f32], train: &[f32], test: &[f32], log: bool) {
        let Some(root) = s.root() else { return };
        let x = (t.first().copied().unwrap_or(0.0), t.last().copied().unwrap_or(1.0));
        let y = span(train.iter().chain(test).copied(), log);
        let Some(mut chart) = line_chart(&root, s, x, y, log, "t  (θ = (1−t)·θ_A + t·θ_B)", "loss") else {
            return;
        };
        let tr = |v: f32| if log { v.log10() } else { v };
        let ok = |l: f32| l.is_finite() && (!log || l > 0.0);
        let width = s.stroke(2.0);
        let (grey, c0, c1) = (s.theme.rgb(GREY_RGB), s.theme.rgb(CLASS0), s.theme.rgb(CLASS1));
        let (ylo, yhi) = if log { (y.0.log10(), y.1.log10()) } else { y };
        for end in [0.0f32, 1.0] {
            let _ =
                chart.draw_series(std::iter::once(PathElement::new([(end, ylo), (end, yhi)], grey.mix(0.5).stroke_width(s.stroke(1.0)))));
        }
        let series = |v: &[f32]| -> Vec<(f32, f32)> { t.iter().zip(v).filter(|(_, l)| ok(**l)).map(|(&a, &l)| (a, tr(l))).collect() };
        if let Ok(series) = chart.draw_series(LineSeries::new(series(train), c0.stroke_width(width))) {
            series.label("train").legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c0.stroke_width(width)));
        }
        if let Ok(series) = chart.draw_series(DashedLineSeries::new(series(test), s.stroke(6.0), s.stroke(4.0), c1.stroke_width(width))) {
            series.label("test").legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c1.stroke_width(width)));
        }
        for (end, name) in [(0.0f32, "A"), (1.0, "B")] {
            if let Some(l) = t.iter().position(|&v| v == end).and_then(|i| train.get(i)).copied().filter(|&l| ok(l)) {
                let _ = chart.draw_series(std::iter::once(Circle::new((end, tr(l)), s.px(5.0), c0.filled())));
                let _ = chart.draw_series(std::iter::once(Text::new(name.to_owned(), (end, tr(l)), s.label_font(13.0))));
            }
        }
        legend(&mut chart, s, SeriesLabelPosition::UpperMiddle);
        let _ = root.present();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scale_drops_what_it_cannot_show() {
        let v = shown(&[100.0, 0.0, f32::NAN, 0.1], true);
        assert_eq!(v[0], 2.0);
        assert!(v[1].is_nan() && v[2].is_nan());
        assert!((v[3] + 1.0).abs() < 1e-6);
        let (lo, hi) = finite_range(&v).unwrap();
        assert!((lo + 1.0).abs() < 1e-6 && hi == 2.0);
        assert_eq!(finite_range(&[f64::NAN]), None);
    }

    #[test]
    fn isolines_of_a_bowl_are_circles_around_its_centre() {
        let grid = Grid::square(41, 1.0);
        let values: Vec<f64> = grid.points().iter().map(|p| f64::from(p[0] * p[0] + p[1] * p[1])).collect();
        let lines = isolines(&grid, &values, &[0.25]);
        assert!(!lines.is_empty());
        for (x, y) in lines.iter().flatten() {
            let r = (x * x + y * y).sqrt();
            assert!((r - 0.5).abs() < 0.03, "a point of the 0.25 isoline at radius {r}");
        }
        let l = levels(0.0, 1.0, 3);
        assert_eq!(l, vec![0.25, 0.5, 0.75]);
    }
}
