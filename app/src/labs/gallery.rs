//! The home page: every lab with a preview, the question it answers, and
//! a link.

use leptos::prelude::*;

use crate::kit::flags::link;
use crate::kit::page::{Notices, Topbar, LABS};
use crate::kit::status::Status;

/// `(lab key, title, question, what you do there)`, in [`LABS`] order.
const CARDS: [(&str, &str, &str, &str); 6] = [
    (
        "playground",
        "Playground",
        "What does a small network learn, and how fast?",
        "Train an MLP on toy data on your GPU; drag width, depth, learning rate, noise and seed, and watch the function and the loss.",
    ),
    (
        "landscape",
        "Loss landscape",
        "Why does gradient descent end where it does?",
        "Filter-normalized and trajectory-PCA slices of the loss, sharpness against 2/η (edge of stability), and the barrier between two solutions.",
    ),
    (
        "dd",
        "Double descent",
        "Why do models with more parameters than data generalize?",
        "Exact random-features curves with a peak at p = n, and real nets of every width trained at once: model-, sample- and epoch-wise.",
    ),
    (
        "ntk",
        "Tangent kernel",
        "Why do wide nets barely move their kernel?",
        "Empirical NTKs on the GPU: Gram matrix and spectrum, lazy vs rich training as width grows, kernel regression, spectral bias.",
    ),
    (
        "implicit",
        "Implicit bias",
        "Which zero-loss solution does gradient descent pick?",
        "Least squares, separable classification and matrix completion, each optimizer's path beside the exact answer: minimum norm, max margin, low rank.",
    ),
    (
        "lottery",
        "Lottery tickets",
        "Is there a small network hiding inside a big one?",
        "Iterative magnitude pruning with rewinding, live: each round's ticket against the same mask re-initialized and a random mask, over seeds.",
    ),
];

#[component]
pub fn Gallery() -> impl IntoView {
    let status = RwSignal::new(Status::default());
    let messages = RwSignal::new(Vec::new());
    crate::kit::find_backend(status, messages, |_| ());
    debug_assert!(CARDS.iter().zip(LABS).all(|(c, l)| c.0 == l.0));
    view! {
        <Topbar lab="" status=status rate=false />
        <main class="gallery">
            <Notices status=status messages=messages />
            <p class="lede">
                "A visual lab for deep-learning theory: small networks train on your own GPU (WebGPU, or the CPU when there is none) while the pictures from the lecture notes are computed live beside them. Every view embeds in slides as an iframe whose address holds its whole state."
            </p>
            <p class="deck-link">
                <a href="deck.html">"An example lecture deck"</a>
                " (reveal.js) with six of these widgets on its slides: copy it to start your own."
            </p>
            <div class="cards">
                {CARDS
                    .iter()
                    .map(|&(key, title, question, what)| {
                        view! {
                            <a class="card" href=link(&format!("lab={key}")) data-lab=key>
                                <img src=format!("previews/{key}.png") alt=format!("{title}: a preview") loading="lazy" />
                                <h2>{title}</h2>
                                <p class="question">{question}</p>
                                <p>{what}</p>
                            </a>
                        }
                    })
                    .collect_view()}
            </div>
        </main>
    }
}
