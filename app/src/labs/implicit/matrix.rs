//! Matrix completion: factorized models from several initialization
//! scales, side by side, against the target and the minimum nuclear norm
//! completion (computed over frames). On a GPU backend the models train
//! there as one batch, in f32 ([`GpuSweep`]); on the CPU, in f64 here,
//! taking turns.

use std::rc::Rc;

use gradlab_core::engine::Backend;
use gradlab_core::implicit::matrix::{effective_rank, nuclear_norm, singular_values, Completion, Factorized, NuclearMin};
use gradlab_core::implicit::sweep::GpuSweep;
use nalgebra::DMatrix;
use plotters::prelude::*;

use super::run::{drive, Experiment, Halt, Sampler};
use super::state::ImplicitState;
use crate::charts::heat::{draw_heat, Heat};
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::{Surface, GREY_RGB, SERIES};
use crate::web;

/// ADMM iterations before the minimum nuclear norm completion is called
/// not converged (and shown as it stands).
const NUCLEAR_ITERATIONS: usize = 20_000;

/// One recorded step of one model.
#[derive(Clone, Debug)]
pub struct Record {
    pub step: u64,
    /// Singular values, largest first (as many as the target's rank + 3).
    pub singular: Vec<f64>,
    pub error: f64,
    pub rank: f64,
    pub nuclear: f64,
}

pub struct Matrix {
    pub c: Completion,
    pub models: Vec<Factorized>,
    pub total: u64,
    pub history: Vec<Vec<Record>>,
    pub nuclear: NuclearMin,
    /// `‖X*‖_*` of the minimum nuclear norm completion, once computed.
    nuclear_min: Option<f64>,
    /// The target's singular values, largest first.
    pub target_singular: Vec<f64>,
    /// Target, mask and the first model's `X` (at its last record) as
    /// images, target and `X` on one colour scale.
    pub images: [Heat; 3],
    rank: usize,
    /// The model to step next (on the CPU).
    turn: usize,
    sample: Sampler,
    /// The models on the GPU, and the step of their `X` last read back;
    /// `models` then holds their start.
    gpu: Option<(GpuSweep, u64)>,
}

impl Matrix {
    #[must_use]
    pub fn new(s: &ImplicitState, backend: &Rc<Backend>) -> Self {
        let c = Completion::new(s.size, s.rank, s.observed, s.seed);
        let models: Vec<Factorized> = s.alphas().into_iter().map(|a| Factorized::new(s.size, s.depth, a, s.matrix_lr, s.seed)).collect();
        let nuclear = NuclearMin::new(&c);
        let history = vec![Vec::new(); models.len()];
        let target_singular = singular_values(&c.target);
        let images = [heat(&c, &c.target), Heat::of(&c.mask, &order(&c), Some((0.0, 1.0))), heat(&c, &models[0].product())];
        let mut run = Self {
            c,
            models,
            total: s.matrix_steps,
            history,
            nuclear,
            nuclear_min: None,
            target_singular,
            images,
            rank: s.rank,
            turn: 0,
            sample: Sampler::new(40),
            gpu: matches!(**backend, Backend::Gpu(_)).then(|| (GpuSweep::new(Rc::clone(backend)), 0)),
        };
        run.record_cpu();
        run
    }

    /// Whether the models train on the GPU.
    #[must_use]
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// Records the CPU models as they are now.
    fn record_cpu(&mut self) {
        let x: Vec<DMatrix<f64>> = self.models.iter().map(Factorized::product).collect();
        self.record(self.models[0].steps, &x);
    }

    /// Records each model's `x` at `step`.
    fn record(&mut self, step: u64, x: &[DMatrix<f64>]) {
        let keep = self.rank + 3;
        for (x, h) in x.iter().zip(&mut self.history) {
            let s = singular_values(x);
            h.push(Record {
                step,
                error: self.c.unseen_error(x),
                rank: effective_rank(&s),
                nuclear: s.iter().sum(),
                singular: s.into_iter().take(keep).collect(),
            });
        }
        self.images[2] = heat(&self.c, &x[0]);
    }

    /// This frame's steps (`Some(1)`: one; `u32::MAX`: as many as fit
    /// until `deadline`; `None`: paused); whether anything new is shown.
    ///
    /// # Errors
    /// A model diverged, or the GPU failed.
    pub fn tick(&mut self, steps: Option<u32>, deadline: f64) -> Result<bool, Halt> {
        let Some((sweep, shown)) = &mut self.gpu else {
            return steps.map_or(Ok(false), |n| drive(self, n == 1, deadline, web::now).map_err(Halt::Diverged));
        };
        let Some(landed) = sweep.tick(&self.c, &self.models, steps, self.total, web::now) else { return Ok(false) };
        let p = landed.map_err(Halt::Failed)?;
        *shown = p.step;
        if let Some(i) = p.x.iter().position(|x| !x.iter().all(|v| v.is_finite())) {
            return Err(Halt::Diverged(diverged(&self.models[i], p.step)));
        }
        if self.sample.due(p.step, self.total) {
            self.record(p.step, &p.x);
        } else {
            self.images[2] = heat(&self.c, &p.x[0]);
        }
        Ok(true)
    }

    /// The first model's unseen-entry error and effective rank now.
    #[must_use]
    pub fn readout(&self) -> Option<(f64, f64)> {
        self.history[0].last().map(|r| (r.error, r.rank))
    }

    /// `‖X*‖_*` of the minimum nuclear norm completion, once computed.
    #[must_use]
    pub fn nuclear_min(&self) -> Option<f64> {
        self.nuclear_min
    }

    fn nuclear_done(&self) -> bool {
        self.nuclear.done(&self.c) || self.nuclear.iterations >= NUCLEAR_ITERATIONS
    }
}

fn diverged(m: &Factorized, step: u64) -> String {
    format!(
        "Matrix completion from α = {} diverged by step {step}: lower the learning rate (a larger α or depth, or fewer entries seen, needs a smaller one).",
        m.alpha
    )
}

/// Rows and columns in their own order.
fn order(c: &Completion) -> Vec<usize> {
    (0..c.n()).collect()
}

/// `x` (the target or a model's `X`) on the target's colour scale, padded.
fn heat(c: &Completion, x: &DMatrix<f64>) -> Heat {
    let top = c.target.amax() * 1.1;
    Heat::of(x, &order(c), Some((-top, top)))
}

impl Experiment for Matrix {
    /// One model's step: at 64 × 64 and depth 4 one step of all three
    /// took most of a frame, so they take turns, and a frame stops
    /// between them.
    const CHUNK: u64 = 1;

    fn advance(&mut self, steps: u64) -> Result<(), String> {
        for _ in 0..steps {
            let m = &mut self.models[self.turn];
            if !m.step(&self.c).1 {
                return Err(diverged(m, m.steps));
            }
            self.turn = (self.turn + 1) % self.models.len();
            if self.turn == 0 && self.sample.due(self.models[0].steps, self.total) {
                self.record_cpu();
            }
        }
        Ok(())
    }

    /// Steps every model has taken (on the GPU: as last read back).
    fn progress(&self) -> (u64, u64) {
        let done = self.gpu.as_ref().map_or(self.models[self.models.len() - 1].steps, |g| g.1);
        (done, self.total)
    }

    fn background(&mut self, deadline: f64) -> bool {
        if self.nuclear_done() {
            return false;
        }
        while !self.nuclear_done() && web::now() < deadline {
            self.nuclear.iterate(&self.c);
        }
        if self.nuclear_done() {
            self.nuclear_min = Some(nuclear_norm(self.nuclear.completion()));
        }
        self.nuclear_min.is_some()
    }
}

/// A label for model `i`.
fn alpha_label(m: &Factorized) -> String {
    format!("α = {}", crate::charts::format_loss_tick(m.alpha as f32))
}

/// Target, mask and `X` side by side, each square.
pub fn draw_matrices(run: &Matrix, surface: &mut Surface<'_>) {
    let Some(root) = surface.root() else { return };
    let images = &run.images;
    let step = run.history[0].last().map_or(0, |r| r.step);
    let names = ["target T".to_owned(), "seen entries Ω".to_owned(), format!("X, {}, step {step}", alpha_label(&run.models[0]))];
    let (w, h) = root.dim_in_pixel();
    let title = surface.px(24.0);
    // A square plot plus its axis labels (40 px, see draw_heat) in each third.
    let side =
        (i64::from(w / 3) - i64::from(surface.px(56.0))).min(i64::from(h) - i64::from(title) - i64::from(surface.px(56.0))).max(10) as i32;
    let panel_w = side + surface.px(56.0);
    for (k, (image, name)) in images.iter().zip(names).enumerate() {
        let left = (w as i32 / 3) * k as i32 + (w as i32 / 3 - panel_w) / 2;
        let panel = root.clone().shrink((left, 0), (panel_w, side + title + surface.px(56.0)));
        let _ = panel.draw(&Text::new(name, (surface.px(48.0), surface.px(4.0)), surface.font(13.0)));
        let body = panel.margin(title, 0, 0, 0);
        draw_heat(&root, &body, surface, image, ("column j", "row i"), false);
    }
    let _ = root.present();
}

/// The first model's singular values against step, and the target's.
pub fn draw_singular(run: &Matrix, surface: &mut Surface<'_>) {
    let h = &run.history[0];
    let keep = h.first().map_or(0, |r| r.singular.len());
    let target = &run.target_singular;
    let mut lines: Vec<Line> = (0..keep)
        .map(|k| Line {
            label: if k < run.rank {
                format!("σ{}", k + 1)
            } else if k == run.rank {
                "others".into()
            } else {
                String::new()
            },
            colour: if k < run.rank { SERIES[k % SERIES.len()] } else { GREY_RGB },
            dashed: false,
            points: h.iter().filter(|r| r.step > 0).map(|r| (r.step as f64, r.singular[k])).collect(),
        })
        .collect();
    if let (Some(first), Some(last)) = (h.iter().find(|r| r.step > 0), h.last()) {
        for (k, &t) in target.iter().take(run.rank).enumerate() {
            lines.push(Line {
                label: if k == 0 { "target's".into() } else { String::new() },
                colour: GREY_RGB,
                dashed: true,
                points: vec![(first.step as f64, t), (last.step as f64, t)],
            });
        }
    }
    draw_lines(
        surface,
        &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "singular value of X", log_x: true, log_y: true, floor: 1e-9 },
    );
}

/// Per model: `f` of each record against step.
fn per_alpha(run: &Matrix, f: fn(&Record) -> f64) -> Vec<Line> {
    run.models
        .iter()
        .zip(&run.history)
        .zip(SERIES.iter().cycle())
        .map(|((m, h), &colour)| Line {
            label: alpha_label(m),
            colour,
            dashed: false,
            points: h.iter().filter(|r| r.step > 0).map(|r| (r.step as f64, f(r))).collect(),
        })
        .collect()
}

pub fn draw_error(run: &Matrix, surface: &mut Surface<'_>) {
    let lines = per_alpha(run, |r| r.error);
    draw_lines(
        surface,
        &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "error on unseen entries", log_x: true, log_y: true, floor: 1e-9 },
    );
}

pub fn draw_rank(run: &Matrix, surface: &mut Surface<'_>) {
    let lines = per_alpha(run, |r| r.rank);
    draw_lines(
        surface,
        &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "effective rank", log_x: true, log_y: false, floor: 0.0 },
    );
}

/// ‖X‖_* per model, the minimum nuclear norm completion's and the target's.
pub fn draw_nuclear(run: &Matrix, surface: &mut Surface<'_>) {
    let mut lines = per_alpha(run, |r| r.nuclear);
    let h = &run.history[0];
    if let (Some(first), Some(last)) = (h.iter().find(|r| r.step > 0), h.last()) {
        let span = |v: f64| vec![(first.step as f64, v), (last.step as f64, v)];
        lines.push(Line {
            label: "target ‖T‖_*".into(), colour: GREY_RGB, dashed: false, points: span(run.target_singular.iter().sum())
        });
        if let Some(min) = run.nuclear_min() {
            lines.push(Line { label: "min ‖X‖_* completion".into(), colour: GREY_RGB, dashed: true, points: span(min) });
        }
    }
    draw_lines(
        surface,
        &Lines { lines: &lines, dots: &[], x_desc: "step", y_desc: "nuclear norm ‖X‖_*", log_x: true, log_y: true, floor: 1e-9 },
    );
}
