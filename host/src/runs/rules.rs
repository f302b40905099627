//! Rule runs: the serving version of a rule (or its canary, by run) judges the tenant's
//! finished periods through the host's analytics, its proposed actions are checked against
//! the tenant's agents and teams and reconciled with the actions ledger, the run is logged
//! (failed runs too), and a shadow candidate, if any, is compared action by action.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Days, Duration, Utc};
use serde_json::{Value, json};

use crate::analytics::host::TenantAnalytics;
use crate::app::Services;
use crate::config::PluginLimits;
use crate::deploy::shadow::ActionDiff;
use crate::deploy::{CallPlan, PlanError, ServedAs};
use crate::params::{self, ParamError};
use crate::runtime::CallImports;
use crate::runtime::bindings::{ActionKind, EvidenceItem, Param, PluginKind, RuleRequest, RuleResult};
use crate::runtime::worlds::RuleWorld;
use crate::runtime::{CallError, Plugin};
use crate::store::TenantDb;
use crate::store::actions::{self, ActionsError, Kind, NewRun, Proposed, Reconciled, RuleRun};
use crate::store::system::Tenant;
use crate::store::tenant::TenantDbError;
use crate::text::{check_label, check_text};

/// Most actions one run may propose.
pub const MAX_ACTIONS: usize = 100_000;
/// Most evidence items of one action.
pub const MAX_EVIDENCE: usize = 60;
pub const MAX_SUBJECT_BYTES: usize = 64;
pub const MAX_CAUSE_BYTES: usize = 256;
pub const MAX_TITLE_BYTES: usize = 200;
pub const MAX_DETAIL_BYTES: usize = 2_000;
pub const MAX_PRIORITY: u8 = 9;
pub const MAX_DUE_DAYS: u32 = 366;
/// How far ahead of the server's clock an on-demand run may say it runs (clock skew).
const FUTURE_SLACK: Duration = Duration::minutes(5);

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Database(#[from] TenantDbError),
    #[error("cannot read the tenant's agents: {0}")]
    Agents(#[source] duckdb::Error),
    #[error(transparent)]
    Ledger(#[from] ActionsError),
    #[error("`at` is {0}, after now: a rule judges periods that are over")]
    InTheFuture(String),
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    OnDemand,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::OnDemand => "on_demand",
        }
    }
}

/// The end of the finished periods a run at `at` may judge: midnight UTC that begins the day
/// of `at − settle`.
pub fn judged_until(at: DateTime<Utc>, settle: Duration) -> DateTime<Utc> {
    let day = (at - settle).date_naive();
    day.and_hms_opt(0, 0, 0).map_or(at, |t| t.and_utc())
}

/// A new run id: the run's time and a random suffix, so ids sort by time.
fn new_run_id(at: DateTime<Utc>) -> String {
    format!("rr-{}-{:06x}", at.format("%Y%m%dT%H%M%S"), rand::random::<u32>() & 0xff_ffff)
}

/// A run resolved and read, ready to execute.
pub struct RulePlan {
    pub run_id: String,
    pub tenant: Tenant,
    pub plan: CallPlan,
    pub params: Vec<Param>,
    /// Every parameter the rule runs with, as JSON.
    pub echoed: BTreeMap<String, Value>,
    /// The parameters as given: a shadow candidate reads them against its own `describe()`,
    /// taking its own defaults for the others.
    pub given: HashMap<String, String>,
    pub at: DateTime<Utc>,
    pub judged_until: DateTime<Utc>,
    pub limits: PluginLimits,
    pub trigger: Trigger,
    pub actor: String,
}

/// What one run asks for.
pub struct RunAsk<'a> {
    pub rule: &'a str,
    /// When the run happens (the clock when none): it judges the periods over by then.
    pub at: Option<DateTime<Utc>>,
    /// How long after a period ends its data counts as complete.
    pub settle: Duration,
    /// The rule's parameters as JSON (the rest take their defaults).
    pub params: &'a serde_json::Map<String, Value>,
    pub trigger: Trigger,
    pub actor: &'a str,
}

/// A run's checked output: the judged period and the actions, with what the ledger needs.
pub struct Checked {
    pub period: (DateTime<Utc>, DateTime<Utc>),
    pub proposals: Vec<Proposed>,
}

/// What a run did.
pub struct RuleOutcome {
    pub run_id: String,
    pub served_by: Arc<Plugin>,
    pub served_as: ServedAs,
    pub period: (DateTime<Utc>, DateTime<Utc>),
    pub proposed: usize,
    pub reconciled: Reconciled,
    pub elapsed_ms: f64,
}

impl RulePlan {
    /// Resolves rule `ask.rule` for `tenant` (a canary takes its share of runs, by run id) and
    /// reads the run's time and parameters.
    pub fn prepare(state: &Services, tenant: &Tenant, ask: &RunAsk) -> Result<RulePlan, RuleError> {
        let now = Utc::now();
        let at = ask.at.unwrap_or(now);
        if at > now + FUTURE_SLACK {
            return Err(RuleError::InTheFuture(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
        }
        let run_id = new_run_id(at);
        let plan =
            state.deployments.plan_of_kind(&state.registry, (&tenant.id, ask.rule, &run_id), PluginKind::Rule)?;
        let given: HashMap<String, String> = params::texts_of(ask.params);
        let (params, echoed) = params::plugin_params(&plan.serve.info, given.clone(), "(none besides its own)")?;
        Ok(RulePlan {
            run_id,
            tenant: tenant.clone(),
            plan,
            params,
            echoed,
            given,
            at,
            judged_until: judged_until(at, ask.settle),
            limits: state.limits_of(tenant),
            trigger: ask.trigger,
            actor: ask.actor.to_string(),
        })
    }

    fn request(&self) -> RuleRequest {
        RuleRequest {
            judged_until: self.judged_until.timestamp_micros(),
            run_at: self.at.timestamp_micros(),
            params: self.params.clone(),
        }
    }

    /// Runs the rule by the plan, reconciles its checked actions with the ledger, logs the run
    /// (a failed one too) and compares the shadow candidate's actions. Blocking: it runs plugins.
    pub fn execute(&self, state: &Arc<Services>) -> Result<RuleOutcome, RuleError> {
        let started = Instant::now();
        let db = state.tenants.get(&self.tenant.id)?;
        let teams = crate::store::overview::agent_teams(&db).map_err(RuleError::Agents)?;
        let request = self.request();
        let analytics = Arc::new(TenantAnalytics {
            judged_until: Some(request.judged_until),
            ..TenantAnalytics::new(state.clone(), self.tenant.clone(), self.actor.clone(), db.clone(), self.limits)
        });
        let runtime = state.registry.runtime();
        let compute_with = |plugin: &Plugin, request: &RuleRequest| {
            let result = runtime.call::<RuleWorld>(
                plugin,
                db.clone(),
                CallImports::analytics(analytics.clone()),
                self.limits,
                request,
            )?;
            check(&result, self.at, self.judged_until, &teams).map_err(|detail| CallError::InvalidResult {
                plugin: plugin.info.name.clone(),
                version: plugin.info.version.clone(),
                detail,
            })
        };
        let compute = |plugin: &Plugin| {
            if plugin.hash == self.plan.serve.hash {
                return compute_with(plugin, &request);
            }
            // A fallback reads the given parameters it declares against its own `describe()`,
            // taking its own defaults for the others (the serving version's, if a value does
            // not fit it).
            let declared: HashSet<&str> = plugin.info.params.iter().map(|p| p.name.as_str()).collect();
            let given = self.given.iter().filter(|(name, _)| declared.contains(name.as_str()));
            let given = given.map(|(name, value)| (name.clone(), value.clone())).collect();
            let own = params::plugin_params(&plugin.info, given, "(none besides its own)");
            let params = own.map_or_else(|_| request.params.clone(), |(params, _)| params);
            compute_with(plugin, &RuleRequest { params, ..self.request() })
        };
        let context = state.call_context(&self.tenant.id, &self.plan.serve.info.name, db.clone(), self.limits);
        let params = json!(self.echoed);
        let log =
            |served: Option<&Plugin>, served_as: ServedAs, outcome: Result<(usize, &Reconciled), &str>, period| {
                let served_as = served_as_name(served_as);
                actions::record_run(
                    &db,
                    &NewRun {
                        run_id: &self.run_id,
                        rule: &self.plan.serve.info.name,
                        served: served.map(|p| (p.info.version.as_str(), p.hash.as_str(), served_as)),
                        trigger: self.trigger.as_str(),
                        actor: &self.actor,
                        run_at: self.at,
                        judged_until: self.judged_until,
                        period,
                        outcome,
                        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
                        params: &params,
                    },
                )
            };
        let answer = match context.answer_with(&self.plan, compute) {
            Ok(answer) => answer,
            Err(error) => {
                log(Some(&self.plan.serve), self.plan.served_as, Err(&error.to_string()), None)?;
                return Err(error.into());
            }
        };
        let served = &answer.served_by;
        let checked = &answer.result;
        let run = RuleRun {
            rule: &served.info.name,
            version: &served.info.version,
            run_id: &self.run_id,
            at: self.at,
            judged_from: checked.period.0,
        };
        let reconciled = match actions::reconcile(&db, &run, &checked.proposals) {
            Ok(reconciled) => reconciled,
            Err(error) => {
                let _ = log(Some(served), answer.served_as, Err("the actions ledger could not be written"), None);
                return Err(error.into());
            }
        };
        log(Some(served), answer.served_as, Ok((checked.proposals.len(), &reconciled)), Some(checked.period))?;
        if let Some(candidate) = self.plan.shadow.as_ref().filter(|_| answer.served_as != ServedAs::Fallback) {
            // The candidate reads the given parameters against its own `describe()`.
            let compared = params::plugin_params(&candidate.info, self.given.clone(), "(none besides its own)")
                .map_err(|e| format!("plugin `{}` {}: {e}", candidate.info.name, candidate.info.version))
                .and_then(|(params, _)| {
                    let request = RuleRequest { params, ..self.request() };
                    context
                        .candidate(candidate, |plugin| compute_with(plugin, &request))
                        .map(|output| diffs_of(&output.proposals))
                        .map_err(|e| e.to_string())
                });
            let served_diffs = diffs_of(&checked.proposals);
            state.deployments.shadows.update(&self.tenant.id, &candidate.info.name, &candidate.hash, |shadow| {
                match compared {
                    Ok(candidate) => shadow.add_actions(&served_diffs, &candidate),
                    Err(e) => shadow.add_candidate_error(e),
                }
            });
        }
        Ok(RuleOutcome {
            run_id: self.run_id.clone(),
            served_by: answer.served_by.clone(),
            served_as: answer.served_as,
            period: checked.period,
            proposed: checked.proposals.len(),
            reconciled,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// The role a version served in, as the run log names it.
pub fn served_as_name(served_as: ServedAs) -> &'static str {
    match served_as {
        ServedAs::Standard => "standard",
        ServedAs::Active => "active",
        ServedAs::Canary => "canary",
        ServedAs::Fallback => "fallback",
    }
}

/// Proposals as a shadow report compares them.
pub fn diffs_of(proposals: &[Proposed]) -> Vec<ActionDiff> {
    proposals
        .iter()
        .map(|p| ActionDiff {
            change: crate::deploy::shadow::ActionChange::WouldOpen,
            agent_id: p.agent_id.clone(),
            team: p.team.clone(),
            subject: p.subject.clone(),
            cause: p.cause.clone(),
            title: p.title.clone(),
        })
        .collect()
}

fn time(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_micros(micros)
}

/// Checks a rule's answer against the request and the tenant's agents (`teams`: each agent's
/// team) and turns it into proposals for the ledger: the judged period inside the finished
/// periods; at most [`MAX_ACTIONS`]; each action's texts, evidence, priority and due date
/// within their limits; a coaching task names one of the tenant's agents (and at most that
/// agent's team), an alert no agent and, if a team, one of the tenant's teams.
pub fn check(
    result: &RuleResult,
    at: DateTime<Utc>,
    judged_until: DateTime<Utc>,
    teams: &HashMap<String, String>,
) -> Result<Checked, String> {
    let (Some(start), Some(end)) = (time(result.period_start), time(result.period_end)) else {
        return Err("the judged period is out of range".to_string());
    };
    if start >= end {
        return Err(format!("the judged period starts at {start} but ends at {end}"));
    }
    if end > judged_until {
        return Err(format!(
            "the judged period ends at {}, after the finished periods (which end at {}): a period still \
             receiving data is not judged",
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            judged_until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    if result.actions.len() > MAX_ACTIONS {
        return Err(format!("{} actions, more than the limit of {MAX_ACTIONS}", result.actions.len()));
    }
    let known_teams: HashSet<&str> = teams.values().map(String::as_str).collect();
    let mut proposals = Vec::with_capacity(result.actions.len());
    for (i, action) in result.actions.iter().enumerate() {
        let proposal = check_action(action, at, teams, &known_teams)
            .map_err(|why| format!("action {} is invalid: {why}", i + 1))?;
        proposals.push(proposal);
    }
    Ok(Checked { period: (start, end), proposals })
}

fn check_action(
    action: &crate::runtime::bindings::RuleAction,
    at: DateTime<Utc>,
    teams: &HashMap<String, String>,
    known_teams: &HashSet<&str>,
) -> Result<Proposed, String> {
    let shown = crate::text::shown;
    for (what, text, max) in [
        ("the subject", &action.subject, MAX_SUBJECT_BYTES),
        ("the cause", &action.cause, MAX_CAUSE_BYTES),
        ("the title", &action.title, MAX_TITLE_BYTES),
    ] {
        check_label(what, text, max)?;
        if text.trim().is_empty() {
            return Err(format!("{what} is empty"));
        }
    }
    check_text("the detail", &action.detail, MAX_DETAIL_BYTES)?;
    if action.priority > MAX_PRIORITY {
        return Err(format!("priority {} is more than {MAX_PRIORITY}", action.priority));
    }
    if action.due_days > MAX_DUE_DAYS {
        return Err(format!("due in {} days, more than {MAX_DUE_DAYS}", action.due_days));
    }
    if action.evidence.len() > MAX_EVIDENCE {
        return Err(format!("{} evidence items, more than the limit of {MAX_EVIDENCE}", action.evidence.len()));
    }
    let (kind, team) = match action.kind {
        ActionKind::CoachingTask => {
            let agent = action.agent_id.as_deref().ok_or("a coaching task names no agent")?;
            let team =
                teams.get(agent).ok_or_else(|| format!("agent `{}` is not in the tenant's agents", shown(agent)))?;
            if let Some(given) = action.team.as_deref().filter(|t| *t != team) {
                return Err(format!("agent `{agent}` is in team `{team}`, not `{}`", shown(given)));
            }
            (Kind::CoachingTask, Some(team.clone()))
        }
        ActionKind::Alert => {
            if let Some(agent) = &action.agent_id {
                return Err(format!("an alert names agent `{}`; alerts are about a team or the tenant", shown(agent)));
            }
            if let Some(team) = action.team.as_deref().filter(|t| !known_teams.contains(t)) {
                return Err(format!("team `{}` is not a team of the tenant's agents", shown(team)));
            }
            (Kind::Alert, action.team.clone())
        }
    };
    let evidence: Vec<Value> =
        action.evidence.iter().enumerate().map(|(n, e)| evidence_json(e, n + 1)).collect::<Result<_, _>>()?;
    Ok(Proposed {
        kind,
        agent_id: action.agent_id.clone(),
        team,
        subject: action.subject.clone(),
        cause: action.cause.clone(),
        title: action.title.clone(),
        detail: action.detail.clone(),
        evidence: Value::Array(evidence).to_string(),
        priority: i32::from(action.priority),
        due_at: (action.due_days > 0).then(|| at + Days::new(u64::from(action.due_days))),
    })
}

fn evidence_json(e: &EvidenceItem, n: usize) -> Result<Value, String> {
    check_label(&format!("the metric of evidence item {n}"), &e.metric, MAX_TITLE_BYTES)?;
    let (Some(start), Some(end)) = (time(e.period_start), time(e.period_end)) else {
        return Err(format!("evidence item {n} has a period out of range"));
    };
    if start >= end {
        return Err(format!("evidence item {n} has a period that does not end after it starts"));
    }
    for (what, v) in [("value", e.value), ("threshold", e.threshold), ("sample", e.sample)] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(format!("evidence item {n} has a non-finite {what}"));
        }
    }
    let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(json!({
        "metric": e.metric,
        "period_start": iso(start),
        "period_end": iso(end),
        "value": e.value,
        "threshold": e.threshold,
        "sample": e.sample,
        "breach": e.breach,
    }))
}

/// Runs `plan` in one of the tenant's places. The one way the API, the scheduler and the
/// demo run a rule.
pub async fn run_admitted(state: &Arc<Services>, plan: RulePlan) -> Result<(RulePlan, RuleOutcome), RunFailure> {
    let admitted = state.admit(&plan.tenant).await.map_err(RunFailure::Refused)?;
    let worker = state.clone();
    let (plan, outcome) = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let outcome = plan.execute(&worker);
        (plan, outcome)
    })
    .await
    .map_err(RunFailure::Task)?;
    Ok((plan, outcome.map_err(RunFailure::Rule)?))
}

/// Why a run did not happen or failed.
#[derive(Debug, thiserror::Error)]
pub enum RunFailure {
    #[error(transparent)]
    Refused(crate::admission::Refused),
    #[error("the run's task failed: {0}")]
    Task(tokio::task::JoinError),
    #[error(transparent)]
    Rule(RuleError),
}

/// The serving version's actions, and the candidate's or why it failed.
pub type Compared = (Vec<ActionDiff>, Result<Vec<ActionDiff>, CallError>);

/// A rule's shadow candidate and its serving version judging the same run; nothing is
/// written. Blocking: it runs plugins.
pub fn compare(
    state: &Arc<Services>,
    tenant: &Tenant,
    (serving, candidate): (&Plugin, &Plugin),
    (at, given): (DateTime<Utc>, &HashMap<String, String>),
    limits: PluginLimits,
) -> Result<Compared, RuleError> {
    // Like a run, a comparison judges only periods that are over.
    if at > Utc::now() + FUTURE_SLACK {
        return Err(RuleError::InTheFuture(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    }
    let db: Arc<TenantDb> = state.tenants.get(&tenant.id)?;
    let teams = crate::store::overview::agent_teams(&db).map_err(RuleError::Agents)?;
    let until = judged_until(at, Duration::zero());
    let runtime = state.registry.runtime();
    let run = |plugin: &Plugin| -> Result<Result<Vec<ActionDiff>, CallError>, RuleError> {
        let (params, _) = params::plugin_params(&plugin.info, given.clone(), "(its own only)")?;
        let request = RuleRequest { judged_until: until.timestamp_micros(), run_at: at.timestamp_micros(), params };
        let analytics = Arc::new(TenantAnalytics {
            judged_until: Some(request.judged_until),
            ..TenantAnalytics::new(state.clone(), tenant.clone(), "shadow".to_string(), db.clone(), limits)
        });
        Ok(runtime.call::<RuleWorld>(plugin, db.clone(), CallImports::analytics(analytics), limits, &request).and_then(
            |result| {
                check(&result, at, until, &teams).map(|c| diffs_of(&c.proposals)).map_err(|detail| {
                    CallError::InvalidResult {
                        plugin: plugin.info.name.clone(),
                        version: plugin.info.version.clone(),
                        detail,
                    }
                })
            },
        ))
    };
    let served = run(serving)??;
    Ok((served, run(candidate)?))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::runtime::bindings::RuleAction;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 30, 2, 0, 0).unwrap()
    }

    fn teams() -> HashMap<String, String> {
        [("a1", "north"), ("a2", "south")].into_iter().map(|(a, t)| (a.to_string(), t.to_string())).collect()
    }

    fn task(agent: &str) -> RuleAction {
        RuleAction {
            kind: ActionKind::CoachingTask,
            agent_id: Some(agent.to_string()),
            team: None,
            subject: "fcr".into(),
            cause: "fcr-below-0.7".into(),
            title: "FCR below 0.7".into(),
            detail: String::new(),
            evidence: vec![],
            priority: 2,
            due_days: 14,
        }
    }

    fn result(actions: Vec<RuleAction>) -> RuleResult {
        let until = judged_until(at(), Duration::hours(1)).timestamp_micros();
        RuleResult { period_start: until - 28 * 86_400_000_000, period_end: until, actions }
    }

    #[test]
    fn the_finished_periods_end_at_the_midnight_before_the_run_less_its_settling_time() {
        let day = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
        assert_eq!(judged_until(day(30, 2), Duration::hours(1)), day(30, 0));
        assert_eq!(judged_until(day(30, 0), Duration::hours(1)), day(29, 0), "00:00 less an hour is yesterday");
        assert_eq!(judged_until(day(30, 0), Duration::zero()), day(30, 0));
    }

    #[test]
    fn actions_are_checked_against_the_tenant_and_become_proposals() {
        let until = judged_until(at(), Duration::hours(1));
        let checked = check(&result(vec![task("a1")]), at(), until, &teams()).unwrap();
        let p = &checked.proposals[0];
        assert_eq!((p.team.as_deref(), p.priority), (Some("north"), 2), "the host records the agent's team");
        assert_eq!(p.due_at, Some(Utc.with_ymd_and_hms(2026, 4, 13, 2, 0, 0).unwrap()));
        let fault = |edit: &dyn Fn(&mut RuleResult)| {
            let mut r = result(vec![task("a1")]);
            edit(&mut r);
            check(&r, at(), until, &teams()).err().unwrap()
        };
        assert_eq!(
            fault(&|r| r.actions[0].agent_id = Some("zz".into())),
            "action 1 is invalid: agent `zz` is not in the tenant's agents"
        );
        assert_eq!(
            fault(&|r| r.actions[0].team = Some("south".into())),
            "action 1 is invalid: agent `a1` is in team `north`, not `south`"
        );
        assert_eq!(fault(&|r| r.actions[0].agent_id = None), "action 1 is invalid: a coaching task names no agent");
        assert_eq!(
            fault(&|r| r.actions[0].cause = "a\nb".into()),
            "action 1 is invalid: the cause `a\\nb` must be on one line"
        );
        assert_eq!(fault(&|r| r.actions[0].cause = " ".into()), "action 1 is invalid: the cause is empty");
        assert_eq!(fault(&|r| r.actions[0].priority = 10), "action 1 is invalid: priority 10 is more than 9");
        assert_eq!(
            fault(&|r| r.actions[0].kind = ActionKind::Alert),
            "action 1 is invalid: an alert names agent `a1`; alerts are about a team or the tenant"
        );
        assert!(
            fault(&|r| r.period_end += 1).contains("after the finished periods (which end at 2026-03-30T00:00:00Z)")
        );
        let mut alert = task("a1");
        alert.kind = ActionKind::Alert;
        alert.agent_id = None;
        alert.team = Some("west".into());
        assert_eq!(
            check(&result(vec![alert]), at(), until, &teams()).err().unwrap(),
            "action 1 is invalid: team `west` is not a team of the tenant's agents"
        );
    }
}
