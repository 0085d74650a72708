use thiserror::Error;

/// Everything gradlab-core can refuse or fail at, with the parts a caller
/// may act on as fields (which value, which limit). Library code returns
/// these; the app and the CLI display them.
#[derive(Debug, Error)]
pub enum Error {
    /// A value out of its range, or that does not fit the rest.
    #[error("invalid {part}: {field} {reason}")]
    Invalid { part: Part, field: &'static str, reason: String },
    /// More of something than a limit allows: points, bytes on a GPU.
    #[error("{what}: {got} {unit}, more than {within} allows ({limit})")]
    TooLarge { what: &'static str, got: u64, limit: u64, unit: &'static str, within: &'static str },
    /// The GPU: none there, or a failure of the device.
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("config JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Which part of a run a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Model,
    Dataset,
    Training,
    /// A request to a trainer or probe (what it was built for).
    Request,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
            Self::Training => "training config",
            Self::Request => "request",
        })
    }
}

/// What went wrong with the GPU.
#[derive(Debug, Error)]
pub enum DeviceError {
    #[error("no GPU adapter ({0})")]
    NoAdapter(String),
    #[error("GPU error: {0}")]
    Failed(String),
}

impl Error {
    /// [`Error::Invalid`].
    pub(crate) fn invalid(part: Part, field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { part, field, reason: reason.into() }
    }

    /// A GPU buffer or index beyond what the device allows.
    pub(crate) fn gpu_limit(what: &'static str, got: u64, limit: u64) -> Self {
        Self::TooLarge { what, got, limit, unit: "bytes", within: "this GPU" }
    }

    /// [`DeviceError::Failed`].
    pub(crate) fn gpu(message: impl Into<String>) -> Self {
        Self::Device(DeviceError::Failed(message.into()))
    }
}
