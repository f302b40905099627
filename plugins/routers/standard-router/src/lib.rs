//! Standard router `standard_router`: high-tier customers, sales-likely and hard contacts to
//! in-house staff, standard ones to the crowd; the skill from the contact's reason or queue;
//! preferred agents by their recent figures (performance-based routing). Deterministic: the
//! same contact, parameters and roster snapshot give the same route. See README.md.

use cxhost_router_sdk::prelude::*;
use cxhost_router_sdk::{Param, ParamSpec};

struct StandardRouter;

/// Priority added when a customer's tier is an in-house tier.
const TIER_BONUS: i64 = 3;
/// Priority added for a sales-likely contact.
const SALES_BONUS: i64 = 2;
/// Priority added for a hard contact.
const HARD_BONUS: i64 = 1;
/// The skill sales-likely contacts go to when an in-house agent holds it.
const SALES_SKILL: &str = "sales";

const DESCRIPTION: &str = "Routes each new contact to the in-house or the crowd pool, with a skill, a priority and \
preferred agents. Rules, in order; several can fire, and any that fires sends the contact in-house: \
(1) high tier: the customer's tier is one of `in_house_tiers` (case ignored): in-house, priority +3; \
(2) sales-likely: the contact's sales likelihood is at least `sales_threshold` (no score, NaN or infinity: not \
sales-likely; scores are clamped into 0..1): in-house, priority +2, skill `sales` when an in-house agent holds it; \
(3) hard: the contact reason is one of `hard_reasons` (case ignored), or the attribute `hard_attribute` says \
true, 1, yes, y or on: in-house, priority +1; \
(4) otherwise a standard contact: crowd, no bonus. \
Priority: `base_priority` plus the bonuses, clamped to 1..10. \
Skill (unless sales applies): the contact reason when an agent of the chosen pool holds a skill of that name \
(available or not), else the queue (an empty queue asks for any agent). \
Preferred agents: the best `preferred_agents` agents (at most 10) of the chosen pool holding the skill, best first \
by `order` (quality, csat, fcr: highest first; aht: shortest first; agents without the figure last, ties by id), \
only available ones when `available_only`; none found (or `preferred_agents` 0) leaves the choice to the ACD. \
The reason names the rules that fired, e.g. `high tier (gold); sales-likely (0.72) → in-house`, or \
`standard contact → crowd`. Lists are separated by `;` or `,`. Out-of-range parameters are an error.";

impl router::Guest for StandardRouter {
    fn describe() -> PluginInfo {
        info("standard_router", "1.0.0", DESCRIPTION, params())
    }

    fn decide(req: RouteRequest) -> Result<Route, String> {
        let settings = Settings::read(&req.params)?;
        Ok(decide(&req.contact, &settings, &LiveRoster))
    }
}

export_router!(StandardRouter);

fn params() -> Vec<ParamSpec> {
    vec![
        param_text("in_house_tiers", "gold;platinum", "customer tiers routed in-house (priority +3), `;`-separated"),
        param_float("sales_threshold", 0.5, "sales likelihood (0 to 1) from which a contact is sales-likely"),
        param_text(
            "hard_reasons",
            "complaint;cancellation;charge_dispute;outage",
            "contact reasons that make a contact hard (in-house, priority +1), `;`-separated",
        ),
        param_text("hard_attribute", "hard", "attribute whose value true/1/yes/y/on marks a contact hard; empty: none"),
        param_int("preferred_agents", 5, "preferred agents to name, 0 to 10; 0 leaves the choice to the ACD"),
        param_text("order", "quality", "how preferred agents are ranked: quality, csat, fcr or aht (shortest first)"),
        param_bool("available_only", true, "prefer only agents whose latest state is available"),
        param_int("base_priority", 5, "priority before the rules' bonuses, 1 to 10"),
    ]
}

/// A request's parameters, read and checked.
#[derive(Debug, Clone)]
struct Settings<'a> {
    in_house_tiers: &'a str,
    sales_threshold: f64,
    hard_reasons: &'a str,
    hard_attribute: &'a str,
    preferred_agents: usize,
    order: AgentOrder,
    available_only: bool,
    base_priority: i64,
}

impl<'a> Settings<'a> {
    fn read(p: &'a [Param]) -> Result<Settings<'a>, String> {
        let sales_threshold = p.float("sales_threshold")?;
        if !(0.0..=1.0).contains(&sales_threshold) {
            return Err(format!("parameter `sales_threshold` must be between 0 and 1, got {sales_threshold}"));
        }
        let preferred_agents = p.int("preferred_agents")?;
        if !(0..=10).contains(&preferred_agents) {
            return Err(format!("parameter `preferred_agents` must be between 0 and 10, got {preferred_agents}"));
        }
        let order = p.text("order")?;
        let Some(order) = parse_order(order) else {
            return Err(format!("parameter `order` must be quality, csat, fcr or aht, got `{order}`"));
        };
        let base_priority = p.int("base_priority")?;
        if !(1..=10).contains(&base_priority) {
            return Err(format!("parameter `base_priority` must be between 1 and 10, got {base_priority}"));
        }
        Ok(Settings {
            in_house_tiers: p.text("in_house_tiers")?,
            sales_threshold,
            hard_reasons: p.text("hard_reasons")?,
            hard_attribute: p.text("hard_attribute")?.trim(),
            preferred_agents: preferred_agents as usize,
            order,
            available_only: p.boolean("available_only")?,
            base_priority,
        })
    }
}

/// The route of `contact` under `s`, reading `roster`: at most three roster calls (an in-house
/// `sales` holder, a holder of the reason's skill, the preferred agents).
fn decide(contact: &Contact, s: &Settings, roster: &impl Roster) -> Route {
    let mut fired: Vec<String> = Vec::new();
    let mut bonus = 0;
    let tier = contact.customer_tier.trim();
    if list_contains(s.in_house_tiers, tier) {
        fired.push(format!("high tier ({tier})"));
        bonus += TIER_BONUS;
    }
    let sales = contact.likelihood().filter(|l| *l >= s.sales_threshold);
    if let Some(likelihood) = sales {
        fired.push(format!("sales-likely ({likelihood:.2})"));
        bonus += SALES_BONUS;
    }
    let reason = contact.contact_reason.trim();
    if list_contains(s.hard_reasons, reason) {
        fired.push(format!("hard ({reason})"));
        bonus += HARD_BONUS;
    } else if !s.hard_attribute.is_empty() && contact.flag(s.hard_attribute) {
        fired.push(format!("hard (attribute {})", s.hard_attribute));
        bonus += HARD_BONUS;
    }
    let pool = if fired.is_empty() { Pool::Crowd } else { Pool::InHouse };
    let skill = if sales.is_some() && roster.holds(Some(Pool::InHouse), SALES_SKILL) {
        SALES_SKILL
    } else if roster.holds(Some(pool), reason) {
        reason
    } else {
        contact.queue.trim()
    };
    let agents = roster.preferred(pool, skill, s.available_only, s.order, s.preferred_agents);
    let why = if fired.is_empty() {
        "standard contact → crowd".to_string()
    } else {
        format!("{} → in-house", fired.join("; "))
    };
    route(pool, skill, s.base_priority + bonus, agents, &why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxhost_router_sdk::{AgentFigures, ParamValue, agent_figures};

    fn params_with(changes: &[(&str, ParamValue)]) -> Vec<Param> {
        params()
            .into_iter()
            .map(|spec| {
                let value = changes.iter().find(|(n, _)| *n == spec.name).map_or(spec.default, |(_, v)| v.clone());
                Param { name: spec.name, value }
            })
            .collect()
    }

    fn text(v: &str) -> ParamValue {
        ParamValue::Text(v.to_string())
    }

    /// A contact on `queue` for `reason`, no tier, no sales score, no attributes.
    fn contact(queue: &str, reason: &str) -> Contact {
        Contact {
            contact_id: "c-1".into(),
            channel: "voice".into(),
            queue: queue.into(),
            contact_reason: reason.into(),
            customer_id: "k-1".into(),
            customer_tier: String::new(),
            language: "en".into(),
            sales_likelihood: None,
            attributes: Vec::new(),
        }
    }

    fn agent(id: &str, pool: Pool, skills: &[&str], quality: f64, aht: f64) -> AgentFigures {
        AgentFigures { quality: Some(quality), aht_seconds: Some(aht), ..agent_figures(id, pool, skills) }
    }

    /// In-house: h1..h4 (billing, general, sales, a charge_dispute specialist, one unavailable);
    /// crowd: c1..c3 (billing, general).
    fn roster() -> MemoryRoster {
        MemoryRoster::new(vec![
            agent("h1", Pool::InHouse, &["billing", "general"], 82.0, 400.0),
            agent("h2", Pool::InHouse, &["billing", "sales"], 91.0, 520.0),
            agent("h3", Pool::InHouse, &["general", "charge_dispute"], 77.0, 300.0),
            AgentFigures { state: "unavailable".into(), ..agent("h4", Pool::InHouse, &["billing"], 99.0, 250.0) },
            agent("c1", Pool::Crowd, &["billing"], 70.0, 380.0),
            agent("c2", Pool::Crowd, &["billing", "general"], 88.0, 450.0),
            AgentFigures { quality: None, ..agent("c3", Pool::Crowd, &["general"], 0.0, 200.0) },
        ])
    }

    fn expect(pool: Pool, skill: &str, priority: u8, agents: &[&str], reason: &str) -> Route {
        Route {
            pool,
            skill: skill.into(),
            priority,
            agents: agents.iter().map(|a| a.to_string()).collect(),
            reason: reason.into(),
        }
    }

    fn run(contact: &Contact, changes: &[(&str, ParamValue)]) -> Route {
        let params = params_with(changes);
        let settings = Settings::read(&params).expect("valid parameters");
        decide(contact, &settings, &roster())
    }

    #[test]
    fn defaults_are_valid_and_declared() {
        let params = params_with(&[]);
        let s = Settings::read(&params).unwrap();
        assert_eq!((s.preferred_agents, s.order, s.available_only, s.base_priority), (5, AgentOrder::Quality, true, 5));
        assert_eq!(s.sales_threshold, 0.5);
        assert_eq!(s.in_house_tiers, "gold;platinum");
        let names: Vec<String> = super::params().into_iter().map(|p| p.name).collect();
        for name in names {
            assert!(DESCRIPTION.contains(&format!("`{name}`")), "the description names `{name}`");
        }
    }

    #[test]
    fn high_tier_goes_in_house() {
        let c = Contact { customer_tier: " Gold ".into(), ..contact("billing", "invoice_question") };
        let expected = expect(Pool::InHouse, "billing", 8, &["h2", "h1"], "high tier (Gold) → in-house");
        assert_eq!(run(&c, &[]), expected);
        let platinum = Contact { customer_tier: "platinum".into(), ..c.clone() };
        assert_eq!(run(&platinum, &[]).reason, "high tier (platinum) → in-house");
        let silver = Contact { customer_tier: "silver".into(), ..c };
        assert_eq!(run(&silver, &[]).pool, Pool::Crowd, "an unknown tier is no high tier");
    }

    #[test]
    fn sales_likely_goes_in_house_to_sales_when_someone_holds_it() {
        let c = Contact { sales_likelihood: Some(0.72), ..contact("general", "product_info") };
        let expected = expect(Pool::InHouse, "sales", 7, &["h2"], "sales-likely (0.72) → in-house");
        assert_eq!(run(&c, &[]), expected);
        let at = Contact { sales_likelihood: Some(0.5), ..c.clone() };
        assert_eq!(run(&at, &[]).pool, Pool::InHouse, "the threshold itself is sales-likely");
        let below = Contact { sales_likelihood: Some(0.49), ..c.clone() };
        assert_eq!(run(&below, &[]), expect(Pool::Crowd, "general", 5, &["c2", "c3"], "standard contact → crowd"));
        // Nobody in-house holds `sales`: the normal skill (here the queue).
        let params = params_with(&[]);
        let s = Settings::read(&params).unwrap();
        let no_sales = MemoryRoster::new(roster().agents.into_iter().filter(|a| a.agent_id != "h2").collect());
        let expected = expect(Pool::InHouse, "general", 7, &["h1", "h3"], "sales-likely (0.72) → in-house");
        assert_eq!(decide(&c, &s, &no_sales), expected);
    }

    #[test]
    fn hard_by_reason_goes_in_house() {
        let c = contact("general", "Complaint");
        assert_eq!(run(&c, &[]), expect(Pool::InHouse, "general", 6, &["h1", "h3"], "hard (Complaint) → in-house"));
        let custom = run(&contact("billing", "refund_request"), &[("hard_reasons", text("refund_request"))]);
        assert_eq!(custom, expect(Pool::InHouse, "billing", 6, &["h2", "h1"], "hard (refund_request) → in-house"));
    }

    #[test]
    fn hard_by_attribute_goes_in_house() {
        let with =
            |v: &str| Contact { attributes: vec![("Hard".into(), v.into())], ..contact("billing", "plan_change") };
        let expected = expect(Pool::InHouse, "billing", 6, &["h2", "h1"], "hard (attribute hard) → in-house");
        for yes in ["true", "1", " YES ", "y", "on"] {
            assert_eq!(run(&with(yes), &[]), expected, "{yes}");
        }
        for no in ["false", "0", "no", ""] {
            assert_eq!(run(&with(no), &[]).pool, Pool::Crowd, "{no}");
        }
        assert_eq!(run(&with("yes"), &[("hard_attribute", text(""))]).pool, Pool::Crowd, "no hard attribute");
        let escalated = Contact { attributes: vec![("escalated".into(), "yes".into())], ..with("no") };
        let expected = expect(Pool::InHouse, "billing", 6, &["h2", "h1"], "hard (attribute escalated) → in-house");
        assert_eq!(run(&escalated, &[("hard_attribute", text("escalated"))]), expected);
    }

    #[test]
    fn standard_contacts_go_to_the_crowd() {
        let c = contact("billing", "invoice_question");
        assert_eq!(run(&c, &[]), expect(Pool::Crowd, "billing", 5, &["c2", "c1"], "standard contact → crowd"));
    }

    #[test]
    fn several_rules_add_up_and_the_priority_is_clamped() {
        let c =
            Contact { customer_tier: "gold".into(), sales_likelihood: Some(0.9), ..contact("billing", "cancellation") };
        let reason = "high tier (gold); sales-likely (0.90); hard (cancellation) → in-house";
        assert_eq!(run(&c, &[]), expect(Pool::InHouse, "sales", 10, &["h2"], reason), "5 + 3 + 2 + 1 → 10");
        let low = run(&c, &[("base_priority", ParamValue::Integer(1))]);
        assert_eq!(low.priority, 7);
        let hard_twice = Contact { attributes: vec![("hard".into(), "yes".into())], ..contact("general", "outage") };
        let once = run(&hard_twice, &[]);
        assert_eq!((once.priority, once.reason.as_str()), (6, "hard (outage) → in-house"), "hard counts once");
    }

    #[test]
    fn skill_is_the_reason_when_the_pool_holds_it_else_the_queue() {
        let dispute = contact("billing", "charge_dispute");
        let expected = expect(Pool::InHouse, "charge_dispute", 6, &["h3"], "hard (charge_dispute) → in-house");
        assert_eq!(run(&dispute, &[]), expected);
        // Only in-house agents hold `charge_dispute`: routed to the crowd, the skill is the queue.
        let standard = run(&dispute, &[("hard_reasons", text("complaint"))]);
        assert_eq!(standard, expect(Pool::Crowd, "billing", 5, &["c2", "c1"], "standard contact → crowd"));
        // A reason held by an unavailable agent only still names the skill.
        let roster = MemoryRoster::new(vec![
            AgentFigures { state: "unavailable".into(), ..agent("c9", Pool::Crowd, &["device_setup"], 90.0, 1.0) },
            agent("c1", Pool::Crowd, &["tech_support"], 80.0, 1.0),
        ]);
        let params = params_with(&[]);
        let s = Settings::read(&params).unwrap();
        let setup = decide(&contact("tech_support", "device_setup"), &s, &roster);
        assert_eq!(setup, expect(Pool::Crowd, "device_setup", 5, &[], "standard contact → crowd"));
    }

    #[test]
    fn preferred_agents_follow_the_order_and_the_limit() {
        let c = contact("billing", "invoice_question");
        let by = |order: &str, n: i64, available_only: bool| {
            let changes = [
                ("order", text(order)),
                ("preferred_agents", ParamValue::Integer(n)),
                ("available_only", ParamValue::Boolean(available_only)),
            ];
            run(&Contact { customer_tier: "gold".into(), ..c.clone() }, &changes).agents
        };
        assert_eq!(by("quality", 10, true), ["h2", "h1"]);
        assert_eq!(by("quality", 10, false), ["h4", "h2", "h1"], "the unavailable h4 is the best");
        assert_eq!(by("quality", 1, false), ["h4"]);
        assert_eq!(by("aht", 10, true), ["h1", "h2"], "shortest handle time first");
        assert_eq!(by("AHT", 2, false), ["h4", "h1"]);
        assert!(by("quality", 0, true).is_empty(), "0 leaves the choice to the ACD");
        let crowd = run(&contact("general", "order_status"), &[]);
        assert_eq!(crowd.agents, ["c2", "c3"], "agents without the figure come last");
        // Nobody available: no preference, the ACD chooses.
        let params = params_with(&[]);
        let s = Settings::read(&params).unwrap();
        let away = MemoryRoster::new(
            roster().agents.into_iter().map(|a| AgentFigures { state: "unknown".into(), ..a }).collect(),
        );
        assert_eq!(decide(&c, &s, &away), expect(Pool::Crowd, "billing", 5, &[], "standard contact → crowd"));
    }

    #[test]
    fn bad_parameters_are_errors() {
        let bad =
            |name: &str, value: ParamValue| Settings::read(&params_with(&[(name, value)])).map(|_| ()).unwrap_err();
        assert_eq!(bad("order", text("speed")), "parameter `order` must be quality, csat, fcr or aht, got `speed`");
        assert_eq!(
            bad("preferred_agents", ParamValue::Integer(11)),
            "parameter `preferred_agents` must be between 0 and 10, got 11"
        );
        assert_eq!(
            bad("preferred_agents", ParamValue::Integer(-1)),
            "parameter `preferred_agents` must be between 0 and 10, got -1"
        );
        assert_eq!(
            bad("base_priority", ParamValue::Integer(0)),
            "parameter `base_priority` must be between 1 and 10, got 0"
        );
        assert_eq!(
            bad("sales_threshold", ParamValue::Float(1.5)),
            "parameter `sales_threshold` must be between 0 and 1, got 1.5"
        );
        assert_eq!(
            bad("sales_threshold", ParamValue::Float(f64::NAN)),
            "parameter `sales_threshold` must be between 0 and 1, got NaN"
        );
        assert!(bad("available_only", text("yes")).starts_with("parameter `available_only` should be boolean"));
        let missing: Vec<Param> = params_with(&[]).into_iter().filter(|p| p.name != "order").collect();
        assert_eq!(Settings::read(&missing).map(|_| ()).unwrap_err(), "parameter `order` was not passed");
    }

    #[test]
    fn odd_contacts_never_fail() {
        let empty = contact("", "");
        assert_eq!(run(&empty, &[]), expect(Pool::Crowd, "", 5, &["c2", "c1", "c3"], "standard contact → crowd"));
        for likelihood in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -3.0] {
            let odd = Contact { sales_likelihood: Some(likelihood), ..contact("billing", "x") };
            assert_eq!(run(&odd, &[]).pool, Pool::Crowd, "{likelihood}");
        }
        let over = Contact { sales_likelihood: Some(7.0), ..contact("billing", "x") };
        assert_eq!(run(&over, &[]).reason, "sales-likely (1.00) → in-house", "clamped into 0..1");
        let long = Contact { customer_tier: "x".repeat(10_000), ..contact(&"q\n".repeat(100), "\u{0}") };
        let r = run(&long, &[]);
        assert_eq!((r.pool, r.skill.len(), r.skill.contains('\n')), (Pool::Crowd, 64, false));
        let r = run(&Contact { customer_tier: "gold".into(), ..contact("billing", "x") }, &[]);
        assert!(r.reason.len() <= 300);
        let empty_roster = MemoryRoster::default();
        let params = params_with(&[]);
        let s = Settings::read(&params).unwrap();
        let alone = decide(&Contact { sales_likelihood: Some(0.8), ..contact("sales", "upgrade") }, &s, &empty_roster);
        assert_eq!(alone, expect(Pool::InHouse, "sales", 7, &[], "sales-likely (0.80) → in-house"));
    }
}
