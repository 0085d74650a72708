//! # gradlab-app
//!
//! The web front end: a leptos (client-side rendered) page per lab, drawn
//! with plotters on canvases, training through gradlab-core on the
//! browser's WebGPU device, or on the CPU when there is none.
//!
//! - [`state`]: each lab's settings as a URL query, checked in two stages.
//! - [`engine`]: the one place the WebGPU and CPU backends meet; ticks once
//!   per animation frame and never blocks on the GPU.
//! - [`sweep`]: a trained double-descent sweep (many nets at once) on
//!   either backend, ticked like the engine.
//! - [`charts`]: plotters drawing and the colour maths behind it.
//! - [`components`]: labelled, keyboard-operable controls.
//! - [`host`]: the `postMessage` protocol a host page steers widgets with.
//! - [`labs`]: one module per lab; the page a URL names.
//! - [`web`]: browser glue (URL, clock, animation frames, finding WebGPU).
//!
//! Everything but the browser glue and the components is plain Rust with
//! native tests; the browser tests in `tests/e2e` cover the rest.

pub mod charts;
pub mod components;
pub mod engine;
pub mod host;
pub mod labs;
pub mod state;
pub mod sweep;
pub mod web;

use leptos::prelude::*;

/// The page: which lab and view the URL asks for.
#[component]
pub fn App() -> impl IntoView {
    labs::shell::provide_theme();
    let query = web::search();
    let pairs: Vec<&str> = query.trim_start_matches('?').split('&').collect();
    let embed = pairs.iter().any(|&kv| kv == "embed" || kv == "embed=1" || kv == "embed=true");
    // The home page: no settings, at most a theme.
    if pairs.iter().all(|kv| kv.is_empty() || kv.starts_with("theme=")) {
        view! { <labs::gallery::Gallery /> }.into_any()
    } else if pairs.contains(&"lab=landscape") {
        view! { <labs::landscape::Landscape embed=embed /> }.into_any()
    } else if pairs.contains(&"lab=ntk") {
        view! { <labs::ntk::NtkLab embed=embed /> }.into_any()
    } else if pairs.contains(&"lab=dd") {
        view! { <labs::double_descent::DoubleDescent embed=embed /> }.into_any()
    } else {
        view! { <labs::playground::Playground embed=embed /> }.into_any()
    }
}
