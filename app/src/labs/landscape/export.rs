//! The landscape pictures' data as files.

use super::state::LandscapeState;
use super::views::Views;
use crate::kit::LabState;

/// Every chart's data as `series,x,y,value` rows: the loss on the plane
/// (`contour`, x = α, y = β), the 1D `slice` (x = α), `sharpness` (x =
/// step) and the loss along the line between the two solutions
/// (`connect_train`, `connect_test`, x = t).
pub fn csv(v: &Views) -> String {
    let mut csv = String::from("series,x,y,value\n");
    if let Some(p) = &v.picture {
        for (xy, loss) in p.request.grid.points().iter().zip(&p.losses) {
            csv.push_str(&format!("contour,{},{},{loss}\n", xy[0], xy[1]));
        }
        for (a, loss) in p.request.alphas.iter().zip(&p.slice) {
            csv.push_str(&format!("slice,{a},,{loss}\n"));
        }
    }
    for (step, l) in &v.sharpness {
        csv.push_str(&format!("sharpness,{step},,{l}\n"));
    }
    if let Some(l) = &v.line {
        for (name, values) in [("connect_train", &l.train), ("connect_test", &l.test)] {
            for (t, loss) in l.t.iter().zip(values) {
                csv.push_str(&format!("{name},{t},,{loss}\n"));
            }
        }
    }
    csv
}

/// The settings, the run's config and every chart's data.
pub fn json(v: &Views, s: &LandscapeState) -> String {
    let picture = v.picture.as_ref().map(|p| {
        serde_json::json!({
            "step": p.request.step,
            "alpha": p.request.grid.alpha,
            "beta": p.request.grid.beta,
            "size": p.request.grid.size,
            "loss": p.losses,
            "path": p.request.path,
            "slice": { "alpha": p.request.alphas, "loss": p.slice },
        })
    });
    let body = serde_json::json!({
        "settings": s.to_query(),
        "config": s.run_config(),
        "plane": picture,
        "sharpness": { "step": v.sharpness.iter().map(|p| p.0).collect::<Vec<_>>(), "lambda_max": v.sharpness.iter().map(|p| p.1).collect::<Vec<_>>(), "edge": s.edge() },
        "connect": v.line.as_ref().map(|l| serde_json::json!({ "t": l.t, "train": l.train, "test": l.test })),
    });
    body.to_string()
}
