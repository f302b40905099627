//! End-to-end tests: the server over real DuckDB files and real Wasm components built from
//! `plugins/` and `examples/`, on a loopback port or in process (`util::app`). One module
//! per concern.

mod access; // keys, roles and tenants: who may do what, and where
mod analytics; // CX–EX correlations on the demo tenant, refused requests, comment topics side by side
mod awards; // awards runs: points and flags hand-checked, reversals, leaderboards, the flags page
mod browser; // the /ui pages in a real headless Chromium: sign-in, charts drawn, drill-down, the coaching queue
mod crash; // the server binary killed mid-ingest, mid-pay-run and mid-activation: nothing half-written
mod dashboards; // dashboard plugins: the standard cx_ex, a tenant's own, invalid panels refused
mod deploy; // plugin lifecycle: uploads refused, activation under load, rollback, canary, shadow, restarts
mod enrichment; // texts scored on ingest: hand-checked languages, what is queued, failures retried, off, sentiment, topics
mod ingest; // batches: validation with row and column, all-or-nothing or valid rows, re-sends, formats
mod local; // plugin run, plugin test and tenant export with the real binary: hand-checked figures, diffs, bad rows, a runaway, an export
mod metrics; // standard metrics against the hand-checked fixture, listing, a tenant's own, bad requests
mod operations; // health, readiness, OpenAPI, Prometheus metrics, the schema reference
mod pages; // /ui over plain HTTP: session cookie, sign-out, redirects on the server, coaching forms refused cross-site
mod pay; // pay runs: statements hand-checked, idempotent, superseded with differences, CSV, shadow runs
mod polyglot; // Python and JavaScript plugins built with their toolchains' defaults: the Rust aht's figures
mod rankings; // fair rankings (adjusted for queue, reason, channel, tenure; shrunk), quartiles and uplift in units and money, metric values
mod records; // drill-down: every standard metric's groups open to records adding up to their figures, reasons, the privacy floor, contacts
mod routing; // contacts routed live: the standard router's rules, fallbacks, checks, canary, shadow, decision log, snapshot
mod rules; // rule runs into the actions ledger: triggers, duplicates, expiry, tasks moved on, coaching impact, schedules, hot swap
mod sandbox; // runaway plugins stopped while the server answers; plugin SQL confined and read-only
mod scaffold; // `cxhost plugin new`: every kind in Rust, Python and JS built and passing its fixtures, the examples, the same bytes from two directories, refusals
mod util; // helpers: the servers (loopback and in-process), requests, fixtures, guest components
