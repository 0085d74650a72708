//! The playground's settings: URLs, clamping, every choice a valid run, and the CLI config.

use super::*;
use crate::kit::export::cli_config;
use crate::kit::properties::{url_fuzz, url_properties};

#[test]
fn defaults_round_trip_and_every_default_is_a_valid_run() {
    let s = PlaygroundState::default();
    let (back, msgs) = PlaygroundState::from_query(&s.to_query());
    assert_eq!(back, s);
    assert!(msgs.is_empty(), "{msgs:?}");
    gradlab_core::Problem::new(s.run_config()).unwrap();
}

#[test]
fn every_choice_round_trips() {
    for data in DatasetKind::ALL.map(PgData) {
        for act in Activation::ALL {
            for opt in Optimizer::DEFAULTS {
                let s = PlaygroundState {
                    data,
                    act,
                    opt,
                    loss: if data.classifies() { Loss::Softmax } else { Loss::Mse },
                    lr: 0.0316,
                    batch: 64,
                    ..PlaygroundState::default()
                };
                let (back, msgs) = PlaygroundState::from_query(&format!("?{}", s.to_query()));
                assert_eq!(back, s);
                assert!(msgs.is_empty());
                gradlab_core::Problem::new(s.run_config()).unwrap();
            }
        }
    }
}

#[test]
fn out_of_range_values_are_clamped_with_messages() {
    let (s, msgs) = PlaygroundState::from_query("width=99999&lr=banana&data=nope&batch=100&colour=red");
    assert_eq!(s.width, WIDTH.hi);
    assert_eq!(s.lr, PlaygroundState::default().lr);
    assert_eq!(s.data, PgData(DatasetKind::Spiral));
    assert_eq!(s.batch, 128);
    assert_eq!(msgs.len(), 4, "{msgs:?}");
}

#[test]
fn negative_and_fractional_counts_are_explained() {
    let (s, msgs) = PlaygroundState::from_query("depth=-3&width=2.5&seed=-1");
    assert_eq!((s.depth, s.width, s.seed), (DEPTH.lo, PlaygroundState::default().width, 0));
    assert!(msgs.iter().any(|m| m.contains("depth=-3 is below the minimum 1")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("width=2.5 is not a whole number")), "{msgs:?}");
    assert_eq!(msgs.len(), 3, "{msgs:?}");
}

#[test]
fn nan_and_infinite_floats_are_refused() {
    let (s, msgs) = PlaygroundState::from_query("lr=NaN&noise=inf");
    assert_eq!(s.lr, PlaygroundState::default().lr);
    assert_eq!(s.noise, NOISE.hi);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
}

/// Regression: a repeated key threw away every setting of the URL, and
/// counts past 2³² (wasm's usize) were "not a whole number".
#[test]
fn repeated_keys_and_huge_counts_are_read() {
    let (s, msgs) = PlaygroundState::from_query("width=8&width=16&depth=4294967296&data=moons");
    assert_eq!((s.width, s.depth, s.data), (16, DEPTH.hi, PgData(DatasetKind::Moons)));
    assert!(msgs.iter().any(|m| m.contains("width is given 2 times")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("depth=4294967296 is above the maximum 16")), "{msgs:?}");
    assert_eq!(msgs.len(), 2, "{msgs:?}");
}

#[test]
fn messages_quote_a_short_prefix_of_long_values() {
    let long = "x".repeat(10_000);
    let (_, msgs) = PlaygroundState::from_query(&format!("lr={long}&data={long}"));
    assert_eq!(msgs.len(), 2);
    assert!(msgs.iter().all(|m| m.chars().count() < 200), "{msgs:?}");
}

#[test]
fn exported_configs_read_back_as_the_same_run() {
    let s = PlaygroundState { batch: 32, opt: Optimizer::Momentum { beta: 0.9 }, ..PlaygroundState::default() };
    let text = cli_config(&s.run_config(), 500);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let map = value.as_object_mut().unwrap();
    assert_eq!(map.remove("steps"), Some(500.into()));
    assert_eq!(map.remove("backend"), Some("cpu".into()));
    let back: RunConfig = serde_json::from_value(value).unwrap();
    assert_eq!(back, s.run_config());
    assert!(cli_config(&s.run_config(), 0).contains("\"steps\": 1000"));
    assert!(cli_config(&s.run_config(), 1 << 40).contains("\"steps\": 1000000"));
}

#[test]
fn regression_forces_mse() {
    let (s, msgs) = PlaygroundState::from_query("data=sine&loss=bce");
    assert_eq!(s.loss, Loss::Mse);
    assert_eq!(msgs.len(), 1);
    let (s, msgs) = PlaygroundState::from_query("data=sine");
    assert_eq!(s.loss, Loss::Mse);
    assert!(msgs.is_empty());
}

url_properties!(playground_urls, PlaygroundState);
url_fuzz!(playground_fuzzed_urls, PlaygroundState);
