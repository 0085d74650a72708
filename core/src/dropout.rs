//! Dropout's masks, drawn from a counter-based hash: whether unit `c` of
//! batch row `r` in hidden layer `l` is kept at step `t` is a pure function
//! of `(seed, t, l, r, c)`, so the GPU (`common.wgsl`, `dropout_factor`)
//! and the CPU draw the same masks without sharing any state, and a run is
//! reproducible whatever it ran on.
//!
//! Inverted dropout (Srivastava et al. 2014, as PyTorch does it): a kept
//! unit is scaled by `1/(1−p)` in training, so evaluation uses the whole
//! net unscaled.

/// One 32-bit mix (Wellons' "lowbias32"): every input bit flips about half
/// the output bits. Twin of `hash` in `common.wgsl`.
#[must_use]
pub fn hash(x: u32) -> u32 {
    let mut v = x;
    v ^= v >> 16;
    v = v.wrapping_mul(0x7feb_352d);
    v ^= v >> 15;
    v = v.wrapping_mul(0x846c_a68b);
    v ^= v >> 16;
    v
}

/// The masks of one training step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// Probability of dropping a unit.
    pub p: f32,
    /// A kept unit's factor, `1/(1−p)`, computed once here (a GPU's
    /// division may round differently).
    pub scale: f32,
    /// The step's key: the seed and the step, hashed.
    pub key: u32,
}

impl Dropout {
    /// Step `step`'s masks for a run seeded `seed`, dropping with
    /// probability `p`; `None` without dropout.
    #[must_use]
    pub fn at(p: f32, seed: u64, step: u64) -> Option<Self> {
        let words = [seed as u32, (seed >> 32) as u32, step as u32, (step >> 32) as u32];
        let key = words.into_iter().fold(0x9e37_79b9, |k, w| hash(k ^ w));
        (p > 0.0).then(|| Self { p, scale: 1.0 / (1.0 - p), key })
    }

    /// The factor of unit `c` of batch row `r` in hidden layer `layer`
    /// (0-based): 0 if dropped, else [`Self::scale`].
    #[must_use]
    pub fn factor(&self, layer: usize, r: usize, c: usize) -> f32 {
        // Salt 0 means "no dropout" to the GPU's records: layers count from 1.
        let bits = hash(hash(hash(self.key ^ hash(layer as u32 + 1)) ^ r as u32) ^ c as u32);
        let u = (bits >> 8) as f32 / 16_777_216.0; // exact: 24 bits
        if u >= self.p {
            self.scale
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_p_of_the_units_drop_and_the_mean_factor_is_one() {
        let d = Dropout::at(0.3, 7, 12).unwrap();
        let n = 200_000;
        let factors: Vec<f32> = (0..n).map(|i| d.factor(i % 3, i / 300, i % 300)).collect();
        let dropped = factors.iter().filter(|&&f| f == 0.0).count() as f64 / n as f64;
        let mean = factors.iter().map(|&f| f64::from(f)).sum::<f64>() / n as f64;
        // Binomial: the standard error of the fraction is about 0.001.
        assert!((dropped - 0.3).abs() < 0.005, "dropped {dropped}");
        assert!((mean - 1.0).abs() < 0.01, "mean factor {mean}");
    }

    #[test]
    fn masks_differ_across_steps_layers_rows_and_seeds_and_repeat_exactly() {
        let mask = |seed, step, layer| -> Vec<bool> {
            let d = Dropout::at(0.5, seed, step).unwrap();
            (0..256).map(|i| d.factor(layer, i / 16, i % 16) > 0.0).collect()
        };
        let base = mask(1, 0, 0);
        assert_eq!(base, mask(1, 0, 0));
        for other in [mask(2, 0, 0), mask(1, 1, 0), mask(1, 0, 1), mask(1, 1 << 32, 0)] {
            let same = base.iter().zip(&other).filter(|(a, b)| a == b).count();
            assert!((96..=160).contains(&same), "{same} of 256 agree: masks look related");
        }
        assert_eq!(Dropout::at(0.0, 1, 0), None);
    }
}
