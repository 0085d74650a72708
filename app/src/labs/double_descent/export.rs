//! The double-descent curves as files: both exact curves (median and
//! quartiles) and, with a trained sweep, each width's errors and the
//! epoch-wise series.

use gradlab_core::double_descent::{bands, Band, SweepLog};
use serde::Serialize;

use super::run::{Run, Series};
use super::state::DdState;
use crate::kit::{LabState, Named};

/// Medians and bands of one curve.
#[derive(Serialize)]
struct Exported<'a> {
    x: &'a [usize],
    train: Vec<Band>,
    test: Vec<Band>,
}

fn exported(series: Option<&Series>, sigma: f64) -> Option<Exported<'_>> {
    series.map(|se| {
        let (train, test) = bands(&se.errors(sigma));
        Exported { x: &se.xs, train, test }
    })
}

/// Each width's latest errors, and median test error over time per width.
type Trained = (Vec<(usize, Band, Band)>, Vec<(usize, Vec<(u64, f64)>)>);

fn trained(sweep: &SweepLog) -> Trained {
    (sweep.latest(), sweep.widths().into_iter().map(|w| (w, sweep.test_over_time(w))).collect())
}

/// `curve,x,train_median,train_q25,train_q75,test_median,test_q25,test_q75`.
pub fn csv(r: &Run, s: &DdState) -> String {
    let mut csv = String::from("curve,x,train_median,train_q25,train_q75,test_median,test_q25,test_q75\n");
    for (name, c) in [("model_wise_p", exported(r.model.as_ref(), s.noise)), ("sample_wise_n", exported(r.sample.as_ref(), s.noise))] {
        if let Some(c) = c {
            for (i, (tr, te)) in c.train.iter().zip(&c.test).enumerate() {
                csv.push_str(&format!("{name},{},{},{},{},{},{},{}\n", c.x[i], tr.median, tr.lo, tr.hi, te.median, te.lo, te.hi));
            }
        }
    }
    if let Some((latest, epochs)) = r.sweep.as_ref().and_then(|t| t.log()).map(trained) {
        for (p, tr, te) in latest {
            csv.push_str(&format!("trained_p,{p},{},{},{},{},{},{}\n", tr.median, tr.lo, tr.hi, te.median, te.lo, te.hi));
        }
        for (p, pts) in epochs {
            for (step, test) in pts {
                csv.push_str(&format!("epoch_step_p{p},{step},,,,{test},,\n"));
            }
        }
    }
    csv
}

/// The settings, both curves, and the trained sweep.
pub fn json(r: &Run, s: &DdState) -> String {
    let trained_json = r.sweep.as_ref().and_then(|t| t.log()).map(trained).map(|(latest, epochs)| {
        serde_json::json!({
            "training": s.train.name(),
            "steps": s.steps,
            "model_wise": latest.iter().map(|(p, tr, te)| serde_json::json!({ "p": p, "train": tr, "test": te })).collect::<Vec<_>>(),
            "epoch_wise": epochs.iter().map(|(p, pts)| serde_json::json!({
                "p": p,
                "step": pts.iter().map(|q| q.0).collect::<Vec<_>>(),
                "test_median": pts.iter().map(|q| q.1).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    });
    let body = serde_json::json!({
        "settings": s.to_query(),
        "model_wise": exported(r.model.as_ref(), s.noise),
        "sample_wise": exported(r.sample.as_ref(), s.noise),
        "trained": trained_json,
    });
    body.to_string()
}
