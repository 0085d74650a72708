//! Property tests of a lab's URL, from its settings table alone: any
//! valid query read, written and read again is the same state with no
//! message; unknown keys change nothing; every number pushed past either
//! bound comes back as that bound with one message naming it.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::select;

use super::query::{LabState, Shape};

fn pairs(query: &str) -> BTreeMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap().into_iter().collect()
}

/// A valid value of one row, as the URL would give it.
fn value(shape: Shape) -> BoxedStrategy<String> {
    match shape {
        Shape::Pick(names) => select(names).prop_map(str::to_owned).boxed(),
        Shape::Num { lo, hi, whole: true } => (lo.parse::<u64>().unwrap()..=hi.parse::<u64>().unwrap()).prop_map(|v| v.to_string()).boxed(),
        Shape::Num { lo, hi, whole: false } => {
            (lo.parse::<f64>().unwrap()..=hi.parse::<f64>().unwrap()).prop_map(|v| v.to_string()).boxed()
        }
        Shape::Text { examples, .. } => select(examples).prop_map(str::to_owned).boxed(),
    }
}

/// Any state of the lab a valid query describes (the rules between
/// settings applied, as they are to every query).
pub fn arbitrary<S: LabState>() -> impl Strategy<Value = S> {
    let rows: Vec<BoxedStrategy<(&'static str, String)>> =
        S::settings().iter().map(|row| (Just(row.key()), value(row.shape())).boxed()).collect();
    rows.prop_map(|pairs| S::from_query(&serde_urlencoded::to_string(pairs).unwrap()).0)
}

/// Up to three `key=value` pairs whose keys the lab does not read.
pub fn junk<S: LabState>() -> impl Strategy<Value = Vec<(String, String)>> {
    let unknown = "[a-z_]{1,10}".prop_filter("a key the lab reads", |k| k != "lab" && S::settings().iter().all(|row| row.key() != k));
    proptest::collection::vec((unknown, "[ -~]{0,12}"), 0..4)
}

/// State → URL → state is the identity; unknown keys change nothing; each
/// numeric key pushed `excess` past either bound comes back as that bound,
/// with one message naming it.
pub fn check<S: LabState>(s: &S, junk: &[(String, String)], excess: f64) -> Result<(), TestCaseError> {
    let query = s.to_query();
    let (back, messages) = S::from_query(&query);
    prop_assert_eq!(&back, s);
    prop_assert!(messages.is_empty(), "{:?}", messages);
    let reparse = |q: &str| {
        let (s, m) = S::from_query(q);
        (s.to_query(), m)
    };
    let mut with_junk = query.clone();
    for (k, v) in junk {
        with_junk.push('&');
        with_junk.push_str(&serde_urlencoded::to_string([(k, v)]).unwrap());
    }
    let (back, messages) = reparse(&with_junk);
    prop_assert_eq!(&back, &query);
    prop_assert!(messages.is_empty(), "{:?}", messages);
    let canonical = pairs(&query);
    for row in S::settings() {
        let Shape::Num { lo, hi, whole } = row.shape() else { continue };
        let key = row.key();
        // Whole settings given a fraction say so instead (tested apart).
        let excess = if whole { excess.ceil() } else { excess };
        for (bad, expected) in [(hi.parse::<f64>().unwrap() + excess, &hi), (lo.parse::<f64>().unwrap() - excess, &lo)] {
            let mut asked = canonical.clone();
            asked.insert(key.to_owned(), bad.to_string());
            let (back, messages) = reparse(&serde_urlencoded::to_string(&asked).unwrap());
            let mut want = canonical.clone();
            want.insert(key.to_owned(), expected.clone());
            prop_assert_eq!(pairs(&back), want, "{}={}", key, bad);
            prop_assert_eq!(messages.len(), 1, "{}={}: {:?}", key, bad, messages);
            prop_assert!(messages[0].starts_with(&format!("{key}=")), "{:?}", messages);
        }
    }
    Ok(())
}

/// How far past a bound the tests push: fractions and large numbers.
pub fn excess() -> impl Strategy<Value = f64> {
    prop_oneof![1e-4..1.0f64, 1.0..1e6f64]
}

/// The URL properties of one lab, as a proptest test named `$name`.
macro_rules! url_properties {
    ($name:ident, $state:ty) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
            #[test]
            fn $name(s in $crate::kit::properties::arbitrary::<$state>(), junk in $crate::kit::properties::junk::<$state>(), excess in $crate::kit::properties::excess()) {
                $crate::kit::properties::check(&s, &junk, excess)?;
            }
        }
    };
}
pub(crate) use url_properties;

/// A value for a key in a fuzzed URL: valid, at a bound, past one, or junk.
fn fuzz_value(shape: Option<Shape>) -> BoxedStrategy<String> {
    let junk = prop_oneof![
        Just(String::new()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("-inf".to_owned()),
        Just("1e309".to_owned()),
        Just("-0".to_owned()),
        Just("4294967296".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("%".to_owned()),
        Just("%zz".to_owned()),
        Just("%C0%AF".to_owned()),
        Just("x".repeat(10_000)),
        "\\PC{0,12}",
        "[0-9.eE+-]{1,12}",
    ];
    match shape {
        Some(Shape::Num { lo, hi, .. }) => {
            let (lo, hi) = (lo.parse::<f64>().unwrap(), hi.parse::<f64>().unwrap());
            prop_oneof![
                3 => (lo..=hi).prop_map(|v| v.to_string()),
                1 => Just(lo.to_string()),
                1 => Just(hi.to_string()),
                1 => (1e-6..1e12f64).prop_map(move |d| (hi + d).to_string()),
                1 => (1e-6..1e12f64).prop_map(move |d| (lo - d).to_string()),
                2 => junk,
            ]
            .boxed()
        }
        Some(Shape::Pick(names) | Shape::Text { examples: names, .. }) => {
            prop_oneof![2 => select(names).prop_map(str::to_owned), 1 => junk].boxed()
        }
        None => junk.boxed(),
    }
}

/// A URL query as a user (or an attacker) might write it: any subset of
/// the lab's keys, unknown keys, repeats, in any order, values anywhere
/// from valid to junk, written as given (no encoding of `%`).
pub fn fuzzed_query<S: LabState>() -> impl Strategy<Value = String> {
    let keys: Vec<(&'static str, Option<Shape>)> =
        S::settings().iter().map(|r| (r.key(), Some(r.shape()))).chain([("lab", None), ("zz", None), ("", None)]).collect();
    let pair = select(keys).prop_flat_map(|(k, shape)| fuzz_value(shape).prop_map(move |v| format!("{k}={v}")));
    proptest::collection::vec(pair, 0..24).prop_map(|pairs| pairs.join("&"))
}

/// Whether `text` is a value the row takes as it is (an independent
/// reading: a finite number in range, whole where it must be; or a name).
fn valid(shape: &Shape, text: &str) -> bool {
    let t = text.trim();
    match shape {
        Shape::Pick(names) => names.contains(&t),
        Shape::Text { valid, .. } => valid(text),
        Shape::Num { lo, hi, whole } => t.parse::<f64>().is_ok_and(|v| {
            v.is_finite()
                && v >= lo.parse().unwrap()
                && v <= hi.parse().unwrap()
                && (!whole || (v.fract() == 0.0 && !t.contains(['e', 'E', '.'])))
        }),
    }
}

/// Any query: no panic, every setting inside its bounds, every message
/// short, and every value given that the lab could not take as it is
/// named in a message.
pub fn check_fuzzed<S: LabState>(query: &str) -> Result<(), TestCaseError> {
    let (s, messages) = S::from_query(query);
    prop_assert!(messages.iter().all(|m| m.chars().count() < 200), "{:?}", messages);
    let given: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    for row in S::settings() {
        let written = row.write(&s);
        let shape = row.shape();
        prop_assert!(valid(&shape, &written), "{}={} is outside its bounds", row.key(), written);
        if let Some((_, text)) = given.iter().rev().find(|(k, _)| k == row.key()) {
            if !valid(&shape, text) {
                let named =
                    messages.iter().any(|m| m.starts_with(&format!("{}=", row.key())) || m.contains(&format!("{} is given", row.key())));
                prop_assert!(named, "{}={:?} changed without a word: {:?}", row.key(), text.chars().take(40).collect::<String>(), messages);
            }
        }
    }
    Ok(())
}

/// URL fuzzing of one lab, 10 000 queries, as a proptest test named `$name`.
macro_rules! url_fuzz {
    ($name:ident, $state:ty) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10_000))]
            #[test]
            fn $name(q in $crate::kit::properties::fuzzed_query::<$state>()) {
                $crate::kit::properties::check_fuzzed::<$state>(&q)?;
            }
        }
    };
}
pub(crate) use url_fuzz;
