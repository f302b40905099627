//! `cxhost pay …` and `cxhost awards …`: pay runs and statements, award runs, leaderboards
//! and standings, sent to a running server over its HTTP API; JSON answers are printed as they
//! come, statement exports as CSV.

use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::plugin_cli::Connection;

#[derive(Subcommand)]
pub enum PayCommand {
    /// Run a pay model for a period and keep its statements.
    Run(RunArgs),
    /// Current statements with their lines (all revisions with --all); --csv for the export.
    Statements {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand)]
pub enum AwardsCommand {
    /// Run a game mechanic for a period into the points ledger.
    Run(RunArgs),
    /// Points per agent, or per team with --by team.
    Leaderboard {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "agent")]
        by: String,
        #[arg(long)]
        team: Option<String>,
    },
    /// An agent's place with the peers around it.
    Standing {
        agent: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value_t = 2)]
        around: usize,
    },
    /// Suspected gaming patterns (tenant admin or operator).
    Flags {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// The plugin, e.g. standard_pay or standard_game.
    plugin: String,
    #[arg(long)]
    from: String,
    #[arg(long)]
    to: String,
    /// A plugin parameter as name=value; repeat for more.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
}

fn run_body(args: RunArgs) -> anyhow::Result<Value> {
    let mut params = Map::new();
    for pair in &args.params {
        let (name, value) = pair.split_once('=').with_context(|| format!("--param `{pair}` is not NAME=VALUE"))?;
        params.insert(name.to_string(), Value::String(value.to_string()));
    }
    Ok(json!({ "plugin": args.plugin, "from": args.from, "to": args.to, "params": params }))
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}"))).collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

pub async fn pay(connection: Connection, command: PayCommand) -> anyhow::Result<()> {
    let client = connection.client()?;
    let answer = match command {
        PayCommand::Run(run) => client.send(client.request(Method::POST, "/pay/runs").json(&run_body(run)?)).await?,
        PayCommand::Statements { from, to, agent, all, csv } => {
            let q = query(&[("from", from), ("to", to), ("agent", agent), ("all", all.then(|| "true".to_string()))]);
            if csv {
                print!("{}", client.send_text(client.request(Method::GET, &format!("/pay/statements.csv{q}"))).await?);
                return Ok(());
            }
            client.send(client.request(Method::GET, &format!("/pay/statements{q}"))).await?
        }
    };
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}

pub async fn awards(connection: Connection, command: AwardsCommand) -> anyhow::Result<()> {
    let client = connection.client()?;
    let answer = match command {
        AwardsCommand::Run(run) => {
            client.send(client.request(Method::POST, "/awards/runs").json(&run_body(run)?)).await?
        }
        AwardsCommand::Leaderboard { from, to, by, team } => {
            let q = query(&[("from", Some(from)), ("to", Some(to)), ("by", Some(by)), ("team", team)]);
            client.send(client.request(Method::GET, &format!("/leaderboards{q}"))).await?
        }
        AwardsCommand::Standing { agent, from, to, around } => {
            let q = query(&[("from", Some(from)), ("to", Some(to)), ("around", Some(around.to_string()))]);
            client.send(client.request(Method::GET, &format!("/leaderboards/agents/{agent}{q}"))).await?
        }
        AwardsCommand::Flags { from, to } => {
            let q = query(&[("from", Some(from)), ("to", Some(to))]);
            client.send(client.request(Method::GET, &format!("/awards/flags{q}"))).await?
        }
    };
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}
