//! One folder per lab, each on the [`crate::kit`], and the home page.

pub mod bench;
pub mod double_descent;
pub mod gallery;
pub mod implicit;
pub mod jobs;
pub mod landscape;
pub mod lottery;
pub mod ntk;
pub mod playground;
