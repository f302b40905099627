//! Operational metrics in Prometheus' text format at `/metrics`: HTTP requests by route and
//! status, plugin calls by tenant, plugin, version and outcome, ingested rows, and deployment
//! changes. One process-wide recorder, installed on first use.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds, from a trivial plugin call to a slow analytic query.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide Prometheus recorder's handle (installing the recorder on first call).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), LATENCY_BUCKETS)
            .expect("latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; this handle then stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// `GET /metrics`: every metric in Prometheus' text exposition format.
pub async fn render() -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus().render()).into_response()
}

/// Counts and times every HTTP request by route template, method and status.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("cxhost_http_requests_total", &labels).increment(1);
    metrics::histogram!("cxhost_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// One plugin call, by how it ended: `ok`, `failed` or `fell_back`.
pub fn plugin_call(tenant: &str, plugin: &str, version: &str, outcome: &'static str, seconds: f64) {
    let labels = [("tenant", tenant.to_string()), ("plugin", plugin.to_string()), ("version", version.to_string())];
    let mut with_outcome = labels.to_vec();
    with_outcome.push(("outcome", outcome.to_string()));
    metrics::counter!("cxhost_plugin_calls_total", &with_outcome).increment(1);
    metrics::histogram!("cxhost_plugin_call_duration_seconds", &labels).record(seconds);
}

/// Rows of one ingested batch: `inserted`, `replaced`, `unchanged` or `rejected`.
pub fn ingested(tenant: &str, table: &str, result: &'static str, rows: u64) {
    let labels = [("tenant", tenant.to_string()), ("table", table.to_string()), ("result", result.to_string())];
    metrics::counter!("cxhost_ingest_rows_total", &labels).increment(rows);
}

/// One deployment change (activate, rollback, canary, shadow, policy).
pub fn deployment_changed(tenant: &str, plugin: &str, action: &'static str) {
    let labels = [("tenant", tenant.to_string()), ("plugin", plugin.to_string()), ("action", action.to_string())];
    metrics::counter!("cxhost_deployment_changes_total", &labels).increment(1);
}

/// A limit a tenant's plugins ran into: `queue_full`, `queue_wait`, `log_lines`, `deadline`,
/// `memory_cap`, `rows_read`, `bytes_read`, `result`; `count` times.
pub fn limit_hit(tenant: &str, limit: &'static str, count: u64) {
    let labels = [("tenant", tenant.to_string()), ("limit", limit.to_string())];
    metrics::counter!("cxhost_plugin_limit_hits_total", &labels).increment(count);
}

/// How long a request waited for a place to run a tenant's plugins.
pub fn queue_wait(tenant: &str, seconds: f64) {
    metrics::histogram!("cxhost_plugin_queue_wait_seconds", "tenant" => tenant.to_string()).record(seconds);
}

/// A tenant database connection dropped instead of pooled because a statement left it unclean.
pub fn connection_discarded(tenant: &str) {
    metrics::counter!("cxhost_tenant_connections_discarded_total", "tenant" => tenant.to_string()).increment(1);
}

/// Open tenant databases and the sum of their memory limits.
pub fn tenant_databases(open: usize, reserved_bytes: u64) {
    metrics::gauge!("cxhost_tenant_databases_open").set(open as f64);
    metrics::gauge!("cxhost_tenant_database_memory_reserved_bytes").set(reserved_bytes as f64);
}

/// A routing decision, by the role of what answered (`standard`, `active`, `canary`,
/// `fallback` for a fallback version, `configured_fallback` for the tenant's fallback decision).
pub fn route_decided(tenant: &str, served_as: &'static str, seconds: f64) {
    let labels = [("tenant", tenant.to_string()), ("served_as", served_as.to_string())];
    metrics::counter!("cxhost_route_decisions_total", &labels).increment(1);
    metrics::histogram!("cxhost_route_decision_seconds", "tenant" => tenant.to_string()).record(seconds);
}

/// A routing decision the log's queue had no room for.
pub fn route_log_dropped(tenant: &str) {
    metrics::counter!("cxhost_route_log_dropped_total", "tenant" => tenant.to_string()).increment(1);
}
