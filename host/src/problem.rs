//! The error policy. Each module has its own error type (`thiserror`, causes kept as
//! sources); `anyhow` appears only at the command-line edge. Whatever a client or a person can
//! be told of a failure is a [`Failure`]: a [`Class`] (which the API answers with an HTTP
//! status and the pages with an error page), a stable `code`, a message a person can act on,
//! the offending field or rows, and — for the server's own failures (`Class::Internal`) — a
//! detail that goes only to the log, under the request's id. Every module error converts into
//! a `Failure` here, in one place, so the API and the pages answer alike.

use serde::Serialize;

use crate::admission::Refused;
use crate::auth::AccessError;
use crate::deploy::DeployError;
use crate::registry::RegistryError;
use crate::runtime::{CallError, LoadError};
use crate::store::tenant::TenantDbError;
use crate::store::{IngestError, SystemError};

/// What kind of failure: the caller's request, its rights, a plugin, or the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    TooLarge,
    UnsupportedMediaType,
    /// Well-formed, but not something that can be done (a rejected batch, a refused plugin, a
    /// plugin's own error).
    Unprocessable,
    /// The tenant's places for plugin requests are taken.
    TooManyRequests,
    /// A plugin trapped, hit a limit or returned garbage.
    PluginFailed,
    /// A plugin ran past its deadline.
    PluginTimeout,
    /// The server is at a capacity limit.
    Unavailable,
    /// The server itself failed.
    Internal,
}

impl Class {
    /// The HTTP status this class is answered with.
    pub fn status(self) -> u16 {
        match self {
            Class::BadRequest => 400,
            Class::Unauthorized => 401,
            Class::Forbidden => 403,
            Class::NotFound => 404,
            Class::Conflict => 409,
            Class::TooLarge => 413,
            Class::UnsupportedMediaType => 415,
            Class::Unprocessable => 422,
            Class::TooManyRequests => 429,
            Class::Internal => 500,
            Class::PluginFailed => 502,
            Class::Unavailable => 503,
            Class::PluginTimeout => 504,
        }
    }

    /// The class of an HTTP status (for rejections made by the HTTP framework).
    pub fn of_status(status: u16) -> Class {
        match status {
            401 => Class::Unauthorized,
            403 => Class::Forbidden,
            404 => Class::NotFound,
            409 => Class::Conflict,
            413 => Class::TooLarge,
            415 => Class::UnsupportedMediaType,
            422 => Class::Unprocessable,
            429 => Class::TooManyRequests,
            500 => Class::Internal,
            503 => Class::Unavailable,
            _ => Class::BadRequest,
        }
    }
}

/// What a client is told of a server failure.
const INTERNAL_DETAIL: &str = "the server failed to answer this request; the operator can find what happened in \
     the server's log by its request id";

/// A failure as the client or person sees it.
#[derive(Debug)]
pub struct Failure {
    class: Class,
    code: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
    report: Option<Box<serde_json::Value>>,
    /// For the log only: what made the server fail.
    internal: Option<Box<str>>,
    retry_after_secs: Option<u32>,
}

impl Failure {
    pub fn new(class: Class, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Failure {
            class,
            code,
            title,
            detail: detail.into(),
            field: None,
            report: None,
            internal: None,
            retry_after_secs: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_report(mut self, report: impl Serialize) -> Self {
        self.report = serde_json::to_value(report).ok().map(Box::new);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(u32::try_from(seconds).unwrap_or(u32::MAX));
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Class::BadRequest, code, "Bad request", detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Class::NotFound, code, "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(Class::Unauthorized, "unauthorized", "Missing or unknown API key", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Class::Forbidden, "forbidden", "Not allowed for this key", detail)
    }

    /// A failure of the server itself: the client sees only the code and the request id;
    /// `detail` is logged with the request id when the answer is made.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let mut failure = Self::new(Class::Internal, "internal", "Internal error", INTERNAL_DETAIL);
        failure.internal = Some(detail.to_string().into());
        failure
    }

    /// The server is at a capacity limit; the client may retry after `retry_after_secs`.
    pub fn unavailable(code: &'static str, detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(Class::Unavailable, code, "Server at capacity", detail).with_retry_after(retry_after_secs)
    }

    pub fn class(&self) -> Class {
        self.class
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn title(&self) -> &'static str {
        self.title
    }

    /// What went wrong, as the client is told.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn report(&self) -> Option<&serde_json::Value> {
        self.report.as_deref()
    }

    pub fn retry_after_secs(&self) -> Option<u32> {
        self.retry_after_secs
    }

    /// Logs a server failure's detail with `request_id`; nothing for other failures.
    pub fn log_internal(&self, request_id: &str) {
        if let Some(internal) = &self.internal {
            tracing::error!(request_id = %request_id, error = %internal, "internal error");
        }
    }
}

impl From<crate::params::ParamError> for Failure {
    fn from(e: crate::params::ParamError) -> Self {
        use crate::params::ParamError;
        let code = match e {
            ParamError::Missing(_) => "missing_parameter",
            ParamError::EmptyRange { .. } => "invalid_range",
            ParamError::Unknown { .. } => "unknown_parameter",
            _ => "invalid_parameter",
        };
        let field = e.field().to_string();
        Failure::bad_request(code, e.to_string()).with_field(field)
    }
}

impl From<crate::deploy::PlanError> for Failure {
    fn from(e: crate::deploy::PlanError) -> Self {
        use crate::deploy::PlanError;
        use crate::runtime::bindings::PluginKind;
        let kind = match &e {
            PlanError::NoSuchPlugin { kind, .. } | PlanError::WrongKind { expected: kind, .. } => *kind,
        };
        let code = match kind {
            PluginKind::Metric => "metric_not_found",
            PluginKind::Dashboard => "dashboard_not_found",
            PluginKind::PayModel => "pay_model_not_found",
            PluginKind::GameMechanic => "game_mechanic_not_found",
            PluginKind::Rule => "rule_not_found",
            _ => "plugin_not_found",
        };
        let by_body = matches!(kind, PluginKind::PayModel | PluginKind::GameMechanic | PluginKind::Rule);
        let field = if by_body { "plugin" } else { "name" };
        Failure::not_found(code, e.to_string()).with_field(field)
    }
}

impl From<crate::metric_calls::MetricError> for Failure {
    fn from(e: crate::metric_calls::MetricError) -> Self {
        match e {
            crate::metric_calls::MetricError::Plan(e) => e.into(),
            crate::metric_calls::MetricError::Params(e) => e.into(),
            crate::metric_calls::MetricError::BelowPrivacyFloor(e) => {
                Failure::bad_request("below_privacy_floor", e.to_string()).with_field(crate::privacy::MIN_RESPONSES)
            }
        }
    }
}

impl From<crate::analytics::records::RecordsError> for Failure {
    fn from(e: crate::analytics::records::RecordsError) -> Self {
        use crate::analytics::records::RecordsError;
        match e {
            RecordsError::NotSupported { .. } => Failure::new(
                Class::Unprocessable,
                "records_unsupported",
                "Metric does not open to its records",
                e.to_string(),
            ),
            RecordsError::BelowFloor { .. } | RecordsError::SurveysByAgent => {
                Failure::new(Class::Forbidden, "below_privacy_floor", "Below the privacy floor", e.to_string())
            }
            RecordsError::Call(e) => e.into(),
        }
    }
}

impl From<crate::analytics::cxex::AnalyticsError> for Failure {
    fn from(e: crate::analytics::cxex::AnalyticsError) -> Self {
        use crate::analytics::cxex::AnalyticsError;
        let field = e.field().map(str::to_string);
        let failure = match e {
            AnalyticsError::Plan { source, .. } => Failure::from(source),
            AnalyticsError::Param(source) => return Failure::from(source),
            AnalyticsError::Call(source) => return Failure::from(source),
            AnalyticsError::Database(source) => return Failure::from(source),
            AnalyticsError::Statistics(_) | AnalyticsError::Sessions(_) => return Failure::internal(e),
            AnalyticsError::UnknownParameter { .. } => Failure::bad_request("unknown_parameter", e.to_string()),
            AnalyticsError::BelowPrivacyFloor(_) => Failure::bad_request("below_privacy_floor", e.to_string()),
            AnalyticsError::TooManyPeriods => Failure::bad_request("invalid_range", e.to_string()),
            _ => Failure::bad_request("invalid_parameter", e.to_string()),
        };
        match field {
            Some(field) => failure.with_field(field),
            None => failure,
        }
    }
}

impl From<crate::analytics::dashboards::DashboardError> for Failure {
    fn from(e: crate::analytics::dashboards::DashboardError) -> Self {
        use crate::analytics::dashboards::DashboardError;
        match e {
            DashboardError::Plan(e) => e.into(),
            DashboardError::Params(e) => e.into(),
            DashboardError::Refused(e) => e.into(),
            DashboardError::Database(e) => e.into(),
            DashboardError::Call(e) => e.into(),
            DashboardError::Task(e) => e.into(),
        }
    }
}

impl From<crate::runs::RunError> for Failure {
    fn from(e: crate::runs::RunError) -> Self {
        use crate::runs::RunError;
        match e {
            RunError::Plan(e) => e.into(),
            RunError::Params(e) => e.into(),
            RunError::Call(e) => e.into(),
            RunError::Database(e) => e.into(),
            RunError::PayLedger(e) => e.into(),
            RunError::PointsLedger(e) => e.into(),
            RunError::Agents(_) => Failure::internal(e),
            RunError::Registry(e) => e.into(),
            RunError::Rule(e) => e.into(),
            RunError::Access(e) => e.into(),
            RunError::KindMismatch { .. } | RunError::NotComparable(_) => {
                Failure::bad_request("wrong_kind", e.to_string())
            }
        }
    }
}

impl From<crate::runs::rules::RuleError> for Failure {
    fn from(e: crate::runs::rules::RuleError) -> Self {
        use crate::runs::rules::RuleError;
        match e {
            RuleError::Plan(e) => e.into(),
            RuleError::Params(e) => e.into(),
            RuleError::Call(e) => e.into(),
            RuleError::Database(e) => e.into(),
            RuleError::Ledger(e) => e.into(),
            RuleError::Agents(_) => Failure::internal(e),
            RuleError::InTheFuture(_) => Failure::bad_request("invalid_parameter", e.to_string()).with_field("at"),
        }
    }
}

impl From<crate::runs::rules::RunFailure> for Failure {
    fn from(e: crate::runs::rules::RunFailure) -> Self {
        use crate::runs::rules::RunFailure;
        match e {
            RunFailure::Refused(e) => e.into(),
            RunFailure::Task(e) => e.into(),
            RunFailure::Rule(e) => e.into(),
        }
    }
}

impl From<crate::store::actions::ActionsError> for Failure {
    fn from(e: crate::store::actions::ActionsError) -> Self {
        use crate::store::actions::ActionsError;
        match e {
            ActionsError::NotFound(_) => Failure::not_found("action_not_found", e.to_string()).with_field("id"),
            ActionsError::Transition { .. } => {
                Failure::new(Class::Conflict, "invalid_transition", "Not a step this action can take", e.to_string())
                    .with_field("state")
            }
            ActionsError::ReasonRequired => Failure::bad_request("missing_parameter", e.to_string()).with_field("note"),
            ActionsError::WhenRequired => {
                Failure::bad_request("missing_parameter", e.to_string()).with_field("scheduled_for")
            }
            ActionsError::Db(_) => Failure::internal(e),
        }
    }
}

impl From<crate::runs::schedule::ScheduleError> for Failure {
    fn from(e: crate::runs::schedule::ScheduleError) -> Self {
        let field = e.field();
        Failure::bad_request("invalid_schedule", e.to_string()).with_field(field)
    }
}

impl From<crate::store::pay::PayError> for Failure {
    fn from(e: crate::store::pay::PayError) -> Self {
        Failure::internal(e)
    }
}

impl From<crate::store::awards::AwardsError> for Failure {
    fn from(e: crate::store::awards::AwardsError) -> Self {
        Failure::internal(e)
    }
}

impl From<crate::analytics::topics::TopicError> for Failure {
    fn from(e: crate::analytics::topics::TopicError) -> Self {
        match e {
            crate::analytics::topics::TopicError::Db(e) => Failure::internal(e),
            other => Failure::bad_request("invalid_taxonomy", other.to_string()).with_field("topics"),
        }
    }
}

impl From<crate::pipelines::enrichment::EnrichmentError> for Failure {
    fn from(e: crate::pipelines::enrichment::EnrichmentError) -> Self {
        use crate::pipelines::enrichment::EnrichmentError;
        match e {
            EnrichmentError::BadBatchSize(_) => {
                Failure::bad_request("invalid_settings", e.to_string()).with_field("batch_size")
            }
            EnrichmentError::Plan(e) => Failure::from(e).with_field("enricher"),
            EnrichmentError::Params(e) => e.into(),
            EnrichmentError::System(e) => e.into(),
            EnrichmentError::Access(e) => e.into(),
            EnrichmentError::TenantDb(e) => e.into(),
            EnrichmentError::Stored(_) | EnrichmentError::Db(_) => Failure::internal(e),
        }
    }
}

impl From<crate::pipelines::routing::RoutingError> for Failure {
    fn from(e: crate::pipelines::routing::RoutingError) -> Self {
        use crate::pipelines::routing::RoutingError;
        match e {
            RoutingError::BadSettings { field, .. } => {
                Failure::bad_request("invalid_settings", e.to_string()).with_field(field)
            }
            RoutingError::Plan(e) => Failure::from(e).with_field("router"),
            RoutingError::Params(e) => e.into(),
            RoutingError::System(e) => e.into(),
            RoutingError::Access(e) => e.into(),
            RoutingError::TenantDb(e) => e.into(),
            RoutingError::Stored(_) | RoutingError::Db(_) => Failure::internal(e),
        }
    }
}

impl From<crate::pipelines::roster::RosterError> for Failure {
    fn from(e: crate::pipelines::roster::RosterError) -> Self {
        match e {
            crate::pipelines::roster::RosterError::TenantDb(e) => e.into(),
            crate::pipelines::roster::RosterError::Db(_) => Failure::internal(e),
        }
    }
}

impl From<AccessError> for Failure {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Forbidden { .. } => Failure::forbidden(e.to_string()),
            AccessError::UnknownTenant(_) => Failure::not_found("tenant_not_found", e.to_string()).with_field("tenant"),
            AccessError::System(_) => Failure::internal(e),
        }
    }
}

impl From<Refused> for Failure {
    fn from(refused: Refused) -> Self {
        Failure::new(Class::TooManyRequests, "too_many_plugin_calls", "Too many plugin calls", refused.to_string())
            .with_retry_after(refused.retry_after_secs())
    }
}

impl From<SystemError> for Failure {
    fn from(e: SystemError) -> Self {
        match e {
            SystemError::TenantExists(_) => {
                Failure::new(Class::Conflict, "tenant_exists", "Tenant exists", e.to_string())
            }
            other => Failure::internal(other),
        }
    }
}

impl From<IngestError> for Failure {
    fn from(e: IngestError) -> Self {
        let detail = e.to_string();
        match e {
            IngestError::UnknownColumns { .. } => Failure::bad_request("unknown_columns", detail),
            IngestError::MissingColumns { .. } => Failure::bad_request("missing_columns", detail),
            IngestError::Unreadable { .. } => Failure::bad_request("unreadable_batch", detail),
            IngestError::Rejected(report) => {
                Failure::new(Class::Unprocessable, "batch_rejected", "Batch rejected", detail).with_report(&*report)
            }
            IngestError::Db(e) => Failure::internal(e),
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        let detail = e.to_string();
        let (class, code, title) = match e {
            CallError::Timeout { .. } => (Class::PluginTimeout, "plugin_timeout", "Plugin ran out of time"),
            CallError::MemoryCap { .. } => (Class::PluginFailed, "plugin_memory_cap", "Plugin exceeded its memory cap"),
            CallError::Limit { .. } => (Class::PluginFailed, "plugin_limit", "Plugin exceeded a limit"),
            CallError::Trap { .. } => (Class::PluginFailed, "plugin_trap", "Plugin crashed"),
            CallError::InvalidResult { .. } => {
                (Class::PluginFailed, "plugin_invalid_result", "Plugin returned garbage")
            }
            CallError::Plugin { .. } => (Class::Unprocessable, "plugin_error", "Plugin could not compute this"),
            CallError::Busy(why) => {
                tracing::warn!(%why, "no plugin instance could be created");
                return Failure::unavailable("busy", "no plugin instance could be created right now; retry shortly", 1);
            }
            CallError::HostPanic { .. } => return Failure::internal(detail),
            CallError::WrongKind { .. } => (Class::BadRequest, "wrong_kind", "Not that kind of plugin"),
        };
        Failure::new(class, code, title, detail)
    }
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Rejected(load) => {
                let code = match load {
                    LoadError::NotAComponent(_) => "not_a_component",
                    LoadError::CompileStopped(_) => "compile_stopped",
                    LoadError::WrongWorld { .. } | LoadError::WrongKind { .. } => "wrong_world",
                    LoadError::Describe(_) | LoadError::BadName(_) | LoadError::BadInfo(_) => "bad_describe",
                    LoadError::Cache(_) | LoadError::Engine(_) | LoadError::Compiler(_) => {
                        return Failure::internal(load);
                    }
                };
                Failure::new(Class::Unprocessable, code, "Plugin refused", format!("plugin refused: {load}"))
            }
            RegistryError::UnknownVersion { .. } => {
                Failure::not_found("version_not_found", e.to_string()).with_field("hash")
            }
            RegistryError::AmbiguousVersion { .. } => {
                Failure::bad_request("ambiguous_version", e.to_string()).with_field("hash")
            }
            RegistryError::KindClash { .. } => {
                Failure::new(Class::Conflict, "name_taken", "Name taken by another kind", e.to_string())
            }
            other => Failure::internal(other),
        }
    }
}

impl From<DeployError> for Failure {
    fn from(e: DeployError) -> Self {
        match e {
            DeployError::Registry(e) => e.into(),
            DeployError::UnknownPlugin { .. } => {
                Failure::not_found("plugin_not_found", e.to_string()).with_field("name")
            }
            DeployError::NothingToRollBack { .. } | DeployError::AlreadyActive { .. } => {
                Failure::new(Class::Conflict, "deployment_conflict", "Nothing to change", e.to_string())
            }
            DeployError::BadPercent(_) => {
                Failure::bad_request("invalid_parameter", e.to_string()).with_field("percent")
            }
        }
    }
}

impl From<TenantDbError> for Failure {
    fn from(e: TenantDbError) -> Self {
        match e {
            TenantDbError::AtCapacity { .. } => Failure::unavailable(
                "at_capacity",
                "every tenant database the server can hold open is in use; retry shortly",
                2,
            ),
            other => Failure::internal(other),
        }
    }
}

impl From<tokio::task::JoinError> for Failure {
    fn from(e: tokio::task::JoinError) -> Self {
        Failure::internal(format!("worker task failed: {e}"))
    }
}
