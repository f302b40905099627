//! The hostile-plugin suite: plugins of every kind that loop, recurse, grow, trap, flood the
//! log, return garbage or huge output, describe themselves wrongly, try to escape or exhaust
//! DuckDB, or cannot be compiled in reasonable time — each gets its clear error within its
//! limits, and afterwards the server, the attacking tenant and a bystander answer as before.

mod deadlines; // every kind of work a plugin causes ends at its deadline, within the slack
mod describe; // bad describe() answers refused at upload; nothing stored
mod enrichers; // a hostile enricher in every mode: the batch refused, rows stored, nothing enriched
mod guest_code; // guest code that loops, recurses, grows, traps or probes WASI
mod logs; // a plugin flooding or forging the server's log
mod output; // garbage and oversized output of every world refused; nothing written
mod records; // a metric's records query escaping, writing, exhausting DuckDB or looping: refused, nothing changed
mod routers; // a hostile router in every mode: the configured fallback with the cause, on time
mod rules; // a hostile rule in every mode: refused, logged as failed, nothing in the actions ledger
mod sql; // plugin SQL escaping the tenant or exhausting DuckDB
mod support; // the hostile server, attacking and bystander tenants, patched components
mod uploads; // uploads the host does not run, and a compile bomb
#[path = "../util.rs"]
mod util;
mod wasi; // the WASI a plugin gets: nothing of the host, waits end at the deadline, stdio capped // helpers shared with e2e: servers, requests, fixtures, guest components
