//! What every lab's charts share: one [`Surface`] (a canvas on the page or
//! an SVG document for export) in the page's [`Theme`], the axes, legend,
//! colour bar and viridis map in gradlab's style, line charts
//! ([`lines`]), tick labels and the loss [`History`]. Each lab draws its
//! own charts on these (`labs/<lab>/charts.rs`). The maths is plain Rust
//! with native tests; the drawing itself needs a browser.

/// Class colours: blue and orange, told apart by every common form of
/// colour blindness.
pub const CLASS0: (u8, u8, u8) = (49, 104, 172);
pub const CLASS1: (u8, u8, u8) = (230, 126, 34);
/// Every class's colour: blue and orange, then green, pink and brown for
/// more classes.
pub const CLASSES: [(u8, u8, u8); 5] = [CLASS0, CLASS1, (0, 158, 115), (204, 121, 167), (140, 86, 75)];

/// Class `c`'s colour (a label as stored, `0.0`, `1.0`, …).
#[must_use]
pub fn class_colour(c: f32) -> (u8, u8, u8) {
    // A cast saturates: negative and NaN labels are class 0.
    CLASSES[(c as usize).min(CLASSES.len() - 1)]
}

/// Axes, reference lines and secondary series.
pub const GREY_RGB: (u8, u8, u8) = (90, 90, 90);

pub mod heat;
pub mod lines;
pub mod surface;
pub mod theme;

use gradlab_core::gpu::Snapshot;

pub(crate) use draw::{colour_bar, legend, mesh, viridis};
pub use surface::Surface;
pub use theme::{Theme, SERIES};

/// An SVG document of `size` CSS pixels holding what `draw` draws.
#[must_use]
pub fn svg(size: (u32, u32), draw: impl FnOnce(&mut Surface<'_>)) -> String {
    let mut out = String::new();
    {
        let mut s = Surface::svg(&mut out, size);
        draw(&mut s);
        // A chart with nothing to show yet is its background.
        let _ = s.root();
    }
    out
}

/// One snapshot's numbers, as the curves keep them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    pub step: u64,
    pub train: f32,
    pub test: Option<f32>,
    /// A classifier's accuracies (fractions).
    pub train_accuracy: Option<f32>,
    pub test_accuracy: Option<f32>,
}

/// Loss curve points kept for drawing. Thinned by half when full, so any
/// run length fits in a fixed memory.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub points: Vec<Point>,
    /// The net trained beside on shuffled labels, where there is one
    /// (thinned alike).
    pub beside: Vec<Point>,
    /// The lowest finite test loss so far, and its step: where early
    /// stopping would have kept the net (never thinned away).
    pub best: Option<(u64, f32)>,
}

const HISTORY_CAP: usize = 2000;

/// A log-axis tick as people write it: `0.3`, `0.02`, `12`, and only
/// below 10⁻³ or from 10⁴ on in scientific notation.
#[must_use]
pub fn format_loss_tick(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e4).contains(&a) {
        return format!("{v:.0e}");
    }
    // Two significant digits, trailing zeros dropped.
    let decimals = (1 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Just below the power of ten at or below `v` (> 0). plotters labels a
/// log axis at powers of ten and the steps after them only, so an axis
/// must start at (a hair below) one to carry labels.
#[must_use]
pub fn decade_below(v: f64) -> f64 {
    0.999 * 10f64.powf(v.log10().floor())
}

/// Drops every other element of `v` once it holds more than `cap` (the
/// first and the last stay), so a long run fits a fixed memory.
pub fn thin<T>(v: &mut Vec<T>, cap: usize) {
    if v.len() > cap {
        let last = v.len() - 1;
        let mut i = 0;
        v.retain(|_| {
            i += 1;
            (i - 1) % 2 == 0 || i - 1 == last
        });
    }
}

impl History {
    pub fn push(&mut self, snap: &Snapshot) {
        record(&mut self.points, snap);
        if let Some(beside) = &snap.beside {
            record(&mut self.beside, beside);
        }
        if let Some(test) = snap.test_loss.filter(|t| t.is_finite() && self.best.is_none_or(|b| *t < b.1)) {
            self.best = Some((snap.step, test));
        }
    }
}

/// Adds `snap`'s point to `points` (in place of one at the same step),
/// thinned to [`HISTORY_CAP`].
fn record(points: &mut Vec<Point>, snap: &Snapshot) {
    if points.last().is_some_and(|p| p.step == snap.step) {
        points.pop();
    }
    points.push(Point {
        step: snap.step,
        train: snap.train_loss,
        test: snap.test_loss,
        train_accuracy: snap.train_accuracy,
        test_accuracy: snap.test_accuracy,
    });
    thin(points, HISTORY_CAP);
}

mod draw {
    use plotters::chart::MeshStyle;
    use plotters::coord::ranged1d::{Ranged, ValueFormatter};
    use plotters::coord::Shift;
    use plotters::prelude::*;

    use super::surface::{Backend, Surface};

    /// The viridis colour at `t` ∈ [0, 1] (clamped).
    pub(crate) fn viridis(t: f64) -> RGBColor {
        ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32)
    }

    /// A chart's axes and grid in the surface's theme, ready for the
    /// chart's own labels.
    pub(crate) fn mesh<'a, 'b, DB: DrawingBackend, X, Y, XT, YT>(
        chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
        s: &Surface<'_>,
    ) -> MeshStyle<'a, 'b, X, Y, DB>
    where
        X: Ranged<ValueType = XT> + ValueFormatter<XT>,
        Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    {
        // As many labels as fit without crowding, at most ten a side.
        let (w, h) = chart.plotting_area().dim_in_pixel();
        let fits = |room: u32, per_label: f64| (f64::from(room) / (per_label * s.unit)).clamp(2.0, 10.0) as usize;
        let (x_labels, y_labels) = (fits(w, 90.0), fits(h, 30.0));
        let mut m = chart.configure_mesh();
        m.label_style(s.font(12.0))
            .axis_style(s.theme.ink)
            .bold_line_style(s.theme.grid)
            .light_line_style(s.theme.grid.mix(0.4))
            .x_labels(x_labels)
            .y_labels(y_labels);
        m
    }

    /// A vertical colour bar over `lo..hi` in `area`, `colour` giving each
    /// value's colour and `label` its tick text.
    pub(crate) fn colour_bar(
        area: &DrawingArea<Backend<'_>, Shift>,
        s: &Surface<'_>,
        (lo, hi): (f64, f64),
        colour: impl Fn(f64) -> RGBColor,
        label: impl Fn(f64) -> String,
    ) {
        let Ok(mut cb) = ChartBuilder::on(area)
            .margin_top(s.px(8.0))
            .margin_bottom(s.px(40.0))
            .margin_left(s.px(4.0))
            .right_y_label_area_size(s.px(50.0))
            .build_cartesian_2d(0.0f64..1.0, lo..hi)
        else {
            return;
        };
        let steps = 64;
        let at = |k: f64| lo + (hi - lo) * k / f64::from(steps);
        let _ = cb.draw_series((0..steps).map(|k| {
            let k = f64::from(k);
            Rectangle::new([(0.0, at(k)), (1.0, at(k + 1.0))], colour(at(k + 0.5)).filled())
        }));
        let _ = mesh(&mut cb, s).disable_mesh().disable_x_axis().y_label_formatter(&|v| label(*v)).draw();
    }

    /// The series legend, in the style of every gradlab chart.
    pub(crate) fn legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
        chart: &mut ChartContext<'a, Backend<'b>, CT>,
        s: &Surface<'_>,
        at: SeriesLabelPosition,
    ) {
        let _ = chart
            .configure_series_labels()
            .position(at)
            .label_font(s.font(12.0))
            .background_style(s.theme.bg.mix(0.85))
            .border_style(s.theme.muted)
            .draw();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_ticks_read_as_plain_numbers() {
        let ticks: Vec<String> = [0.8, 0.3, 0.02, 0.0015, 1.0, 12.0, 2e-5, 3e4, 0.0].into_iter().map(format_loss_tick).collect();
        assert_eq!(ticks, ["0.8", "0.3", "0.02", "0.0015", "1", "12", "2e-5", "3e4", "0"]);
    }

    #[test]
    fn log_axes_start_at_a_decade() {
        assert!((decade_below(0.196) - 0.0999).abs() < 1e-12);
        assert!((decade_below(3.0) - 0.999).abs() < 1e-12);
    }

    #[test]
    fn history_thins_but_keeps_the_ends() {
        let mut h = History::default();
        for s in 0..5000u64 {
            // The test loss is lowest at step 1234, in between thinned points.
            let test = 1.0 + (s as f32 - 1234.0).abs();
            let snap = Snapshot { step: s, train_loss: 1.0 / (s + 1) as f32, test_loss: Some(test), ..Snapshot::default() };
            h.push(&snap);
        }
        assert!(h.points.len() <= HISTORY_CAP);
        assert_eq!(h.points[0].step, 0);
        assert_eq!(h.points.last().unwrap().step, 4999);
        assert!(h.points.windows(2).all(|w| w[0].step < w[1].step));
        assert_eq!(h.best, Some((1234, 1.0)));
        h.push(&Snapshot { step: 5000, test_loss: Some(f32::NAN), ..Snapshot::default() });
        assert_eq!(h.best, Some((1234, 1.0)), "a diverged test loss is no best");
    }
}
