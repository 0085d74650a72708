//! # gradlab-tests
//!
//! Native integration tests of gradlab-core: every WGSL file validated by
//! naga (and its header and structs checked), the GPU trainer, loss
//! probes, Grams and the engine held to the CPU reference on a real Vulkan
//! adapter (Mesa lavapipe where there is no GPU). The browser tests live
//! beside this crate in `e2e/`.
//!
//! This library is the shared harness: [`gpu`] (one device per test, a
//! clear failure when there is no adapter), [`Tolerance`] and [`clock`].

use std::sync::OnceLock;

/// How close two float results must be: `|a − e| ≤ abs + rel·|e|`
/// elementwise.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub rel: f64,
    pub abs: f64,
}

impl Tolerance {
    /// `rel` of each element plus `rel` of the largest `|expected|`: for
    /// vectors whose small entries carry no meaning of their own (a
    /// gradient, a parameter vector), so that an entry near zero is held
    /// to the vector's scale rather than to its own.
    #[must_use]
    pub fn relative_to_max(rel: f64, expected: &[f32]) -> Self {
        let max = expected.iter().fold(0.0f64, |m, &e| m.max(f64::from(e).abs()));
        Self { rel, abs: rel * max }
    }

    /// Panics naming the worst element if `actual` and `expected` differ by
    /// more than the tolerance; returns the largest error relative to the
    /// bound (≤ 1 when within tolerance) for reporting.
    #[track_caller]
    pub fn check(self, what: &str, actual: &[f32], expected: &[f32]) -> f64 {
        assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
        let mut worst = (0.0f64, 0usize);
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            let (a, e) = (f64::from(a), f64::from(e));
            let ratio = if a.is_finite() && e.is_finite() { (a - e).abs() / (self.abs + self.rel * e.abs()) } else { f64::INFINITY };
            if ratio > worst.0 || i == 0 {
                worst = (ratio, i);
            }
        }
        let (ratio, i) = worst;
        assert!(
            ratio <= 1.0,
            "{what}: element {i} of {} is {} on the GPU, {} on the CPU ({ratio:.2}× the tolerance {self:?})",
            actual.len(),
            actual[i],
            expected[i]
        );
        ratio
    }
}

/// A fresh device on the test adapter. The adapter is found once; it must
/// exist: gradlab's GPU tests never skip.
///
/// # Panics
/// With set-up instructions when wgpu finds no adapter.
#[must_use]
pub fn gpu() -> (wgpu::Device, wgpu::Queue) {
    static ADAPTER: OnceLock<wgpu::Adapter> = OnceLock::new();
    let adapter = ADAPTER.get_or_init(|| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends &= !wgpu::Backends::BROWSER_WEBGPU;
        desc.flags |= wgpu::InstanceFlags::VALIDATION;
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())).unwrap_or_else(|e| {
            panic!(
                "no wgpu adapter ({e}). The GPU tests need one and never skip: install Mesa's \
                     software Vulkan driver (`apt-get install mesa-vulkan-drivers libvulkan1`, or run \
                     `./x setup`), or run on a machine with a GPU."
            )
        });
        let info = adapter.get_info();
        eprintln!("gradlab-tests: GPU adapter {} ({:?}, {:?})", info.name, info.device_type, info.backend);
        adapter
    });
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("gradlab-tests"),
        required_limits: adapter.limits(),
        ..wgpu::DeviceDescriptor::default()
    }))
    .expect("the adapter refused a device");
    device.on_uncaptured_error(std::sync::Arc::new(|e| panic!("wgpu validation error: {e}")));
    (device, queue)
}

/// Milliseconds since the first call: the clock a page's runs are ticked
/// with (`gradlab_core::engine::Clock`).
#[must_use]
pub fn clock() -> f64 {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1000.0
}
