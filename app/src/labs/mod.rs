//! One module per lab.

pub mod double_descent;
pub mod landscape;
pub mod playground;
pub mod shell;
