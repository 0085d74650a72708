//! The hidden view: the training points as the last hidden layer sees
//! them, on its top two principal axes (the classes pull apart as the
//! network learns), and, for ReLU nets, the linear regions of its
//! function: the distinct activation patterns over the drawing grid,
//! counted against the step and drawn over the input.

use gradlab_core::engine::GRID_2D;
use gradlab_core::gpu::EvalSet;
use gradlab_core::hidden::{Hidden, Projection, Rows};
use gradlab_core::{Activation, Problem};
use plotters::prelude::*;

use crate::charts::{class_colour, mesh, Surface, CLASS0, CLASS1, GREY_RGB};

/// Training points drawn, at most (the first ones; the data alternate classes).
pub const MAX_POINTS: usize = 256;

/// The training rows the picture shows.
#[must_use]
pub fn train_rows(problem: &Problem) -> Rows {
    Rows::first(EvalSet::Train, problem.dataset.train.len().min(MAX_POINTS))
}

/// Every point of the drawing grid.
#[must_use]
pub fn grid_rows(grid_points: usize) -> Rows {
    Rows::first(EvalSet::Grid, grid_points)
}

/// What the hidden view shows, kept over a run.
#[derive(Default)]
pub struct HiddenLook {
    /// The last hidden layer's picture of the training points.
    pub projection: Option<Projection>,
    /// Each grid point's activation pattern, numbered, and how many there are.
    pub regions: Option<Vec<u32>>,
    /// `(step, patterns on the grid)` over the run.
    pub counts: Vec<(u64, usize)>,
}

impl HiddenLook {
    /// Takes in a new look: the training rows' and the grid's activations.
    pub fn update(&mut self, step: u64, train: &Hidden, grid: &Hidden) {
        let last = train.widths.len() - 1;
        self.projection = train.projection(last, self.projection.as_ref());
        let regions = grid.regions();
        if self.counts.last().is_some_and(|c| c.0 == step) {
            self.counts.pop();
        }
        self.counts.push((step, regions.count));
        crate::charts::thin(&mut self.counts, 1000);
        self.regions = Some(regions.ids);
    }
}

/// Whether the net's function is piecewise linear, with pieces the
/// activation patterns tell apart.
#[must_use]
pub fn piecewise_linear(act: Activation) -> bool {
    matches!(act, Activation::Relu | Activation::Linear)
}

/// The training points on the last hidden layer's two principal axes.
pub fn draw_projection(surface: &mut Surface<'_>, problem: &Problem, look: &HiddenLook) {
    let Some(root) = surface.root() else { return };
    let Some(p) = &look.projection else {
        let _ = root.draw(&Text::new("the last hidden layer does not vary yet", (surface.px(12.0), surface.px(20.0)), surface.font(13.0)));
        let _ = root.present();
        return;
    };
    let reach = p.points.iter().flat_map(|q| q.iter().map(|v| v.abs())).filter(|v| v.is_finite()).max_by(f64::total_cmp).unwrap_or(1.0);
    let lim = if reach > 0.0 { 1.08 * reach } else { 1.0 };
    let layer = problem.spec.hidden.len();
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(surface.px(8.0))
        .caption(format!("last hidden layer ({layer}) · {} points", p.points.len()), surface.font(13.0))
        .x_label_area_size(surface.px(40.0))
        .y_label_area_size(surface.px(56.0))
        .build_cartesian_2d(-lim..lim, -lim..lim)
    else {
        return;
    };
    let pct = |k: usize| format!("PC{} ({:.0}% of variance)", k + 1, 100.0 * p.explained[k]);
    let _ = mesh(&mut chart, surface).x_desc(pct(0)).y_desc(pct(1)).x_labels(5).y_labels(5).draw();
    let y = &problem.dataset.train.y;
    let classes = problem.dataset.classes().is_some();
    let top = y.iter().map(|v| v.abs()).filter(|v| v.is_finite()).max_by(f32::total_cmp).unwrap_or(1.0);
    let r = surface.px(2.6).max(1);
    let colour = |label: f32| -> RGBColor {
        if classes {
            surface.theme.rgb(class_colour(label))
        } else {
            // A regression target: orange above 0, blue below, paler near it.
            let (c, t) = if label >= 0.0 { (CLASS1, label / top) } else { (CLASS0, -label / top) };
            let t = f64::from(0.25 + 0.75 * t.clamp(0.0, 1.0));
            let mix = |a: u8| (255.0 + (f64::from(a) - 255.0) * t).round() as u8;
            RGBColor(mix(c.0), mix(c.1), mix(c.2))
        }
    };
    let pts = p.points.iter().zip(y).filter(|(q, _)| q[0].is_finite() && q[1].is_finite());
    let _ = chart.draw_series(pts.map(|(q, &label)| Circle::new((q[0], q[1]), r, colour(label).filled())));
    let _ = root.present();
}

/// A region's colour: hues spaced by the golden angle, so neighbours differ.
fn region_colour(id: u32) -> [u8; 4] {
    let hue = (f64::from(id) * 0.618_033_988_75).fract();
    let (r, g, b) = HSLColor(hue, 0.55, 0.72).rgb();
    [r, g, b, 255]
}

/// The linear regions over the input, and their count against the step.
pub fn draw_regions(surface: &mut Surface<'_>, problem: &Problem, look: &HiddenLook) {
    let Some(root) = surface.root() else { return };
    let act = problem.spec.activation;
    if !piecewise_linear(act) {
        let said = format!("A {} net's function is smooth: it has no linear regions to count (choose relu).", act.name());
        let _ = root.draw(&Text::new(said, (surface.px(12.0), surface.px(20.0)), surface.font(13.0)));
        let _ = root.present();
        return;
    }
    // The map about square (the input box is), the count beside it.
    let (w, h) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally((w / 2).min(h + h / 10));
    let [(x0, x1), (y0, y1)] = problem.dataset.domain();
    if let Some(ids) = &look.regions {
        let two_d = problem.spec.input_dim == 2;
        let caption = format!("{} regions on the grid", look.counts.last().map_or(0, |c| c.1));
        let builder = |y: (f32, f32)| {
            ChartBuilder::on(&left)
                .margin(surface.px(8.0))
                .caption(caption.clone(), surface.font(13.0))
                .x_label_area_size(surface.px(24.0))
                .y_label_area_size(surface.px(32.0))
                .build_cartesian_2d(x0..x1, y.0..y.1)
        };
        if let Ok(mut chart) = builder(if two_d { (y0, y1) } else { (0.0, 1.0) }) {
            let pixels: Vec<u8> = ids.iter().flat_map(|&id| region_colour(id)).collect();
            let size = if two_d { (GRID_2D as u32, GRID_2D as u32) } else { (ids.len() as u32, 1) };
            if pixels.len() == 4 * (size.0 * size.1) as usize {
                surface.raster(&root, &pixels, size, chart.plotting_area().get_pixel_range(), false);
            }
            let _ = mesh(&mut chart, surface).disable_mesh().y_labels(if two_d { 5 } else { 0 }).draw();
        }
    }
    let steps = look.counts.last().map_or(1, |c| c.0).max(1);
    let most = look.counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    let Ok(mut chart) = ChartBuilder::on(&right)
        .margin(surface.px(8.0))
        .caption("patterns against the step", surface.font(13.0))
        .x_label_area_size(surface.px(30.0))
        .y_label_area_size(surface.px(44.0))
        .build_cartesian_2d(0u64..steps, 0usize..most + most / 10 + 1)
    else {
        return;
    };
    let _ = mesh(&mut chart, surface).x_desc("step").x_labels(4).y_labels(5).draw();
    let line = look.counts.iter().map(|&(s, c)| (s, c));
    let _ = chart.draw_series(LineSeries::new(line, surface.theme.rgb(GREY_RGB).stroke_width(surface.stroke(2.0))));
    let _ = root.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_regions_get_different_colours() {
        for id in 0..50 {
            assert_ne!(region_colour(id), region_colour(id + 1));
        }
    }

    #[test]
    fn counts_keep_one_point_per_step() {
        let h = Hidden::new(2, vec![1], vec![1.0, -1.0]).unwrap();
        let mut look = HiddenLook::default();
        look.update(5, &h, &h);
        look.update(5, &h, &h);
        look.update(9, &h, &h);
        assert_eq!(look.counts, [(5, 2), (9, 2)]);
        assert_eq!(look.regions, Some(vec![0, 1]));
        assert!(look.projection.is_some());
    }
}
