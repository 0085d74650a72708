//! The learning-rate schedule drawn small beside its settings: the rate
//! [`TrainConfig::lr_at`] gives each step, over the steps where it moves.

use gradlab_core::{Schedule, TrainConfig};
use leptos::prelude::*;

use super::run::Run;
use crate::kit::LabKit;

/// Steps the curve spans: the warmup and the schedule's own shape (four
/// drops of a step schedule, a cosine and a quarter more, 1000 steps of a
/// constant rate).
#[must_use]
pub fn horizon(train: &TrainConfig) -> u64 {
    let shape = match train.schedule {
        Schedule::Constant => 1000,
        Schedule::Step { every, .. } => 4 * u64::from(every),
        Schedule::Cosine { total, .. } => u64::from(total) * 5 / 4,
    };
    u64::from(train.warmup) + shape
}

/// The curve as an SVG polyline's points in a `w × h` box (y down, the
/// base rate at the top, 0 at the bottom), sampled at `samples` steps.
#[must_use]
pub fn polyline(train: &TrainConfig, w: f64, h: f64, samples: u64) -> String {
    let end = horizon(train);
    (0..samples)
        .map(|i| {
            let t = i * end / (samples - 1).max(1);
            let y = h * (1.0 - f64::from(train.lr_at(t)) / f64::from(train.lr));
            format!("{:.1},{y:.1}", w * t as f64 / end as f64)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The schedule's picture, under its sliders.
pub fn lr_curve(k: LabKit<Run>) -> impl IntoView {
    let (w, h) = (220.0, 44.0);
    let train = Memo::new(move |_| k.with(|s| s.run_config().train));
    view! {
        <figure class="lr-curve">
            <svg viewBox=format!("-2 -2 {} {}", w + 4.0, h + 4.0) role="img" aria-label="the learning rate against the step">
                <line x1="0" y1=h x2=w y2=h class="axis" />
                <polyline points=move || polyline(&train.get(), w, h, 240) />
            </svg>
            <figcaption>{move || train.with(|t| format!("rate {} at the top, 0 at the bottom; steps 0 to {}", t.lr, horizon(t)))}</figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_core::{Loss, Optimizer};

    #[test]
    fn the_curve_ramps_then_follows_the_schedule() {
        let mut t = TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, 0.5);
        t.warmup = 100;
        t.schedule = Schedule::Cosine { total: 400, min_ratio: 0.0 };
        assert_eq!(horizon(&t), 600);
        let pts: Vec<(f64, f64)> = polyline(&t, 600.0, 10.0, 7)
            .split(' ')
            .map(|p| p.split_once(',').map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap())).unwrap())
            .collect();
        // Steps 0, 100, …, 600: a ramp of 1/100 at step 0, the full rate at
        // 100, half at 300 (the cosine's middle), 0 from 500 on.
        assert_eq!(pts[0], (0.0, 9.9));
        assert_eq!(pts[1], (100.0, 0.0));
        assert_eq!(pts[3], (300.0, 5.0));
        assert_eq!((pts[5], pts[6]), ((500.0, 10.0), (600.0, 10.0)));
    }
}
