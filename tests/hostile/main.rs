//! The hostile-plugin suite: plugins of every kind that loop, recurse, grow, trap, flood the
//! log, return garbage or huge output, describe themselves wrongly, try to escape or exhaust
//! DuckDB, or cannot be compiled in reasonable time — each gets its clear error within its
//! limits, and afterwards the server, the attacking tenant and a bystander answer as before.

#[path = "../util.rs"]
mod util;

mod deadlines;
mod describe;
mod guest_code;
mod logs;
mod output;
mod sql;
mod support;
mod uploads;
