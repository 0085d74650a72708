//! Browser glue: the URL, the clock, animation frames, and finding WebGPU.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use gradlab_core::engine::Gpu;

/// The page's query string, with its `?`.
#[must_use]
pub fn search() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Replaces the query without reloading or adding a history entry.
pub fn replace_query(query: &str) {
    if let Some(w) = web_sys::window() {
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("?{query}")));
        }
    }
}

/// An `<iframe>` snippet that embeds the page as it is now (its address
/// holds the whole state) without chrome.
#[must_use]
pub fn embed_snippet() -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let (base, query) = href.split_once('?').unwrap_or((&href, ""));
    let query: Vec<&str> = query.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("embed")).collect();
    let src = format!("{base}?{}&embed=1", query.join("&"));
    format!(
        "<iframe src=\"{}\" width=\"640\" height=\"420\" style=\"border:0\" loading=\"lazy\" allow=\"fullscreen\" title=\"gradlab\"></iframe>",
        src.replace('&', "&amp;").replace('"', "&quot;")
    )
}

/// Puts `text` on the clipboard where the browser allows it (a secure
/// context and a user gesture); says whether it did.
pub async fn copy_text(text: &str) -> bool {
    let Some(w) = web_sys::window() else { return false };
    wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(text)).await.is_ok()
}

/// Calls `handler` with every message posted to this window.
pub fn on_message(mut handler: impl FnMut(&web_sys::MessageEvent) + 'static) {
    if let Some(w) = web_sys::window() {
        let f = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| handler(&e));
        let _ = w.add_event_listener_with_callback("message", f.as_ref().unchecked_ref());
        f.forget();
    }
}

/// A message's data as JSON text (empty if it cannot be written as JSON).
#[must_use]
pub fn message_json(e: &web_sys::MessageEvent) -> String {
    js_sys::JSON::stringify(&e.data()).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// Posts the JSON object `json` back to the window a message came from.
pub fn reply(e: &web_sys::MessageEvent, json: &str) {
    let (Some(source), Ok(value)) = (e.source(), js_sys::JSON::parse(json)) else { return };
    // Another frame's window is from another realm: `instanceof Window` fails
    // for it, so no checked cast (a wrong kind of source makes the post fail).
    let window = source.unchecked_into::<web_sys::Window>();
    let origin = e.origin();
    let target = if origin.is_empty() || origin == "null" { "*".to_owned() } else { origin };
    let _ = window.post_message(&value, &target);
}

/// Offers `contents` to the user as a file named `name`.
pub fn download(name: &str, mime: &str, contents: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    save(name, &url);
    // Not at once: the download reads the blob after the click returns,
    // and a URL revoked before then loses the file now and again.
    let revoke = Closure::once_into_js(move || _ = web_sys::Url::revoke_object_url(&url));
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), REVOKE_AFTER_MS);
    }
}

/// Milliseconds a downloaded blob's URL stays valid.
const REVOKE_AFTER_MS: i32 = 60_000;

/// Offers a canvas's picture as a PNG file named `name`.
pub fn download_png(name: &str, canvas: &web_sys::HtmlCanvasElement) {
    if let Ok(url) = canvas.to_data_url_with_type("image/png") {
        save(name, &url);
    }
}

/// Saves what `url` points at as a file named `name`.
fn save(name: &str, url: &str) {
    let anchor = web_sys::window().and_then(|w| w.document()).and_then(|d| d.create_element("a").ok());
    if let Some(a) = anchor.and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(url);
        a.set_download(name);
        a.click();
    }
}

/// Fires a plain event of `kind` at the window (`resize` redraws the charts).
pub fn dispatch(kind: &str) {
    if let (Some(w), Ok(e)) = (web_sys::window(), web_sys::Event::new(kind)) {
        let _ = w.dispatch_event(&e);
    }
}

/// `tex` typeset by KaTeX (loaded by the page from the site itself) as
/// HTML with MathML for screen readers, handed to `done`: at once if it
/// was typeset before, else in a task of its own, one formula a frame.
/// Typesetting a lab's dozen formulas in its start-up task took 30–55 ms,
/// and laying all of them out in one frame 60–90 ms more on this
/// project's 2-core test machine; one at a time, each is a few ms. Where
/// KaTeX is missing, `done` gets the TeX source, escaped.
pub fn katex_later(tex: String, done: impl FnOnce(&str) + 'static) {
    if let Some(html) = TYPESET.with_borrow(|t| t.get(&tex).cloned()) {
        done(&html);
        return;
    }
    TO_TYPESET.with_borrow_mut(|queue| queue.push_back((tex, Box::new(done))));
    if !TYPESETTING.replace(true) {
        typeset_next_after(0);
    }
}

/// Milliseconds between two formulas typeset: a frame's.
const TYPESET_EVERY_MS: i32 = 16;

type Typeset = (String, Box<dyn FnOnce(&str)>);

thread_local! {
    /// KaTeX's output by TeX source: formulas the page has typeset.
    static TYPESET: RefCell<std::collections::HashMap<String, Rc<str>>> = RefCell::default();
    /// Formulas waiting, first asked first.
    static TO_TYPESET: RefCell<std::collections::VecDeque<Typeset>> = RefCell::default();
    /// Whether a formula is due to be typeset (a timer is set).
    static TYPESETTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Typesets the first formula waiting in `ms`, then the next a frame
/// later, until none waits.
fn typeset_next_after(ms: i32) {
    let next = Closure::once_into_js(|| {
        let Some((tex, done)) = TO_TYPESET.with_borrow_mut(std::collections::VecDeque::pop_front) else {
            TYPESETTING.set(false);
            return;
        };
        let html = TYPESET.with_borrow_mut(|t| Rc::clone(t.entry(tex).or_insert_with_key(|tex| katex(tex).into())));
        done(&html);
        typeset_next_after(TYPESET_EVERY_MS);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(next.unchecked_ref(), ms);
    }
}

fn katex(tex: &str) -> String {
    let typeset = || -> Option<String> {
        let katex = js_sys::Reflect::get(&js_sys::global(), &"katex".into()).ok().filter(JsValue::is_object)?;
        let render: js_sys::Function = js_sys::Reflect::get(&katex, &"renderToString".into()).ok()?.dyn_into().ok()?;
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"throwOnError".into(), &JsValue::FALSE).ok()?;
        render.call2(&katex, &tex.into(), &options).ok()?.as_string()
    };
    typeset().unwrap_or_else(|| tex.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
}

/// The system allocator, counting the bytes it has handed out and not
/// taken back: what the page (or the worker) holds now. Linear memory only
/// ever grows, so its size is a high-water mark that cannot show memory
/// coming back; this can.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Bytes this wasm instance (the page's, or the worker's) holds on its heap
/// now; 0 natively, where the system allocator is not counted.
#[must_use]
pub fn live_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return ALLOCATOR.allocated() as u64;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// Bytes of the wasm module's linear memory (it only ever grows).
#[must_use]
pub fn wasm_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0, |m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().map_or(0, |b| u64::from(b.byte_length())))
}

/// Milliseconds from the page's (or the worker's) time origin.
#[must_use]
pub fn now() -> f64 {
    thread_local! {
        static CLOCK: Option<web_sys::Performance> =
            js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok().and_then(|p| p.dyn_into().ok());
    }
    CLOCK.with(|c| c.as_ref().map_or(0.0, web_sys::Performance::now))
}

/// Calls `tick` on every animation frame, forever.
pub fn animation_loop(mut tick: impl FnMut(f64) + 'static) {
    type Frame = Closure<dyn FnMut(f64)>;
    let slot: Rc<RefCell<Option<Frame>>> = Rc::new(RefCell::new(None));
    let again = Rc::clone(&slot);
    *slot.borrow_mut() = Some(Closure::new(move |t: f64| {
        tick(t);
        request_frame(again.borrow().as_ref());
    }));
    request_frame(slot.borrow().as_ref());
}

fn request_frame(f: Option<&Closure<dyn FnMut(f64)>>) {
    if let (Some(w), Some(f)) = (web_sys::window(), f) {
        let _ = w.request_animation_frame(f.as_ref().unchecked_ref());
    }
}

fn navigator_gpu() -> Option<JsValue> {
    let nav = web_sys::window()?.navigator();
    js_sys::Reflect::get(&nav, &"gpu".into()).ok().filter(|g| !g.is_undefined() && !g.is_null())
}

/// The browser's WebGPU adapter as it names itself (vendor, architecture,
/// description: wgpu's `AdapterInfo` is empty on the web) and whether it
/// is a software one (`isFallbackAdapter`, true for SwiftShader); or why
/// there is none.
pub async fn adapter() -> Result<(String, bool), String> {
    let gpu = navigator_gpu().ok_or("this browser has no WebGPU")?;
    let none = || "the browser offers no WebGPU adapter".to_owned();
    let request: js_sys::Function =
        js_sys::Reflect::get(&gpu, &"requestAdapter".into()).ok().and_then(|f| f.dyn_into().ok()).ok_or_else(none)?;
    let promise: js_sys::Promise = request.call0(&gpu).ok().and_then(|p| p.dyn_into().ok()).ok_or_else(none)?;
    let adapter =
        wasm_bindgen_futures::JsFuture::from(promise).await.ok().filter(|a| !a.is_null() && !a.is_undefined()).ok_or_else(none)?;
    let info = js_sys::Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| js_sys::Reflect::get(&info, &k.into()).ok()?.as_string().filter(|s| !s.is_empty());
    let parts: Vec<String> = ["vendor", "architecture", "description"].iter().filter_map(|k| field(k)).collect();
    let software = js_sys::Reflect::get(&info, &"isFallbackAdapter".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    Ok((if parts.is_empty() { "unnamed adapter".into() } else { parts.join(" ") }, software))
}

/// A WebGPU device with gradlab's kernels compiled, named `name`.
pub async fn webgpu(name: String, software: bool) -> Result<Gpu, String> {
    let (_, device, queue) = gradlab_core::gpu::request_device(wgpu::Backends::BROWSER_WEBGPU).await.map_err(|e| match e {
        gradlab_core::Error::Device(gradlab_core::DeviceError::NoAdapter(_)) => "the browser offers no WebGPU adapter".to_owned(),
        other => other.to_string(),
    })?;
    device.on_uncaptured_error(std::sync::Arc::new(|e| {
        web_sys::console::error_1(&format!("gradlab: WebGPU error: {e}").into());
    }));
    let mut gpu = Gpu::new(device, queue, name);
    gpu.software = software;
    Ok(gpu)
}

/// Resolves at the next animation frame.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The page origin's local storage, where the browser allows it (not in
/// a sandboxed frame, say).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A value kept in local storage.
#[must_use]
pub fn stored(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Keeps a value in local storage, if the browser allows it.
pub fn store(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Loads the page again (its address holds its state).
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}
