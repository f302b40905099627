//! What a local run observes of its plugin call through `tracing`: every query the plugin ran
//! (the runtime's `plugin query` debug event: SQL, time, rows) and how far its linear memory
//! grew (the limiter's `plugin memory grows` event). The layer is installed by the `cxhost`
//! command for local runs only; [`Recording`] collects between its start and its finish.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;

const QUERY_TARGET: &str = "cxhost::runtime::host";
const MEMORY_TARGET: &str = "cxhost::runtime::limiter";

/// One query a plugin ran.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueryTrace {
    pub sql: String,
    pub elapsed_ms: f64,
    pub rows: u64,
}

/// What was observed while a [`Recording`] ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observed {
    pub queries: Vec<QueryTrace>,
    /// The largest size any plugin instance's linear memory grew to (asked for), in bytes.
    pub memory_peak_bytes: u64,
}

static RECORDING: AtomicBool = AtomicBool::new(false);
static OBSERVED: Mutex<Option<Observed>> = Mutex::new(None);

/// Collects plugin queries and memory growth until [`Recording::finish`]. One at a time.
pub struct Recording(());

impl Recording {
    pub fn start() -> Recording {
        *OBSERVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(Observed::default());
        RECORDING.store(true, Ordering::SeqCst);
        Recording(())
    }

    pub fn finish(self) -> Observed {
        RECORDING.store(false, Ordering::SeqCst);
        OBSERVED.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default()
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        RECORDING.store(false, Ordering::SeqCst);
    }
}

/// The layer that feeds [`Recording`]s, with its own filter (the runtime's two debug events'
/// targets), so that it sees them whatever the log filter is.
pub fn layer<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let targets = Targets::new()
        .with_target(QUERY_TARGET, tracing::Level::DEBUG)
        .with_target(MEMORY_TARGET, tracing::Level::DEBUG);
    Capture.with_filter(targets)
}

struct Capture;

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if !RECORDING.load(Ordering::Relaxed) {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut observed = OBSERVED.lock().unwrap_or_else(|e| e.into_inner());
        let Some(observed) = observed.as_mut() else { return };
        match (event.metadata().target(), fields.message.as_str()) {
            (QUERY_TARGET, "plugin query") => observed.queries.push(QueryTrace {
                sql: fields.sql,
                elapsed_ms: fields.elapsed_us as f64 / 1000.0,
                rows: fields.rows,
            }),
            (MEMORY_TARGET, "plugin memory grows") => {
                observed.memory_peak_bytes = observed.memory_peak_bytes.max(fields.desired_bytes)
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    sql: String,
    elapsed_us: u64,
    rows: u64,
    desired_bytes: u64,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "elapsed_us" => self.elapsed_us = value,
            "rows" => self.rows = value,
            "desired_bytes" => self.desired_bytes = value,
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "sql" {
            self.sql = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "sql" => self.sql = format!("{value:?}"),
            _ => {}
        }
    }
}
