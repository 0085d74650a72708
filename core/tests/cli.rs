//! The `gradlab` binary end to end: both backends on one config agree, the
//! report holds what the CLI promises, and bad configs fail with a reason.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

fn run(config: &str) -> (bool, Value, String) {
    // One directory per call: the tests run in parallel threads.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("gradlab-cli-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cfg, out) = (dir.join("config.json"), dir.join("out.json"));
    std::fs::write(&cfg, config).unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_gradlab")).arg(&cfg).arg("-o").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    let json = std::fs::read_to_string(&out).map_or(Value::Null, |s| serde_json::from_str(&s).unwrap());
    (result.status.success(), json, stderr)
}

fn config(backend: &str) -> String {
    format!(
        r#"{{
        "model": {{"hidden": [16, 8], "activation": "tanh", "parameterization": "ntk"}},
        "data": {{"kind": "moons", "n_train": 96, "n_test": 32, "noise": 0.1}},
        "train": {{"loss": "softmax", "optimizer": {{"kind": "momentum", "beta": 0.9}}, "lr": 0.5, "batch_size": 32}},
        "seed": 3, "steps": 300, "backend": "{backend}"
    }}"#
    )
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn cpu_and_gpu_reports_agree_and_hold_everything() {
    let (ok, cpu, err) = run(&config("cpu"));
    assert!(ok, "{err}");
    let (ok, gpu, err) = run(&config("gpu"));
    assert!(ok, "{err}");
    assert!(gpu["backend"].as_str().unwrap().starts_with("gpu: "));
    // Layout: 2→16→8→2.
    let layers = cpu["layout"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[2]["fan_out"], 2);
    assert_eq!(cpu["layout"]["num_params"], 48 + 136 + 18);
    assert_eq!(cpu["layout"]["parameterization"], "ntk");
    assert_eq!(cpu["initial_params"], gpu["initial_params"]);
    assert_eq!(cpu["dataset"], gpu["dataset"]);
    assert_eq!(cpu["dataset"]["train"]["y"].as_array().unwrap().len(), 96);
    let (gc, gg) = (floats(&cpu["grad_at_init"]), floats(&gpu["grad_at_init"]));
    let scale = gc.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    assert!(gc.iter().zip(&gg).all(|(a, b)| (a - b).abs() <= 1e-4 * scale), "gradients at init differ");
    let (lc, lg) = (floats(&cpu["loss_per_step"]), floats(&gpu["loss_per_step"]));
    assert_eq!((lc.len(), lg.len()), (300, 300));
    assert!(lc.iter().zip(&lg).all(|(a, b)| (a - b).abs() <= 1e-3 * a.abs() + 1e-4), "loss curves differ");
    assert!(lc[299] < 0.5 * lc[0], "no learning: {} → {}", lc[0], lc[299]);
    let (tc, tg) = (cpu["final_test_loss"].as_f64().unwrap(), gpu["final_test_loss"].as_f64().unwrap());
    assert!((tc - tg).abs() <= 1e-2 * tc, "{tc} vs {tg}");
}

#[test]
fn bad_configs_fail_with_a_reason() {
    let cases = [
        (config("cpu").replace("\"lr\": 0.5", "\"lr\": -1"), "lr -1"),
        (config("cpu").replace("[16, 8]", "[16, 0]"), "hidden width 0"),
        (config("cpu").replace("\"moons\"", "\"sine\""), "regression task"),
        (config("cpu").replace("\"n_train\": 96", "\"n_train\": 96000"), "n_train + n_test: 96032 points, more than gradlab allows"),
        (config("cpu").replace("\"seed\"", "\"sneed\""), "sneed"),
        ("{ not json".to_owned(), "config JSON"),
    ];
    for (cfg, expect) in cases {
        let (ok, _, err) = run(&cfg);
        assert!(!ok, "accepted: {cfg}");
        assert!(err.contains(expect), "{expect:?} not in {err:?}");
    }
}
