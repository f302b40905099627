//! Load over loopback against the server binary: a well-behaved tenant keeps its latency while
//! another runs away, tenants grabbing memory at once stay within their limits, and minutes of
//! mixed work by several tenants beside a hostile one fail no well-behaved request and leave
//! memory flat. One at a time (they measure latency and memory).

mod fair_share; // a tenant keeps its latency while another runs away
mod memory; // tenants grabbing memory at once stay within their limits
mod soak; // minutes of mixed work beside a hostile tenant: no failure, flat memory
#[path = "../util.rs"]
mod util; // helpers shared with e2e: servers, requests, fixtures, guest components
mod workload; // one test at a time, sample tenants, latency figures
