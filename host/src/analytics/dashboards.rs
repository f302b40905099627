//! Dashboards as a service: run the tenant's dashboard plugin (the standard `cx_ex` or its own)
//! over a time range in one of the tenant's places, with the `analytics` import bound to the
//! tenant, and return its checked panels. The dashboard route and page both render here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::host::TenantAnalytics;
use super::panels::{CheckedPanel, check_panels};
use crate::admission::Refused;
use crate::app::AppState;
use crate::deploy::call::FallbackNote;
use crate::deploy::{PlanError, ServedAs};
use crate::params::{self, ParamError};
use crate::runtime::CallImports;
use crate::runtime::bindings::{DashboardRequest, PluginKind};
use crate::runtime::worlds::DashboardWorld;
use crate::runtime::{CallError, Plugin};
use crate::store::system::Tenant;
use crate::store::tenant::TenantDbError;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Database(#[from] TenantDbError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the rendering task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A rendered dashboard and the version that rendered it.
pub struct Rendered {
    pub plugin: Arc<Plugin>,
    pub served_as: ServedAs,
    pub fallback: Option<FallbackNote>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every parameter the plugin ran with (given or default), as JSON.
    pub params: BTreeMap<String, Value>,
    pub panels: Vec<CheckedPanel>,
    pub elapsed_ms: f64,
}

/// Renders dashboard `name` for `tenant` and `subject` with the query's `from`, `to` and plugin
/// parameters.
pub async fn render(
    state: &AppState,
    tenant: Tenant,
    subject: String,
    name: &str,
    mut query: HashMap<String, String>,
) -> Result<Rendered, DashboardError> {
    let plan = state.deployments.plan_of_kind(&state.registry, (&tenant.id, name, &subject), PluginKind::Dashboard)?;
    let (from, to) = params::take_range(&mut query)?;
    let (plugin_params, echoed) = params::plugin_params(&plan.serve.info, query, "from, to")?;
    let request = DashboardRequest {
        period_start: from.timestamp_micros(),
        period_end: to.timestamp_micros(),
        params: plugin_params,
    };
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let db = state.tenants.get(&tenant.id)?;
    let started = std::time::Instant::now();
    let (worker, name) = (state.clone(), name.to_string());
    let analytics = Arc::new(TenantAnalytics::new(state.clone(), tenant, subject, db.clone(), limits));
    let answer = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let context = worker.call_context(&analytics.tenant.id, &name, db.clone(), limits);
        context.answer_with(&plan, |plugin| {
            let panels = worker.registry.runtime().call::<DashboardWorld>(
                plugin,
                db.clone(),
                CallImports::analytics(analytics.clone()),
                limits,
                &request,
            )?;
            check_panels(panels).map_err(|detail| CallError::InvalidResult {
                plugin: plugin.info.name.clone(),
                version: plugin.info.version.clone(),
                detail,
            })
        })
    })
    .await??;
    Ok(Rendered {
        plugin: answer.served_by,
        served_as: answer.served_as,
        fallback: answer.fallback,
        from,
        to,
        params: echoed,
        panels: answer.result,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
