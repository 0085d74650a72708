//! The loss-landscape lab: train with full-batch gradient descent and
//! watch, live, the loss on a plane through the current parameters
//! (filter-normalized random or trajectory PCA), a 1D slice, sharpness
//! against the stability edge `2/η`, and the loss on the straight line to
//! a second solution trained from another seed (mode connectivity).

mod charts;
mod export;
mod run;
pub mod state;
mod views;

use leptos::prelude::*;

use self::run::Run;
use self::state::{
    LandscapeState, Method, PlaneKind, View, ACT, DATA, DEPTH, GRID, LOSS, LR, N, OPT, PARAM, PLANE, RANGE, SCALE, SEED, VIEW, WIDTH,
};
use crate::kit::controls::{self, ChartFigure, Tex};
use crate::kit::LabView;
use crate::kit::{use_lab, LabKit, Named};

/// The contour view's formula: the plane, then how its directions are made.
fn plane_tex(pca: bool) -> (&'static str, &'static str) {
    if pca {
        (r"L(\theta_t + \alpha\,u_1 + \beta\,u_2)", r"u_1, u_2 = \text{top principal directions of } \theta_0, \dots, \theta_t")
    } else {
        (
            r"L(\theta_t + \alpha\,d_1 + \beta\,d_2)",
            r"d_{k,j} \leftarrow \frac{\lVert \theta_j \rVert}{\lVert d_{k,j} \rVert}\, d_{k,j} \text{ for every neuron } j \text{ (biases: 0)}",
        )
    }
}

/// The landscape lab. `embed` drops the page chrome and shows the view
/// the URL names.
#[component]
pub fn Landscape(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let readout = k.watch(|r| r.readout.clone());
    let shows = move |v: View| k.with(|s| s.view.shows(v));
    let hidden = move |v: View| Signal::derive(move || !shows(v));
    let pca = move || k.with(|s| s.plane == PlaneKind::Pca) && readout.with(|r| r.explained.is_some());
    let edge_text = move || k.with(LandscapeState::edge_label);
    let charts = move || {
        view! {
            <ChartFigure class="chart contour" hidden=hidden(View::Contour) chart=k.chart(View::Contour) label="loss contours on a plane through the current parameters" name="gradlab-landscape-contour">
                <Tex tex=move || plane_tex(pca()).0 /><Tex tex=move || plane_tex(pca()).1 />" "{move || {
                    let r = readout.get();
                    let s = settings.get();
                    let scale = if s.log() { "log₁₀ training loss" } else { "training loss" };
                    match (s.plane, r.explained) {
                        (PlaneKind::Pca, Some([e1, e2])) => format!(
                            "{scale} on the plane of the trajectory's top two principal components (PC1 {:.0}%, PC2 {:.0}% of its variance), centred on the current weights (red ×); orange: the path so far.",
                            100.0 * e1, 100.0 * e2),
                        (PlaneKind::Pca, None) => format!("{scale} on a random plane: {}", r.plane_note.unwrap_or_else(|| "the PCA plane needs a few snapshots of the trajectory.".into())),
                        _ => format!("{scale} on the plane of two random, filter-normalized directions (Li et al. 2018) through the current weights (red ×). Random planes miss the trajectory: try the PCA plane."),
                    }
                }}
            </ChartFigure>
            <ChartFigure class="chart slice" hidden=hidden(View::Slice) chart=k.chart(View::Slice) label="the loss along one direction" name="gradlab-landscape-slice">
                <Tex tex=move || if pca() { r"\alpha \mapsto L(\theta_t + \alpha\, u_1)" } else { r"\alpha \mapsto L(\theta_t + \alpha\, d_1)" } />" ""Training loss along the plane's first direction through the current weights (red dot): a 1D slice of the picture beside it."
            </ChartFigure>
            <ChartFigure class="chart sharpness" hidden=hidden(View::Sharpness) chart=k.chart(View::Sharpness) label="sharpness against the stability edge" name="gradlab-landscape-sharpness">
                <Tex tex=move || if k.with(|s| s.opt == Method::Momentum) { r"\lambda_{\max}\big(\nabla^2 L(\theta_t)\big) \lessgtr \tfrac{2 + 2\beta}{\eta}" } else { r"\lambda_{\max}\big(\nabla^2 L(\theta_t)\big) \lessgtr \tfrac{2}{\eta}" } />" "{move || {
                    let edge = k.with(LandscapeState::edge);
                    let now = readout.with(|r| r.sharpness.map_or("–".into(), |v| format!("{v:.1}")));
                    format!("Sharpness λ_max (top Hessian eigenvalue, by power iteration) now {now}; dashed: {} = {edge:.1}. Gradient descent cannot stay where λ_max > {}: sharpness rises (progressive sharpening), then hovers at the edge while the loss keeps falling (Cohen et al. 2021).", edge_text(), edge_text())
                }}
            </ChartFigure>
            <ChartFigure class="chart connect" hidden=hidden(View::Connect) chart=k.chart(View::Connect) label="the loss along the line between two solutions" name="gradlab-landscape-connectivity">
                <Tex tex=r"L(t) = L\big((1-t)\,\theta_A + t\,\theta_B\big)" /><Tex tex=r"\text{barrier} = \max_{t}\, \big[L(t) - (1-t)\,L(0) - t\,L(1)\big]" />" "{move || {
                    let text = match readout.with(|r| r.barrier) {
                        Some((train, test)) => format!("barrier {train:.4} (train){}", test.map_or(String::new(), |t| format!(", {t:.4} (test)"))),
                        None => "barrier –".into(),
                    };
                    format!("Loss on the straight line from these weights (A, seed s) to a net trained the same way from seed s+1 (B); {text}: the highest rise above the straight line between the ends. Barriers shrink as nets get wider (moons, one ReLU layer, cross-entropy: ≈0.19 at width 16, ≈0.07 at width 256).")
                }}
            </ChartFigure>
        }
    };
    let controls = move || {
        view! {
            {controls::fieldset("Data", settings, &[&DATA, &N])}
                {controls::network(settings, &WIDTH, &DEPTH, &ACT, &PARAM)}
                <fieldset>
                    <legend>"Training (full batch)"</legend>
                    {LOSS.select(settings)}
                    {OPT.select(settings)}
                    {LR.slider(settings)}
                    {controls::seed(settings, &SEED)}
                </fieldset>
                {controls::fieldset("Picture", settings, &[&PLANE, &GRID, &RANGE, &SCALE, &VIEW])}
        }
    };
    let mut parts = k.parts("landscape", ViewFn::from(controls), ViewFn::from(charts));
    parts.views_data = vec![
        ("data-view", Signal::derive(move || k.with(|s| s.view.name().to_owned()))),
        ("data-grids", Signal::derive(move || readout.with(|r| r.grids.to_string()))),
        ("data-grid-ms", Signal::derive(move || readout.with(|r| format!("{:.0}", r.grid_ms)))),
        ("data-sharpness", Signal::derive(move || readout.with(|r| r.sharpness.map(|v| v.to_string()).unwrap_or_default()))),
        ("data-barrier", Signal::derive(move || readout.with(|r| r.barrier.map(|b| b.0.to_string()).unwrap_or_default()))),
    ];
    k.page(parts)
}
