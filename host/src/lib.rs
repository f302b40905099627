//! cxhost: a contact-center analytics server that keeps each tenant's data in DuckDB and
//! runs the tenant's sandboxed WebAssembly plugins over it.

pub mod admission;
pub mod analytics;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod deploy;
pub mod generate;
pub mod guests;
pub mod local;
pub mod metric_calls;
pub mod params;
pub mod pipelines;
pub mod privacy;
pub mod problem;
pub mod registry;
pub mod request_id;
pub mod router;
pub mod runs;
pub mod runtime;
pub mod scaffold;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod ui;

pub use app::{AppState, Services};
pub use config::Config;
pub use router::app;
