//! CPU work off the page's main thread: a dedicated worker running this
//! same wasm, taking [`Job`]s and sending back their [`Update`]s.
//!
//! A lab starts a job with [`Background::start`] and drains its updates
//! each frame with [`Background::poll`]; dropping the handle cancels the
//! job. The worker (`worker-<hash>.js`, written by `app/start-module.mjs`
//! and named in the page's `<meta name="gradlab-worker">`) steps its tasks
//! in slices of [`SLICE_MS`] and yields between them, so a cancel or a new
//! job is read within a slice. Where no worker starts (no meta tag, a
//! failed load), the job runs in the page instead, sliced by the frame's
//! budget: slower to the eye, same numbers.
//!
//! Messages are JSON text: [`ToWorker`] one way, [`FromWorker`] back,
//! where long float vectors (a net's parameters, a plane) travel beside
//! the text as `Float32Array`s ([`Floats`]: a million parameters are 4 MB
//! moved, not 12 MB of JSON parsed on the main thread).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::kit::probe::{Probe, Probed};
pub use crate::labs::jobs::{Command, Job, Update};
use crate::web;

/// Milliseconds the worker computes before it yields to its messages.
pub const SLICE_MS: f64 = 40.0;

/// What a task does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// It has more to compute.
    Busy,
    /// Nothing until a [`Command`] arrives (a paused run).
    Idle,
    Done,
}

/// A job's computation, stepped within a time budget.
pub trait Task {
    /// Computes for about `budget_ms`, adding what it found to `out`.
    fn advance(&mut self, budget_ms: f64, out: &mut Vec<Update>) -> Activity;

    /// A command from the page (jobs that take none ignore it).
    fn tell(&mut self, _command: Command) {}
}

#[derive(Debug, Serialize, Deserialize)]
enum ToWorker {
    Start { id: u32, job: Job },
    Tell { id: u32, command: Command },
    Cancel { id: u32 },
}

#[derive(Debug, Serialize, Deserialize)]
struct FromWorker {
    id: u32,
    updates: Vec<Update>,
    done: bool,
    /// Bytes the worker's heap held when it sent this ([`web::live_bytes`]).
    live: u64,
}

/// A long float vector of a message: it travels beside the message's JSON
/// as a typed array, moved rather than copied.
enum FloatVec<'a> {
    F32(&'a mut Vec<f32>),
    F64(&'a mut Vec<f64>),
}

/// The long float vectors a message carries (parameters, a snapshot's
/// function on the grid, a plane, a Gram matrix), in a fixed order: they
/// travel beside its JSON as `Float32Array`s and `Float64Array`s.
trait Floats {
    fn floats(&mut self) -> Vec<FloatVec<'_>>;
}

impl Floats for FromWorker {
    fn floats(&mut self) -> Vec<FloatVec<'_>> {
        self.updates
            .iter_mut()
            .flat_map(|u| match u {
                Update::Params(p) => vec![FloatVec::F32(p)],
                Update::Snapshot(snap) => vec![FloatVec::F32(&mut snap.grid)],
                Update::Probed { result: Ok(Probed::NtkGram { values, .. }), .. } => vec![FloatVec::F64(values)],
                Update::Probed {
                    result: Ok(Probed::Hidden { values, .. } | Probed::Params(values) | Probed::Gradient(values)), ..
                } => {
                    vec![FloatVec::F32(values)]
                }
                Update::NtkAtInit(Ok(at)) => {
                    vec![FloatVec::F64(&mut at.values), FloatVec::F64(&mut at.vectors), FloatVec::F64(&mut at.cross)]
                }
                _ => Vec::new(),
            })
            .collect()
    }
}

impl Floats for ToWorker {
    fn floats(&mut self) -> Vec<FloatVec<'_>> {
        match self {
            Self::Tell { command: Command::Probe { probe: Probe::Losses { plane, .. }, .. }, .. } => {
                vec![FloatVec::F32(&mut plane.center), FloatVec::F32(&mut plane.d1), FloatVec::F32(&mut plane.d2)]
            }
            Self::Start { job: Job::Eigenvalues { matrix, .. }, .. } => vec![FloatVec::F64(matrix)],
            _ => Vec::new(),
        }
    }
}

/// `msg` as `[json, ...floats]`, and the buffers to transfer.
fn encode<T: Serialize + Floats>(mut msg: T) -> (js_sys::Array, js_sys::Array) {
    let arrays: Vec<JsValue> = msg
        .floats()
        .into_iter()
        .map(|v| match v {
            FloatVec::F32(v) => js_sys::Float32Array::from(std::mem::take(v).as_slice()).into(),
            FloatVec::F64(v) => js_sys::Float64Array::from(std::mem::take(v).as_slice()).into(),
        })
        .collect();
    let (message, transfer) = (js_sys::Array::new(), js_sys::Array::new());
    message.push(&serde_json::to_string(&msg).expect("messages serialize").into());
    for a in arrays {
        transfer.push(&js_sys::Reflect::get(&a, &"buffer".into()).expect("typed arrays have a buffer"));
        message.push(&a);
    }
    (message, transfer)
}

/// The message [`encode`] wrote, or `None` for anything else.
fn decode<T: DeserializeOwned + Floats>(data: &JsValue) -> Option<T> {
    let parts: &js_sys::Array = data.dyn_ref()?;
    let mut msg: T = serde_json::from_str(&parts.get(0).as_string()?).ok()?;
    let mut arrays = (1..parts.length()).map(|i| parts.get(i));
    for v in msg.floats() {
        let a = arrays.next()?;
        match v {
            FloatVec::F32(v) => *v = a.dyn_into::<js_sys::Float32Array>().ok()?.to_vec(),
            FloatVec::F64(v) => *v = a.dyn_into::<js_sys::Float64Array>().ok()?.to_vec(),
        }
    }
    Some(msg)
}

/// Posts `msg` to the worker.
fn post(worker: &web_sys::Worker, msg: ToWorker) -> bool {
    let (message, transfer) = encode(msg);
    worker.post_message_with_transfer(&message, &transfer).is_ok()
}

// ---- the page's side ----

/// What the page knows of its worker.
struct Remote {
    worker: web_sys::Worker,
    /// Updates received, by job.
    inbox: HashMap<u32, (Vec<Update>, bool)>,
    /// The worker failed to load or threw: jobs run in the page.
    failed: bool,
    /// The worker's heap, as of its last message.
    live: u64,
}

thread_local! {
    /// The page's worker, made with its first job (`None` inside: none could be made).
    static REMOTE: RefCell<Option<Option<Rc<RefCell<Remote>>>>> = const { RefCell::new(None) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

fn remote() -> Option<Rc<RefCell<Remote>>> {
    REMOTE.with(|r| r.borrow_mut().get_or_insert_with(spawn).clone())
}

/// Bytes the worker's heap held at its last message (0 before the first,
/// or without a worker).
#[must_use]
pub fn worker_live_bytes() -> u64 {
    REMOTE.with(|r| r.borrow().as_ref().and_then(Option::as_ref).map_or(0, |r| r.borrow().live))
}

/// The worker named by the page's meta tag, listened to.
fn spawn() -> Option<Rc<RefCell<Remote>>> {
    let url = web_sys::window()?.document()?.query_selector("meta[name=gradlab-worker]").ok()??.get_attribute("content")?;
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &options).ok()?;
    let remote = Rc::new(RefCell::new(Remote { worker: worker.clone(), inbox: HashMap::new(), failed: false, live: 0 }));
    let inbox = Rc::downgrade(&remote);
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let (Some(remote), Some(msg)) = (inbox.upgrade(), decode::<FromWorker>(&e.data())) else { return };
        let mut r = remote.borrow_mut();
        r.live = msg.live;
        // Only jobs still held (dropping a handle removes its entry).
        if let Some((updates, done)) = r.inbox.get_mut(&msg.id) {
            updates.extend(msg.updates);
            *done |= msg.done;
        }
    });
    let failed = Rc::downgrade(&remote);
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        if let Some(remote) = failed.upgrade() {
            remote.borrow_mut().failed = true;
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // One worker a page, for the page's life.
    on_message.forget();
    on_error.forget();
    Some(remote)
}

/// A job started by the page: in the worker, or (where there is none) here.
pub struct Background {
    id: u32,
    job: Job,
    remote: Option<Rc<RefCell<Remote>>>,
    /// The job run in the page: no worker, or it failed.
    local: Option<Box<dyn Task>>,
    /// Updates handed out from the worker, and how many of a restart here
    /// are still to drop (they repeat those).
    delivered: usize,
    skip: usize,
    done: bool,
}

impl Background {
    /// Starts `job`.
    #[must_use]
    pub fn start(job: Job) -> Self {
        let id = NEXT_ID.with(|n| n.replace(n.get().wrapping_add(1)));
        let remote = remote().filter(|r| !r.borrow().failed);
        let sent = remote.as_ref().is_some_and(|r| {
            let mut r = r.borrow_mut();
            r.inbox.insert(id, (Vec::new(), false));
            post(&r.worker, ToWorker::Start { id, job: job.clone() })
        });
        let local = (!sent).then(|| job.task());
        Self { id, job, remote: if sent { remote } else { None }, local, delivered: 0, skip: 0, done: false }
    }

    /// What the job found since the last poll. In the page, this is where
    /// the job computes, for about `budget_ms`.
    pub fn poll(&mut self, budget_ms: f64) -> Vec<Update> {
        let mut out = Vec::new();
        if self.local.is_none() && self.remote.as_ref().is_some_and(|r| r.borrow().failed) {
            // The worker is gone: start again here, past what it already sent.
            self.remote = None;
            self.local = Some(self.job.task());
            self.skip = self.delivered;
        }
        if let Some(task) = &mut self.local {
            self.done = task.advance(budget_ms, &mut out) == Activity::Done;
            let repeated = self.skip.min(out.len());
            out.drain(..repeated);
            self.skip -= repeated;
        } else if let Some(remote) = &self.remote {
            if let Some((updates, done)) = remote.borrow_mut().inbox.get_mut(&self.id) {
                out = std::mem::take(updates);
                self.done = *done;
            }
            self.delivered += out.len();
        }
        out
    }

    /// Passes `command` to the job.
    pub fn tell(&mut self, command: Command) {
        if let Some(task) = &mut self.local {
            task.tell(command);
        } else if let Some(remote) = &self.remote {
            post(&remote.borrow().worker, ToWorker::Tell { id: self.id, command });
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(remote) = &self.remote {
            let mut r = remote.borrow_mut();
            r.inbox.remove(&self.id);
            if !self.done {
                post(&r.worker, ToWorker::Cancel { id: self.id });
            }
        }
    }
}

// ---- the worker's side ----

thread_local! {
    static TASKS: RefCell<Vec<(u32, Box<dyn Task>)>> = RefCell::new(Vec::new());
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// A message from the page, in the worker (`worker-<hash>.js` calls this).
#[wasm_bindgen]
pub fn worker_message(data: &JsValue) {
    match decode::<ToWorker>(data).ok_or("not a message from the page") {
        Ok(ToWorker::Start { id, job }) => TASKS.with(|t| t.borrow_mut().push((id, job.task()))),
        Ok(ToWorker::Tell { id, command }) => TASKS.with(|t| {
            if let Some((_, task)) = t.borrow_mut().iter_mut().find(|(i, _)| *i == id) {
                task.tell(command);
            }
        }),
        Ok(ToWorker::Cancel { id }) => TASKS.with(|t| t.borrow_mut().retain(|(i, _)| *i != id)),
        // From the page, so a bug; nothing to answer.
        Err(e) => web_sys::console::error_1(&format!("worker: unreadable message: {e}").into()),
    }
    if !RUNNING.with(Cell::get) {
        RUNNING.with(|r| r.set(true));
        schedule();
    }
}

/// Runs [`slice`] once the worker has read its messages.
fn schedule() {
    let f = Closure::once_into_js(slice);
    let set_timeout: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into()).expect("workers have setTimeout").unchecked_into();
    let _ = set_timeout.call2(&JsValue::NULL, &f, &0.into());
}

/// Steps every task in turn for [`SLICE_MS`], posting what each found;
/// once a whole round found every task idle, waits for a message.
fn slice() {
    let start = web::now();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // Tasks advanced since one was last busy.
    let mut idle = 0;
    loop {
        let count = TASKS.with(|t| t.borrow().len());
        if idle >= count {
            RUNNING.with(|r| r.set(false));
            return;
        }
        let (id, mut task) = TASKS.with(|t| t.borrow_mut().remove(0));
        let mut updates = Vec::new();
        let activity = task.advance(SLICE_MS / 4.0, &mut updates);
        let done = activity == Activity::Done;
        if !updates.is_empty() || done {
            let (message, transfer) = encode(FromWorker { id, updates, done, live: web::live_bytes() });
            let _ = scope.post_message_with_transfer(&message, &transfer);
        }
        idle = if activity == Activity::Idle { idle + 1 } else { 0 };
        if !done {
            TASKS.with(|t| t.borrow_mut().push((id, task)));
        }
        if web::now() - start > SLICE_MS {
            break;
        }
    }
    schedule();
}
