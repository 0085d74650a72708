//! # gradlab-app
//!
//! The web front end: a leptos (client-side rendered) page per lab, drawn
//! with plotters on canvases, training through gradlab-core's
//! [`gradlab_core::engine`] on the browser's WebGPU device, or on the CPU
//! when there is none.
//!
//! - [`kit`]: what every lab does, once: settings from the URL (one table
//!   of rows per lab, checked in two stages), the URL following them, the
//!   backend, host control (`postMessage`), the animation loop, the
//!   controls, exports and the page around a lab.
//! - [`labs`]: one folder per lab (`state.rs`, `run.rs`, `charts.rs`,
//!   `export.rs`, and `mod.rs`, the page), and the home page.
//! - [`charts`]: what every chart shares (surface, theme, axes, lines).
//! - [`web`]: browser glue (URL, clock, animation frames, finding WebGPU).
//!
//! Everything but the browser glue and the components is plain Rust with
//! native tests; the browser tests in `tests/e2e` cover the rest.

pub mod charts;
pub mod kit;
pub mod labs;
pub mod web;

use leptos::prelude::*;

/// The page: which lab and view the URL asks for.
#[component]
pub fn App() -> impl IntoView {
    kit::flags::provide_theme();
    let query = web::search();
    let pairs: Vec<&str> = query.trim_start_matches('?').split('&').collect();
    let embed = pairs.iter().any(|&kv| kv == "embed" || kv == "embed=1" || kv == "embed=true");
    // The home page: no settings, at most a theme and a backend.
    if pairs.iter().all(|kv| kv.is_empty() || kv.starts_with("theme=") || kv.starts_with("backend=")) {
        view! { <labs::gallery::Gallery /> }.into_any()
    } else if pairs.contains(&"lab=bench") {
        view! { <labs::bench::Bench /> }.into_any()
    } else if pairs.contains(&"lab=landscape") {
        view! { <labs::landscape::Landscape embed=embed /> }.into_any()
    } else if pairs.contains(&"lab=ntk") {
        view! { <labs::ntk::NtkLab embed=embed /> }.into_any()
    } else if pairs.contains(&"lab=implicit") {
        view! { <labs::implicit::ImplicitLab embed=embed /> }.into_any()
    } else if pairs.contains(&"lab=lottery") {
        view! { <labs::lottery::LotteryLab embed=embed /> }.into_any()
    } else if pairs.contains(&"lab=dd") {
        view! { <labs::double_descent::DoubleDescent embed=embed /> }.into_any()
    } else {
        view! { <labs::playground::Playground embed=embed /> }.into_any()
    }
}
