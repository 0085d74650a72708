//! Page flags kept in the address bar beside a lab's settings, `play=0`
//! ([`autoplay`]), `host=<origin>` (the host listener),
//! `theme=light|dark|projector` ([`theme_from_url`]) and `backend=gpu|cpu`
//! ([`super::backend`]), and links within gradlab that keep the page's
//! theme and backend.

use leptos::prelude::*;

use crate::charts::{theme, Theme};
use crate::web;

/// The flags, in the order the address bar lists them after the settings.
const PAGE_FLAGS: [&str; 4] = ["play", "host", "theme", "backend"];

/// A key's value in the page's query.
#[must_use]
pub fn page_flag(key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(web::search().trim_start_matches('?'))
        .unwrap_or_default()
        .into_iter()
        .find_map(|(k, v)| (k == key).then_some(v))
}

/// Sets (or, with `None`, removes) a page flag in the address bar.
pub fn set_page_flag(key: &str, value: Option<&str>) {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(web::search().trim_start_matches('?')).unwrap_or_default();
    pairs.retain(|(k, _)| k != key);
    if let Some(v) = value {
        pairs.push((key.to_owned(), v.to_owned()));
    }
    web::replace_query(&serde_urlencoded::to_string(pairs).unwrap_or_default());
}

/// Writes a lab's settings into the address bar, keeping the embed flag
/// and the page flags, so a reload (reveal.js, a shared link) comes back
/// the same.
pub fn show_in_url(query: &str, embed: bool) {
    let mut q = query.to_owned();
    if embed {
        q.push_str("&embed=1");
    }
    for key in PAGE_FLAGS {
        if let Some(v) = page_flag(key) {
            q.push('&');
            q.push_str(&serde_urlencoded::to_string([(key, v)]).unwrap_or_default());
        }
    }
    web::replace_query(&q);
}

/// Whether a lab starts training on load; `play=0` in the URL waits for
/// the first press of Play (or a host's `play`).
#[must_use]
pub fn autoplay() -> bool {
    page_flag("play").as_deref() != Some("0")
}

/// The theme the URL asks for, and a message if it names none.
#[must_use]
pub fn theme_from_url() -> (&'static Theme, Option<String>) {
    match page_flag("theme") {
        None => (&theme::LIGHT, None),
        Some(name) => match Theme::named(&name) {
            Some(t) => (t, None),
            None => {
                let names: Vec<&str> = theme::THEMES.iter().map(|t| t.name).collect();
                let name = super::query::quote(&name);
                (&theme::LIGHT, Some(format!("theme={name} is not one of {}; using light.", names.join(", "))))
            }
        },
    }
}

/// The page's theme, as a signal links follow (from the context
/// [`provide_theme`] sets up).
#[derive(Clone, Copy)]
pub struct ThemeChoice(pub RwSignal<&'static Theme>);

/// Puts the page in the URL's theme and shares it with every component.
pub fn provide_theme() {
    let theme = theme_from_url().0;
    set_theme(theme);
    provide_context(ThemeChoice(RwSignal::new(theme)));
}

/// Puts the page (CSS, `data-theme` on `<html>`) and its charts in `theme`.
pub fn set_theme(theme: &'static Theme) {
    Theme::set(theme);
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme.name);
    }
}

/// A link within gradlab to `query` (no `?`) that keeps the page's theme.
#[must_use]
pub fn link(query: &str) -> Signal<String> {
    let query = query.to_owned();
    link_to(move || query.clone())
}

/// A link to the query `query()` returns, keeping the page's theme and
/// the backend the address asks for.
pub fn link_to(query: impl Fn() -> String + Send + Sync + 'static) -> Signal<String> {
    let theme = use_context::<ThemeChoice>().map(|c| c.0);
    let backend = page_flag("backend").filter(|b| b == "gpu" || b == "cpu").map(|b| format!("backend={b}"));
    Signal::derive(move || {
        let t = theme.map_or(&theme::LIGHT, |t| t.get());
        let theme = (t != &theme::LIGHT).then(|| format!("theme={}", t.name));
        let parts: Vec<String> = [Some(query()), theme, backend.clone()].into_iter().flatten().filter(|p| !p.is_empty()).collect();
        format!("./?{}", parts.join("&"))
    })
}
