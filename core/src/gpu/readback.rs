//! Non-blocking reads of GPU buffers.
//!
//! A [`PendingRead`] copies a buffer range into a staging buffer and asks
//! for it to be mapped; the caller checks back later ([`PendingRead::try_take`],
//! once per animation frame in the browser) instead of waiting. Native
//! callers that may block use [`PendingRead::wait`].

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use super::memory::GpuBuffer;
use crate::Error;

const PENDING: u8 = 0;
const READY: u8 = 1;
const FAILED: u8 = 2;
const TAKEN: u8 = 3;

#[derive(Debug)]
pub struct PendingRead {
    /// Destroyed with the read (see [`GpuBuffer`]).
    staging: GpuBuffer,
    state: Arc<AtomicU8>,
}

impl PendingRead {
    /// Copies `len` floats from `src` at float offset `offset` and starts
    /// mapping them.
    #[must_use]
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, src: &wgpu::Buffer, offset: u64, len: u64) -> Self {
        let staging = Self::staging(device, len);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("PendingRead::copy") });
        encoder.copy_buffer_to_buffer(src, offset * 4, &staging, 0, staging.size());
        Self::submit(queue, encoder, staging)
    }

    /// A buffer for `len` floats that `encoder`s copy into, for [`Self::submit`].
    #[must_use]
    pub fn staging(device: &wgpu::Device, len: u64) -> GpuBuffer {
        GpuBuffer::new(device, "PendingRead::staging", len.max(1) * 4, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST)
    }

    /// Submits `encoder`, which fills `staging` (from [`Self::staging`]),
    /// and starts mapping it.
    #[must_use]
    pub fn submit(queue: &wgpu::Queue, encoder: wgpu::CommandEncoder, staging: GpuBuffer) -> Self {
        queue.submit([encoder.finish()]);
        let state = Arc::new(AtomicU8::new(PENDING));
        let flag = Arc::clone(&state);
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            flag.store(if result.is_ok() { READY } else { FAILED }, Ordering::Release);
        });
        Self { staging, state }
    }

    /// The floats, once the GPU has delivered them; `None` while pending.
    /// They are handed out once; asking again is an error.
    #[must_use]
    pub fn try_take(&self) -> Option<Result<Vec<f32>, Error>> {
        match self.state.load(Ordering::Acquire) {
            PENDING => None,
            TAKEN => Some(Err(Error::gpu("a GPU readback was taken twice"))),
            READY => {
                self.state.store(TAKEN, Ordering::Release);
                let values = self
                    .staging
                    .get_mapped_range(..)
                    .map(|view| bytemuck::cast_slice::<u8, f32>(&view).to_vec())
                    .map_err(|e| Error::gpu(format!("mapping a readback: {e}")));
                self.staging.unmap();
                Some(values)
            }
            _ => Some(Err(Error::gpu("a GPU readback failed (device lost?)"))),
        }
    }

    /// Blocks until the floats are there (native only: on the web `poll`
    /// does nothing and this would spin forever).
    ///
    /// # Errors
    /// [`Error::Device`] if the device is lost or the map fails.
    pub fn wait(&self, device: &wgpu::Device) -> Result<Vec<f32>, Error> {
        device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| Error::gpu(format!("poll: {e}")))?;
        self.try_take().unwrap_or_else(|| Err(Error::gpu("readback still pending after a full wait")))
    }
}
