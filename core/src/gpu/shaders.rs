//! The one registry of WGSL sources. Each kernel file of the MLP trainer
//! is compiled with the shared prelude `common.wgsl` in front of it;
//! `factor.wgsl` (square matrices, its own bindings) stands alone.

pub const COMMON: &str = include_str!("../../../shaders/common.wgsl");

/// A kernel family: one `.wgsl` file, several entry points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Dense,
    Loss,
    Optimizer,
    Landscape,
    Ntk,
    Factor,
}

impl Kernel {
    pub const ALL: [Self; 6] = [Self::Dense, Self::Loss, Self::Optimizer, Self::Landscape, Self::Ntk, Self::Factor];

    #[must_use]
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Dense => "dense.wgsl",
            Self::Loss => "loss.wgsl",
            Self::Optimizer => "optimizer.wgsl",
            Self::Landscape => "landscape.wgsl",
            Self::Ntk => "ntk.wgsl",
            Self::Factor => "factor.wgsl",
        }
    }

    fn body(self) -> &'static str {
        match self {
            Self::Dense => include_str!("../../../shaders/dense.wgsl"),
            Self::Loss => include_str!("../../../shaders/loss.wgsl"),
            Self::Optimizer => include_str!("../../../shaders/optimizer.wgsl"),
            Self::Landscape => include_str!("../../../shaders/landscape.wgsl"),
            Self::Ntk => include_str!("../../../shaders/ntk.wgsl"),
            Self::Factor => include_str!("../../../shaders/factor.wgsl"),
        }
    }

    /// The full module source: prelude (where it has one), then the kernel file.
    #[must_use]
    pub fn source(self) -> String {
        if self == Self::Factor {
            return self.body().to_owned();
        }
        format!("{COMMON}\n// ---- {} ----\n{}", self.file_name(), self.body())
    }
}
