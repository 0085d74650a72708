//! Least squares with more unknowns than equations: one optimizer's path
//! from `x₀`, its distance to the minimum-norm solution and to the solution
//! nearest `x₀`, and (for two or three unknowns) the picture.

use gradlab_core::implicit::lstsq::{Descent, Problem};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::run::{Experiment, Sampler};
use super::state::ImplicitState;
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::{mesh, Surface, CLASS0, CLASS1, GREY_RGB};
use crate::kit::Named;

/// One recorded step: `‖x − x_mn‖`, `‖x − proj(x₀)‖`, `‖Ax − b‖`.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub step: u64,
    pub to_min_norm: f64,
    pub to_nearest: f64,
    pub residual: f64,
}

pub struct Lstsq {
    pub problem: Problem,
    pub min_norm: DVector<f64>,
    /// The solution nearest `x₀` (the projection of `x₀`).
    pub nearest: DVector<f64>,
    pub descent: Descent,
    pub total: u64,
    pub history: Vec<Record>,
    /// `x` at the recorded steps, for the picture (n ≤ 3).
    pub path: Vec<DVector<f64>>,
    /// Orthonormal directions along the solution set, for the picture
    /// (n ≤ 3; none otherwise).
    pub basis: Vec<DVector<f64>>,
    sample: Sampler,
}

impl Lstsq {
    #[must_use]
    pub fn new(s: &ImplicitState) -> Self {
        let problem = Problem::new(s.equations(), s.n, s.init, s.seed);
        let (min_norm, nearest) = (problem.min_norm(), problem.nearest(&problem.x0));
        let descent = Descent::new(&problem, s.opt, s.lr);
        let basis = if s.n <= 3 { null_basis(&problem) } else { Vec::new() };
        let mut run = Self {
            problem,
            min_norm,
            nearest,
            descent,
            total: s.steps,
            history: Vec::new(),
            path: Vec::new(),
            basis,
            sample: Sampler::new(200),
        };
        run.record();
        run
    }

    fn record(&mut self) {
        let x = &self.descent.x;
        self.history.push(Record {
            step: self.descent.steps,
            to_min_norm: (x - &self.min_norm).norm(),
            to_nearest: (x - &self.nearest).norm(),
            residual: self.problem.residual(x),
        });
        if x.len() <= 3 {
            self.path.push(x.clone());
        }
    }

    /// Relative distances to the two solutions, and the residual, now.
    #[must_use]
    pub fn readout(&self) -> Option<(f64, f64, f64)> {
        let r = self.history.last()?;
        Some((r.to_min_norm / self.min_norm.norm(), r.to_nearest / self.nearest.norm(), r.residual))
    }
}

/// Orthonormal directions along the solution set (`A`'s null space).
fn null_basis(p: &Problem) -> Vec<DVector<f64>> {
    let n = p.x0.len();
    let projector = DMatrix::identity(n, n) - p.pinv() * &p.a;
    let eig = SymmetricEigen::new(projector);
    (0..n).filter(|&k| eig.eigenvalues[k] > 0.5).map(|k| eig.eigenvectors.column(k).into_owned()).collect()
}

impl Experiment for Lstsq {
    const CHUNK: u64 = 64;

    fn advance(&mut self, steps: u64) -> Result<(), String> {
        for _ in 0..steps {
            if !self.descent.step(&self.problem) {
                return Err(format!(
                    "Least squares diverged at step {}: lr={} is past this problem's stable step (gradient descent needs lr < 2/‖A‖² = {:.2}).",
                    self.descent.steps,
                    self.descent.lr,
                    self.problem.max_lr()
                ));
            }
            if self.sample.due(self.descent.steps, self.total) {
                self.record();
            }
        }
        Ok(())
    }

    fn progress(&self) -> (u64, u64) {
        (self.descent.steps, self.total)
    }
}

/// The three distances against step (log–log).
pub fn draw_distance(run: &Lstsq, s: &ImplicitState, surface: &mut Surface<'_>) {
    let pts = |f: fn(&Record) -> f64| run.history.iter().filter(|r| r.step > 0).map(|r| (r.step as f64, f(r))).collect();
    let mut lines = vec![Line { label: "‖x − x_min-norm‖".into(), colour: CLASS0, dashed: false, points: pts(|r| r.to_min_norm) }];
    if s.init > 0.0 {
        lines.push(Line { label: "‖x − proj(x₀)‖".into(), colour: CLASS1, dashed: false, points: pts(|r| r.to_nearest) });
    }
    lines.push(Line { label: "‖Ax − b‖".into(), colour: GREY_RGB, dashed: true, points: pts(|r| r.residual) });
    draw_lines(surface, &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "distance", log_x: true, log_y: true, floor: 1e-12 });
}

/// Clips the line `p + s·d` to the box `[lo, hi]²` (Liang–Barsky).
pub fn clip(p: (f64, f64), d: (f64, f64), lo: (f64, f64), hi: (f64, f64)) -> Option<[(f64, f64); 2]> {
    let (mut s0, mut s1) = (f64::NEG_INFINITY, f64::INFINITY);
    for (pk, dk, l, h) in [(p.0, d.0, lo.0, hi.0), (p.1, d.1, lo.1, hi.1)] {
        if dk.abs() < 1e-15 {
            if pk < l || pk > h {
                return None;
            }
            continue;
        }
        let (a, b) = ((l - pk) / dk, (h - pk) / dk);
        s0 = s0.max(a.min(b));
        s1 = s1.min(a.max(b));
    }
    (s0 < s1).then_some([(p.0 + s0 * d.0, p.1 + s0 * d.1), (p.0 + s1 * d.0, p.1 + s1 * d.1)])
}

/// The picture: the solution set, `x₀`, the minimum-norm point, `x₀`'s
/// projection and the path, in the plane (n = 2) or in space (n = 3).
pub fn draw_plane(run: &Lstsq, s: &ImplicitState, surface: &mut Surface<'_>) {
    let Some(root) = surface.root() else { return };
    let n = run.problem.x0.len();
    let (ink, muted) = (surface.theme.ink, surface.theme.muted);
    let method = s.opt.text();
    let (path_colour, mn_colour, near_colour) = (surface.theme.rgb(CLASS1), surface.theme.rgb(CLASS0), surface.theme.rgb(GREY_RGB));
    let width = surface.stroke(2.0);
    let dot = surface.px(5.0);
    if n == 2 {
        let pts: Vec<(f64, f64)> =
            run.path.iter().chain([&run.min_norm, &run.nearest, &run.problem.x0]).map(|x| (x[0], x[1])).chain([(0.0, 0.0)]).collect();
        let (mut lo, mut hi) = pts.iter().fold(((f64::INFINITY, f64::INFINITY), (f64::NEG_INFINITY, f64::NEG_INFINITY)), |(lo, hi), p| {
            ((lo.0.min(p.0), lo.1.min(p.1)), (hi.0.max(p.0), hi.1.max(p.1)))
        });
        // Equal units on both axes, with room around the points.
        let (w, h) = root.dim_in_pixel();
        let (pw, ph) = (f64::from(w) - f64::from(surface.px(64.0)), f64::from(h) - f64::from(surface.px(70.0)));
        let span = ((hi.0 - lo.0) / pw).max((hi.1 - lo.1) / ph).max(1e-9) * 1.3;
        let centre = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
        lo = (centre.0 - span * pw / 2.0, centre.1 - span * ph / 2.0);
        hi = (centre.0 + span * pw / 2.0, centre.1 + span * ph / 2.0);
        // The key above the plot, clear of the points.
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(surface.px(8.0))
            .margin_top(surface.px(26.0))
            .x_label_area_size(surface.px(36.0))
            .y_label_area_size(surface.px(48.0))
            .build_cartesian_2d(lo.0..hi.0, lo.1..hi.1)
        else {
            return;
        };
        let _ = mesh(&mut chart, surface).x_desc("x₁").y_desc("x₂").draw();
        for d in &run.basis {
            if let Some(seg) = clip((run.min_norm[0], run.min_norm[1]), (d[0], d[1]), lo, hi) {
                let _ = chart.draw_series(LineSeries::new(seg, ink.stroke_width(width)));
            }
        }
        let path: Vec<(f64, f64)> = run.path.iter().map(|x| (x[0], x[1])).collect();
        let _ = chart.draw_series(LineSeries::new(path, path_colour.stroke_width(width)));
        // Each point named beside it (a legend box would hide some of them).
        let from_zero = s.init == 0.0;
        let mut marks = vec![
            (if from_zero { "x₀ = 0" } else { "x₀" }, &run.problem.x0, muted, -18.0),
            ("A⁺b (min norm)", &run.min_norm, mn_colour, 4.0),
        ];
        if !from_zero {
            marks.push(("proj(x₀)", &run.nearest, near_colour, -18.0));
        }
        for (label, x, colour, dy) in marks {
            let _ = chart.draw_series([Circle::new((x[0], x[1]), dot, colour.filled())]);
            // Beside the point, on the side with more room.
            let at = chart.backend_coord(&(x[0], x[1]));
            let right_half = f64::from(at.0) > f64::from(root.dim_in_pixel().0) * 0.6;
            let (dx, h) = if right_half { (-8.0, HPos::Right) } else { (8.0, HPos::Left) };
            let font = surface.font(13.0).pos(Pos::new(h, VPos::Top));
            let _ = root.draw(&Text::new(label, (at.0 + surface.px(dx), at.1 + surface.px(dy)), font));
        }
        let key = format!("line: the solutions of Ax = b · orange: the {method} path");
        let _ = root.draw(&Text::new(key, (surface.px(60.0), surface.px(6.0)), surface.font(12.0)));
    } else if n == 3 {
        let all: Vec<&DVector<f64>> = run.path.iter().chain([&run.min_norm, &run.nearest, &run.problem.x0]).collect();
        let r = all.iter().map(|x| x.amax()).fold(0.5, f64::max) * 1.2;
        let Ok(mut chart) = ChartBuilder::on(&root).margin(surface.px(12.0)).build_cartesian_3d(-r..r, -r..r, -r..r) else { return };
        chart.with_projection(|mut p| {
            p.pitch = 0.45;
            p.yaw = 0.6;
            p.scale = 0.8;
            p.into_matrix()
        });
        let _ =
            chart.configure_axes().label_style(surface.font(11.0)).light_grid_style(surface.theme.grid.mix(0.3)).max_light_lines(2).draw();
        let at = |x: &DVector<f64>| (x[0], x[1], x[2]);
        let basis = &run.basis;
        let c = &run.min_norm;
        // The solution set: a plane (one equation) as a grid, or a line.
        let ticks: Vec<f64> = (-4..=4).map(|k| f64::from(k) * r / 2.0).collect();
        let segment = |d: &DVector<f64>, off: DVector<f64>| vec![at(&(c + &off - d * (2.0 * r))), at(&(c + &off + d * (2.0 * r)))];
        let mut lines = Vec::new();
        if let [u, v] = basis.as_slice() {
            for &t in &ticks {
                lines.push(segment(u, v * t));
                lines.push(segment(v, u * t));
            }
        } else if let Some(u) = basis.first() {
            lines.push(segment(u, DVector::zeros(3)));
        }
        let inside = |p: &(f64, f64, f64)| p.0.abs() <= r && p.1.abs() <= r && p.2.abs() <= r;
        for l in lines {
            // Sampled, so the part outside the box can be left out.
            let pts: Vec<_> = (0..=40)
                .map(|k| {
                    let t = f64::from(k) / 40.0;
                    (l[0].0 + t * (l[1].0 - l[0].0), l[0].1 + t * (l[1].1 - l[0].1), l[0].2 + t * (l[1].2 - l[0].2))
                })
                .filter(inside)
                .collect();
            let _ = chart.draw_series(LineSeries::new(pts, ink.mix(0.35).stroke_width(surface.stroke(1.0))));
        }
        let _ = chart.draw_series(LineSeries::new(run.path.iter().map(at), path_colour.stroke_width(width)));
        for (x, colour) in [(&run.problem.x0, muted), (&run.min_norm, mn_colour), (&run.nearest, near_colour)] {
            let _ = chart.draw_series([Circle::new(at(x), dot, colour.filled())]);
        }
    } else {
        let _ = root.draw(&Text::new(
            format!("The picture needs n = 2 or 3 unknowns (here n = {n}); the distances below hold for any n."),
            (surface.px(16.0), surface.px(24.0)),
            surface.font(14.0),
        ));
    }
    let _ = root.present();
}
