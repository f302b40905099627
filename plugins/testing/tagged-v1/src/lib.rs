//! Test plugin `tagged` 1.0.0: contacts per agent, times 1.

const VERSION: &str = "1.0.0";
const FACTOR: f64 = 1.0;

include!("tagged.rs");
