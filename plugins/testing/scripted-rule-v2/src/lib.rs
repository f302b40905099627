//! Test plugin `scripted_rule` 2.0.0: like 1.0.0, but `also` proposes a task for `r2` by
//! default and actions whose cause ends in `-v1only` are dropped.

const VERSION: &str = "2.0.0";
const ALSO: &str = "r2:fcr:fcr-scripted:1";
const KEEPS_V1_ONLY: bool = false;

include!("../../scripted-rule-v1/src/scripted_rule.rs");
