//! Test plugin `scripted_rule` 1.0.0: proposes exactly the actions its `actions` parameter
//! lists, and those of `also` (none by default).

const VERSION: &str = "1.0.0";
const ALSO: &str = "";
/// Whether actions whose cause ends in `-v1only` are proposed.
const KEEPS_V1_ONLY: bool = true;

include!("scripted_rule.rs");
