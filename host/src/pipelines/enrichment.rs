//! Enrichment on ingest: the tenant's enricher (by default the standard one) scores the texts
//! that ingest marked pending — customer comments, employee comments, contact notes — in
//! batches on a background worker, within the plugin limits and the tenant's places. A failed
//! batch loses nothing: its texts stay pending and are retried after a back-off in smaller
//! batches (so one text the enricher cannot handle holds back only itself), and are marked
//! failed after [`MAX_ATTEMPTS`]. A range can be queued again after an enricher is swapped.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::Services;
use crate::runtime::bindings::{EnrichRequest, Enrichment, PluginKind, TaxonomyTopic, TextItem, TextSource};
use crate::runtime::worlds::EnricherWorld;
use crate::runtime::{CallError, CallImports, Plugin};
use crate::store::enrichments::{self, EnrichedText, PendingText};
use crate::store::pipeline_settings::Pipeline;
use crate::store::{SystemError, TenantDb};

/// The enricher every tenant uses until it chooses another or none.
pub const STANDARD_ENRICHER: &str = "standard_enricher";
/// Failed attempts after which a text is marked failed (a recompute queues it again).
pub const MAX_ATTEMPTS: u32 = 5;
/// How long one tenant's turn on the worker lasts before the next tenant's.
const TURN: Duration = Duration::from_secs(2);
/// How often the worker looks for retries that came due.
const RETRY_SCAN: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum EnrichmentError {
    #[error("batch_size must be between 1 and 1000, got {0}")]
    BadBatchSize(u32),
    #[error("the stored enrichment settings cannot be read: {0}")]
    Stored(serde_json::Error),
    #[error(transparent)]
    Plan(#[from] crate::deploy::PlanError),
    #[error(transparent)]
    Params(#[from] crate::params::ParamError),
    #[error(transparent)]
    System(#[from] SystemError),
    #[error(transparent)]
    TenantDb(#[from] crate::store::tenant::TenantDbError),
    #[error(transparent)]
    Access(#[from] crate::auth::AccessError),
    #[error("database error during enrichment: {0}")]
    Db(#[from] duckdb::Error),
}

/// How a tenant enriches its texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrichmentSettings {
    /// The enricher that scores new texts (a plugin of kind `enricher`); `null` enriches none.
    pub enricher: Option<String>,
    /// Its parameters, by the names and types its `describe()` declares; the rest default.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Texts per enricher call, 1 to 1000.
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
}

fn default_batch_size() -> u32 {
    1000
}

impl Default for EnrichmentSettings {
    fn default() -> Self {
        EnrichmentSettings {
            enricher: Some(STANDARD_ENRICHER.to_string()),
            params: serde_json::Map::new(),
            batch_size: default_batch_size(),
        }
    }
}

/// The tenant's settings: stored, or the default (the standard enricher).
pub fn settings(state: &Services, tenant: &str) -> Result<EnrichmentSettings, EnrichmentError> {
    match state.system.pipeline_settings(tenant, Pipeline::Enrichment)? {
        Some(json) => serde_json::from_str(&json).map_err(EnrichmentError::Stored),
        None => Ok(EnrichmentSettings::default()),
    }
}

/// Checks and stores new settings: the enricher exists and is an enricher, its parameters
/// read against its `describe()`, the batch size in range.
pub fn set_settings(
    state: &Services,
    tenant: &str,
    settings: &EnrichmentSettings,
    actor: &str,
) -> Result<(), EnrichmentError> {
    if !(1..=1000).contains(&settings.batch_size) {
        return Err(EnrichmentError::BadBatchSize(settings.batch_size));
    }
    let detail = match &settings.enricher {
        Some(name) => {
            let plan =
                state.deployments.plan_of_kind(&state.registry, (tenant, name, "settings"), PluginKind::Enricher)?;
            crate::params::plugin_params(&plan.serve.info, crate::params::texts_of(&settings.params), "")?;
            format!("texts enriched by `{name}` in batches of {}", settings.batch_size)
        }
        None => "enrichment off".to_string(),
    };
    let json = serde_json::to_string(settings).map_err(EnrichmentError::Stored)?;
    state.system.set_pipeline_settings(tenant, Pipeline::Enrichment, &json, (actor, &detail))?;
    Ok(())
}

/// The enricher new batches are queued for, if the tenant enriches text.
pub fn enricher_of(state: &Services, tenant: &str) -> Result<Option<String>, EnrichmentError> {
    Ok(settings(state, tenant)?.enricher)
}

/// The background worker: tenants with texts to enrich, taken in turns on a thread of its own.
#[derive(Default)]
pub struct EnrichmentWorker {
    /// Tenants with pending texts, woken by ingest or a recompute.
    due: Mutex<BTreeSet<String>>,
    woken: Condvar,
}

impl EnrichmentWorker {
    /// Tells the worker that `tenant` has new pending texts.
    pub fn wake(&self, tenant: &str) {
        self.due.lock().unwrap_or_else(|e| e.into_inner()).insert(tenant.to_string());
        self.woken.notify_one();
    }

    /// The tenants woken since the last call, waiting up to `timeout` for one.
    fn wait_for_work(&self, timeout: Duration) -> BTreeSet<String> {
        let mut due = self.due.lock().unwrap_or_else(|e| e.into_inner());
        if due.is_empty() {
            due = self.woken.wait_timeout(due, timeout).unwrap_or_else(|e| e.into_inner()).0;
        }
        std::mem::take(&mut *due)
    }
}

/// What one tenant's turn left behind.
enum Turn {
    /// Nothing pending.
    Idle,
    /// Texts pending (due now or later): look again.
    Pending,
}

/// Starts the worker for as long as the services live; every tenant is looked at once at the
/// start (texts left pending by a stopped server, or loaded before it started).
pub fn spawn(services: Weak<Services>) {
    let started = std::thread::Builder::new().name("cxhost-enrichment".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::error!(error = %e, "the enrichment worker cannot start");
                return;
            }
        };
        let mut later: BTreeSet<String> = match services.upgrade() {
            Some(state) => state.system.tenants().map(|ts| ts.into_iter().map(|t| t.id).collect()).unwrap_or_default(),
            None => return,
        };
        loop {
            let timeout = if later.is_empty() { Duration::from_secs(3600) } else { RETRY_SCAN };
            let woken = match services.upgrade() {
                Some(state) => state.enrichment.clone(),
                None => return,
            };
            let mut work = woken.wait_for_work(timeout);
            drop(woken);
            work.append(&mut later);
            let Some(state) = services.upgrade() else { return };
            for tenant in work {
                match enrich_turn(&state, &runtime, &tenant) {
                    Ok(Turn::Idle) => {}
                    Ok(Turn::Pending) => {
                        later.insert(tenant);
                    }
                    Err(error) => {
                        tracing::warn!(%tenant, %error, "enrichment turn failed; the texts stay pending");
                        later.insert(tenant);
                    }
                }
            }
        }
    });
    if let Err(e) = started {
        tracing::error!(error = %e, "the enrichment worker cannot start");
    }
}

/// One tenant's turn: batches of due texts until none is due or the turn is over. Blocking.
fn enrich_turn(
    state: &Arc<Services>,
    runtime: &tokio::runtime::Runtime,
    tenant_id: &str,
) -> Result<Turn, EnrichmentError> {
    let tenant = state.tenant(tenant_id)?;
    let settings = settings(state, tenant_id)?;
    let Some(name) = settings.enricher.clone() else { return Ok(Turn::Idle) };
    let db = state.tenants.get(tenant_id)?;
    let taxonomy = taxonomy(state, tenant_id);
    let started = Instant::now();
    while started.elapsed() < TURN {
        let taken = Instant::now();
        let pending = {
            let conn = db.connection()?;
            enrichments::take_pending(&conn, settings.batch_size)?
        };
        let taken = taken.elapsed();
        let Some(first) = pending.first() else {
            let conn = db.connection()?;
            let waiting: u64 =
                conn.query_row("SELECT count(*) FROM enrichments WHERE state = 'pending'", [], |r| r.get(0))?;
            return Ok(if waiting > 0 { Turn::Pending } else { Turn::Idle });
        };
        let called = Instant::now();
        // A batch that failed comes back a quarter as large per failed attempt.
        let size = (settings.batch_size as usize >> (2 * first.attempts.min(8))).max(1);
        let batch: Vec<PendingText> = pending.into_iter().take(size).collect();
        let plan = state.deployments.plan_of_kind(
            &state.registry,
            (tenant_id, &name, &batch[0].row_id),
            PluginKind::Enricher,
        )?;
        let (params, _) =
            crate::params::plugin_params(&plan.serve.info, crate::params::texts_of(&settings.params), "")?;
        let request = EnrichRequest {
            items: batch
                .iter()
                .map(|p| TextItem { id: p.row_id.clone(), source: wit_source(p.source.table), text: p.text.clone() })
                .collect(),
            taxonomy: taxonomy.clone(),
            params,
        };
        let limits = state.limits_of(&tenant);
        let Ok(_place) = runtime.block_on(state.admit(&tenant)) else { return Ok(Turn::Pending) };
        let context = state.call_context(tenant_id, &name, db.clone(), limits);
        let answer = context.answer_with(&plan, |plugin| {
            let output = state.registry.runtime().call::<EnricherWorld>(
                plugin,
                db.clone(),
                CallImports::none(),
                limits,
                &request,
            )?;
            check_against(plugin, &request, &batch, output)
        });
        let called = called.elapsed();
        let recorded = Instant::now();
        record(&db, &batch, answer.map(|a| (a.served_by, a.result)))?;
        tracing::debug!(
            tenant = tenant_id,
            texts = batch.len(),
            take_ms = taken.as_secs_f64() * 1e3,
            call_ms = called.as_secs_f64() * 1e3,
            record_ms = recorded.elapsed().as_secs_f64() * 1e3,
            "enrichment batch"
        );
    }
    Ok(Turn::Pending)
}

/// Stores what came back, under the tenant's ingest lock so it never races a batch's marks.
fn record(
    db: &TenantDb,
    batch: &[PendingText],
    answer: Result<(Arc<Plugin>, Vec<EnrichedText>), CallError>,
) -> Result<(), EnrichmentError> {
    let _ingest = db.ingest_lock.blocking_lock();
    let conn = db.connection()?;
    match answer {
        Ok((plugin, done)) => {
            enrichments::record_done(&conn, (&plugin.info.name, &plugin.info.version), &done)?;
            let answered: HashSet<(&str, &str)> = done.iter().map(|d| (d.source, d.row_id.as_str())).collect();
            let missing: Vec<(&'static str, String)> = batch
                .iter()
                .filter(|p| !answered.contains(&(p.source.table, p.row_id.as_str())))
                .map(|p| (p.source.table, p.row_id.clone()))
                .collect();
            if !missing.is_empty() {
                let error =
                    format!("{} {}: no enrichment returned for this text", plugin.info.name, plugin.info.version);
                enrichments::record_failure(&conn, &missing, &error, MAX_ATTEMPTS)?;
            }
        }
        Err(error) => {
            let texts: Vec<(&'static str, String)> = batch.iter().map(|p| (p.source.table, p.row_id.clone())).collect();
            enrichments::record_failure(&conn, &texts, &error.to_string(), MAX_ATTEMPTS)?;
        }
    }
    Ok(())
}

/// Checks an enricher's answer against what it was asked: each id one it was sent, at most
/// once; topics from the taxonomy only.
fn check_against(
    plugin: &Plugin,
    request: &EnrichRequest,
    batch: &[PendingText],
    output: Vec<Enrichment>,
) -> Result<Vec<EnrichedText>, CallError> {
    let invalid = |detail: String| CallError::InvalidResult {
        plugin: plugin.info.name.clone(),
        version: plugin.info.version.clone(),
        detail,
    };
    let topics: HashSet<&str> = request.taxonomy.iter().map(|t| t.name.as_str()).collect();
    let by_id: BTreeMap<&str, &PendingText> = batch.iter().map(|p| (p.row_id.as_str(), p)).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(output.len());
    for e in output {
        let shown = crate::text::shown(&e.id);
        let Some(pending) = by_id.get(e.id.as_str()) else {
            return Err(invalid(format!("an enrichment names `{shown}`, which is not one of the texts sent")));
        };
        if !seen.insert(e.id.clone()) {
            return Err(invalid(format!("`{shown}` is enriched twice")));
        }
        if let Some(topic) = e.topics.iter().find(|t| !topics.contains(t.as_str())) {
            return Err(invalid(format!(
                "the enrichment of `{shown}` names topic `{}`, which is not in the tenant's taxonomy",
                crate::text::shown(topic)
            )));
        }
        let mut topics_once = Vec::new();
        for t in e.topics {
            if !topics_once.contains(&t) {
                topics_once.push(t);
            }
        }
        out.push(EnrichedText {
            source: pending.source.table,
            row_id: e.id,
            text_hash: pending.text_hash,
            queued_at: pending.queued_at,
            sentiment: e.sentiment,
            language: e.language,
            topics: topics_once,
            tags: e.tags.into_iter().filter(|t| !t.is_empty()).collect(),
        });
    }
    Ok(out)
}

fn wit_source(table: &str) -> TextSource {
    match table {
        "customer_feedback" => TextSource::CustomerComment,
        "employee_surveys" => TextSource::EmployeeComment,
        _ => TextSource::InteractionNotes,
    }
}

/// The tenant's comment-topic taxonomy as enrichers get it (empty when it has none).
fn taxonomy(state: &Services, tenant: &str) -> Vec<TaxonomyTopic> {
    let stored = state.system.taxonomy_json(tenant).ok().flatten();
    let parsed: crate::analytics::topics::Taxonomy =
        stored.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default();
    parsed.into_iter().map(|(name, keywords)| TaxonomyTopic { name, keywords }).collect()
}

/// Queues again every text of `sources` (all when empty) placed in `[from, to)` (µs) for the
/// tenant's enricher, and wakes the worker. Returns how many were queued.
pub fn recompute(
    state: &Services,
    tenant: &str,
    sources: &[String],
    range: (i64, i64),
) -> Result<u64, EnrichmentError> {
    let chosen: Vec<enrichments::TextSource> = if sources.is_empty() {
        enrichments::SOURCES.to_vec()
    } else {
        sources.iter().filter_map(|s| enrichments::source_of(s)).collect()
    };
    let db = state.tenants.get(tenant)?;
    let queued = {
        let _ingest = db.ingest_lock.blocking_lock();
        let conn = db.connection()?;
        enrichments::queue_range(&conn, &chosen, range)?
    };
    state.enrichment.wake(tenant);
    Ok(queued)
}

/// The enricher new texts are queued for, and how far enrichment has come per source.
pub fn status(
    state: &Services,
    tenant: &str,
) -> Result<(Option<String>, Vec<enrichments::EnrichmentCounts>), EnrichmentError> {
    let enricher = enricher_of(state, tenant)?;
    let db = state.tenants.get(tenant)?;
    let conn = db.connection()?;
    Ok((enricher, enrichments::counts(&conn)?))
}

/// One row's enrichment, if it has one.
pub fn of_row(
    state: &Services,
    tenant: &str,
    (source, id): (&str, &str),
) -> Result<Option<enrichments::StoredEnrichment>, EnrichmentError> {
    let db = state.tenants.get(tenant)?;
    let conn = db.connection()?;
    Ok(enrichments::of_rows(&conn, source, &[id.to_string()])?.into_iter().next())
}

/// Queues every text of the tenant again when it enriches text (after its taxonomy changed,
/// so that topics follow the new one); until rescored, texts count by keyword. Blocking.
pub fn requeue_all(state: &Services, tenant: &str) -> Result<u64, EnrichmentError> {
    if enricher_of(state, tenant)?.is_none() {
        return Ok(0);
    }
    recompute(state, tenant, &[], (i64::MIN / 2, i64::MAX / 2))
}
