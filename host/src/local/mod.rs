//! Local runs of one plugin component without a server — `cxhost plugin run` and
//! `cxhost plugin test` — on the server's own services, runtime, limits and SQL sandbox.

pub mod fixtures;
pub mod run;
pub mod trace;

pub use run::{LocalError, Request, RunReport, Tolerance, local_config, run};
