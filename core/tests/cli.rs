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

/// Runs the binary on `text` (fed on stdin), at most a minute.
fn run_text(text: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradlab"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).map(|_| s).unwrap_or_default()
    });
    // A child that refuses early closes its stdin: a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(text);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("gradlab hung on {}", String::from_utf8_lossy(&text[..text.len().min(300)]));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status.code(), reader.join().unwrap())
}

/// Paths to every leaf of a JSON value, as keys (array items by index).
fn leaves(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            at.push(k.clone());
            leaves(v, at, out);
            at.pop();
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
            at.push(i.to_string());
            leaves(v, at, out);
            at.pop();
        }),
        _ => out.push(at.clone()),
    }
}

fn slot<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        _ => &mut v[k],
    })
}

/// Every leaf of a good config replaced by values of the wrong type, out
/// of range or absurd, or removed; truncated and junk files; a repeated
/// key; a 1 MB string. The binary never panics or hangs, and every refusal
/// is one line that names the key it refuses (or the file's JSON).
#[test]
fn mutated_configs_are_refused_in_one_line_naming_the_key() {
    let mut base: Value = serde_json::from_str(&config("cpu")).unwrap();
    base["steps"] = 3.into();
    let mut paths = Vec::new();
    leaves(&base, &mut Vec::new(), &mut paths);
    let junk = [
        serde_json::json!("x"),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(-1e300),
        serde_json::json!(u64::MAX),
        serde_json::json!(""),
        serde_json::json!(null),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!(true),
        serde_json::json!(0),
        serde_json::json!("x".repeat(1 << 20)),
    ];
    let mut cases: Vec<(Vec<u8>, Option<String>)> = Vec::new();
    for path in &paths {
        // The key a message must name: the leaf's, or its array's; inside
        // the optimizer (an internally tagged enum, which serde reads whole)
        // the optimizer's.
        let key = if path.iter().any(|k| k == "optimizer") {
            "optimizer".to_owned()
        } else {
            path.iter().rev().find(|k| k.parse::<usize>().is_err()).unwrap().clone()
        };
        for j in &junk {
            let mut v = base.clone();
            *slot(&mut v, path) = j.clone();
            cases.push((v.to_string().into_bytes(), Some(key.clone())));
        }
        let mut v = base.clone();
        let (last, parent) = path.split_last().unwrap();
        match slot(&mut v, parent) {
            Value::Object(m) => drop(m.remove(last)),
            Value::Array(a) => drop(a.remove(last.parse::<usize>().unwrap())),
            _ => unreachable!(),
        }
        cases.push((v.to_string().into_bytes(), Some(key)));
    }
    let text = base.to_string();
    cases.push((text.replacen("\"seed\":3", "\"seed\":3,\"seed\":4", 1).into_bytes(), Some("seed".into())));
    for cut in [0, 1, 10, text.len() / 2, text.len() - 1] {
        cases.push((text.as_bytes()[..cut].to_vec(), None));
    }
    cases.push(((0..=255u8).cycle().take(4096).collect(), None));
    cases.push((b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(), None));
    let mut refused = 0;
    for (text, key) in &cases {
        let (code, err) = run_text(text);
        let shown = String::from_utf8_lossy(&text[..text.len().min(200)]);
        assert!(matches!(code, Some(0 | 1)), "exit {code:?} (a panic?) on {shown}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if code == Some(0) {
            continue;
        }
        refused += 1;
        let line = err.strip_suffix('\n').unwrap_or(&err);
        assert!(line.starts_with("gradlab: ") && !line.contains('\n'), "not one line: {err:?}");
        assert!(line.len() < 400, "a long line quotes its input: {line}");
        if let Some(key) = key {
            assert!(line.contains(key.as_str()), "{line:?} does not name {key} (input {shown})");
        } else {
            assert!(line.contains("config JSON"), "{line}");
        }
    }
    assert!(cases.len() > 200 && refused > 150, "{} cases, {refused} refused", cases.len());
}

/// Regression: with frozen layers the GPU reported 0 for their gradient
/// and the CPU the full gradient (a relative difference of 0.88).
#[test]
fn both_backends_report_the_gradient_of_what_trains() {
    let frozen = |backend: &str| {
        config(backend)
            .replace("\"softmax\"", "\"mse\"")
            .replace("\"lr\": 0.5", "\"lr\": 0.5, \"frozen_layers\": 1")
            .replace("\"steps\": 300", "\"steps\": 5")
    };
    let (ok_cpu, cpu, err) = run(&frozen("cpu"));
    assert!(ok_cpu, "{err}");
    let (ok_gpu, gpu, err) = run(&frozen("gpu"));
    assert!(ok_gpu, "{err}");
    let (gc, gg) = (floats(&cpu["grad_at_init"]), floats(&gpu["grad_at_init"]));
    let first_layer = 2 * 16 + 16;
    assert!(gc[..first_layer].iter().all(|&g| g == 0.0), "the frozen layer reports 0");
    assert!(gc[first_layer..].iter().any(|&g| g != 0.0));
    let scale = gc.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    assert!(gc.iter().zip(&gg).all(|(a, b)| (a - b).abs() <= 1e-4 * scale), "CPU and GPU gradients differ");
}

/// `--data` trains on the playground's CSV: three classes of your own,
/// the same points in the report; a bad file fails naming its line.
#[test]
fn your_own_points_train_from_a_csv_file() {
    let dir = std::env::temp_dir().join(format!("gradlab-cli-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cfg, csv, bad, out) = (dir.join("config.json"), dir.join("points.csv"), dir.join("bad.csv"), dir.join("out.json"));
    let config = config("cpu").replace("\"batch_size\": 32", "\"batch_size\": null");
    std::fs::write(&cfg, config).unwrap();
    let rows: Vec<String> = (0..30).map(|i| format!("{},{},{}", (i % 3) as f32 - 1.0, 0.1 * (i / 3) as f32, i % 3)).collect();
    std::fs::write(&csv, format!("x1,x2,label\n{}\n", rows.join("\n"))).unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_gradlab")).arg(&cfg).arg("--data").arg(&csv).arg("-o").arg(&out).output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["dataset"]["kind"], "points");
    assert_eq!(report["dataset"]["train"]["y"].as_array().unwrap().len(), 30);
    assert_eq!(report["layout"]["layers"].as_array().unwrap().last().unwrap()["fan_out"], 3, "three classes, three outputs");
    let losses = floats(&report["loss_per_step"]);
    assert!(losses[299] < 0.5 * losses[0], "it learns: {} → {}", losses[0], losses[299]);
    std::fs::write(&bad, "x1,x2,label\n0,0,0\n1,oops,1\n").unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_gradlab")).arg(&cfg).arg("--data").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success() && err.contains("line 3: \"oops\" is not a number") && err.lines().count() == 1, "{err}");
}
