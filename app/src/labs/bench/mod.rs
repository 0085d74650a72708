//! The bench page (`?lab=bench`): how fast each backend does each lab's
//! work on this machine, for the fixed [`configs::CONFIGS`]. Twice per
//! backend: alone ("raw": the work as a lab's engine runs it on the GPU,
//! or as the page's worker runs it on the CPU, nothing drawn), and in the
//! lab itself, drawing, in a frame on this page (its progress counter, and
//! the page's frames, over the same window). A table with ratios, and the
//! whole as JSON. Compare ratios within one run: the machine's load moves
//! the absolute numbers. `ms=` sets the window (default 2000);
//! `backend=cpu` or `backend=gpu` measures that one only.

pub mod configs;

use std::rc::Rc;

use gradlab_core::engine::Backend;
use leptos::html::Iframe;
use leptos::prelude::*;
use serde::Serialize;

use self::configs::{Config, CONFIGS};
use crate::kit::backend::{cpu_rate, gpu_rate};
use crate::kit::flags;
use crate::kit::page::{Notices, Topbar};
use crate::kit::status::Status;
use crate::kit::worker::{self, Background, SLICE_MS};
use crate::labs::jobs::Job;
use crate::web;

/// One measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    Waiting,
    Running,
    /// Per second, and (in the page) the page's frames per second.
    Rate {
        rate: f64,
        fps: Option<f64>,
    },
    Failed(String),
    /// No such backend here.
    Absent,
}

impl Cell {
    fn rate(&self) -> Option<f64> {
        match self {
            Self::Rate { rate, .. } => Some(*rate),
            _ => None,
        }
    }

    fn shown(&self) -> String {
        match self {
            Self::Waiting => String::new(),
            Self::Running => "…".into(),
            Self::Rate { rate, fps: None } => fmt_rate(*rate),
            Self::Rate { rate, fps: Some(fps) } => format!("{} ({fps:.0} fps)", fmt_rate(*rate)),
            Self::Failed(why) if why.contains("allows") => "refused".into(),
            Self::Failed(why) if why.contains("less than twice") => "too slow to count".into(),
            Self::Failed(_) => "failed".into(),
            Self::Absent => "—".into(),
        }
    }
}

fn fmt_rate(r: f64) -> String {
    match r {
        r if r >= 100.0 => format!("{r:.0}"),
        r if r >= 10.0 => format!("{r:.1}"),
        r => format!("{r:.2}"),
    }
}

/// `a ÷ b` where both are measured.
fn ratio(a: &Cell, b: &Cell) -> String {
    match (a.rate(), b.rate()) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => String::new(),
    }
}

/// A row of the table, as exported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub name: &'static str,
    pub query: &'static str,
    /// The raw rate's unit, and the in-page rate's.
    pub unit: &'static str,
    pub page_unit: &'static str,
    pub raw_cpu: Cell,
    pub raw_gpu: Cell,
    pub page_cpu: Cell,
    pub page_gpu: Cell,
}

/// The JSON export.
#[derive(Serialize)]
struct Report<'a> {
    adapter: Option<String>,
    user_agent: String,
    window_ms: f64,
    rows: &'a [Row],
}

/// Milliseconds a lab in the frame may take to show progress.
const START_MS: f64 = 20_000.0;
/// Windows a counter may take to move twice (the landscape's grids, on
/// the CPU, come every 2–4 s while it trains), and the least time.
const SLOW_COUNTER_WINDOWS: f64 = 10.0;
const SLOW_COUNTER_MS: f64 = 3000.0;

/// The window `ms=` asks for (100 ms to 20 s; 2 s without it), and a
/// message where it had to change it.
fn window_ms(asked: Option<&str>) -> (f64, Option<String>) {
    const DEFAULT: f64 = 2000.0;
    let Some(text) = asked else { return (DEFAULT, None) };
    let quoted = crate::kit::query::quote(text);
    match text.parse::<f64>().ok().filter(|m| m.is_finite()) {
        None => (DEFAULT, Some(format!("ms={quoted} is not a number; measuring {DEFAULT:.0} ms windows."))),
        Some(m) if (100.0..=20_000.0).contains(&m) => (m, None),
        Some(m) => {
            let kept = m.clamp(100.0, 20_000.0);
            (kept, Some(format!("ms={quoted} is outside 100–20000; measuring {kept:.0} ms windows.")))
        }
    }
}

#[component]
pub fn Bench() -> impl IntoView {
    let messages = RwSignal::new(Vec::new());
    let (ms, said) = window_ms(flags::page_flag("ms").as_deref());
    if let Some(m) = said {
        messages.update(|ms| ms.push(m));
    }
    let status = RwSignal::new(Status {
        badge: "bench".into(),
        backend_note: "The bench measures every backend there is.".into(),
        ..Status::default()
    });
    let rows = RwSignal::new(
        CONFIGS
            .iter()
            .map(|c| {
                let unit = c.workload(Vec::new()).unit();
                Row {
                    name: c.name,
                    query: c.query,
                    unit,
                    page_unit: c.counter_unit,
                    raw_cpu: Cell::Waiting,
                    raw_gpu: Cell::Waiting,
                    page_cpu: Cell::Waiting,
                    page_gpu: Cell::Waiting,
                }
            })
            .collect::<Vec<_>>(),
    );
    let phase = RwSignal::new("running");
    let adapter = RwSignal::new(None::<String>);
    let frame = NodeRef::<Iframe>::new();
    leptos::task::spawn_local(async move {
        measure_all(ms, rows, adapter, frame).await;
        phase.set("done");
    });
    let export = move |_| {
        let json = rows.with(|r| {
            let ua = web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default();
            serde_json::to_string_pretty(&Report { adapter: adapter.get(), user_agent: ua, window_ms: ms, rows: r }).unwrap_or_default()
        });
        web::download("gradlab-bench.json", "application/json", &json);
    };
    let cell = |c: &Cell, name: &'static str| {
        let title = if let Cell::Failed(why) = c { why.clone() } else { String::new() };
        view! { <td data-cell=name data-rate=c.rate().map(|r| r.to_string()) title=title>{c.shown()}</td> }
    };
    view! {
        <Topbar lab="" status=status rate=false />
        <main class="bench" data-phase=move || phase.get()>
            <Notices status=status messages=messages />
            <h2>"Bench"</h2>
            <p class="lede">
                {format!("How fast each backend does each lab's work here, over {ms:.0} ms windows. Raw: the work alone, as a lab's engine runs it on the GPU or the page's worker runs it on the CPU, nothing drawn. In page: the lab itself in the frame below, drawing, its progress counter over the window, with the page's frames per second. Compare the ratios of one run: the machine's load moves the absolute numbers.")}
            </p>
            <p>{move || adapter.get().map_or_else(|| "WebGPU: none".to_owned(), |a| format!("WebGPU: {a}"))}</p>
            <table class="bench-table">
                <thead><tr>
                    <th>"config"</th><th>"raw CPU"</th><th>"raw GPU"</th><th>"GPU ÷ CPU"</th>
                    <th>"in page, CPU"</th><th>"in page, GPU"</th><th>"in page ÷ raw, CPU"</th><th>"in page ÷ raw, GPU"</th>
                </tr></thead>
                <tbody>
                    {move || rows.get().into_iter().map(|r| {
                        let same_unit = r.unit == r.page_unit;
                        view! {
                            <tr>
                                <th><a href=format!("./?{}", r.query)>{r.name}</a><br /><small>{format!("raw {}, in page {}", r.unit, r.page_unit)}</small></th>
                                {cell(&r.raw_cpu, "raw-cpu")}
                                {cell(&r.raw_gpu, "raw-gpu")}
                                <td>{ratio(&r.raw_gpu, &r.raw_cpu)}</td>
                                {cell(&r.page_cpu, "page-cpu")}
                                {cell(&r.page_gpu, "page-gpu")}
                                <td>{same_unit.then(|| ratio(&r.page_cpu, &r.raw_cpu))}</td>
                                <td>{same_unit.then(|| ratio(&r.page_gpu, &r.raw_gpu))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p>
                <button name="json" on:click=export disabled=move || phase.get() != "done">"JSON"</button>
                " "
                <button name="again" on:click=move |_| web::reload() disabled=move || phase.get() != "done">"Run again"</button>
            </p>
            <iframe node_ref=frame class="bench-frame" title="the lab being measured" width="640" height="400"></iframe>
        </main>
    }
}

/// Measures every row in turn: raw on the CPU and the GPU, then in page.
async fn measure_all(ms: f64, rows: RwSignal<Vec<Row>>, adapter: RwSignal<Option<String>>, frame: NodeRef<Iframe>) {
    let asked = flags::page_flag("backend");
    let on_cpu = asked.as_deref() != Some("gpu");
    let gpu = match web::adapter().await {
        _ if asked.as_deref() == Some("cpu") => Err("backend=cpu".to_owned()),
        Ok((name, software)) => {
            adapter.set(Some(format!("{name}{}", if software { " (software)" } else { "" })));
            web::webgpu(name, software).await.map(|g| Rc::new(Backend::Gpu(g)))
        }
        Err(e) => Err(e),
    };
    // A GPU that has not answered by then measures what it did.
    let deadline = ms + 8000.0;
    for (i, c) in CONFIGS.iter().enumerate() {
        let set = |f: &dyn Fn(&mut Row)| rows.update(|r| f(&mut r[i]));
        let work = match step_sizes(c).await {
            Ok(lrs) => c.workload(lrs),
            Err(e) => {
                let failed = Cell::Failed(e);
                set(&|r| (r.raw_cpu, r.raw_gpu, r.page_cpu, r.page_gpu) = (failed.clone(), failed.clone(), failed.clone(), failed.clone()));
                continue;
            }
        };
        let cell = if on_cpu {
            set(&|r| r.raw_cpu = Cell::Running);
            to_cell(cpu_rate(work.clone(), ms, deadline).await.map(|r| (r, None)))
        } else {
            Cell::Absent
        };
        set(&|r| r.raw_cpu = cell.clone());
        let cell = match &gpu {
            Ok(g) => {
                set(&|r| r.raw_gpu = Cell::Running);
                to_cell(gpu_rate(g, &work, ms, deadline).await.map(|r| (r, None)))
            }
            Err(_) => Cell::Absent,
        };
        set(&|r| r.raw_gpu = cell.clone());
        for (backend, there) in [("cpu", on_cpu), ("gpu", gpu.is_ok())] {
            let cell = if there {
                set(&|r| *page_cell(r, backend) = Cell::Running);
                to_cell(in_page(frame, c, backend, ms).await.map(|(r, fps)| (r, Some(fps))))
            } else {
                Cell::Absent
            };
            set(&|r| *page_cell(r, backend) = cell.clone());
        }
    }
}

fn page_cell<'a>(r: &'a mut Row, backend: &str) -> &'a mut Cell {
    if backend == "gpu" {
        &mut r.page_gpu
    } else {
        &mut r.page_cpu
    }
}

fn to_cell(r: Result<(f64, Option<f64>), String>) -> Cell {
    match r {
        Ok((rate, fps)) => Cell::Rate { rate, fps },
        Err(e) => Cell::Failed(e),
    }
}

/// A sweep's step sizes, as the lab plans them (in the worker); none for
/// the other rows.
async fn step_sizes(c: &Config) -> Result<Vec<f32>, String> {
    let Some((cfg, widths, seeds, training)) = c.sweep() else { return Ok(Vec::new()) };
    let mut job = Background::start(Job::DdStepSizes { cfg, widths, seeds, training });
    loop {
        web::next_frame().await;
        if let Some(worker::Update::DdStepSizes(r)) = job.poll(SLICE_MS / 4.0).pop() {
            return r;
        }
    }
}

/// Waits `ms`, a frame at a time.
async fn wait(ms: f64) {
    let start = web::now();
    while web::now() - start < ms {
        web::next_frame().await;
    }
}

/// The lab of `c` on `backend` in the frame: once it has made progress
/// and warmed up for half a window, its counter per second between the
/// first change of the counter and the last a window or more after it (a
/// slow counter moves in steps; it has [`SLOW_COUNTER_WINDOWS`] windows),
/// with the page's frames per second over that time.
async fn in_page(frame: NodeRef<Iframe>, c: &Config, backend: &str, ms: f64) -> Result<(f64, f64), String> {
    let el = frame.get_untracked().ok_or("no frame")?;
    let before = el.content_document();
    el.set_src(&format!("./?{}&backend={backend}&embed=1", c.query));
    // The new page's document (until it commits, the frame holds the last one).
    let doc = || el.content_document().filter(|d| Some(d) != before.as_ref() && d.url().is_ok_and(|u| u.starts_with("http")));
    let read = || -> Option<f64> { doc()?.query_selector(&format!("[{}]", c.counter)).ok()??.get_attribute(c.counter)?.parse().ok() };
    let failed = || {
        let root = doc()?.query_selector("[data-phase]").ok()??;
        (root.get_attribute("data-phase").as_deref() == Some("failed"))
            .then(|| root.query_selector(".notice").ok().flatten().and_then(|n| n.text_content()).unwrap_or_default())
    };
    let result = async {
        let start = web::now();
        loop {
            web::next_frame().await;
            if let Some(why) = failed() {
                return Err(why);
            }
            if read().unwrap_or(0.0) > 0.0 {
                break;
            }
            if web::now() - start > START_MS {
                return Err(format!("no progress within {:.0} s", START_MS / 1000.0));
            }
        }
        wait(ms / 2.0).await;
        let start = web::now();
        let mut seen = read().unwrap_or(0.0);
        let (mut first, mut last, mut frames) = (None::<(f64, f64)>, None::<(f64, f64)>, 0u32);
        loop {
            web::next_frame().await;
            let (now, count) = (web::now(), read().unwrap_or(seen));
            frames += 1;
            if count != seen {
                seen = count;
                if first.is_none() {
                    first = Some((now, count));
                } else {
                    last = Some((now, count));
                }
            }
            let spanned = matches!((first, last), (Some(f), Some(_)) if now - f.0 >= ms);
            if spanned || now - start > (SLOW_COUNTER_WINDOWS * ms).max(SLOW_COUNTER_MS) {
                return match (first, last) {
                    (Some((t0, c0)), Some((t1, c1))) => Ok(((c1 - c0) * 1000.0 / (t1 - t0), f64::from(frames) * 1000.0 / (now - start))),
                    _ => Err(format!("its counter moved less than twice in {:.1} s", (now - start) / 1000.0)),
                };
            }
        }
    }
    .await;
    el.set_src("about:blank");
    result
}

#[cfg(test)]
mod tests {
    use super::window_ms;

    #[test]
    fn the_window_is_clamped_and_said() {
        assert_eq!(window_ms(None), (2000.0, None));
        assert_eq!(window_ms(Some("300")), (300.0, None));
        let (ms, said) = window_ms(Some("5"));
        assert_eq!(ms, 100.0);
        assert!(said.unwrap().contains("outside 100–20000"));
        let (ms, said) = window_ms(Some("9".repeat(400).as_str()));
        assert_eq!(ms, 2000.0, "1e400 is not a finite number");
        assert!(said.unwrap().len() < 120);
        assert_eq!(window_ms(Some("NaN")).0, 2000.0);
    }
}
