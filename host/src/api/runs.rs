//! What the pay-run and award-run routes share: the request body, and running it through the
//! generic run service ([`crate::runs`]) in one of the tenant's places.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{ApiError, AppState, Caller};
use crate::auth::Action;
use crate::runs::{Executed, Ledger, PeriodRun};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RunRequest {
    /// The plugin, e.g. `standard_pay` or `standard_game`.
    #[schema(pattern = r"^[a-z0-9_]{1,64}$", example = "standard_pay")]
    pub plugin: String,
    /// Start of the period (inclusive).
    #[schema(value_type = super::Time, inline)]
    pub from: String,
    /// End of the period (exclusive); after `from`.
    #[schema(value_type = super::Time, inline)]
    pub to: String,
    /// The plugin's parameters, ones it declares (`GET …/plugins` lists them); the others take
    /// their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
}

/// Checks the caller may run plugins on the tenant, resolves the body to a plugin of the
/// ledger's kind and runs it in one of the tenant's places.
pub async fn run<L: Ledger + 'static>(
    state: &AppState,
    caller: &Caller,
    tenant_id: &str,
    body: &RunRequest,
) -> Result<(PeriodRun, Executed<L::Report>), ApiError>
where
    L::Report: Send,
{
    let tenant = caller.require(state, Action::ManagePlugins, tenant_id)?;
    let subject = caller.0.actor();
    let run = PeriodRun::prepare::<L>(state, &tenant, (&body.plugin, &subject), (&body.from, &body.to), &body.params)?;
    let admitted = state.admit(&tenant).await?;
    let (worker, tenant_id) = (state.clone(), tenant_id.to_string());
    let (run, executed) = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let executed = run.execute::<L>(&worker, &tenant_id);
        (run, executed)
    })
    .await?;
    Ok((run, executed?))
}
