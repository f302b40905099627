//! The standard plugins compiled into the binary by `build.rs` from `plugins/`.

include!(concat!(env!("OUT_DIR"), "/standard_plugins.rs"));

/// Where `build.rs` left every guest component it built (standard, test and example
/// plugins); tests load their plugins from here.
pub const GUESTS_DIR: &str = env!("CXHOST_GUESTS_DIR");
