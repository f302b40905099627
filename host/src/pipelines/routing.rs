//! Routing on the live path: one decision per new contact from the tenant's router plugin
//! (by default `standard_router`), which reads the tenant's roster snapshot (kept in memory,
//! rebuilt in the background when older than its refresh time) and never SQL. The serving
//! version is chosen per contact (canary share by contact id); a timeout, trap, error or
//! invalid answer falls back to a fallback version where the policy has one and then to the
//! tenant's configured fallback decision, so no contact is left without an answer. A shadow
//! candidate decides the same contact after the answer, off the caller's time, and the
//! differences go to its shadow report. Decisions are logged (sampled at high rates).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::decision_log::{DecisionLog, Sampler};
use crate::app::Services;
use crate::deploy::ServedAs;
use crate::deploy::shadow::RouteSeen;
use crate::runtime::bindings::{Contact, PluginKind, Pool, Route, RouteRequest};
use crate::runtime::worlds::RouterWorld;
use crate::runtime::{CallError, CallImports, Roster};
use crate::store::SystemError;
use crate::store::pipeline_settings::Pipeline;
use crate::store::route_decisions::LoggedDecision;
use crate::store::system::Tenant;

/// The router every tenant uses until it chooses another.
pub const STANDARD_ROUTER: &str = "standard_router";

#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("{field} {problem}")]
    BadSettings { field: &'static str, problem: String },
    #[error("the stored routing settings cannot be read: {0}")]
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
    #[error("database error while reading the decision log: {0}")]
    Db(#[from] duckdb::Error),
}

/// A pool as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolName {
    InHouse,
    Crowd,
}

impl PoolName {
    pub fn as_str(self) -> &'static str {
        match self {
            PoolName::InHouse => "in_house",
            PoolName::Crowd => "crowd",
        }
    }
}

impl From<Pool> for PoolName {
    fn from(pool: Pool) -> Self {
        match pool {
            Pool::InHouse => PoolName::InHouse,
            Pool::Crowd => PoolName::Crowd,
        }
    }
}

/// The decision the server answers when the router cannot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FallbackRoute {
    pub pool: PoolName,
    /// The skill; empty means the contact's queue.
    #[serde(default)]
    pub skill: String,
    /// 1 to 10.
    pub priority: u8,
}

/// How a tenant routes new contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettings {
    /// The router plugin (kind `router`).
    pub router: String,
    /// Its parameters, by the names and types its `describe()` declares; the rest default.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The deadline of one decision in milliseconds, 1 to 1000 (and never more than the
    /// tenant's plugin deadline); past it the fallback answers.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
    /// The decision answered when the router fails.
    #[serde(default = "default_fallback")]
    pub fallback: FallbackRoute,
    /// Days of figures in the roster snapshot, 1 to 365, ending at the tenant's latest contact.
    #[serde(default = "default_window_days")]
    pub window_days: u32,
    /// Seconds after which the snapshot is rebuilt in the background, 5 to 86400.
    #[serde(default = "default_refresh_seconds")]
    pub refresh_seconds: u64,
    /// Decisions per second logged in full; above it, one in `log_one_in` (with that weight).
    /// Fallbacks are always logged.
    #[serde(default = "default_log_full_per_second")]
    pub log_full_per_second: u32,
    #[serde(default = "default_log_one_in")]
    pub log_one_in: u32,
}

fn default_deadline_ms() -> u64 {
    50
}
fn default_fallback() -> FallbackRoute {
    FallbackRoute { pool: PoolName::InHouse, skill: String::new(), priority: 5 }
}
fn default_window_days() -> u32 {
    28
}
fn default_refresh_seconds() -> u64 {
    60
}
fn default_log_full_per_second() -> u32 {
    100
}
fn default_log_one_in() -> u32 {
    10
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            router: STANDARD_ROUTER.to_string(),
            params: serde_json::Map::new(),
            deadline_ms: default_deadline_ms(),
            fallback: default_fallback(),
            window_days: default_window_days(),
            refresh_seconds: default_refresh_seconds(),
            log_full_per_second: default_log_full_per_second(),
            log_one_in: default_log_one_in(),
        }
    }
}

impl RoutingSettings {
    fn check(&self) -> Result<(), RoutingError> {
        let bad = |field, problem: &str| Err(RoutingError::BadSettings { field, problem: problem.to_string() });
        if !(1..=1000).contains(&self.deadline_ms) {
            return bad("deadline_ms", "must be between 1 and 1000");
        }
        if !(1..=10).contains(&self.fallback.priority) {
            return bad("fallback.priority", "must be between 1 and 10");
        }
        if let Err(problem) = crate::text::check_label("fallback.skill", &self.fallback.skill, 64) {
            return bad("fallback.skill", &problem);
        }
        if !(1..=365).contains(&self.window_days) {
            return bad("window_days", "must be between 1 and 365");
        }
        if !(5..=86_400).contains(&self.refresh_seconds) {
            return bad("refresh_seconds", "must be between 5 and 86400");
        }
        if self.log_one_in == 0 {
            return bad("log_one_in", "must be at least 1");
        }
        Ok(())
    }
}

/// One tenant's roster and when it was built.
struct HeldRoster {
    roster: Arc<Roster>,
    built: Instant,
}

/// The routing service's state: settings and rosters per tenant, the decision log.
pub struct Routing {
    settings: RwLock<HashMap<String, Arc<RoutingSettings>>>,
    rosters: RwLock<HashMap<String, HeldRoster>>,
    building: Mutex<HashSet<String>>,
    sampler: Sampler,
    log: DecisionLog,
}

impl Routing {
    pub fn new(log: DecisionLog) -> Routing {
        Routing {
            settings: RwLock::default(),
            rosters: RwLock::default(),
            building: Mutex::default(),
            sampler: Sampler::new(),
            log,
        }
    }

    fn forget_settings(&self, tenant: &str) {
        self.settings.write().unwrap_or_else(|e| e.into_inner()).remove(tenant);
    }
}

/// The tenant's settings: stored, or the default (the standard router). Cached.
pub fn settings(state: &Services, tenant: &str) -> Result<Arc<RoutingSettings>, RoutingError> {
    if let Some(cached) = state.routing.settings.read().unwrap_or_else(|e| e.into_inner()).get(tenant) {
        return Ok(cached.clone());
    }
    let settings = match state.system.pipeline_settings(tenant, Pipeline::Routing)? {
        Some(json) => serde_json::from_str(&json).map_err(RoutingError::Stored)?,
        None => RoutingSettings::default(),
    };
    let settings = Arc::new(settings);
    state.routing.settings.write().unwrap_or_else(|e| e.into_inner()).insert(tenant.to_string(), settings.clone());
    Ok(settings)
}

/// Checks and stores new settings (the router exists and is a router, its parameters read
/// against its `describe()`); the next decision uses them.
pub fn set_settings(
    state: &Services,
    tenant: &str,
    settings: &RoutingSettings,
    actor: &str,
) -> Result<(), RoutingError> {
    settings.check()?;
    let plan =
        state.deployments.plan_of_kind(&state.registry, (tenant, &settings.router, "settings"), PluginKind::Router)?;
    crate::params::plugin_params(&plan.serve.info, crate::params::texts_of(&settings.params), "")?;
    let json = serde_json::to_string(settings).map_err(RoutingError::Stored)?;
    let detail = format!(
        "contacts routed by `{}` (deadline {} ms; fallback {} / {} / priority {})",
        settings.router,
        settings.deadline_ms,
        settings.fallback.pool.as_str(),
        if settings.fallback.skill.is_empty() { "the queue" } else { &settings.fallback.skill },
        settings.fallback.priority
    );
    state.system.set_pipeline_settings(tenant, Pipeline::Routing, &json, (actor, &detail))?;
    state.routing.forget_settings(tenant);
    Ok(())
}

/// The tenant's roster as it stands (empty until the first build finishes); starts a build in
/// the background when there is none or it is older than `refresh`.
pub fn roster(state: &Arc<Services>, tenant: &Tenant, settings: &RoutingSettings) -> Arc<Roster> {
    let refresh = Duration::from_secs(settings.refresh_seconds);
    let held = state.routing.rosters.read().unwrap_or_else(|e| e.into_inner()).get(&tenant.id).map(|h| {
        let stale = h.built.elapsed() >= refresh || h.roster.info().window_days != settings.window_days;
        (h.roster.clone(), stale)
    });
    let (roster, stale) = held.unwrap_or_else(|| (Arc::new(Roster::empty()), true));
    if stale {
        start_build(state, tenant, settings.window_days);
    }
    roster
}

/// Builds the roster now (blocking) and keeps it; for operators and tests.
pub fn rebuild(state: &Services, tenant: &Tenant) -> Result<Arc<Roster>, super::roster::RosterError> {
    let window_days = settings(state, &tenant.id).map(|s| s.window_days).unwrap_or_else(|_| default_window_days());
    let roster = Arc::new(super::roster::build(state, tenant, window_days)?);
    keep(state, &tenant.id, roster.clone());
    Ok(roster)
}

fn keep(state: &Services, tenant: &str, roster: Arc<Roster>) {
    state
        .routing
        .rosters
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(tenant.to_string(), HeldRoster { roster, built: Instant::now() });
}

fn start_build(state: &Arc<Services>, tenant: &Tenant, window_days: u32) {
    if !state.routing.building.lock().unwrap_or_else(|e| e.into_inner()).insert(tenant.id.clone()) {
        return;
    }
    let (state, tenant) = (state.clone(), tenant.clone());
    tokio::task::spawn_blocking(move || {
        match super::roster::build(&state, &tenant, window_days) {
            Ok(roster) => keep(&state, &tenant.id, Arc::new(roster)),
            Err(error) => tracing::warn!(tenant = %tenant.id, %error, "the roster snapshot could not be built"),
        }
        state.routing.building.lock().unwrap_or_else(|e| e.into_inner()).remove(&tenant.id);
    });
}

/// Why an answer is the configured fallback decision or came from a fallback version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteFallback {
    /// `timeout`, `trap`, `memory_cap`, `invalid_result`, `plugin_error`, `busy`,
    /// `no_router` or `bad_params`.
    pub cause: String,
    /// What went wrong, naming plugin and version.
    pub detail: String,
}

/// A routing decision as the API answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteAnswer {
    pub pool: PoolName,
    pub skill: String,
    /// 1 (lowest) to 10 (most urgent).
    pub priority: u8,
    /// Preferred agents, best first; empty leaves the choice to the ACD.
    pub agents: Vec<String>,
    pub reason: String,
    /// The router plugin.
    pub router: String,
    /// The version that decided; none for the configured fallback decision.
    pub version: Option<String>,
    /// `standard`, `active`, `canary`, `fallback` (a fallback version) or `configured_fallback`.
    pub served_as: String,
    /// Present when the serving version failed.
    pub fallback: Option<RouteFallback>,
    /// When the roster snapshot the router read was taken (RFC 3339); none before the first.
    pub snapshot_taken_at: Option<String>,
    /// Time from the request's arrival at the service to the answer, in microseconds.
    pub latency_us: u64,
}

fn served_as_name(served_as: ServedAs) -> &'static str {
    match served_as {
        ServedAs::Standard => "standard",
        ServedAs::Active => "active",
        ServedAs::Canary => "canary",
        ServedAs::Fallback => "fallback",
    }
}

fn cause_of(error: &CallError) -> &'static str {
    match error {
        CallError::Timeout { .. } => "timeout",
        CallError::MemoryCap { .. } => "memory_cap",
        CallError::Limit { .. } => "limit",
        CallError::Trap { .. } | CallError::HostPanic { .. } => "trap",
        CallError::InvalidResult { .. } => "invalid_result",
        CallError::Plugin { .. } => "plugin_error",
        CallError::Busy(_) => "busy",
        CallError::WrongKind { .. } => "no_router",
    }
}

/// Decides where `contact` goes. Never fails for the router's sake: any failure of the plugin,
/// its plan or its parameters answers the configured fallback decision.
pub async fn decide(state: &Arc<Services>, tenant: &Tenant, contact: Contact) -> Result<RouteAnswer, RoutingError> {
    let started = Instant::now();
    let settings = settings(state, &tenant.id)?;
    let roster = roster(state, tenant, &settings);
    let subject = if contact.contact_id.is_empty() { contact.customer_id.clone() } else { contact.contact_id.clone() };
    let planned = state
        .deployments
        .plan_of_kind(&state.registry, (&tenant.id, &settings.router, &subject), PluginKind::Router)
        .map_err(|e| ("no_router", e.to_string()))
        .and_then(|plan| {
            crate::params::plugin_params(&plan.serve.info, crate::params::texts_of(&settings.params), "")
                .map(|(params, _)| (plan, params))
                .map_err(|e| ("bad_params", e.to_string()))
        });
    let (plan, params) = match planned {
        Ok(planned) => planned,
        Err((cause, detail)) => {
            return Ok(configured_fallback(state, tenant, &settings, &contact, &roster, (cause, detail), started));
        }
    };
    let mut limits = state.limits_of(tenant);
    limits.deadline_ms = settings.deadline_ms.min(limits.deadline_ms);
    // Decisions have places of their own, so that long metric calls never hold them up.
    let places = crate::config::PluginLimits {
        max_concurrent_calls: (crate::config::cores() * 2).max(2),
        max_queued_calls: 256,
        queue_wait_ms: limits.deadline_ms,
        ..limits
    };
    let _place = match state.admission.admit(&format!("{}#route", tenant.id), &places).await {
        Ok(place) => place,
        Err(refused) => {
            let cause = ("busy", refused.to_string());
            return Ok(configured_fallback(state, tenant, &settings, &contact, &roster, cause, started));
        }
    };
    let request = RouteRequest { contact, params };
    let db = match state.tenants.get(&tenant.id) {
        Ok(db) => db,
        Err(e) => {
            let contact = request.contact;
            return Ok(configured_fallback(
                state,
                tenant,
                &settings,
                &contact,
                &roster,
                ("busy", e.to_string()),
                started,
            ));
        }
    };
    let (worker_state, worker_roster, worker_tenant) = (state.clone(), roster.clone(), tenant.id.clone());
    let name = settings.router.clone();
    let worker_db = db.clone();
    let shadow = plan.shadow.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let context = worker_state.call_context(&worker_tenant, &name, worker_db.clone(), limits);
        let answer = context.answer_with(&plan, |plugin| {
            worker_state.registry.runtime().call::<RouterWorld>(
                plugin,
                worker_db.clone(),
                CallImports::roster(worker_roster.clone()),
                limits,
                &request,
            )
        });
        (answer, request)
    })
    .await;
    let (answer, request) = match joined {
        Ok(done) => done,
        Err(join) => {
            tracing::error!(tenant = %tenant.id, error = %join, "a routing decision's task failed");
            let cause = ("trap", "the decision's task failed".to_string());
            return Ok(configured_fallback(state, tenant, &settings, &empty_contact(), &roster, cause, started));
        }
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let cause = (cause_of(&error), error.to_string());
            return Ok(configured_fallback(state, tenant, &settings, &request.contact, &roster, cause, started));
        }
    };
    let route = answer.result;
    let reply = RouteAnswer {
        pool: route.pool.into(),
        skill: route.skill.clone(),
        priority: route.priority,
        agents: route.agents.clone(),
        reason: route.reason.clone(),
        router: settings.router.clone(),
        version: Some(answer.served_by.info.version.clone()),
        served_as: served_as_name(answer.served_as).to_string(),
        fallback: answer.fallback.map(|f| RouteFallback { cause: "fallback_version".into(), detail: f.reason }),
        snapshot_taken_at: taken_at(&roster),
        latency_us: started.elapsed().as_micros() as u64,
    };
    record(state, tenant, &settings, &request.contact, &reply);
    if let Some(candidate) = shadow.filter(|_| answer.served_as != ServedAs::Fallback) {
        run_shadow(state, tenant, (&settings, db, roster, limits), candidate, request, route);
    }
    Ok(reply)
}

fn empty_contact() -> Contact {
    Contact {
        contact_id: String::new(),
        channel: String::new(),
        queue: String::new(),
        contact_reason: String::new(),
        customer_id: String::new(),
        customer_tier: String::new(),
        language: String::new(),
        sales_likelihood: None,
        attributes: Vec::new(),
    }
}

/// The candidate decides the same contact after the answer, in a free place only.
fn run_shadow(
    state: &Arc<Services>,
    tenant: &Tenant,
    (settings, db, roster, limits): (
        &RoutingSettings,
        Arc<crate::store::TenantDb>,
        Arc<Roster>,
        crate::config::PluginLimits,
    ),
    candidate: Arc<crate::runtime::Plugin>,
    request: RouteRequest,
    served: Route,
) {
    let Some(place) = state.admission.try_admit(&format!("{}#shadow", tenant.id), &limits) else { return };
    let (state, tenant, name) = (state.clone(), tenant.id.clone(), settings.router.clone());
    tokio::task::spawn_blocking(move || {
        let _place = place;
        let context = state.call_context(&tenant, &name, db.clone(), limits);
        let result = context.candidate(&candidate, |plugin| {
            state.registry.runtime().call::<RouterWorld>(
                plugin,
                db.clone(),
                CallImports::roster(roster.clone()),
                limits,
                &request,
            )
        });
        let c = &request.contact;
        state.deployments.shadows.update(&tenant, &name, &candidate.hash, |report| match &result {
            Ok(route) => report.add_route(
                (&c.queue, &c.contact_reason),
                RouteSeen {
                    pool: PoolName::from(served.pool).as_str(),
                    skill: &served.skill,
                    priority: served.priority,
                    agents: &served.agents,
                },
                RouteSeen {
                    pool: PoolName::from(route.pool).as_str(),
                    skill: &route.skill,
                    priority: route.priority,
                    agents: &route.agents,
                },
            ),
            Err(e) => report.add_candidate_error(e.to_string()),
        });
    });
}

fn configured_fallback(
    state: &Services,
    tenant: &Tenant,
    settings: &RoutingSettings,
    contact: &Contact,
    roster: &Roster,
    (cause, detail): (&str, String),
    started: Instant,
) -> RouteAnswer {
    let fallback = &settings.fallback;
    let skill = if fallback.skill.is_empty() { contact.queue.clone() } else { fallback.skill.clone() };
    tracing::warn!(tenant = %tenant.id, router = %settings.router, cause, %detail, "routing fell back to the configured decision");
    let reply = RouteAnswer {
        pool: fallback.pool,
        skill,
        priority: fallback.priority,
        agents: Vec::new(),
        reason: format!("configured fallback ({cause})"),
        router: settings.router.clone(),
        version: None,
        served_as: "configured_fallback".to_string(),
        fallback: Some(RouteFallback { cause: cause.to_string(), detail }),
        snapshot_taken_at: taken_at(roster),
        latency_us: started.elapsed().as_micros() as u64,
    };
    record(state, tenant, settings, contact, &reply);
    reply
}

fn taken_at(roster: &Roster) -> Option<String> {
    let info = roster.info();
    (info.taken_at > 0).then(|| crate::params::micros_text(info.taken_at))
}

/// Counts the decision and logs it if the sampler keeps it.
fn record(state: &Services, tenant: &Tenant, settings: &RoutingSettings, contact: &Contact, reply: &RouteAnswer) {
    let served_as: &'static str = match reply.served_as.as_str() {
        "standard" => "standard",
        "active" => "active",
        "canary" => "canary",
        "fallback" => "fallback",
        _ => "configured_fallback",
    };
    crate::telemetry::route_decided(&tenant.id, served_as, reply.latency_us as f64 / 1e6);
    let now = chrono::Utc::now().timestamp_micros();
    let limits = (settings.log_full_per_second, settings.log_one_in);
    let Some(weight) = state.routing.sampler.weight(&tenant.id, now, limits, reply.fallback.is_some()) else { return };
    state.routing.log.push(LoggedDecision {
        tenant: tenant.id.clone(),
        decided_at: now,
        contact: [
            contact.contact_id.clone(),
            contact.channel.clone(),
            contact.queue.clone(),
            contact.contact_reason.clone(),
            contact.customer_id.clone(),
            contact.customer_tier.clone(),
            contact.language.clone(),
        ],
        sales_likelihood: contact.sales_likelihood,
        router: reply.router.clone(),
        version: reply.version.clone(),
        served_as,
        pool: reply.pool.as_str(),
        skill: reply.skill.clone(),
        priority: reply.priority,
        agents: reply.agents.join(";"),
        reason: reply.reason.clone(),
        fallback_cause: reply.fallback.as_ref().map(|f| f.cause.clone()),
        latency_us: reply.latency_us as i64,
        sample_weight: weight,
    });
}

/// What the decision log holds for `[from, to)` (µs), with the latest `limit` decisions.
pub fn decision_summary(
    state: &Services,
    tenant: &str,
    range: (i64, i64),
    limit: u32,
) -> Result<crate::store::route_decisions::DecisionSummary, RoutingError> {
    let db = state.tenants.get(tenant)?;
    let conn = db.connection()?;
    Ok(crate::store::route_decisions::summary(&conn, range, limit)?)
}
