//! The canonical tenant tables, declared once: DDL, ingest validation rules and the
//! schema reference in `data/SCHEMA.md` are all derived from these specs.

use std::fmt::Write as _;

/// The SQL type of a column as stored in the tenant database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    BigInt,
    Double,
    Boolean,
    Timestamp,
    Date,
}

impl ColumnType {
    pub fn sql(self) -> &'static str {
        match self {
            ColumnType::Text => "VARCHAR",
            ColumnType::Integer => "INTEGER",
            ColumnType::BigInt => "BIGINT",
            ColumnType::Double => "DOUBLE",
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Timestamp => "TIMESTAMP",
            ColumnType::Date => "DATE",
        }
    }

    /// Words for error messages and the schema reference.
    pub fn describe(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer | ColumnType::BigInt => "integer",
            ColumnType::Double => "number",
            ColumnType::Boolean => "boolean (true/false)",
            ColumnType::Timestamp => "timestamp (ISO 8601, UTC unless an offset is given)",
            ColumnType::Date => "date (YYYY-MM-DD)",
        }
    }

    /// An SQL expression turning the text `raw` into this type, NULL when it does not parse.
    /// Timestamps with an offset are converted to UTC.
    pub fn try_cast(self, raw: &str) -> String {
        match self {
            ColumnType::Timestamp => format!("CAST(TRY_CAST({raw} AS TIMESTAMPTZ) AS TIMESTAMP)"),
            other => format!("TRY_CAST({raw} AS {})", other.sql()),
        }
    }
}

/// A rule checked on every ingested row, beyond the column's type.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Inclusive numeric range.
    Range(f64, f64),
    /// One of a fixed set of values.
    OneOf(&'static [&'static str]),
    /// Must name an existing row of another table: (table, column).
    References(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub required: bool,
    pub rule: Option<Rule>,
    /// Stored when the column is absent or null; an SQL literal.
    pub default: Option<&'static str>,
    pub unit: &'static str,
    pub doc: &'static str,
}

/// A condition over several columns of one row; rows where `holds` is false are rejected
/// with `message`, reported against `column`.
#[derive(Debug, Clone, Copy)]
pub struct RowCheck {
    pub column: &'static str,
    pub holds: &'static str,
    pub message: &'static str,
}

#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// The natural id: unique, keys re-sent rows.
    pub key: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
    pub checks: &'static [RowCheck],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn create_sql(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let not_null = if c.required || c.default.is_some() { " NOT NULL" } else { "" };
                format!("{} {}{}", c.name, c.ty.sql(), not_null)
            })
            .collect();
        format!("CREATE TABLE IF NOT EXISTS {} ({})", self.name, cols.join(", "))
    }
}

const fn col(name: &'static str, ty: ColumnType, doc: &'static str) -> Column {
    Column { name, ty, required: false, rule: None, default: None, unit: "", doc }
}

const fn req(name: &'static str, ty: ColumnType, doc: &'static str) -> Column {
    Column { name, ty, required: true, rule: None, default: None, unit: "", doc }
}

impl Column {
    const fn rule(mut self, rule: Rule) -> Self {
        self.rule = Some(rule);
        self
    }
    const fn default(mut self, literal: &'static str) -> Self {
        self.default = Some(literal);
        self
    }
    const fn unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }
}

use ColumnType::*;

pub const EMPLOYMENT_TYPES: &[&str] = &["employee", "contractor", "crowd"];
pub const CHANNELS: &[&str] = &["voice", "chat", "email", "messaging", "self_service"];
pub const OUTCOMES: &[&str] = &["handled", "abandoned", "self_service"];
pub const AGENT_STATES: &[&str] = &["available", "unavailable"];

pub static AGENTS: Table = Table {
    name: "agents",
    key: "agent_id",
    doc: "Everyone who handles contacts: employees, home-based independent contractors and crowd agents.",
    columns: &[
        req("agent_id", Text, "Stable identifier of the agent."),
        col("name", Text, "Display name; hidden from crowd-safe roles in later releases."),
        req("employment_type", Text, "How the agent works for the tenant.").rule(Rule::OneOf(EMPLOYMENT_TYPES)),
        req("team", Text, "Team the agent belongs to now; team-level metrics group by it."),
        req("site", Text, "Site or hub; home-based and crowd agents use a virtual site such as `home`."),
        col("hired_at", Date, "First day of work for the tenant; tenure is measured from it."),
        col("skills", Text, "Skills separated by `;`, e.g. `billing;sales`."),
        col("timezone", Text, "IANA time zone the agent works in, e.g. `Europe/Berlin`."),
    ],
    checks: &[],
};

pub static INTERACTIONS: Table = Table {
    name: "interactions",
    key: "interaction_id",
    doc: "One contact of a customer on any channel, self-service included.",
    columns: &[
        req("interaction_id", Text, "Stable identifier of the contact."),
        req("customer_id", Text, "Who contacted; repeat-contact and containment metrics key on it."),
        col("agent_id", Text, "Agent who handled the contact; empty when abandoned or self-served.")
            .rule(Rule::References("agents", "agent_id")),
        req("channel", Text, "Contact channel.").rule(Rule::OneOf(CHANNELS)),
        req("queue", Text, "Queue or skill group the contact was routed to."),
        col("contact_reason", Text, "Why the customer got in touch, e.g. `billing`."),
        req("offered_at", Timestamp, "When the contact entered the queue (or the self-service flow).").unit("UTC"),
        col("answered_at", Timestamp, "When an agent picked it up; empty when never answered.").unit("UTC"),
        col("ended_at", Timestamp, "When the contact ended or the customer abandoned.").unit("UTC"),
        req("outcome", Text, "`handled` by an agent, `abandoned` before an answer, or `self_service`.")
            .rule(Rule::OneOf(OUTCOMES)),
        col("talk_seconds", Integer, "Time talking or actively chatting.")
            .rule(Rule::Range(0.0, 86_400.0))
            .default("0")
            .unit("s"),
        col("hold_seconds", Integer, "Time the customer was on hold.")
            .rule(Rule::Range(0.0, 86_400.0))
            .default("0")
            .unit("s"),
        col("wrap_seconds", Integer, "After-contact work.").rule(Rule::Range(0.0, 86_400.0)).default("0").unit("s"),
        col("transferred", Boolean, "The agent transferred the contact onward.").default("false"),
        col("sales_eligible", Boolean, "The contact was a sales opportunity.").default("false"),
        col("sale", Boolean, "A sale was made on the contact.").default("false"),
        col("revenue_cents", BigInt, "Revenue of the sale in minor units.")
            .rule(Rule::Range(0.0, 1e15))
            .default("0")
            .unit("cents"),
        col(
            "sentiment",
            Double,
            "Customer sentiment of the contact as a vendor scored it; the tenant's enricher scores `notes`.",
        )
        .rule(Rule::Range(-1.0, 1.0)),
        col(
            "notes",
            Text,
            "Transcript or the agent's notes of the contact; the tenant's enricher scores it (sentiment, topics, language).",
        ),
    ],
    checks: &[
        RowCheck {
            column: "answered_at",
            holds: "answered_at IS NULL OR answered_at >= offered_at",
            message: "answered_at is before offered_at",
        },
        RowCheck {
            column: "ended_at",
            holds: "ended_at IS NULL OR ended_at >= coalesce(answered_at, offered_at)",
            message: "ended_at is before answered_at/offered_at",
        },
        RowCheck {
            column: "agent_id",
            holds: "outcome <> 'handled' OR agent_id IS NOT NULL",
            message: "a handled contact needs agent_id",
        },
        RowCheck {
            column: "answered_at",
            holds: "outcome <> 'handled' OR channel = 'email' OR answered_at IS NOT NULL",
            message: "a handled contact needs answered_at",
        },
        RowCheck {
            column: "answered_at",
            holds: "outcome <> 'abandoned' OR answered_at IS NULL",
            message: "an abandoned contact cannot have answered_at",
        },
        RowCheck {
            column: "ended_at",
            holds: "outcome <> 'abandoned' OR ended_at IS NOT NULL",
            message: "an abandoned contact needs ended_at (when the customer gave up)",
        },
        RowCheck {
            column: "outcome",
            holds: "(outcome = 'self_service') = (channel = 'self_service')",
            message: "outcome self_service goes with channel self_service and only with it",
        },
        RowCheck {
            column: "sale",
            holds: "NOT sale OR sales_eligible",
            message: "a sale on a contact that is not sales_eligible",
        },
    ],
};

pub static CUSTOMER_FEEDBACK: Table = Table {
    name: "customer_feedback",
    key: "feedback_id",
    doc: "A customer's survey answer after a contact: CSAT, NPS, CES and a comment.",
    columns: &[
        req("feedback_id", Text, "Stable identifier of the response."),
        col("interaction_id", Text, "The contact the feedback is about.")
            .rule(Rule::References("interactions", "interaction_id")),
        req("customer_id", Text, "Who answered."),
        col("agent_id", Text, "Agent the feedback is about.").rule(Rule::References("agents", "agent_id")),
        req("responded_at", Timestamp, "When the customer answered.").unit("UTC"),
        col("csat", Integer, "Satisfaction on a 1–5 scale.").rule(Rule::Range(1.0, 5.0)),
        col("nps", Integer, "Likelihood to recommend on a 0–10 scale.").rule(Rule::Range(0.0, 10.0)),
        col("ces", Integer, "Effort agreement (\"easy to handle\") on a 1–7 scale.").rule(Rule::Range(1.0, 7.0)),
        col("comment", Text, "Free-text comment."),
    ],
    checks: &[RowCheck {
        column: "csat",
        holds: "csat IS NOT NULL OR nps IS NOT NULL OR ces IS NOT NULL OR comment IS NOT NULL",
        message: "feedback carries no csat, nps, ces or comment",
    }],
};

pub static EMPLOYEE_SURVEYS: Table = Table {
    name: "employee_surveys",
    key: "response_id",
    doc: "An agent's answer to an employee survey: eNPS and engagement items on 1–5 scales.",
    columns: &[
        req("response_id", Text, "Stable identifier of the response."),
        req("agent_id", Text, "Who answered; shown only in groups of at least the tenant's minimum size.")
            .rule(Rule::References("agents", "agent_id")),
        col("survey", Text, "Survey wave, e.g. `pulse-2026-03`."),
        req("responded_at", Timestamp, "When the agent answered.").unit("UTC"),
        col("enps", Integer, "Likelihood to recommend the workplace, 0–10.").rule(Rule::Range(0.0, 10.0)),
        col("engagement", Integer, "\"I am proud to work here\", 1–5.").rule(Rule::Range(1.0, 5.0)),
        col("wellbeing", Integer, "\"My workload lets me stay well\", 1–5.").rule(Rule::Range(1.0, 5.0)),
        col("manager_support", Integer, "\"My lead helps me improve\", 1–5.").rule(Rule::Range(1.0, 5.0)),
        col("tools", Integer, "\"My tools let me help customers\", 1–5.").rule(Rule::Range(1.0, 5.0)),
        col("comment", Text, "Free-text comment."),
    ],
    checks: &[RowCheck {
        column: "enps",
        holds: "enps IS NOT NULL OR engagement IS NOT NULL OR wellbeing IS NOT NULL \
                OR manager_support IS NOT NULL OR tools IS NOT NULL OR comment IS NOT NULL",
        message: "survey response carries no answer",
    }],
};

pub static AGENT_STATES_TABLE: Table = Table {
    name: "agent_states",
    key: "state_id",
    doc: "Intervals of agent availability, for occupancy: `available` is logged in and idle-ready, \
          `unavailable` is break, training or meetings. Handling time comes from interactions.",
    columns: &[
        req("state_id", Text, "Stable identifier of the interval."),
        req("agent_id", Text, "Whose interval.").rule(Rule::References("agents", "agent_id")),
        req("state", Text, "State in the interval.").rule(Rule::OneOf(AGENT_STATES)),
        req("started_at", Timestamp, "Start of the interval.").unit("UTC"),
        req("ended_at", Timestamp, "End of the interval.").unit("UTC"),
    ],
    checks: &[RowCheck {
        column: "ended_at",
        holds: "ended_at >= started_at",
        message: "ended_at is before started_at",
    }],
};

pub static SCHEDULES: Table = Table {
    name: "schedules",
    key: "shift_id",
    doc: "Scheduled shifts, for attendance and schedule adherence: an agent is expected to log in \
          (an `agent_states` interval) between `starts_at` and `ends_at`.",
    columns: &[
        req("shift_id", Text, "Stable identifier of the scheduled shift."),
        req("agent_id", Text, "Whose shift.").rule(Rule::References("agents", "agent_id")),
        req("starts_at", Timestamp, "Scheduled start.").unit("UTC"),
        req("ends_at", Timestamp, "Scheduled end.").unit("UTC"),
    ],
    checks: &[RowCheck { column: "ends_at", holds: "ends_at > starts_at", message: "ends_at is not after starts_at" }],
};

pub static CERTIFICATIONS: Table = Table {
    name: "certifications",
    key: "certification_id",
    doc: "Certifications an agent completed (a skill, a product, a language), for pay bonuses and badges.",
    columns: &[
        req("certification_id", Text, "Stable identifier of the completion."),
        req("agent_id", Text, "Who completed it.").rule(Rule::References("agents", "agent_id")),
        req("certification", Text, "Code of the certification, e.g. `billing_expert`."),
        req("completed_at", Timestamp, "When it was completed.").unit("UTC"),
    ],
    checks: &[],
};

pub static QA_EVALUATIONS: Table = Table {
    name: "qa_evaluations",
    key: "evaluation_id",
    doc: "Quality-assurance scores of an agent's contacts.",
    columns: &[
        req("evaluation_id", Text, "Stable identifier of the evaluation."),
        req("agent_id", Text, "Agent evaluated.").rule(Rule::References("agents", "agent_id")),
        col("interaction_id", Text, "Contact evaluated.").rule(Rule::References("interactions", "interaction_id")),
        req("evaluated_at", Timestamp, "When the evaluation was made.").unit("UTC"),
        req("score", Double, "Score in percent.").rule(Rule::Range(0.0, 100.0)).unit("%"),
        col("evaluator", Text, "Who evaluated."),
    ],
    checks: &[],
};

pub static COACHING_SESSIONS: Table = Table {
    name: "coaching_sessions",
    key: "session_id",
    doc: "Coaching sessions held with an agent: who coached, when, on what, and the coaching task \
          it answers. Ingested like the other tables, or recorded when a task is marked done \
          (`PATCH …/actions/{id}`); the coaching-impact analysis compares the coached agent's \
          figures before and after against comparable agents.",
    columns: &[
        req("session_id", Text, "Stable identifier of the session."),
        req("agent_id", Text, "Who was coached.").rule(Rule::References("agents", "agent_id")),
        req("coach", Text, "Who coached: a team lead, a QA specialist."),
        req("held_at", Timestamp, "When the session was held.").unit("UTC"),
        req("topic", Text, "The metric (as the API names it, e.g. `fcr`) or behaviour coached."),
        col("action_id", Text, "The coaching task the session answers; the next rule run closes it as done.")
            .rule(Rule::References("actions", "action_id")),
        col("notes", Text, "What was agreed."),
    ],
    checks: &[],
};

/// Every canonical table, in the order they may be loaded (referenced tables first).
pub static TABLES: &[&Table] = &[
    &AGENTS,
    &INTERACTIONS,
    &CUSTOMER_FEEDBACK,
    &EMPLOYEE_SURVEYS,
    &AGENT_STATES_TABLE,
    &SCHEDULES,
    &QA_EVALUATIONS,
    &CERTIFICATIONS,
    &COACHING_SESSIONS,
];

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// Columns added to canonical tables after their first release, for databases made before.
pub const MIGRATIONS: &str = "ALTER TABLE interactions ADD COLUMN IF NOT EXISTS notes VARCHAR;";

/// Indexes-free schema: ids are kept unique by ingest (anti-join on the key), which is far
/// cheaper for bulk loads than DuckDB's ART index.
pub fn create_all_sql() -> String {
    TABLES.iter().map(|t| t.create_sql() + ";\n").collect()
}

/// The schema reference in Markdown, as checked in at `data/SCHEMA.md`.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Tenant data schema\n\n\
         Generated from `host/src/store/schema.rs` by `cxhost schema`; a test keeps this file \
         in step with the code.\n\n\
         Every tenant has its own DuckDB file holding these tables. Times are UTC timestamps \
         (an ISO 8601 value with an offset is converted to UTC on ingest), durations are whole \
         seconds and money is integer minor units (cents). Each table has a natural id: a row \
         whose id is already stored is skipped on ingest (or replaced with `on_conflict=replace`), \
         so re-sending a batch changes nothing. Load `agents` before the tables that reference them.\n",
    );
    for t in TABLES {
        let _ = write!(out, "\n## `{}`\n\n{}\n\nKey: `{}`.\n\n", t.name, t.doc, t.key);
        out.push_str("| column | type | required | rule | unit | meaning |\n|---|---|---|---|---|---|\n");
        for c in t.columns {
            let rule = match c.rule {
                Some(Rule::Range(lo, hi)) => format!("{lo} to {hi}"),
                Some(Rule::OneOf(values)) => values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
                Some(Rule::References(table, column)) => format!("an existing `{table}.{column}`"),
                None => String::new(),
            };
            let required = match (c.required, c.default) {
                (true, _) => "yes".to_string(),
                (false, Some(d)) => format!("no (default {d})"),
                (false, None) => "no".to_string(),
            };
            let _ =
                writeln!(out, "| `{}` | {} | {} | {} | {} | {} |", c.name, c.ty.sql(), required, rule, c.unit, c.doc);
        }
        if !t.checks.is_empty() {
            out.push_str("\nRow checks:\n");
            for check in t.checks {
                let _ =
                    writeln!(out, "- `{}` — rejected with \"{}\" on `{}`", check.holds, check.message, check.column);
            }
        }
    }
    out.push_str(
        "\n## Derived tables\n\n\
         Written by the server, never ingested; plugins can read them like the tables above. \
         `pay_statements` and `pay_lines` hold the pay ledger (a statement is replaced, never \
         edited: `superseded_by` names its successor); `points_ledger` is append-only (a \
         correction is an entry that `reverses` another) and `game_flags` holds suspected gaming; \
         `actions` holds the coaching tasks and alerts of rule runs (one live action per agent or \
         team and cause), `action_events` every change of their state with who made it, and \
         `rule_runs` the log of rule runs; `enrichments` the sentiment, topics, tags and language \
         the tenant's enricher gave each comment and note (`source` names the table, `row_id` the \
         row; `state` pending, done or failed), and `route_decisions` the sampled log of routing \
         decisions.\n\n```sql",
    );
    out.push_str(super::pay::CREATE_SQL);
    out.push_str(super::awards::CREATE_SQL);
    out.push_str(super::actions::CREATE_SQL);
    out.push_str(super::enrichments::CREATE_SQL);
    out.push_str(super::route_decisions::CREATE_SQL);
    out.push_str("\n```\n");
    out
}
