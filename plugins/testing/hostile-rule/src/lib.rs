//! Test plugin: a hostile rule that attacks the sandbox as its `mode` parameter says. Loops,
//! stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! actions, judging unfinished periods and nested analytics calls are made here.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_rule_sdk::{
    Action, ActionKind, EvidenceItem, GroupBy, Param, ParamValue, ParamsExt, PluginInfo, PluginKind, RuleRequest,
    RuleResult, analytics, export_rule, rule,
};
use hostile::{MIB, Outcome, filler};

struct HostileRule;

const DAY: i64 = 86_400_000_000;

impl rule::Guest for HostileRule {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::Rule,
            "hostile_rule",
            "Hostile Rule!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        )
    }

    fn evaluate(req: RuleRequest) -> Result<RuleResult, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        let week = (req.judged_until - 7 * DAY, req.judged_until);
        let result = |actions| RuleResult { period_start: week.0, period_end: week.1, actions };
        let one = |edit: &dyn Fn(&mut Action)| {
            let mut action = task("a1", "hostile-ok");
            edit(&mut action);
            result(vec![action])
        };
        Ok(match args.mode {
            "many_actions" => result((0..args.n).map(|i| task("a1", &format!("hostile-{i}"))).collect()),
            "huge_title" => one(&|a| a.title = filler(args.bytes(MIB), "t")),
            "huge_detail" => one(&|a| a.detail = filler(args.bytes(MIB), "d")),
            "huge_cause" => one(&|a| a.cause = filler(args.bytes(MIB), "c")),
            "multiline_cause" => one(&|a| a.cause = "hostile\ncause".to_string()),
            "empty_cause" => one(&|a| a.cause = String::new()),
            "control_title" => one(&|a| a.title = "red \u{1b}[31m title".to_string()),
            "unknown_agent" => one(&|a| a.agent_id = Some("nobody-xyz".to_string())),
            "wrong_team" => one(&|a| a.team = Some("nowhere".to_string())),
            "task_without_agent" => one(&|a| a.agent_id = None),
            "alert_with_agent" => one(&|a| a.kind = ActionKind::Alert),
            "bad_priority" => one(&|a| a.priority = 10),
            "bad_due" => one(&|a| a.due_days = 1000),
            "many_evidence" => one(&|a| a.evidence = (0..61).map(|_| evidence(week, 1.0)).collect()),
            "nan_evidence" => one(&|a| a.evidence = vec![evidence(week, f64::NAN)]),
            "future_period" => RuleResult { period_start: week.0, period_end: req.judged_until + DAY, actions: vec![] },
            "backwards_period" => RuleResult { period_start: week.1, period_end: week.0, actions: vec![] },
            "future_analytics" => {
                let asked =
                    analytics::metric("csat", req.judged_until, req.judged_until + 7 * DAY, GroupBy::Total, &[]);
                asked.map(|_| result(vec![]))?
            }
            "nested" => {
                let params = [Param { name: "mode".to_string(), value: ParamValue::Text("loop".to_string()) }];
                for _ in 0..args.n.max(1) {
                    analytics::metric(args.sql, week.0, week.1, GroupBy::Total, &params)?;
                }
                result(vec![])
            }
            _ => match hostile::run(&args)? {
                Outcome::Ok => result(vec![task("a1", "hostile-ok")]),
                Outcome::Figure(value, unit) => one(&|a| a.detail = format!("{value} {unit}")),
            },
        })
    }
}

fn task(agent: &str, cause: &str) -> Action {
    Action {
        kind: ActionKind::CoachingTask,
        agent_id: Some(agent.to_string()),
        team: None,
        subject: "hostile".to_string(),
        cause: cause.to_string(),
        title: "hostile task".to_string(),
        detail: String::new(),
        evidence: Vec::new(),
        priority: 1,
        due_days: 7,
    }
}

fn evidence((start, end): (i64, i64), value: f64) -> EvidenceItem {
    EvidenceItem {
        metric: "hostile".to_string(),
        period_start: start,
        period_end: end,
        value: Some(value),
        threshold: Some(1.0),
        sample: Some(1.0),
        breach: true,
    }
}

export_rule!(HostileRule);
