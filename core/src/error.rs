use thiserror::Error;

/// Everything gradlab-core can refuse or fail at. Library code returns
/// these; the app and the CLI display them.
#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid model: {0}")]
    InvalidSpec(String),
    #[error("invalid dataset: {0}")]
    InvalidData(String),
    #[error("invalid training config: {0}")]
    InvalidConfig(String),
    #[error("the GPU cannot hold this run: {what} needs {needed} bytes, the device allows {limit}")]
    DeviceLimit { what: &'static str, needed: u64, limit: u64 },
    #[error("no GPU adapter ({0})")]
    NoAdapter(String),
    #[error("GPU error: {0}")]
    Gpu(String),
    #[error("config JSON: {0}")]
    Json(#[from] serde_json::Error),
}
