//! One module per lab.

pub mod playground;
