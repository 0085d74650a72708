//! `gradlab`: run one training config headless and write what happened as
//! JSON, for scripting experiments and for comparing gradlab with
//! independent implementations.
//!
//! ```text
//! gradlab CONFIG.json [-o OUT.json]      (CONFIG "-" reads stdin)
//! ```
//!
//! The config is a [`RunConfig`] plus `"steps"` and `"backend"` (`"cpu"` or
//! `"gpu"`). The output holds the parameter layout, the initial parameters,
//! the dataset with its encoded targets, the full-batch gradient at
//! initialization, the batch loss of every step (before its update), and
//! the final parameters and losses.

use std::io::{Read, Write};
use std::process::ExitCode;

use gradlab_core::config::MAX_RUN_STEPS;
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels, MAX_STEPS_PER_SUBMIT};
use gradlab_core::{cpu, Error, ParamLayout, Problem, RunConfig};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Cpu,
    Gpu,
}

/// The CLI's own keys; everything else in the file is a strict [`RunConfig`].
#[derive(Deserialize)]
struct CliKeys {
    steps: u32,
    #[serde(default = "default_backend")]
    backend: Backend,
}

fn default_backend() -> Backend {
    Backend::Cpu
}

/// Splits the config file into the CLI's keys and the run (serde's
/// `flatten` would silently accept unknown keys).
fn parse(text: &str) -> Result<(CliKeys, RunConfig), Error> {
    let mut value: serde_json::Value = serde_json::from_str(text)?;
    let mut cli = serde_json::Map::new();
    if let Some(map) = value.as_object_mut() {
        for key in ["steps", "backend"] {
            if let Some(v) = map.remove(key) {
                cli.insert(key.to_owned(), v);
            }
        }
    }
    Ok((serde_json::from_value(cli.into())?, serde_json::from_value(value)?))
}

#[derive(Serialize)]
struct Report<'a> {
    gradlab: &'static str,
    config: &'a RunConfig,
    backend: String,
    layout: &'a ParamLayout,
    dataset: &'a gradlab_core::Dataset,
    train_targets: &'a [f32],
    test_targets: &'a [f32],
    initial_params: &'a [f32],
    grad_at_init: Vec<f32>,
    loss_per_step: Vec<f32>,
    final_params: Vec<f32>,
    final_train_loss: f32,
    final_test_loss: Option<f32>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output) = match args.as_slice() {
        [c] => (c.clone(), None),
        [c, flag, o] if flag == "-o" => (c.clone(), Some(o.clone())),
        _ => {
            eprintln!("usage: gradlab CONFIG.json [-o OUT.json]   (CONFIG - reads stdin)");
            return ExitCode::from(2);
        }
    };
    match run(&input, output.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gradlab: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(input: &str, output: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let text = if input == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(input).map_err(|e| format!("reading {input}: {e}"))?
    };
    let (cli, run) = parse(&text)?;
    if cli.steps > MAX_RUN_STEPS {
        return Err(format!("steps {} exceeds {MAX_RUN_STEPS}", cli.steps).into());
    }
    let problem = Problem::new(run)?;
    let init = problem.init_params();
    let layout = problem.spec.layout();
    let mut full_batch = problem.clone();
    full_batch.config.train.batch_size = None;

    let (backend, grad_at_init, loss_per_step, final_params, final_train_loss, final_test_loss) = match cli.backend {
        Backend::Cpu => {
            let mut grad = vec![0.0; init.len()];
            let (din, dout) = (layout.input_dim(), layout.output_dim());
            let x = cpu::columns::<f32>(&problem.dataset.train.x, din);
            let y = cpu::columns::<f32>(&problem.train_targets, dout);
            cpu::loss_and_grad(&layout, &init, &x, &y, problem.config.train.loss, &mut grad);
            let mut trainer = problem.cpu_trainer();
            let losses = (0..cli.steps).map(|_| trainer.step()).collect();
            let mean_loss = |x: &[f32], t: &[f32]| {
                let f = cpu::forward(&layout, trainer.params(), &cpu::columns(x, din));
                cpu::loss(problem.config.train.loss, f.output(), &cpu::columns(t, dout), None)
            };
            let train_loss = mean_loss(&problem.dataset.train.x, &problem.train_targets);
            let test_loss = (!problem.dataset.test.is_empty()).then(|| mean_loss(&problem.dataset.test.x, &problem.test_targets));
            ("cpu".to_owned(), grad, losses, trainer.params().to_vec(), train_loss, test_loss)
        }
        Backend::Gpu => {
            let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))?;
            let kernels = Kernels::new(&device);
            let mut probe = GpuTrainer::new(&device, &queue, &kernels, &full_batch, &init, &[])?;
            probe.train(1);
            let grad = probe.read_grads().wait(&device)?;
            let mut trainer = GpuTrainer::new(&device, &queue, &kernels, &problem, &init, &[])?;
            let mut losses = Vec::with_capacity(cli.steps as usize);
            let mut last = trainer.read_snapshot().wait(&device)?;
            while trainer.steps_done() < u64::from(cli.steps) {
                let k = (u64::from(cli.steps) - trainer.steps_done()).min(u64::from(MAX_STEPS_PER_SUBMIT)) as u32;
                trainer.train(k);
                last = trainer.read_snapshot().wait(&device)?;
                losses.extend_from_slice(&last.batch_losses);
            }
            let params = trainer.read_params().wait(&device)?;
            (format!("gpu: {}", adapter.get_info().name), grad, losses, params, last.train_loss, last.test_loss)
        }
    };
    let report = Report {
        gradlab: env!("CARGO_PKG_VERSION"),
        config: &problem.config,
        backend,
        layout: &layout,
        dataset: &problem.dataset,
        train_targets: &problem.train_targets,
        test_targets: &problem.test_targets,
        initial_params: &init,
        grad_at_init,
        loss_per_step,
        final_params,
        final_train_loss,
        final_test_loss,
    };
    let json = serde_json::to_string(&report)?;
    match output {
        Some(path) => std::fs::write(path, json).map_err(|e| format!("writing {path}: {e}"))?,
        None => std::io::stdout().write_all(json.as_bytes())?,
    }
    Ok(())
}
