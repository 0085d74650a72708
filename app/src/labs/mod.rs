//! One module per lab.

pub mod landscape;
pub mod playground;
pub mod shell;
