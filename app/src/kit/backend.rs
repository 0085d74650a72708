//! Which backend a lab trains on: WebGPU, or the CPU (in the page's
//! worker).
//!
//! `backend=gpu` or `backend=cpu` in the address decides. Without it, the
//! CPU runs where the browser has no WebGPU adapter or only a software one
//! (a software adapter computes on the CPU too, and more slowly than the
//! worker: SwiftShader trains the reference net several times slower), and
//! a hardware adapter runs if it trains the reference net
//! ([`rate::reference`]) at least as fast as the CPU in a short probe at
//! start-up. The probe runs once per adapter: its rates are kept in the
//! browser's local storage. The badge says which backend runs and why, and
//! offers the other.
//!
//! [`rate::reference`]: gradlab_core::engine::rate::reference

use std::rc::Rc;

use gradlab_core::engine::rate::{reference, Rate, Workload};
use gradlab_core::engine::Backend;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::status::Status;
use super::worker::{self, Activity, Background, Task, SLICE_MS};
use super::{flags, query};
use crate::labs::jobs::Job;
use crate::web;

/// What the address asks for (`backend=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// Choose by measurement.
    Auto,
    Gpu,
    Cpu,
}

impl Asked {
    /// The `backend` flag's value, with a message for one it does not know.
    #[must_use]
    pub fn from_flag(value: Option<&str>) -> (Self, Option<String>) {
        match value {
            None => (Self::Auto, None),
            Some("gpu") => (Self::Gpu, None),
            Some("cpu") => (Self::Cpu, None),
            Some(other) => (Self::Auto, Some(format!("backend={} is not one of gpu, cpu; choosing by measurement.", query::quote(other)))),
        }
    }
}

/// A WebGPU adapter, as the browser names it.
#[derive(Clone, Debug)]
pub struct Adapter {
    pub name: String,
    /// A software adapter (`isFallbackAdapter`).
    pub software: bool,
}

/// Steps per second on the reference net, measured on one adapter and the
/// CPU of the same machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub adapter: String,
    pub gpu: f64,
    pub cpu: f64,
}

/// A backend chosen, and the words for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub gpu: bool,
    /// Why this backend (the badge's tooltip).
    pub why: String,
    /// A notice for the page, where something asked for is not there.
    pub notice: Option<String>,
    /// The other backend, where the user can switch to it (its `backend=`
    /// value).
    pub other: Option<&'static str>,
}

impl Choice {
    fn cpu(why: String, notice: Option<String>, other: Option<&'static str>) -> Self {
        Self { gpu: false, why, notice, other }
    }
}

/// Whether to measure the rates before choosing.
#[must_use]
pub fn wants_rates(asked: Asked, adapter: &Adapter) -> bool {
    asked == Asked::Auto && !adapter.software
}

/// The backend for what the address asks, the adapter found (or why there
/// is none) and, for a hardware adapter without a `backend` flag, the rates
/// measured (or why they could not be).
#[must_use]
pub fn choose(asked: Asked, adapter: Result<&Adapter, &str>, rates: Option<Result<&Rates, &str>>) -> Choice {
    const WORKER: &str = "Training on the CPU, in a Web Worker";
    let adapter = match adapter {
        Ok(a) => a,
        Err(reason) => {
            let notice = match asked {
                Asked::Gpu => format!("backend=gpu asks for WebGPU, but it is unavailable ({reason}), so training runs on the CPU."),
                _ => format!("WebGPU is unavailable ({reason}), so training runs on the CPU, more slowly."),
            };
            return Choice::cpu(format!("WebGPU is unavailable ({reason})."), Some(notice), None);
        }
    };
    let name = &adapter.name;
    let on_gpu = |why: String| Choice {
        gpu: true,
        why: format!("Training on the GPU through WebGPU ({name}): {why}."),
        notice: None,
        other: Some("cpu"),
    };
    match (asked, rates) {
        (Asked::Gpu, _) => on_gpu("backend=gpu in the address".into()),
        (Asked::Cpu, _) => Choice::cpu(format!("{WORKER}: backend=cpu in the address. WebGPU ({name}) is there."), None, Some("gpu")),
        (Asked::Auto, _) if adapter.software => Choice::cpu(
            format!("{WORKER}: this browser's WebGPU adapter ({name}) is a software one, which computes on the CPU too, and more slowly."),
            None,
            Some("gpu"),
        ),
        (Asked::Auto, Some(Ok(r))) => {
            let measured = format!("it trained the reference net (2→64→64→1, 512 points) at {:.0} steps/s, the CPU at {:.0}", r.gpu, r.cpu);
            if r.gpu >= r.cpu {
                on_gpu(format!("in a probe at start-up, {measured}"))
            } else {
                Choice::cpu(format!("{WORKER}: in a probe at start-up, WebGPU ({name}) was slower: {measured}."), None, Some("gpu"))
            }
        }
        (Asked::Auto, Some(Err(e))) => {
            Choice::cpu(format!("{WORKER}: WebGPU ({name}) failed a probe at start-up: {e}."), None, Some("gpu"))
        }
        (Asked::Auto, None) => on_gpu("not measured".into()),
    }
}

/// Milliseconds each backend trains in the probe.
const PROBE_MS: f64 = 300.0;
/// A GPU that brings back no trained step by then measures 0 steps/s.
const PROBE_DEADLINE_MS: f64 = 5000.0;
/// Where the rates are kept (local storage).
const RATES_KEY: &str = "gradlab-rates";

/// Finds the backend the address asks for (or the faster one), fills in
/// the badge, and hands the backend to `ready`.
pub fn find_backend(status: RwSignal<Status>, messages: RwSignal<Vec<String>>, ready: impl FnOnce(Rc<Backend>) + 'static) {
    let (asked, bad) = Asked::from_flag(flags::page_flag("backend").as_deref());
    if let Some(m) = bad {
        messages.update(|ms| ms.push(m));
    }
    leptos::task::spawn_local(async move {
        let (backend, choice) = decide(asked, status).await;
        show(status, messages, &backend, &choice);
        ready(backend);
    });
}

/// After the device was lost: the CPU, and a notice saying why.
pub fn after_loss(status: RwSignal<Status>, messages: RwSignal<Vec<String>>, why: &str) -> Rc<Backend> {
    let choice = choose(Asked::Auto, Err(&format!("the GPU device was lost: {}", why.trim_end_matches('.'))), None);
    let backend = Rc::new(Backend::Cpu { reason: choice.why.clone() });
    show(status, messages, &backend, &choice);
    backend
}

async fn decide(asked: Asked, status: RwSignal<Status>) -> (Rc<Backend>, Choice) {
    let cpu = |choice: Choice| (Rc::new(Backend::Cpu { reason: choice.why.clone() }), choice);
    let adapter = match web::adapter().await {
        Ok((name, software)) => Adapter { name, software },
        Err(reason) => return cpu(choose(asked, Err(&reason), None)),
    };
    // No device unless it is asked for or measured.
    let measured = wants_rates(asked, &adapter);
    if asked != Asked::Gpu && !measured {
        return cpu(choose(asked, Ok(&adapter), None));
    }
    let gpu = match web::webgpu(adapter.name.clone(), adapter.software).await {
        Ok(gpu) => Rc::new(Backend::Gpu(gpu)),
        Err(reason) => return cpu(choose(asked, Err(&reason), None)),
    };
    let rates = if measured {
        status.update(|s| s.badge = "timing WebGPU and the CPU…".into());
        Some(rates(&gpu, &adapter.name).await)
    } else {
        None
    };
    let choice = choose(asked, Ok(&adapter), rates.as_ref().map(|r| r.as_ref().map_err(String::as_str)));
    if choice.gpu {
        (gpu, choice)
    } else {
        cpu(choice)
    }
}

/// The rates on this adapter: as kept from an earlier visit, or measured
/// now (the GPU first, then the CPU, so they do not share the machine).
async fn rates(gpu: &Rc<Backend>, adapter: &str) -> Result<Rates, String> {
    if let Some(kept) = web::stored(RATES_KEY).and_then(|json| serde_json::from_str::<Rates>(&json).ok()).filter(|r| r.adapter == adapter) {
        return Ok(kept);
    }
    let work = Workload::Train(reference().config);
    let on_gpu = gpu_rate(gpu, &work, PROBE_MS, PROBE_DEADLINE_MS).await?;
    let on_cpu = cpu_rate(work, PROBE_MS, PROBE_DEADLINE_MS).await?;
    let rates = Rates { adapter: adapter.to_owned(), gpu: on_gpu, cpu: on_cpu };
    if let Ok(json) = serde_json::to_string(&rates) {
        web::store(RATES_KEY, &json);
    }
    Ok(rates)
}

/// Milliseconds of a frame a GPU rate may spend making a sweep's nets.
const GPU_TICK_MS: f64 = 10.0;

/// How fast the GPU does `work`, ticked once a frame as a lab ticks.
///
/// # Errors
/// If the work does not fit the device, or meets an error.
pub async fn gpu_rate(gpu: &Rc<Backend>, work: &Workload, ms: f64, deadline_ms: f64) -> Result<f64, String> {
    let mut rate = Rate::new(gpu, work, ms, deadline_ms).map_err(|e| e.to_string())?;
    loop {
        web::next_frame().await;
        if let Some(r) = rate.tick(GPU_TICK_MS, web::now) {
            return r.map_err(|e| e.to_string());
        }
    }
}

/// How fast the CPU does `work`, in the page's worker (or, without one,
/// in the page a slice a frame).
///
/// # Errors
/// If the work is past the CPU's limit, or meets an error.
pub async fn cpu_rate(work: Workload, ms: f64, deadline_ms: f64) -> Result<f64, String> {
    let mut job = Background::start(Job::Rate { work, ms, deadline_ms });
    loop {
        web::next_frame().await;
        if let Some(r) = job.poll(SLICE_MS / 4.0).into_iter().find_map(|u| if let worker::Update::Rate(r) = u { Some(r) } else { None }) {
            return r;
        }
    }
}

/// The badge, its tooltip and switch, and the notice if there is one.
fn show(status: RwSignal<Status>, messages: RwSignal<Vec<String>>, backend: &Backend, choice: &Choice) {
    status.update(|s| {
        s.backend = backend.label();
        s.badge = match backend {
            Backend::Gpu(gpu) => format!("WebGPU · {}", gpu.name),
            // Chosen over a GPU that is there, or the only one.
            Backend::Cpu { .. } if choice.other.is_some() => "CPU".into(),
            Backend::Cpu { .. } => "CPU fallback".into(),
        };
        s.backend_note.clone_from(&choice.why);
        s.backend_switch = choice.other;
    });
    if let Some(notice) = &choice.notice {
        messages.update(|m| m.push(notice.clone()));
    }
}

/// The worker's side of a rate ([`Job::Rate`]): [`Rate`] a slice at a
/// time, or why it cannot start.
pub struct RateTask(pub Result<Rate, String>);

impl Task for RateTask {
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<worker::Update>) -> Activity {
        let rate = match &mut self.0 {
            Ok(rate) => match rate.tick(budget_ms, web::now) {
                Some(r) => r.map_err(|e| e.to_string()),
                None => return Activity::Busy,
            },
            Err(e) => Err(e.clone()),
        };
        out.push(worker::Update::Rate(rate));
        Activity::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hardware() -> Adapter {
        Adapter { name: "NVIDIA Ampere".into(), software: false }
    }

    fn rates(gpu: f64, cpu: f64) -> Rates {
        Rates { adapter: "NVIDIA Ampere".into(), gpu, cpu }
    }

    #[test]
    fn the_flag_asks_for_a_backend_and_junk_chooses_by_measurement() {
        assert_eq!(Asked::from_flag(None), (Asked::Auto, None));
        assert_eq!(Asked::from_flag(Some("gpu")).0, Asked::Gpu);
        assert_eq!(Asked::from_flag(Some("cpu")).0, Asked::Cpu);
        let (asked, said) = Asked::from_flag(Some(&"GPU".repeat(100)));
        assert_eq!(asked, Asked::Auto);
        let said = said.unwrap();
        assert!(said.starts_with("backend=") && said.ends_with("choosing by measurement.") && said.len() < 150, "{said}");
    }

    #[test]
    fn a_hardware_adapter_runs_when_it_measures_at_least_as_fast() {
        let fast = choose(Asked::Auto, Ok(&hardware()), Some(Ok(&rates(900.0, 200.0))));
        assert!(fast.gpu && fast.other == Some("cpu") && fast.notice.is_none());
        assert!(fast.why.contains("900 steps/s, the CPU at 200"), "{}", fast.why);
        let slow = choose(Asked::Auto, Ok(&hardware()), Some(Ok(&rates(150.0, 200.0))));
        assert!(!slow.gpu && slow.other == Some("gpu"), "{slow:?}");
        assert!(slow.why.contains("was slower") && slow.why.contains("150 steps/s"), "{}", slow.why);
        assert!(choose(Asked::Auto, Ok(&hardware()), Some(Ok(&rates(200.0, 200.0)))).gpu, "a tie goes to the GPU");
        let failed = choose(Asked::Auto, Ok(&hardware()), Some(Err("no adapter")));
        assert!(!failed.gpu && failed.why.contains("failed a probe"), "{failed:?}");
    }

    #[test]
    fn a_software_adapter_is_not_measured_or_used_unless_asked_for() {
        let swiftshader = Adapter { name: "google swiftshader".into(), software: true };
        assert!(!wants_rates(Asked::Auto, &swiftshader));
        assert!(wants_rates(Asked::Auto, &hardware()));
        assert!(!wants_rates(Asked::Gpu, &hardware()) && !wants_rates(Asked::Cpu, &hardware()));
        let auto = choose(Asked::Auto, Ok(&swiftshader), None);
        assert!(!auto.gpu && auto.other == Some("gpu") && auto.why.contains("software"), "{auto:?}");
        let asked = choose(Asked::Gpu, Ok(&swiftshader), None);
        assert!(asked.gpu && asked.other == Some("cpu") && asked.why.contains("backend=gpu"), "{asked:?}");
    }

    #[test]
    fn the_address_overrides_the_measurement() {
        let r = rates(900.0, 200.0);
        assert!(!choose(Asked::Cpu, Ok(&hardware()), Some(Ok(&r))).gpu);
        assert!(choose(Asked::Gpu, Ok(&hardware()), Some(Ok(&rates(1.0, 200.0)))).gpu);
    }

    #[test]
    fn without_webgpu_the_cpu_runs_and_a_notice_says_why() {
        let plain = choose(Asked::Auto, Err("this browser has no WebGPU"), None);
        assert!(!plain.gpu && plain.other.is_none());
        assert_eq!(
            plain.notice.as_deref(),
            Some("WebGPU is unavailable (this browser has no WebGPU), so training runs on the CPU, more slowly.")
        );
        let asked = choose(Asked::Gpu, Err("this browser has no WebGPU"), None);
        assert!(asked.notice.unwrap().starts_with("backend=gpu asks for WebGPU, but it is unavailable"));
    }
}
