//! `gradlab`: run one training config headless and write what happened as
//! JSON, for scripting experiments and for comparing gradlab with
//! independent implementations.
//!
//! ```text
//! gradlab CONFIG.json [--data DATA.csv] [-o OUT.json]      (CONFIG "-" reads stdin)
//! ```
//!
//! `--data` trains on your own points, the CSV the playground uploads
//! (`x1,x2,label` or `x,y` rows; [`gradlab_core::points`]), in place of
//! the config's dataset.
//!
//! The config is a [`RunConfig`] plus `"steps"` and `"backend"` (`"cpu"` or
//! `"gpu"`), read strictly: an unknown or repeated key is an error, and
//! every error names where in the file it is (`train.lr: …`). The output
//! holds the parameter layout, the initial parameters, the dataset with its
//! encoded targets, the full-batch gradient at initialization (of the
//! parameters that train: 0 for frozen layers, on either backend), the
//! batch loss of every step (before its update), and the final parameters
//! and losses.

use std::io::{Read, Write};
use std::process::ExitCode;

use gradlab_core::config::MAX_RUN_STEPS;
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels, MAX_STEPS_PER_SUBMIT};
use gradlab_core::points::{parse_csv, MAX_CSV_BYTES};
use gradlab_core::{cpu, DataConfig, ModelConfig, ParamLayout, Problem, RunConfig, TrainConfig};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Cpu,
    Gpu,
}

/// The file: a [`RunConfig`]'s keys and the CLI's own. Derived, so
/// unknown and repeated keys are errors at every level (serde's `flatten`
/// would accept unknown ones, a `Value` would keep the last of a repeat).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CliConfig {
    model: ModelConfig,
    data: DataConfig,
    train: TrainConfig,
    #[serde(default)]
    seed: u64,
    steps: u32,
    #[serde(default = "default_backend")]
    backend: Backend,
}

fn default_backend() -> Backend {
    Backend::Cpu
}

/// The run, its steps and its backend, or an error naming where in the
/// file it is.
fn parse(text: &str) -> Result<(RunConfig, u32, Backend), String> {
    let c: CliConfig = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        if at == "." {
            format!("config JSON: {inner}")
        } else {
            format!("config JSON at {at}: {inner}")
        }
    })?;
    Ok((RunConfig { model: c.model, data: c.data, train: c.train, seed: c.seed }, c.steps, c.backend))
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
    let Some((input, flags)) = args.split_first() else { return usage() };
    let (mut data, mut output) = (None, None);
    for pair in flags.chunks(2) {
        match pair {
            [flag, v] if flag == "-o" && output.is_none() => output = Some(v.clone()),
            [flag, v] if flag == "--data" && data.is_none() => data = Some(v.clone()),
            _ => return usage(),
        }
    }
    match run(input, data.as_deref(), output.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gradlab: {}", short(&e.to_string()));
            ExitCode::from(1)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: gradlab CONFIG.json [--data DATA.csv] [-o OUT.json]   (CONFIG - reads stdin)");
    ExitCode::from(2)
}

/// A message on one line, cut to a few hundred characters (serde quotes
/// the value it refuses, which may be megabytes long).
fn short(message: &str) -> String {
    const MAX: usize = 300;
    let line = message.replace('\n', " ");
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn run(input: &str, data: Option<&str>, output: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = if input == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).map_err(|e| format!("reading stdin: {e}"))?;
        b
    } else {
        std::fs::read(input).map_err(|e| format!("reading {input}: {e}"))?
    };
    let text = String::from_utf8(bytes).map_err(|e| format!("config JSON: not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()))?;
    let (mut run, steps, backend) = parse(&text)?;
    if let Some(path) = data {
        let meta = std::fs::metadata(path).map_err(|e| format!("reading {path}: {e}"))?;
        if meta.len() > MAX_CSV_BYTES as u64 {
            return Err(format!("{path}: {} bytes; a data file is at most {MAX_CSV_BYTES}", meta.len()).into());
        }
        let bytes = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
        let csv = String::from_utf8(bytes).map_err(|e| format!("{path}: not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()))?;
        let table = parse_csv(&csv).map_err(|e| format!("{path}: {e}"))?;
        (run.data.kind, run.data.points) = (table.kind, table.points);
    }
    if steps > MAX_RUN_STEPS {
        return Err(format!("steps: {steps} is more than the {MAX_RUN_STEPS} a run may take").into());
    }
    let problem = Problem::new(run)?;
    let init = problem.init_params();
    let layout = problem.spec.layout();
    let mut full_batch = problem.clone();
    full_batch.config.train.batch_size = None;

    let (backend, grad_at_init, loss_per_step, final_params, final_train_loss, final_test_loss) = match backend {
        Backend::Cpu => {
            let mut grad = vec![0.0; init.len()];
            let (din, dout) = (layout.input_dim(), layout.output_dim());
            let x = cpu::columns::<f32>(&problem.dataset.train.x, din);
            let y = cpu::columns::<f32>(&problem.train_targets, dout);
            cpu::loss_and_grad(&layout, &init, &x, &y, problem.config.train.loss, &mut grad);
            // Frozen layers do not train: their gradient is reported as 0,
            // as the GPU (which never computes it) reports it.
            let trained_from = layout.tail(problem.config.train.frozen_layers).1;
            grad[..trained_from].fill(0.0);
            let mut trainer = problem.cpu_trainer();
            let losses = (0..steps).map(|_| trainer.step()).collect();
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
            let mut losses = Vec::with_capacity(steps as usize);
            let mut last = trainer.read_snapshot().wait(&device)?;
            while trainer.steps_done() < u64::from(steps) {
                let k = (u64::from(steps) - trainer.steps_done()).min(u64::from(MAX_STEPS_PER_SUBMIT)) as u32;
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
