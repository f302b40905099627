//! Test plugin `tagged` 2.0.0: contacts per agent, times 2.

const VERSION: &str = "2.0.0";
const FACTOR: f64 = 2.0;

include!("../../tagged-v1/src/tagged.rs");
