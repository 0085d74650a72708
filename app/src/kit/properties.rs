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
