//! The `cxhost` command: serve, demo, manage plugins, run pay and awards on a running server,
//! generate sample data, print the schema reference.

mod ledgers_cli;
mod plugin_cli;
mod plugin_local;
mod tenant_cli;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cxhost::config::{Compiler, Config, PluginLimits};
use cxhost::generate::SampleSpec;

#[derive(Parser)]
#[command(name = "cxhost", version, about = "Contact-center analytics server with sandboxed WebAssembly plugins")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server on a data directory.
    Serve(ServeArgs),
    /// Run the server with a demo tenant loaded with sample data, printing what to try.
    Demo {
        #[command(flatten)]
        server: ServeArgs,
    },
    /// Write deterministic sample data as CSV files (one per table) plus manifest.json.
    Generate {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of agents (the preset's when unset).
        #[arg(long)]
        agents: Option<u32>,
        /// Number of days (the preset's when unset).
        #[arg(long)]
        days: Option<u32>,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        start: Option<chrono::NaiveDate>,
        /// `tiny` (a few hundred contacts) or `demo` (about four months of a 60-agent center).
        #[arg(long, default_value = "demo")]
        preset: String,
    },
    /// Manage a tenant's plugins on a running server: upload, versions, activate, rollback,
    /// canary, shadow, policy, stats, audit.
    Plugin(plugin_cli::PluginArgs),
    /// Pay on a running server: run a pay model for a period, list or export statements.
    Pay {
        #[command(flatten)]
        connection: plugin_cli::Connection,
        #[command(subcommand)]
        command: ledgers_cli::PayCommand,
    },
    /// Game mechanics on a running server: award runs, leaderboards, standings, flags.
    Awards {
        #[command(flatten)]
        connection: plugin_cli::Connection,
        #[command(subcommand)]
        command: ledgers_cli::AwardsCommand,
    },
    /// Offline commands on a stopped server's data directory: export a tenant's data.
    #[command(subcommand)]
    Tenant(tenant_cli::TenantCommand),
    /// Print the tenant schema reference (data/SCHEMA.md) generated from the code.
    Schema,
    /// Compile one plugin component for the server (the server runs this in a child process
    /// with a deadline and a memory limit).
    #[command(hide = true)]
    CompilePlugin {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Data directory (system database, tenant databases, plugins, compiled cache).
    #[arg(long, env = "CXHOST_DATA_DIR", default_value = "cxhost-data")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "CXHOST_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Operator API key to accept (otherwise one is generated on first start and printed).
    #[arg(long, env = "CXHOST_OPERATOR_KEY")]
    operator_key: Option<String>,
    /// Default plugin call deadline in milliseconds.
    #[arg(long, env = "CXHOST_PLUGIN_DEADLINE_MS", default_value_t = PluginLimits::default().deadline_ms)]
    plugin_deadline_ms: u64,
    /// Default plugin memory cap in MiB.
    #[arg(long, env = "CXHOST_PLUGIN_MEMORY_MIB", default_value_t = PluginLimits::default().memory_bytes >> 20)]
    plugin_memory_mib: u64,
    /// Default cap on rows a plugin call may read.
    #[arg(long, env = "CXHOST_PLUGIN_MAX_ROWS", default_value_t = PluginLimits::default().max_rows_read)]
    plugin_max_rows: u64,
    /// Default DuckDB memory limit of each tenant database, in MiB.
    #[arg(long, env = "CXHOST_TENANT_MEMORY_MIB", default_value_t = PluginLimits::default().db_memory_bytes >> 20)]
    tenant_memory_mib: u64,
    /// The sum of the memory limits of all open tenant databases stays within this, in MiB
    /// (default: half the machine's memory); idle tenants are closed to make room.
    #[arg(long, env = "CXHOST_MEMORY_BUDGET_MIB")]
    memory_budget_mib: Option<u64>,
    /// Close a tenant database unused for this many seconds.
    #[arg(long, env = "CXHOST_IDLE_CLOSE_SECS", default_value_t = 300)]
    idle_close_secs: u64,
    /// Largest plugin component accepted for upload, in MiB.
    #[arg(long, env = "CXHOST_MAX_PLUGIN_MIB", default_value_t = 32)]
    max_plugin_mib: usize,
    /// Wall-clock limit of compiling one uploaded component, in seconds.
    #[arg(long, env = "CXHOST_COMPILE_TIMEOUT_SECS", default_value_t = 60)]
    compile_timeout_secs: u64,
}

impl ServeArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.data_dir);
        config.listen = self.listen;
        config.operator_key = self.operator_key.clone();
        config.default_limits = PluginLimits {
            deadline_ms: self.plugin_deadline_ms,
            memory_bytes: self.plugin_memory_mib << 20,
            max_rows_read: self.plugin_max_rows,
            db_memory_bytes: self.tenant_memory_mib << 20,
            ..PluginLimits::default()
        };
        if let Some(budget) = self.memory_budget_mib {
            config.memory_budget_bytes = budget << 20;
        }
        config.idle_close = std::time::Duration::from_secs(self.idle_close_secs);
        config.max_plugin_bytes = self.max_plugin_mib << 20;
        if let Compiler::Subprocess { exe, memory_bytes, .. } = Compiler::subprocess_of_current_exe() {
            let timeout = std::time::Duration::from_secs(self.compile_timeout_secs);
            config.compiler = Compiler::Subprocess { exe, timeout, memory_bytes };
        }
        config
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(matches!(&cli.command, Command::Plugin(args) if args.is_local()));
    match cli.command {
        Command::Serve(args) => {
            let config = args.config();
            let listen = config.listen;
            let (state, bootstrap) = tokio::task::spawn_blocking(move || cxhost::Services::open(config)).await??;
            if let Some(key) = bootstrap {
                println!("first start: operator key {key}\n(store it now; it is kept only as a hash)");
            }
            serve(state, listen, None).await
        }
        Command::Demo { server } => {
            let config = server.config();
            let listen = config.listen;
            let spec = SampleSpec::demo();
            let prepared = tokio::task::spawn_blocking(move || cxhost::demo::prepare(config, &spec)).await?;
            let (state, keys, summary) = prepared.context("preparing the demo")?;
            let text = cxhost::demo::instructions(&format!("http://{listen}"), &keys, &summary, &SampleSpec::demo());
            serve(state, listen, Some(text)).await
        }
        Command::Generate { out, seed, agents, days, start, preset } => {
            let mut spec = match preset.as_str() {
                "tiny" => SampleSpec::tiny(),
                "demo" => SampleSpec::demo(),
                other => anyhow::bail!("unknown preset `{other}`; use tiny or demo"),
            };
            spec.seed = seed;
            spec.agents = agents.unwrap_or(spec.agents);
            spec.days = days.unwrap_or(spec.days);
            spec.start = start.unwrap_or(spec.start);
            let summary = cxhost::generate::generate(&spec, &out)?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Command::Plugin(args) => plugin_cli::run(args).await,
        Command::Pay { connection, command } => ledgers_cli::pay(connection, command).await,
        Command::Awards { connection, command } => ledgers_cli::awards(connection, command).await,
        Command::Tenant(command) => tenant_cli::run(command),
        Command::Schema => {
            print!("{}", cxhost::store::schema::reference_markdown());
            Ok(())
        }
        Command::CompilePlugin { input, output } => {
            std::process::exit(cxhost::runtime::compile::child_main(&input, &output))
        }
    }
}

/// The log on stdout; for local plugin runs, on stderr (warnings and the plugin's own lines by
/// default) beside the layer that records the plugin's queries and memory (cxhost::local::trace).
fn init_logging(local: bool) {
    use tracing_subscriber::prelude::*;
    let filter = |default: &str| {
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.to_string().into())
    };
    let ansi = |terminal: bool| tracing_subscriber::fmt::layer().with_ansi(terminal);
    if local {
        let log = ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).with_writer(std::io::stderr);
        tracing_subscriber::registry()
            .with(log.with_filter(filter("warn,tower_http=off,cxhost::plugin=info")))
            .with(cxhost::local::trace::layer())
            .init();
    } else {
        let log = ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
        tracing_subscriber::registry().with(log.with_filter(filter("cxhost=info,tower_http=warn"))).init();
    }
}

async fn serve(state: cxhost::AppState, listen: SocketAddr, banner: Option<String>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    match banner {
        Some(text) => println!("{text}"),
        None => println!("cxhost listening on http://{address} (OpenAPI at /openapi.json)"),
    }
    axum::serve(listener, cxhost::app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
