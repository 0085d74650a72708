//! The network view: every layer's neurons as small pictures of their
//! activation over the input plane (a curve over the line in 1D), the
//! connections between them coloured by the weight's sign and drawn by
//! its size, and one neuron enlarged. The activations come from the
//! backend ([`gradlab_core::hidden`]); the layout is plain arithmetic, so
//! a click finds the neuron it landed on (native tests).

use gradlab_core::data::column;
use gradlab_core::engine::{GRID_1D, GRID_2D};
use gradlab_core::gpu::EvalSet;
use gradlab_core::hidden::{Hidden, Rows};
use gradlab_core::spec::ParamLayout;
use gradlab_core::Problem;
use plotters::prelude::*;

use crate::charts::{Surface, CLASS0, CLASS1};
use crate::kit::Click;

/// Neurons drawn per layer, at most: those with the largest outgoing weights.
pub const MAX_SHOWN: usize = 12;
/// Every other point of the drawing grid, each way.
const STRIDE: usize = 2;

/// The grid points the pictures are made of: every other point of the
/// drawing grid (32² in 2D, 100 in 1D).
#[must_use]
pub fn rows(input_dim: usize) -> Rows {
    let index = if input_dim == 1 {
        (0..GRID_1D).step_by(STRIDE).map(|i| i as u32).collect()
    } else {
        let g = GRID_2D;
        (0..g).step_by(STRIDE).flat_map(|i| (0..g).step_by(STRIDE).map(move |j| (i * g + j) as u32)).collect()
    };
    Rows { set: EvalSet::Grid, index }
}

/// Picture side in 2D.
pub(super) const SIDE: usize = GRID_2D / STRIDE;

/// What the network view draws: every neuron's activations on the picture
/// grid, the weights, the output there, and which neurons are shown.
pub struct Inside {
    pub hidden: Hidden,
    pub params: Vec<f32>,
    /// The inputs at the picture points (`rows × input_dim`).
    pub inputs: Vec<f32>,
    /// The network's outputs there (`rows × output_dim`).
    pub outputs: Vec<f32>,
    /// Per hidden layer, the units drawn (index order).
    pub shown: Vec<Vec<usize>>,
    /// Steps trained when the activations were asked for.
    pub step: u64,
}

impl Inside {
    /// The view of `hidden` and `params`, with the grid's inputs and the
    /// outputs of the latest snapshot (`grid_out`, on the whole grid).
    #[must_use]
    pub fn new(layout: &ParamLayout, hidden: Hidden, params: Vec<f32>, grid: &[f32], grid_out: &[f32], step: u64) -> Self {
        let rows = rows(layout.input_dim());
        let inputs = rows.gather(grid, layout.input_dim());
        let outputs = if grid_out.len() * layout.input_dim() == grid.len() * layout.output_dim() {
            rows.gather(grid_out, layout.output_dim())
        } else {
            Vec::new()
        };
        let shown = (0..hidden.widths.len()).map(|l| shown(layout, &params, l)).collect();
        Self { hidden, params, inputs, outputs, shown, step }
    }

    /// Unit `j` of column `c` (0 the inputs, then the hidden layers, then
    /// the outputs) at every picture point.
    pub(super) fn values(&self, c: usize, j: usize, layout: &ParamLayout) -> Vec<f32> {
        let hidden = self.hidden.widths.len();
        if c == 0 {
            let d = layout.input_dim();
            column(&self.inputs, d, j).collect()
        } else if c <= hidden {
            self.hidden.unit(c - 1, j).collect()
        } else {
            column(&self.outputs, layout.output_dim(), j).collect()
        }
    }

    /// The units of each column: every input, the shown hidden units, every output.
    fn columns(&self, layout: &ParamLayout) -> Vec<Vec<usize>> {
        let mut cols = vec![(0..layout.input_dim()).collect::<Vec<_>>()];
        cols.extend(self.shown.iter().cloned());
        cols.push((0..layout.output_dim()).collect());
        cols
    }
}

/// The units of hidden layer `l` with the largest outgoing weight norms
/// (all of them up to [`MAX_SHOWN`]), in index order.
#[must_use]
pub fn shown(layout: &ParamLayout, params: &[f32], l: usize) -> Vec<usize> {
    let next = &layout.layers[l + 1];
    let width = layout.layers[l].fan_out;
    let norm = |j: usize| -> f32 { (0..next.fan_out).map(|k| params[next.w_offset + k * next.fan_in + j].powi(2)).sum() };
    let mut units: Vec<(usize, f32)> = (0..width).map(|j| (j, norm(j))).collect();
    units.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut top: Vec<usize> = units.into_iter().take(MAX_SHOWN).map(|u| u.0).collect();
    top.sort_unstable();
    top
}

/// Where everything sits, in units of the chart's height (x from 0 to
/// the aspect ratio, y from 0 to 1): the same for drawing and for clicks.
#[derive(Debug, PartialEq)]
pub struct Geometry {
    /// Per column, each unit's box: left, top, side.
    pub boxes: Vec<Vec<(f64, f64, f64)>>,
    /// Column centres.
    pub centres: Vec<f64>,
    /// The enlarged neuron's panel: left, top, width, height.
    pub panel: (f64, f64, f64, f64),
}

impl Geometry {
    /// Columns of `counts` units in a chart of `aspect` (width over height).
    #[must_use]
    pub fn new(aspect: f64, counts: &[usize]) -> Self {
        // The enlarged neuron's panel is square (the input domain is), at the right.
        let panel = (0.96f64).min(0.4 * aspect);
        let net_w = aspect - panel - 0.03 * aspect;
        let col_w = net_w / counts.len() as f64;
        let (top, avail) = (0.12, 0.84);
        let most = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let slot = avail / most;
        let side = (0.8 * slot).min(0.6 * col_w).min(0.22);
        let centres: Vec<f64> = (0..counts.len()).map(|c| col_w * (c as f64 + 0.5)).collect();
        let boxes = counts
            .iter()
            .zip(&centres)
            .map(|(&n, &cx)| {
                (0..n)
                    .map(|j| (cx - side / 2.0, top + avail / 2.0 + (j as f64 - (n as f64 - 1.0) / 2.0) * slot - side / 2.0, side))
                    .collect()
            })
            .collect();
        Self { boxes, centres, panel: (aspect - panel, 0.5 - panel / 2.0, panel, panel) }
    }

    /// The column and position in it of the box at `at`.
    #[must_use]
    pub fn hit(&self, at: Click) -> Option<(usize, usize)> {
        let (x, y) = (at.x * at.aspect, at.y);
        self.boxes
            .iter()
            .enumerate()
            .find_map(|(c, col)| col.iter().position(|&(l, t, s)| (l..=l + s).contains(&x) && (t..=t + s).contains(&y)).map(|j| (c, j)))
    }
}

/// The neuron a click asks to enlarge, as `(layer, unit)` of the
/// settings (layer 0 the output, inputs not enlarged).
#[must_use]
pub fn clicked(inside: &Inside, layout: &ParamLayout, at: Click) -> Option<(usize, usize)> {
    let cols = inside.columns(layout);
    let counts: Vec<usize> = cols.iter().map(Vec::len).collect();
    let (c, j) = Geometry::new(at.aspect, &counts).hit(at)?;
    let unit = cols[c][j];
    match c {
        0 => None,
        c if c == cols.len() - 1 => Some((0, unit)),
        c => Some((c, unit)),
    }
}

/// A value's colour on a scale symmetric about 0 up to `top`: orange for
/// positive, blue for negative (the classes' colours), the background at 0.
pub(super) fn diverging(v: f32, top: f32, bg: RGBColor) -> [u8; 4] {
    let t = if top > 0.0 && v.is_finite() { (v / top).clamp(-1.0, 1.0) } else { 0.0 };
    let c = if t >= 0.0 { CLASS1 } else { CLASS0 };
    let t = f64::from(t.abs());
    let mix = |a: u8, b: u8| (f64::from(b) + (f64::from(a) - f64::from(b)) * t).round() as u8;
    [mix(c.0, bg.0), mix(c.1, bg.1), mix(c.2, bg.2), 255]
}

/// The largest magnitude among `values` (finite ones).
pub(super) fn top(values: &[f32]) -> f32 {
    values.iter().filter(|v| v.is_finite()).map(|v| v.abs()).max_by(f32::total_cmp).unwrap_or(0.0)
}

/// One neuron's picture in the box (smooth on the page; in SVG a
/// rectangle per point, not per pixel of a smoothed image: a network of
/// them made a 28 MB file) `(x0, y0)`–`(x1, y1)` (backend pixels).
fn picture<'a>(
    surface: &Surface<'a>,
    root: &DrawingArea<crate::charts::surface::Backend<'a>, plotters::coord::Shift>,
    values: &[f32],
    (x0, y0, x1, y1): (i32, i32, i32, i32),
    two_d: bool,
) {
    let m = top(values);
    let bg = surface.theme.bg;
    if two_d && values.len() == SIDE * SIDE {
        let pixels: Vec<u8> = values.iter().flat_map(|&v| diverging(v, m, bg)).collect();
        surface.raster(root, &pixels, (SIDE as u32, SIDE as u32), (x0..x1, y0..y1), surface.on_page());
    } else if values.len() > 1 {
        let n = values.len() - 1;
        let (mid, half) = (f64::from(y0 + y1) / 2.0, f64::from(y1 - y0) * 0.45);
        let y = |v: f32| (mid - half * f64::from(if m > 0.0 { (v / m).clamp(-1.0, 1.0) } else { 0.0 })).round() as i32;
        let x = |i: usize| x0 + ((x1 - x0) as f64 * i as f64 / n as f64).round() as i32;
        let _ = root.draw(&PathElement::new([(x0, mid as i32), (x1, mid as i32)], surface.theme.muted.stroke_width(1)));
        let line: Vec<(i32, i32)> = values.iter().enumerate().map(|(i, &v)| (x(i), y(v))).collect();
        let _ = root.draw(&PathElement::new(line, surface.theme.rgb(CLASS1).stroke_width(surface.stroke(1.5))));
    }
}

/// Draws the network view of `inside` for `problem`, enlarging `(layer, unit)`.
pub fn draw_network(surface: &mut Surface<'_>, problem: &Problem, inside: &Inside, focus: (usize, usize)) {
    let Some(root) = surface.root() else { return };
    let layout = problem.spec.layout();
    let (w, h) = root.dim_in_pixel();
    let hp = f64::from(h);
    let px = |v: f64| (v * hp).round() as i32;
    let cols = inside.columns(&layout);
    let counts: Vec<usize> = cols.iter().map(Vec::len).collect();
    let g = Geometry::new(f64::from(w) / hp, &counts);
    let two_d = layout.input_dim() == 2;
    let last = cols.len() - 1;

    // Connections first, beneath the pictures: one line per drawn pair.
    for c in 1..cols.len() {
        let shape = &layout.layers[c - 1];
        let mult = layout.w_mult(shape) as f32;
        let weight = |j: usize, i: usize| mult * inside.params[shape.w_offset + j * shape.fan_in + i];
        let pairs: Vec<(usize, usize, f32)> = cols[c]
            .iter()
            .enumerate()
            .flat_map(|(b, &j)| cols[c - 1].iter().enumerate().map(move |(a, &i)| (a, b, weight(j, i))))
            .collect();
        let largest = top(&pairs.iter().map(|p| p.2).collect::<Vec<_>>());
        for &(a, b, wv) in &pairs {
            let t = if largest > 0.0 && wv.is_finite() { f64::from(wv.abs() / largest) } else { 0.0 };
            let (la, ta, sa) = g.boxes[c - 1][a];
            let (lb, tb, sb) = g.boxes[c][b];
            let colour = surface.theme.rgb(if wv >= 0.0 { CLASS1 } else { CLASS0 }).mix(0.15 + 0.75 * t);
            let style = colour.stroke_width(surface.stroke(0.5 + 3.0 * t));
            let _ = root.draw(&PathElement::new([(px(la + sa), px(ta + sa / 2.0)), (px(lb), px(tb + sb / 2.0))], style));
        }
    }

    // The pictures, with a frame; the enlarged neuron's is bold.
    let muted = surface.theme.muted;
    for (c, col) in cols.iter().enumerate() {
        for (b, &j) in col.iter().enumerate() {
            let (l, t, s) = g.boxes[c][b];
            let rect = (px(l), px(t), px(l + s), px(t + s));
            picture(surface, &root, &inside.values(c, j, &layout), rect, two_d);
            let focused = (c == last && focus == (0, j)) || (c > 0 && c < last && focus == (c, j));
            let frame = if focused { surface.theme.ink.stroke_width(surface.stroke(2.5)) } else { muted.stroke_width(1) };
            let _ = root.draw(&Rectangle::new([(rect.0, rect.1), (rect.2, rect.3)], frame));
        }
        let (label, note) = match c {
            0 => ("input".to_owned(), None),
            c if c == last => ("output".to_owned(), None),
            c => {
                let width = layout.layers[c - 1].fan_out;
                (format!("layer {c}"), (col.len() < width).then(|| format!("{} of {width}", col.len())))
            }
        };
        let _ = root.draw(&Text::new(label, (px(g.centres[c]), px(0.055)), surface.label_font(12.0)));
        if let Some(note) = note {
            let _ = root.draw(&Text::new(note, (px(g.centres[c]), px(0.055) + surface.px(14.0)), surface.label_font(10.0)));
        }
    }

    super::neuron::draw_panel(surface, &root, problem, inside, focus, &g, px(1.0));
    let _ = root.present();
}

#[cfg(test)]
mod tests {
    use gradlab_core::{Activation, Init, MlpSpec, Parameterization};

    use super::*;

    fn layout(hidden: Vec<usize>) -> ParamLayout {
        let spec = MlpSpec {
            input_dim: 2,
            hidden,
            output_dim: 1,
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        };
        spec.layout()
    }

    #[test]
    fn picture_rows_are_every_other_grid_point() {
        let r = rows(2);
        assert_eq!(r.index.len(), SIDE * SIDE);
        assert_eq!(&r.index[..3], [0, 2, 4]);
        assert_eq!(r.index[SIDE], (2 * GRID_2D) as u32);
        assert_eq!(rows(1).index.len(), GRID_1D / 2);
    }

    #[test]
    fn the_units_shown_have_the_largest_outgoing_weights() {
        let layout = layout(vec![20, 3]);
        let mut params = vec![0.0; layout.num_params];
        let next = &layout.layers[1];
        // Unit j of layer 0 sends weight j to every unit above, but unit 0 sends the most.
        for k in 0..next.fan_out {
            for j in 0..next.fan_in {
                params[next.w_offset + k * next.fan_in + j] = if j == 0 { 100.0 } else { j as f32 };
            }
        }
        let top = shown(&layout, &params, 0);
        assert_eq!(top.len(), MAX_SHOWN);
        assert_eq!(top[0], 0);
        assert_eq!(&top[1..], (9..20).collect::<Vec<_>>());
        assert_eq!(shown(&layout, &params, 1), [0, 1, 2], "a narrow layer shows every unit");
    }

    #[test]
    fn a_click_finds_the_box_it_lands_in() {
        let g = Geometry::new(2.0, &[2, 12, 1]);
        let (l, t, s) = g.boxes[1][5];
        let click = |x: f64, y: f64| Click { x: x / 2.0, y, aspect: 2.0, shift: false };
        assert_eq!(g.hit(click(l + s / 2.0, t + s / 2.0)), Some((1, 5)));
        assert_eq!(g.hit(click(g.panel.0 + 0.1, 0.5)), None, "the panel is no neuron");
        // Boxes neither overlap nor leave the net's part of the chart.
        for col in &g.boxes {
            for w in col.windows(2) {
                assert!(w[0].1 + w[0].2 < w[1].1);
            }
            assert!(col.iter().all(|&(l, t, s)| l >= 0.0 && l + s < g.panel.0 && t >= 0.1 && t + s <= 1.0));
        }
    }

    #[test]
    fn colours_are_symmetric_about_zero() {
        let bg = RGBColor(255, 255, 255);
        assert_eq!(diverging(0.0, 1.0, bg), [255, 255, 255, 255]);
        assert_eq!(diverging(5.0, 1.0, bg), [CLASS1.0, CLASS1.1, CLASS1.2, 255]);
        assert_eq!(diverging(-1.0, 1.0, bg), [CLASS0.0, CLASS0.1, CLASS0.2, 255]);
        assert_eq!(diverging(f32::NAN, 1.0, bg), [255, 255, 255, 255]);
        assert_eq!(diverging(1.0, 0.0, bg), [255, 255, 255, 255], "a dead unit is blank");
    }
}
