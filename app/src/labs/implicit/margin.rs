//! Separable classification: logistic regression from zero by gradient
//! descent, normalized gradient descent and Adam, beside the hard-margin
//! SVM; the angle to it, the weights' norm and the normalized margin.

use gradlab_core::implicit::margin::{angle, Data, Logistic, Method, Svm, V2};
use plotters::prelude::*;

use super::lstsq::clip;
use super::run::{Experiment, Sampler};
use super::state::ImplicitState;
use crate::charts::lines::{draw_lines, Line, Lines};
use crate::charts::{legend, mesh, Surface, CLASS0, CLASS1, GREY_RGB, SERIES};

/// Adam's learning rate is the slider's divided by this: its steps are
/// about `lr` long in each coordinate, gradient descent's `lr·‖∇‖`.
pub const ADAM_LR_SCALE: f64 = 100.0;

/// Each optimizer's colour.
pub const COLOURS: [(u8, u8, u8); 3] = [SERIES[0], SERIES[1], SERIES[2]];

/// One recorded step of one optimizer.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub step: u64,
    pub angle: f64,
    pub norm: f64,
    pub margin: f64,
}

pub struct Margin {
    pub data: Data,
    pub svm: Svm,
    pub runs: Vec<Logistic>,
    pub total: u64,
    /// Per optimizer.
    pub history: Vec<Vec<Record>>,
    sample: Sampler,
}

impl Margin {
    #[must_use]
    pub fn new(s: &ImplicitState) -> Self {
        let data = Data::separable(s.points, s.margin, s.seed);
        let svm = Svm::solve(&data);
        let runs: Vec<Logistic> = Method::ALL
            .iter()
            .map(|&m| Logistic::new(m, if m == Method::Adam { s.margin_lr / ADAM_LR_SCALE } else { s.margin_lr }))
            .collect();
        let history = vec![Vec::new(); runs.len()];
        Self { data, svm, runs, total: s.margin_steps, history, sample: Sampler::new(100) }
    }

    fn record(&mut self) {
        for (run, h) in self.runs.iter().zip(&mut self.history) {
            let norm = run.w[0].hypot(run.w[1]);
            h.push(Record { step: run.steps, angle: angle(run.w, self.svm.w), norm, margin: self.data.margin(run.w) });
        }
    }

    /// Each optimizer's angle to the SVM now.
    #[must_use]
    pub fn angles(&self) -> Vec<f64> {
        self.history.iter().filter_map(|h| h.last().map(|r| r.angle)).collect()
    }

    /// A legend label: the method and, for Adam, its step size.
    fn label(run: &Logistic) -> String {
        match run.method {
            Method::Adam => format!("Adam (lr {})", run.lr),
            m => m.name().to_owned(),
        }
    }
}

impl Experiment for Margin {
    const CHUNK: u64 = 256;

    fn advance(&mut self, steps: u64) -> Result<(), String> {
        for _ in 0..steps {
            for run in &mut self.runs {
                if !run.step(&self.data) {
                    return Err(format!("{} diverged at step {}: lower the learning rate.", run.method.name(), run.steps));
                }
            }
            let step = self.runs[0].steps;
            if self.sample.due(step, self.total) {
                self.record();
            }
        }
        Ok(())
    }

    fn progress(&self) -> (u64, u64) {
        (self.runs[0].steps, self.total)
    }
}

/// The points, each optimizer's boundary now, and the SVM's with its
/// margins and support vectors.
pub fn draw_data(run: &Margin, surface: &mut Surface<'_>) {
    let Some(root) = surface.root() else { return };
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(surface.px(8.0))
        .x_label_area_size(surface.px(32.0))
        .y_label_area_size(surface.px(40.0))
        // Room at the right for the legend, clear of the points.
        .build_cartesian_2d(-1.05..2.0, -1.05..1.05)
    else {
        return;
    };
    let _ = mesh(&mut chart, surface).x_desc("x₁").y_desc("x₂").draw();
    let width = surface.stroke(2.0);
    let ends = |w: V2, level: f64| {
        // ⟨w, x⟩ = level, across the data's square.
        let r = w[0].hypot(w[1]);
        let c = level / r;
        clip((c * w[0] / r, c * w[1] / r), (-w[1] / r, w[0] / r), (-1.05, -1.05), (1.05, 1.05)).map_or_else(Vec::new, Vec::from)
    };
    let muted = surface.theme.muted;
    for (level, label) in [(0.0, "SVM boundary"), (1.0, "SVM margins"), (-1.0, "")] {
        let style = muted.stroke_width(if level == 0.0 { width } else { surface.stroke(1.0) });
        let dash = (surface.stroke(6.0), surface.stroke(4.0));
        if let Ok(series) = chart.draw_series(DashedLineSeries::new(ends(run.svm.w, level), dash.0, dash.1, style)) {
            if !label.is_empty() {
                series.label(label).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
            }
        }
    }
    for (logistic, &colour) in run.runs.iter().zip(&COLOURS) {
        if logistic.w == [0.0; 2] {
            continue;
        }
        let c = surface.theme.rgb(colour);
        if let Ok(series) = chart.draw_series(LineSeries::new(ends(logistic.w, 0.0), c.stroke_width(width))) {
            series.label(Margin::label(logistic)).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(width)));
        }
    }
    let (c0, c1) = (surface.theme.rgb(CLASS0), surface.theme.rgb(CLASS1));
    let dot = surface.px(4.0);
    let _ = chart.draw_series(
        run.data.x.iter().zip(&run.data.y).map(|(&x, &y)| Circle::new((x[0], x[1]), dot, if y > 0.0 { c1 } else { c0 }.filled())),
    );
    let ring = surface.theme.ink.stroke_width(surface.stroke(1.5));
    if let Ok(series) =
        chart.draw_series(run.svm.support().into_iter().map(|i| Circle::new((run.data.x[i][0], run.data.x[i][1]), surface.px(8.0), ring)))
    {
        series.label("support vectors").legend(move |(x, y)| Circle::new((x + 8, y), 5, ring));
    }
    legend(&mut chart, surface, SeriesLabelPosition::UpperRight);
    let _ = root.present();
}

/// Per optimizer: `f` of each record against step.
fn series(run: &Margin, f: fn(&Record) -> f64) -> Vec<Line> {
    run.runs
        .iter()
        .zip(&run.history)
        .zip(&COLOURS)
        .map(|((logistic, h), &colour)| Line {
            label: Margin::label(logistic),
            colour,
            dashed: false,
            points: h.iter().filter(|r| r.step > 0).map(|r| (r.step as f64, f(r))).collect(),
        })
        .collect()
}

/// The angle to the SVM against step (log–log), and `C/log t` through
/// gradient descent's latest point.
pub fn draw_angle(run: &Margin, surface: &mut Surface<'_>) {
    let mut lines = series(run, |r| r.angle);
    if let Some(last) = run.history[0].last().filter(|r| r.step >= 100) {
        let c = last.angle * (last.step as f64).ln();
        let points = run.history[0].iter().filter(|r| r.step >= 10).map(|r| (r.step as f64, c / (r.step as f64).ln())).collect();
        lines.push(Line { label: "C / log t".into(), colour: GREY_RGB, dashed: true, points });
    }
    draw_lines(
        surface,
        &Lines { lines: &lines, dots: &[], x_desc: "step t", y_desc: "angle to the SVM (rad)", log_x: true, log_y: true, floor: 1e-7 },
    );
}

/// `‖w‖` against step (log x: growth like `log t` is a straight line).
pub fn draw_norm(run: &Margin, surface: &mut Surface<'_>) {
    let lines = series(run, |r| r.norm);
    draw_lines(surface, &Lines { lines: &lines, dots: &[], x_desc: "step t", y_desc: "‖w‖", log_x: true, log_y: true, floor: 1e-9 });
}

/// The normalized margin against step, and the SVM's.
pub fn draw_margin(run: &Margin, surface: &mut Surface<'_>) {
    // From where every point is on its side (the margin is positive).
    let mut lines = series(run, |r| r.margin);
    lines.iter_mut().for_each(|l| l.points.retain(|p| p.1 >= 0.0));
    let best = 1.0 / run.svm.w[0].hypot(run.svm.w[1]);
    if let (Some(first), Some(last)) = (run.history[0].iter().find(|r| r.step > 0), run.history[0].last()) {
        let points = vec![(first.step as f64, best), (last.step as f64, best)];
        lines.push(Line { label: "SVM margin".into(), colour: GREY_RGB, dashed: true, points });
    }
    draw_lines(
        surface,
        &Lines {
            lines: &lines, dots: &[], x_desc: "step t", y_desc: "minᵢ yᵢ⟨w, xᵢ⟩ / ‖w‖", log_x: true, log_y: false, floor: 0.0
        },
    );
}
