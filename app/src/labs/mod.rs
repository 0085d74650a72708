//! One module per lab.

pub mod double_descent;
pub mod gallery;
pub mod landscape;
pub mod ntk;
pub mod playground;
pub mod shell;
