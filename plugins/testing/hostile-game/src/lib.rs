//! Test plugin: a hostile game mechanic that attacks the sandbox as its `mode` parameter says.
//! Loops, stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! awards and flags are made here.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_game_sdk::{
    Award, AwardKind, AwardRequest, AwardResult, Flag, ParamsExt, PluginInfo, PluginKind, export_game_mechanic,
    game_mechanic,
};
use hostile::{MIB, Outcome, filler};

struct HostileGame;

impl game_mechanic::Guest for HostileGame {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::GameMechanic,
            "hostile_game",
            "Hostile Game!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        )
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
            _ => match hostile::run(&args)? {
                Outcome::Ok => awards(vec![points("a1", 1, "hostile")]),
                Outcome::Figure(value, unit) => awards(vec![points("a1", value as i64, unit)]),
            },
        })
    }
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

export_game_mechanic!(HostileGame);
