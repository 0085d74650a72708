//! Your own data as CSV text: rows of `x1,x2,label` (classes) or `x,y`
//! (a curve), an optional header line, blank lines skipped. Every row has
//! as many values as the first; a bad row is named by its line. The
//! page's upload and the CLI's `--data` read files here. Numbers only, so
//! no quoting: a split on commas is the whole grammar.

use crate::data::{DatasetKind, MAX_CLASSES, MAX_COORDINATE, MAX_POINTS};
use crate::{Error, Part};

/// Largest CSV text read, in bytes (10 000 rows of three long numbers fit).
pub const MAX_CSV_BYTES: usize = 1 << 20;

/// What a CSV file holds: the kind of data and its points.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub kind: DatasetKind,
    pub points: Vec<Vec<f32>>,
}

fn bad(reason: String) -> Error {
    Error::invalid(Part::Dataset, "csv", reason)
}

/// A value as the message quotes it: at most 24 characters.
fn quoted(v: &str) -> String {
    match v.char_indices().nth(24) {
        Some((cut, _)) => format!("\"{}…\"", &v[..cut]),
        None => format!("\"{v}\""),
    }
}

/// The points `text` holds.
///
/// # Errors
/// [`Error::Invalid`] (field `csv`) naming the line of the first bad row:
/// not text, no rows, a row of another length than the first (or not 2
/// or 3 values), a value that is not a finite number within
/// ±[`MAX_COORDINATE`], a label that is not a whole number below
/// [`MAX_CLASSES`]; or more than [`MAX_POINTS`] rows or
/// [`MAX_CSV_BYTES`] bytes.
pub fn parse_csv(text: &str) -> Result<Table, Error> {
    if text.len() > MAX_CSV_BYTES {
        return Err(bad(format!("is {} bytes; at most {MAX_CSV_BYTES}", text.len())));
    }
    let mut points: Vec<Vec<f32>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.chars().any(|c| c.is_control() && c != '\t' && c != '\r') {
            return Err(bad(format!("line {n} is not text (a binary file?)")));
        }
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let numbers: Vec<Option<f32>> = fields.iter().map(|f| f.parse::<f32>().ok()).collect();
        // A first line of names is a header.
        if points.is_empty() && numbers.iter().all(Option::is_none) {
            if !(2..=3).contains(&fields.len()) {
                return Err(bad(format!("line {n} names {} columns; x1,x2,label or x,y", fields.len())));
            }
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(bad(format!("line {n} has {} values; rows are x1,x2,label or x,y", fields.len())));
        }
        if let Some(first) = points.first().filter(|p| p.len() != fields.len()) {
            return Err(bad(format!("line {n} has {} values, the rows before it {}", fields.len(), first.len())));
        }
        let mut row = Vec::with_capacity(fields.len());
        for (f, v) in fields.iter().zip(numbers) {
            match v {
                None => return Err(bad(format!("line {n}: {} is not a number", quoted(f)))),
                Some(v) if !(v.is_finite() && v.abs() <= MAX_COORDINATE) => {
                    return Err(bad(format!("line {n}: {} is not a finite number within ±{MAX_COORDINATE}", quoted(f))))
                }
                Some(v) => row.push(v),
            }
        }
        if row.len() == 3 && !(row[2].fract() == 0.0 && (0.0..MAX_CLASSES as f32).contains(&row[2])) {
            return Err(bad(format!("line {n}: label {} is not a class 0 to {}", quoted(fields[2]), MAX_CLASSES - 1)));
        }
        if points.len() == MAX_POINTS {
            return Err(bad(format!("has more than {MAX_POINTS} rows")));
        }
        points.push(row);
    }
    let kind = match points.first().map(Vec::len) {
        None => return Err(bad("has no rows of numbers".into())),
        Some(3) => DatasetKind::Points,
        Some(_) => DatasetKind::Curve,
    };
    Ok(Table { kind, points })
}

/// `points` as CSV text, with a header: what [`parse_csv`] reads back.
#[must_use]
pub fn to_csv(points: &[Vec<f32>]) -> String {
    let header = if points.first().is_some_and(|p| p.len() == 3) { "x1,x2,label" } else { "x,y" };
    let rows = points.iter().map(|p| p.iter().map(f32::to_string).collect::<Vec<_>>().join(","));
    std::iter::once(header.to_owned()).chain(rows).collect::<Vec<_>>().join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_files_load_with_or_without_a_header() {
        let t = parse_csv("x1,x2,label\n0.5, -1, 1\n\n2,3e-1,0\r\n").unwrap();
        assert_eq!(t, Table { kind: DatasetKind::Points, points: vec![vec![0.5, -1.0, 1.0], vec![2.0, 0.3, 0.0]] });
        let t = parse_csv("0,1\n0.5,2\n").unwrap();
        assert_eq!((t.kind, t.points.len()), (DatasetKind::Curve, 2));
        let round = vec![vec![0.125, -3.5, 4.0], vec![1e-3, 2.0, 0.0]];
        assert_eq!(parse_csv(&to_csv(&round)).unwrap().points, round);
    }

    /// Each kind of bad file gets its own message, naming the line.
    #[test]
    fn bad_files_say_what_and_where() {
        let many = "0,0,0\n".repeat(MAX_POINTS + 1);
        for (text, says) in [
            ("", "no rows of numbers"),
            ("x,y\n\n", "no rows of numbers"),
            ("0,0,1\n1,2\n", "line 2 has 2 values, the rows before it 3"),
            ("0,0,1,5\n", "line 1 has 4 values"),
            ("a,b,c,d\n", "line 1 names 4 columns"),
            ("0,0,1\n1,abc,0\n", "line 2: \"abc\" is not a number"),
            ("0,NaN,1\n", "line 1: \"NaN\" is not a finite number"),
            ("0,inf\n", "line 1: \"inf\" is not a finite number"),
            ("0,1e9,1\n", "within ±10000"),
            ("0,0,7\n", "label \"7\" is not a class 0 to 4"),
            ("0,0,0.5\n", "label \"0.5\""),
            ("0,0,0\n\u{0}\u{1}PNG\n", "line 2 is not text"),
            (many.as_str(), "more than 10000 rows"),
        ] {
            let err = parse_csv(text).unwrap_err().to_string();
            assert!(err.contains(says), "{:?}: {err}", text.chars().take(20).collect::<String>());
        }
        let huge = "1".repeat(MAX_CSV_BYTES + 1);
        assert!(parse_csv(&huge).unwrap_err().to_string().contains("bytes"));
        let long = format!("0,{},1\n", "x".repeat(10_000));
        assert!(parse_csv(&long).unwrap_err().to_string().len() < 120, "a long value is quoted short");
    }
}
