//! The playground: pick data and a network, train it live, watch its
//! function and its losses.

mod charts;
mod export;
mod run;
pub mod state;

use gradlab_core::Parameterization;
use leptos::prelude::*;

use self::run::{Chart, Run};
use self::state::{ACT, BATCH, DATA, DEPTH, LABEL_NOISE, LOSS, LR, N, NOISE, OPT, PARAM, SEED, WIDTH};
use crate::kit::controls::{self, fmt_int, ChartFigure, Tex};
use crate::kit::{use_lab, LabKit};

/// The batch slider's label: full, or the size.
fn fmt_batch(position: f64) -> String {
    if position < 0.5 {
        "full".into()
    } else {
        fmt_int(2f64.powf(position.round() - 1.0))
    }
}

/// The playground lab. `embed` drops the page chrome and fills the frame.
#[component]
pub fn Playground(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let ntk = move || k.with(|s| s.param == Parameterization::Ntk);
    let charts = move || {
        view! {
            <ChartFigure class="chart function" chart=k.chart(Chart::Function) label="the network's function over the data" name="gradlab-playground-function">
                <Tex tex=move || if ntk() { r"f_\theta(x) = z_L,\ \ z_l = \tfrac{1}{\sqrt{n_{l-1}}}\, W_l\, h_{l-1} + b_l,\ \ h_0 = x,\ h_l = \phi(z_l)" } else { r"f_\theta(x) = z_L,\ \ z_l = W_l\, h_{l-1} + b_l,\ \ h_0 = x,\ h_l = \phi(z_l)" } />" "{move || k.with(|s| if s.data.classes().is_some() {
                    "Decision boundary: colour is the predicted class, white the boundary; dots are training points (labels as given, noise included)."
                } else {
                    "Fitted function (orange) against the true sin(2πx) (dashed); dots are noisy training points."
                })}
            </ChartFigure>
            <ChartFigure class="chart losses" chart=k.chart(Chart::Losses) label="training and test loss curves" name="gradlab-playground-losses">
                <Tex tex=r"L(\theta) = \tfrac{1}{n}\textstyle\sum_{i=1}^{n} \ell\big(f_\theta(x_i),\, y_i\big)" />" ""Loss on the whole training set (solid) and the held-out test set (dashed), log scale."
            </ChartFigure>
        }
    };
    // Batch sizes are powers of two: the slider moves through their logs.
    let batch_positions = (BATCH.hi as f64).log2() + 1.0;
    let controls = move || {
        view! {
            {controls::fieldset("Data", settings, &[&DATA, &N, &NOISE, &LABEL_NOISE])}
                {controls::network(settings, &WIDTH, &DEPTH, &ACT, &PARAM)}
                <fieldset>
                    <legend>"Training"</legend>
                    {LOSS.select(settings)}
                    {OPT.select(settings)}
                    {LR.slider(settings)}
                    <controls::Slider label=BATCH.label name=BATCH.key
                        value=Signal::derive(move || k.with(|s| if s.batch == 0 { 0.0 } else { (s.batch as f64).log2() + 1.0 }))
                        scale=controls::Scale { min: 0.0, max: batch_positions, steps: BATCH.steps, log: false }
                        format=fmt_batch on_change=Callback::new(move |v: f64| k.set(|s| s.batch = if v < 0.5 { 0 } else { 1 << (v.round() as u32 - 1) })) />
                    {controls::seed(settings, &SEED)}
                </fieldset>
        }
    };
    k.page(k.parts("playground", ViewFn::from(controls), ViewFn::from(charts)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn batch_positions_name_powers_of_two() {
        assert_eq!(super::fmt_batch(0.0), "full");
        assert_eq!(super::fmt_batch(1.0), "1");
        assert_eq!(super::fmt_batch(11.0), "1024");
    }
}
