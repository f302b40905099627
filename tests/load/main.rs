//! Load over loopback against the server binary: a well-behaved tenant keeps its latency while
//! another runs away, tenants grabbing memory at once stay within their limits, and minutes of
//! mixed work by several tenants beside a hostile one fail no well-behaved request and leave
//! memory flat. One at a time (they measure latency and memory).

#[path = "../util.rs"]
mod util;

mod fair_share;
mod memory;
mod soak;
mod workload;
