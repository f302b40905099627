// The body shared by the `scripted_rule` test plugins: the actions a test wants, given as
// parameters, so the actions ledger and the deployments of rules can be tested exactly.
//
// `actions` (and `also`): entries separated by `;`, each `target:subject:cause:priority`,
// where `target` is an agent id (a coaching task), `team=<team>` or `tenant` (an alert).
// Every action is due `due_days` after the run; the judged period is the last finished week.

use cxhost_rule_sdk::prelude::*;

struct Scripted;

const DAY: i64 = 86_400_000_000;

fn parse(entry: &str, due_days: u32) -> Result<Action, String> {
    let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
    let [target, subject, cause, priority] = parts.as_slice() else {
        return Err(format!("action `{entry}` is not target:subject:cause:priority"));
    };
    let priority: u8 = priority.parse().map_err(|_| format!("priority `{priority}` is not 0–255"))?;
    let title = format!("{subject}: {cause}");
    let mut action = match *target {
        "tenant" => alert(None, subject, cause, &title, Vec::new()),
        t => match t.strip_prefix("team=") {
            Some(team) => alert(Some(team), subject, cause, &title, Vec::new()),
            None => task(t, subject, cause, &title, Vec::new()),
        },
    };
    action.priority = priority;
    action.due_days = due_days;
    action.detail = format!("scripted by version {VERSION}");
    Ok(action)
}

impl rule::Guest for Scripted {
    fn describe() -> PluginInfo {
        info(
            "scripted_rule",
            VERSION,
            "Proposes exactly the actions its parameters list; used to test the actions ledger and rule deployments.",
            vec![
                param_text("actions", "", "target:subject:cause:priority entries separated by `;`"),
                param_text("also", ALSO, "more entries, proposed after `actions`"),
                param_int("due_days", 14, "days after the run by which each action is due"),
            ],
        )
    }

    fn evaluate(req: RuleRequest) -> Result<RuleResult, String> {
        let due_days = u32::try_from(req.params.int("due_days")?).map_err(|_| "due_days < 0".to_string())?;
        let listed = [req.params.text("actions")?, req.params.text("also")?];
        let mut actions = Vec::new();
        for entry in listed.iter().flat_map(|l| l.split(';')).map(str::trim).filter(|e| !e.is_empty()) {
            let action = parse(entry, due_days)?;
            if KEEPS_V1_ONLY || !action.cause.ends_with("-v1only") {
                actions.push(action);
            }
        }
        Ok(RuleResult { period_start: req.judged_until - 7 * DAY, period_end: req.judged_until, actions })
    }
}

export_rule!(Scripted);
