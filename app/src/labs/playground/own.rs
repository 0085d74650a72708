//! Data of your own in the playground: the dataset choice that includes
//! it, and your points in the URL (`pts=`), so a link or an embed brings
//! them along. Each point is `x₁_x₂_class` (or `x_y` on a curve) with at
//! most three decimals, points joined by `~`: characters a URL carries as
//! they are.

use gradlab_core::data::MAX_CLASSES;
use gradlab_core::points::{parse_csv, MAX_CSV_BYTES};
use gradlab_core::DatasetKind;
use leptos::prelude::Update;

use super::charts::Plot;
use super::run::Run;
use super::state::PlaygroundState;
use crate::kit::query::{quote, Setting, Shape};
use crate::kit::{Checker, LabKit, Named};

/// Most of your points a URL holds; more live in the browser's local
/// storage (under [`STORAGE_KEY`], as CSV) and the URL says `pts=local`.
pub const MAX_URL_POINTS: usize = 200;
/// Where more points than a URL holds are kept.
pub const STORAGE_KEY: &str = "gradlab-points";
/// What the URL says for them.
const LOCAL: &str = "local";
/// Largest coordinate the URL writes (three decimals).
const MAX_URL_COORDINATE: f32 = 1000.0;

/// The playground's data: a drawn dataset, or your own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PgData(pub DatasetKind);

static PG_DATA: [PgData; 8] = [
    PgData(DatasetKind::Spiral),
    PgData(DatasetKind::Circles),
    PgData(DatasetKind::Xor),
    PgData(DatasetKind::Blobs),
    PgData(DatasetKind::Moons),
    PgData(DatasetKind::Sine),
    PgData(DatasetKind::Points),
    PgData(DatasetKind::Curve),
];

impl Named for PgData {
    fn all() -> &'static [Self] {
        &PG_DATA
    }
    fn name(self) -> &'static str {
        self.0.name()
    }
    fn text(self) -> &'static str {
        match self.0 {
            DatasetKind::Points => "your points",
            DatasetKind::Curve => "your curve",
            k => k.name(),
        }
    }
}

impl std::ops::Deref for PgData {
    type Target = DatasetKind;
    fn deref(&self) -> &DatasetKind {
        &self.0
    }
}

/// A coordinate as the URL writes it.
fn number(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Your points as the URL writes them.
#[must_use]
pub fn encode(points: &[Vec<f32>]) -> String {
    points.iter().map(|p| p.iter().map(|&v| number(v)).collect::<Vec<_>>().join("_")).collect::<Vec<_>>().join("~")
}

/// The points `text` writes, or why it writes none.
///
/// # Errors
/// The first point that is not two or three finite numbers within
/// ±1000 with a whole class below [`MAX_CLASSES`], the same count for
/// every point; or more than [`MAX_URL_POINTS`].
pub fn decode(text: &str) -> Result<Vec<Vec<f32>>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let points: Vec<&str> = text.split('~').collect();
    if points.len() > MAX_URL_POINTS {
        return Err(format!("has {} points; a URL holds at most {MAX_URL_POINTS}", points.len()));
    }
    let mut out: Vec<Vec<f32>> = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let values: Result<Vec<f32>, _> = p.split('_').map(|v| v.trim().parse::<f32>()).collect();
        let values = values.map_err(|_| format!("point {} ({}) is not numbers joined by _", i + 1, quote(p)))?;
        if !(2..=3).contains(&values.len()) || out.first().is_some_and(|f| f.len() != values.len()) {
            return Err(format!("point {} has {} numbers; each has x1_x2_class, or x_y on a curve", i + 1, values.len()));
        }
        if values.iter().any(|v| !(v.is_finite() && v.abs() <= MAX_URL_COORDINATE)) {
            return Err(format!("point {} has a number that is not finite within ±{MAX_URL_COORDINATE}", i + 1));
        }
        if values.len() == 3 && !(values[2].fract() == 0.0 && (0.0..MAX_CLASSES as f32).contains(&values[2])) {
            return Err(format!("point {} has class {}: classes are 0 to {}", i + 1, values[2], MAX_CLASSES - 1));
        }
        out.push(values);
    }
    Ok(out)
}

/// Your points after a click at `at` (data coordinates) on `plot`: a new
/// point of the chosen class (or on the curve), or with shift the nearest
/// point within 4 % of the plot's size gone. `None` if nothing changes.
#[must_use]
pub fn clicked(s: &PlaygroundState, plot: &Plot, [x, y]: [f32; 2], erase: bool) -> Option<Vec<Vec<f32>>> {
    let mut points = s.own_points().to_vec();
    if erase {
        let [(x0, x1), (y0, y1)] = plot.domain;
        let (sx, sy) = (x1 - x0, y1 - y0);
        let far = |p: &[f32]| ((p[0] - x) / sx).powi(2) + ((p[1] - y) / sy).powi(2);
        let nearest = (0..points.len()).min_by(|&a, &b| far(&points[a]).total_cmp(&far(&points[b])))?;
        (far(&points[nearest]) <= 0.04f32.powi(2)).then(|| {
            points.remove(nearest);
            points
        })
    } else {
        if points.len() >= MAX_URL_POINTS {
            return None;
        }
        let round = |v: f32| (v * 1000.0).round() / 1000.0;
        points.push(if s.data.classifies() { vec![round(x), round(y), s.class as f32] } else { vec![round(x), round(y)] });
        Some(points)
    }
}

/// The points kept in local storage (in the browser; none natively).
fn stored_points() -> Option<Vec<Vec<f32>>> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::web::stored(STORAGE_KEY).and_then(|csv| gradlab_core::points::parse_csv(&csv).ok()).map(|t| t.points)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// Reads an uploaded CSV file into your points (the dataset becomes
/// yours). A bad file is refused with a message naming its line, and the
/// data stay as they were.
pub fn upload(k: LabKit<Run>, file: web_sys::File) {
    let say = move |m: String| k.lab.messages.update(|ms| ms.push(m));
    let name = quote(&file.name());
    if file.size() > MAX_CSV_BYTES as f64 {
        say(format!("{name}: {} bytes; a data file is at most {MAX_CSV_BYTES}.", file.size()));
        return;
    }
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
        match text.map(|t| parse_csv(&t)) {
            None => say(format!("{name} could not be read as text.")),
            Some(Err(e)) => say(format!("{name}: {e}; the data stay as they were.")),
            Some(Ok(table)) => k.set(|s| (s.data, s.points) = (PgData(table.kind), table.points)),
        }
    });
}

/// The `pts` row of the settings.
pub struct PointsRow;

/// The `pts` row (a static, as the settings table wants).
pub static PTS: PointsRow = PointsRow;

impl Setting<PlaygroundState> for PointsRow {
    fn key(&self) -> &'static str {
        "pts"
    }

    fn read(&self, s: &mut PlaygroundState, text: &str, c: &mut Checker) {
        if text.trim() == LOCAL {
            match stored_points() {
                Some(points) => s.points = points,
                None => c.note(
                    "pts=local: the points were kept in the local storage of the browser that made this link; there are none here.".into(),
                ),
            }
            return;
        }
        match decode(text) {
            Ok(points) => s.points = points,
            Err(why) => c.note(format!("pts={} {why}; no points read.", quote(text))),
        }
    }

    fn write(&self, s: &PlaygroundState) -> String {
        if s.points.len() > MAX_URL_POINTS {
            LOCAL.to_owned()
        } else {
            encode(&s.points)
        }
    }

    fn shape(&self) -> Shape {
        Shape::Text {
            examples: vec!["", "0.5_-0.25_1", "0.1_0.2_0~-1_1.5_2~0_0_4", "0.5_0.1~-0.5_-0.3"],
            valid: |t| t.trim() == LOCAL || decode(t).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_at_three_decimals() {
        let pts = vec![vec![0.12345, -1.5, 2.0], vec![-0.0001, 999.9996, 0.0]];
        let text = encode(&pts);
        assert_eq!(text, "0.123_-1.5_2~0_1000_0");
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "no character the URL must escape");
        assert_eq!(decode(&text).unwrap(), vec![vec![0.123, -1.5, 2.0], vec![0.0, 1000.0, 0.0]]);
        assert_eq!(decode("").unwrap(), Vec::<Vec<f32>>::new());
        let curve = vec![vec![0.5, 0.25]; MAX_URL_POINTS];
        assert_eq!(decode(&encode(&curve)).unwrap(), curve);
    }

    #[test]
    fn bad_points_say_which() {
        for (text, says) in [
            ("0.1_0.2_1~x_1_0", "point 2 (x_1_0) is not numbers"),
            ("0.1_0.2_1~1_1", "point 2 has 2 numbers"),
            ("1", "point 1 has 1 numbers"),
            ("0.1_0.2_5", "class 5"),
            ("0.1_0.2_0.5", "class 0.5"),
            ("NaN_0_0", "not finite"),
            ("2000_0_0", "not finite within ±1000"),
        ] {
            let err = decode(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        let many = vec!["0_0_0"; MAX_URL_POINTS + 1].join("~");
        assert!(decode(&many).unwrap_err().contains("at most 200"));
    }
}
