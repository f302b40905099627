//! Test plugin: a hostile pay model that attacks the sandbox as its `mode` parameter says.
//! Loops, stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! pay lines are made here.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_pay_sdk::{ParamsExt, PayLine, PayRequest, PluginInfo, PluginKind, export_pay_model, pay_model};
use hostile::{MIB, Outcome, filler};

struct HostilePay;

impl pay_model::Guest for HostilePay {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::PayModel,
            "hostile_pay",
            "Hostile Pay!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        )
    }

    fn compute_pay(req: PayRequest) -> Result<Vec<PayLine>, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        Ok(match args.mode {
            "many_lines" => (0..args.n).map(|i| line("a1", &format!("c{i}"), 1.0, 100, 100, "")).collect(),
            "huge_note" => vec![line("a1", "base", 1.0, 100, 100, &filler(args.bytes(MIB), "n"))],
            "unknown_agent" => vec![line("nobody-xyz", "base", 1.0, 100, 100, "")],
            "overflow" => {
                vec![line("a1", "base", 1.0, i64::MAX, i64::MAX, ""), line("a1", "bonus", 1.0, i64::MAX, i64::MAX, "")]
            }
            "nan_quantity" => vec![line("a1", "base", f64::NAN, 100, 100, "")],
            "empty_component" => vec![line("a1", "", 1.0, 100, 100, "")],
            _ => match hostile::run(&args)? {
                Outcome::Ok => vec![line("a1", "base", 1.0, 100, 100, "")],
                Outcome::Figure(value, unit) => vec![line("a1", "base", value, 100, (value * 100.0) as i64, unit)],
            },
        })
    }
}

fn line(agent: &str, component: &str, quantity: f64, rate_cents: i64, amount_cents: i64, note: &str) -> PayLine {
    PayLine {
        agent_id: agent.to_string(),
        component: component.to_string(),
        quantity,
        rate_cents,
        amount_cents,
        note: note.to_string(),
    }
}

export_pay_model!(HostilePay);
