//! GPU buffers that are released when their owner lets go, and a count of
//! what is held.
//!
//! Dropping a `wgpu::Buffer` frees it at once on native backends, but on
//! the web it only drops a JavaScript handle: the memory waits for the
//! garbage collector, which does not see GPU memory and may not run for a
//! long time. A page that rebuilt its run on every slider move kept every
//! old run's buffers (about 7 MB a change) until the browser's GPU process
//! ran out. So every buffer gradlab makes is a [`GpuBuffer`], which calls
//! `destroy()` when dropped (the GPU finishes work already queued on it
//! first, and pending maps are aborted), and is counted in [`held`] while
//! it lives. Owners keep every buffer their bind groups use.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};

static BUFFERS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// Buffers and bytes gradlab holds on the GPU (every device, this process).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub buffers: u64,
    pub bytes: u64,
}

/// What gradlab holds on the GPU now.
#[must_use]
pub fn held() -> Held {
    Held { buffers: BUFFERS.load(Ordering::Relaxed), bytes: BYTES.load(Ordering::Relaxed) }
}

/// A buffer that is destroyed when dropped, and counted while it lives.
/// Derefs to the `wgpu::Buffer` (whose clones are handles, not owners).
#[derive(Debug)]
pub struct GpuBuffer(wgpu::Buffer);

impl GpuBuffer {
    /// A new buffer of `bytes` bytes (at least 4, a multiple of 4).
    #[must_use]
    pub fn new(device: &wgpu::Device, label: &str, bytes: u64, usage: wgpu::BufferUsages) -> Self {
        let size = bytes.max(4).next_multiple_of(4);
        Self::count(device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false }))
    }

    /// A new buffer holding `contents` (at least 4 bytes).
    #[must_use]
    pub fn with_contents(device: &wgpu::Device, label: &str, contents: &[u8], usage: wgpu::BufferUsages) -> Self {
        use wgpu::util::DeviceExt;
        let contents = if contents.is_empty() { &[0; 4][..] } else { contents };
        Self::count(device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage }))
    }

    fn count(buffer: wgpu::Buffer) -> Self {
        BUFFERS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(buffer.size(), Ordering::Relaxed);
        Self(buffer)
    }
}

impl Deref for GpuBuffer {
    type Target = wgpu::Buffer;

    fn deref(&self) -> &wgpu::Buffer {
        &self.0
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        self.0.destroy();
        BUFFERS.fetch_sub(1, Ordering::Relaxed);
        BYTES.fetch_sub(self.0.size(), Ordering::Relaxed);
    }
}
