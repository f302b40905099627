//! cxhost: a contact-center analytics server that keeps each tenant's data in DuckDB and
//! runs the tenant's sandboxed WebAssembly plugins over it.

pub mod admission;
pub mod analytics;
pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod deploy;
pub mod generate;
pub mod guests;
pub mod registry;
pub mod runtime;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod ui;

pub use api::{AppState, app};
pub use config::Config;
