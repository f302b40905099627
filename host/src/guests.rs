//! The standard plugins compiled into the binary by `build.rs` from `plugins/`, and the names
//! of every guest component it built.

include!(concat!(env!("OUT_DIR"), "/standard_plugins.rs"));

/// Where `build.rs` left every guest component it built (standard, test and example
/// plugins); tests load their plugins from here.
pub const GUESTS_DIR: &str = env!("CXHOST_GUESTS_DIR");

/// One constant per guest component `build.rs` built, so that tests and benchmarks name a
/// guest by a constant the compiler checks rather than by a string. The value is the
/// component's file stem in [`GUESTS_DIR`] (its crate's library name); the constant's name is
/// that stem without a leading `cxhost_test_` (the test plugins of `plugins/testing/`) or
/// `cxhost_` (the standard plugins, which keep their kind), in upper case:
///
/// | crate | component | constant |
/// |---|---|---|
/// | `plugins/testing/hostile-metric` | `cxhost_test_hostile_metric` | `HOSTILE_METRIC` |
/// | `plugins/metrics/aht` | `cxhost_metric_aht` | `METRIC_AHT` |
/// | `plugins/pay/standard-pay` | `cxhost_pay_standard_pay` | `PAY_STANDARD_PAY` |
/// | `examples/custom-aht` | `custom_aht` | `CUSTOM_AHT` |
///
/// `build.rs` refuses to build when two components would get the same name.
pub mod test_guests {
    include!(concat!(env!("OUT_DIR"), "/test_guests.rs"));
}
