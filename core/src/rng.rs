//! Seeded randomness that gives the same numbers on every platform.
//!
//! `rand_pcg` supplies the bits; everything that turns bits into numbers is
//! spelled out here so that nothing depends on the platform's maths library
//! (`libm` is a pure-Rust port of musl's) or on pointer width. Each consumer
//! draws from its own [`Stream`], so changing, say, the dataset size does
//! not change the initial weights.

use rand::{Rng as _, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Independent random streams derived from one user seed.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Data = 1,
    LabelNoise = 2,
    Init = 3,
    Batches = 4,
    Directions = 5,
    Shuffle = 6,
}

#[derive(Clone, Debug)]
pub struct Rng(Pcg64Mcg);

impl Rng {
    #[must_use]
    pub fn new(seed: u64, stream: Stream) -> Self {
        // SplitMix-style mixing keeps neighbouring seeds and streams apart.
        let mut z = seed ^ (stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self(Pcg64Mcg::seed_from_u64(z ^ (z >> 31)))
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.0.random::<u64>() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by Box–Muller, with `libm` for portable results.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln is finite
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
    }

    /// Uniform integer in `0..n` (n ≥ 1), via a 32-bit draw on every platform.
    pub fn below(&mut self, n: u32) -> u32 {
        self.0.random_range(0..n)
    }

    /// Fisher–Yates shuffle with 32-bit indices, so the permutation does not
    /// depend on `usize`'s width.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(u32::try_from(i + 1).expect("shuffle of more than 2³² items"));
            items.swap(i, j as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_has_unit_moments() {
        let mut r = Rng::new(1, Stream::Init);
        let xs: Vec<f64> = (0..200_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }

    #[test]
    fn streams_differ_and_seeds_repeat() {
        let a: Vec<u32> = {
            let mut r = Rng::new(5, Stream::Data);
            (0..8).map(|_| r.below(1000)).collect()
        };
        let b: Vec<u32> = {
            let mut r = Rng::new(5, Stream::Data);
            (0..8).map(|_| r.below(1000)).collect()
        };
        let c: Vec<u32> = {
            let mut r = Rng::new(5, Stream::Init);
            (0..8).map(|_| r.below(1000)).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
