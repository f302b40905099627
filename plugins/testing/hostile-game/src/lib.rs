//! Test plugin: a hostile game mechanic that attacks the sandbox as its `mode` parameter says.
//! Loops, stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! awards and flags are made here.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_game_sdk::{
    Award, AwardKind, AwardRequest, AwardResult, Flag, LogLevel, ParamSpec, ParamType, ParamValue, ParamsExt,
    PluginInfo, PluginKind, export_game_mechanic, game_mechanic, log, query,
};
use hostile::{MIB, Outcome, filler};

struct HostileGame;

impl game_mechanic::Guest for HostileGame {
    fn describe() -> PluginInfo {
        let info = hostile::describe(
            "hostile_game",
            "Hostile Game!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        );
        PluginInfo {
            name: info.name,
            version: info.version,
            kind: PluginKind::GameMechanic,
            description: info.description,
            params: info.params.into_iter().map(spec).collect(),
        }
    }

    fn award(req: AwardRequest) -> Result<AwardResult, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        let awards = |awards| AwardResult { awards, flags: Vec::new() };
        Ok(match args.mode {
            "many_awards" => awards((0..args.n).map(|_| points("a1", 1, "hostile")).collect()),
            "huge_reason" => awards(vec![points("a1", 1, &filler(args.bytes(MIB), "r"))]),
            "huge_flag" => AwardResult {
                awards: vec![points("a1", 1, "hostile")],
                flags: vec![Flag {
                    agent_id: "a1".to_string(),
                    pattern: "hostile".to_string(),
                    detail: filler(args.bytes(MIB), "d"),
                }],
            },
            "unknown_agent" => awards(vec![points("nobody-xyz", 1, "hostile")]),
            "negative_points" => awards(vec![points("a1", -1_000_000_000_000, "hostile")]),
            _ => match hostile::run(&args, &HOST)? {
                Outcome::Ok => awards(vec![points("a1", 1, "hostile")]),
                Outcome::Figure(value, unit) => awards(vec![points("a1", value as i64, unit)]),
            },
        })
    }
}

const HOST: hostile::Host = hostile::Host { log: log_info, query: row_count };

fn log_info(message: &str) {
    log(LogLevel::Info, message);
}

fn row_count(sql: &str) -> Result<u64, String> {
    query(sql, &[]).map(|table| table.row_count() as u64)
}

fn points(agent: &str, amount: i64, reason: &str) -> Award {
    Award {
        agent_id: agent.to_string(),
        kind: AwardKind::Points,
        amount,
        code: String::new(),
        reason: reason.to_string(),
    }
}

fn spec(p: hostile::Spec) -> ParamSpec {
    ParamSpec {
        name: p.name,
        type_: match p.ty {
            hostile::Type::Text => ParamType::Text,
            hostile::Type::Integer => ParamType::Integer,
        },
        default: match p.default {
            hostile::Value::Text(text) => ParamValue::Text(text),
            hostile::Value::Integer(i) => ParamValue::Integer(i),
        },
        description: p.description,
    }
}

export_game_mechanic!(HostileGame);
