//! Rule schedules in the system database: when each tenant's rule deployment runs by itself
//! (daily or weekly at a local time in a time zone, with a settling time and the rule's
//! parameters), when it last came due, and the audit trail of every change.

use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use duckdb::{OptionalExt, Row, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::system::{SystemDb, SystemError, audit_plugin};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rule_schedules (
    tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, every VARCHAR NOT NULL, at_time VARCHAR NOT NULL,
    weekday VARCHAR, timezone VARCHAR NOT NULL, settle_minutes UINTEGER NOT NULL, params_json VARCHAR NOT NULL,
    updated_by VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL, last_due_at TIMESTAMP,
    PRIMARY KEY (tenant_id, name));
";

/// How often a rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Daily,
    Weekly,
}

impl Every {
    fn as_str(self) -> &'static str {
        match self {
            Every::Daily => "daily",
            Every::Weekly => "weekly",
        }
    }
}

/// When a rule runs by itself and with what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub every: Every,
    /// Local time of day, `HH:MM` (24 h).
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "02:00")]
    pub at: String,
    /// For weekly runs: the day, `monday` … `sunday`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "monday")]
    pub weekday: Option<String>,
    /// IANA time zone of `at`, e.g. `Europe/Berlin` (default `UTC`).
    #[serde(default = "utc")]
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// Minutes after midnight UTC before a day's data counts as complete (default 60): a run
    /// judges the days that ended at least this long before it.
    #[serde(default = "settle")]
    #[schema(maximum = 10080)]
    pub settle_minutes: u32,
    /// The rule's parameters for scheduled runs (the rest take their defaults).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

fn utc() -> String {
    "UTC".to_string()
}

fn settle() -> u32 {
    60
}

/// A tenant's schedule of one rule, as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredSchedule {
    pub tenant_id: String,
    /// The rule's name.
    pub name: String,
    #[serde(flatten)]
    pub schedule: Schedule,
    pub updated_by: String,
    pub updated_at: String,
    /// The due time of the last scheduled run (none before the first).
    pub last_due_at: Option<String>,
}

impl StoredSchedule {
    /// When the schedule last came due, or was last changed when it never did.
    pub fn last_due(&self) -> Option<DateTime<Utc>> {
        self.last_due_at.as_deref().or(Some(self.updated_at.as_str())).and_then(|t| t.parse().ok())
    }
}

const COLUMNS: &str = "tenant_id, name, every, at_time, weekday, timezone, settle_minutes, params_json, updated_by,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%fZ'), strftime(last_due_at, '%Y-%m-%dT%H:%M:%S.%fZ')";

fn schedule_row(r: &Row) -> duckdb::Result<StoredSchedule> {
    let every: String = r.get(2)?;
    let params: String = r.get(7)?;
    Ok(StoredSchedule {
        tenant_id: r.get(0)?,
        name: r.get(1)?,
        schedule: Schedule {
            every: if every == "weekly" { Every::Weekly } else { Every::Daily },
            at: r.get(3)?,
            weekday: r.get(4)?,
            timezone: r.get(5)?,
            settle_minutes: r.get(6)?,
            params: serde_json::from_str(&params).unwrap_or_default(),
        },
        updated_by: r.get(8)?,
        updated_at: r.get(9)?,
        last_due_at: r.get(10)?,
    })
}

fn micros(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

impl SystemDb {
    pub(super) fn create_schedules(conn: &duckdb::Connection) -> Result<(), SystemError> {
        conn.execute_batch(SCHEMA)?;
        Ok(())
    }

    /// Stores `schedule` for rule `name` of `tenant` (replacing any), with its audit entry;
    /// the next run is the first due time after now.
    pub fn set_schedule(
        &self,
        tenant: &str,
        name: &str,
        schedule: &Schedule,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredSchedule, SystemError> {
        let params_json = serde_json::Value::Object(schedule.params.clone()).to_string();
        self.with(|c| {
            c.execute_batch("BEGIN TRANSACTION")?;
            let result = (|| {
                c.execute("DELETE FROM rule_schedules WHERE tenant_id = ? AND name = ?", params![tenant, name])?;
                c.execute(
                    "INSERT INTO rule_schedules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    params![
                        tenant,
                        name,
                        schedule.every.as_str(),
                        schedule.at,
                        schedule.weekday,
                        schedule.timezone,
                        schedule.settle_minutes,
                        params_json,
                        actor,
                        micros(now)
                    ],
                )?;
                let when = match (&schedule.every, &schedule.weekday) {
                    (Every::Weekly, Some(day)) => format!("weekly on {day}"),
                    _ => "daily".to_string(),
                };
                let detail =
                    format!("`{name}`: runs {when} at {} {} with {params_json}", schedule.at, schedule.timezone);
                audit_plugin(c, actor, "rule.schedule", Some(tenant), &detail, [Some(name), None, None])
            })();
            match result {
                Ok(()) => c.execute_batch("COMMIT").map_err(SystemError::from),
                Err(e) => {
                    let _ = c.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })?;
        Ok(self.schedule(tenant, name)?.expect("just stored"))
    }

    /// Removes the schedule of rule `name`; whether there was one.
    pub fn remove_schedule(&self, tenant: &str, name: &str, actor: &str) -> Result<bool, SystemError> {
        self.with(|c| {
            let removed =
                c.execute("DELETE FROM rule_schedules WHERE tenant_id = ? AND name = ?", params![tenant, name])?;
            if removed > 0 {
                let detail = format!("`{name}`: schedule removed");
                audit_plugin(c, actor, "rule.unschedule", Some(tenant), &detail, [Some(name), None, None])?;
            }
            Ok(removed > 0)
        })
    }

    pub fn schedule(&self, tenant: &str, name: &str) -> Result<Option<StoredSchedule>, SystemError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM rule_schedules WHERE tenant_id = ? AND name = ?"),
                params![tenant, name],
                schedule_row,
            )
            .optional()
            .map_err(SystemError::from)
        })
    }

    /// Every schedule, of one tenant or of all.
    pub fn schedules(&self, tenant: Option<&str>) -> Result<Vec<StoredSchedule>, SystemError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM rule_schedules WHERE ? IS NULL OR tenant_id = ? ORDER BY tenant_id, name"
            ))?;
            let rows = stmt.query_map(params![tenant, tenant], schedule_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Records that the schedule of `name` came due at `due` (its run is starting).
    pub fn mark_due(&self, tenant: &str, name: &str, due: DateTime<Utc>) -> Result<(), SystemError> {
        self.with(|c| {
            c.execute(
                "UPDATE rule_schedules SET last_due_at = ? WHERE tenant_id = ? AND name = ?",
                params![micros(due), tenant, name],
            )?;
            Ok(())
        })
    }
}
