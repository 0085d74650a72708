//! Serde for numbers that cross to a page as JSON (a worker's results),
//! which has no NaN or infinity: a non-finite value is written as the
//! string `"NaN"`, `"inf"` or `"-inf"` and read back as itself, so a
//! diverged loss stays diverged. Use with `#[serde(with = "…")]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number, or a non-finite one as text.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Wire {
    Number(f64),
    Text(String),
}

fn to_wire(v: f64) -> Wire {
    if v.is_finite() {
        Wire::Number(v)
    } else {
        Wire::Text(
            if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "inf"
            } else {
                "-inf"
            }
            .to_owned(),
        )
    }
}

fn from_wire<E: serde::de::Error>(w: Wire) -> Result<f64, E> {
    match w {
        Wire::Number(v) => Ok(v),
        Wire::Text(t) => match t.as_str() {
            "NaN" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            other => Err(E::custom(format!("not a number: {other:?}"))),
        },
    }
}

/// An `f64`.
pub mod f64 {
    use super::{from_wire, to_wire, Deserialize, Deserializer, Serialize, Serializer, Wire};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        to_wire(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        from_wire(Wire::deserialize(d)?)
    }
}

/// An `f32` (exact: every `f32` is an `f64`).
pub mod f32 {
    use super::{from_wire, to_wire, Deserialize, Deserializer, Serialize, Serializer, Wire};

    pub fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        to_wire(f64::from(*v)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        from_wire(Wire::deserialize(d)?).map(|v| v as f32)
    }
}

/// An `Option<f32>` (`None` is `null`).
pub mod option_f32 {
    use super::{from_wire, to_wire, Deserialize, Deserializer, Serialize, Serializer, Wire};

    pub fn serialize<S: Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|v| to_wire(f64::from(v))).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f32>, D::Error> {
        Option::<Wire>::deserialize(d)?.map(|w| from_wire(w).map(|v| v as f32)).transpose()
    }
}

/// A `Vec<f32>`.
pub mod vec_f32 {
    use super::{from_wire, to_wire, Deserialize, Deserializer, Serializer, Wire};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| to_wire(f64::from(x))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        Vec::<Wire>::deserialize(d)?.into_iter().map(|w| from_wire(w).map(|v| v as f32)).collect()
    }
}

/// A `Vec<f64>`.
pub mod vec_f64 {
    use super::{from_wire, to_wire, Deserialize, Deserializer, Serializer, Wire};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| to_wire(x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Wire>::deserialize(d)?.into_iter().map(from_wire).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct All {
        #[serde(with = "super::f64")]
        a: f64,
        #[serde(with = "super::f32")]
        b: f32,
        #[serde(with = "super::option_f32")]
        c: Option<f32>,
        #[serde(with = "super::option_f32")]
        d: Option<f32>,
        #[serde(with = "super::vec_f32")]
        e: Vec<f32>,
        #[serde(with = "super::vec_f64")]
        f: Vec<f64>,
    }

    /// Finite values come back exactly, non-finite ones as themselves.
    #[test]
    fn every_value_survives_json() {
        let all = All {
            a: 0.1 + 0.2,
            b: f32::NAN,
            c: None,
            d: Some(f32::NEG_INFINITY),
            e: vec![1.5e-30, f32::INFINITY, f32::NAN, -0.3],
            f: vec![0.1, f64::NAN, -f64::INFINITY],
        };
        let text = serde_json::to_string(&all).unwrap();
        let back: All = serde_json::from_str(&text).unwrap();
        assert_eq!(back.a, 0.1 + 0.2, "{text}");
        assert!(back.b.is_nan() && back.c.is_none() && back.d == Some(f32::NEG_INFINITY));
        assert_eq!((back.e[0], back.e[1], back.e[3]), (1.5e-30, f32::INFINITY, -0.3));
        assert!(back.e[2].is_nan());
        assert!(back.f[0] == 0.1 && back.f[1].is_nan() && back.f[2] == f64::NEG_INFINITY);
        assert!(serde_json::from_str::<All>(&text.replace("\"NaN\"", "\"nan?\"")).is_err(), "other text is refused");
    }
}
