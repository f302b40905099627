//! `cxhost plugin …`: the operator's commands for plugin versions and deployments, sent to a
//! running server over its HTTP API. Each prints the server's JSON answer; a problem response
//! becomes an error naming its code and detail.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// Which server, key and tenant a command talks to.
#[derive(Args)]
pub struct Connection {
    /// Server base URL.
    #[arg(long, env = "CXHOST_URL", default_value = "http://127.0.0.1:8080", global = true)]
    server: String,
    /// API key (tenant admin or operator to change things; analyst to read).
    #[arg(long, env = "CXHOST_KEY", global = true, hide_env_values = true)]
    key: Option<String>,
    /// Tenant id.
    #[arg(long, env = "CXHOST_TENANT", global = true)]
    tenant: Option<String>,
}

impl Connection {
    pub(crate) fn client(&self) -> anyhow::Result<Client<'_>> {
        Client::connect(&self.server, self.key.as_deref(), self.tenant.as_deref())
    }
}

#[derive(Args)]
pub struct PluginArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: PluginCommand,
}

impl PluginArgs {
    /// Whether the command runs a component locally (`run`, `test`) rather than on a server.
    pub fn is_local(&self) -> bool {
        matches!(self.command, PluginCommand::Run(_) | PluginCommand::Test(_))
    }
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Write a new plugin project (sources, WIT, fixtures, README) to build, test and upload.
    New(NewArgs),
    /// Upload a component; it becomes active unless --no-activate.
    Upload {
        file: PathBuf,
        #[arg(long)]
        no_activate: bool,
    },
    /// The tenant's plugins and the versions that serve them.
    List,
    /// Every stored version of a plugin and what is deployed.
    Versions { name: String },
    /// Make a stored version active (hash or a unique prefix of 8+ characters).
    Activate { name: String, hash: String },
    /// Roll back to the previous version, or to the version given.
    Rollback { name: String, hash: Option<String> },
    /// Send a share of subjects to a canary version; `--stop` ends the canary.
    Canary {
        name: String,
        hash: Option<String>,
        /// Share of subjects, 0–100.
        #[arg(long, default_value_t = 10.0)]
        percent: f64,
        #[arg(long)]
        stop: bool,
    },
    /// Shadow runs: start (with a hash), stop, show the report, or run on a past period.
    Shadow {
        #[command(subcommand)]
        action: ShadowAction,
    },
    /// What happens when the serving version fails: `error` or `fallback`.
    Policy { name: String, on_failure: String },
    /// Calls, errors, fallbacks and latency per version.
    Stats { name: String },
    /// Run a component locally, without a server, over CSV/Parquet files or a tenant export,
    /// with the server's runtime, limits and SQL sandbox; print its output, queries and costs.
    Run(crate::plugin_local::RunArgs),
    /// Run a component against its fixture cases; exit code 1 when any case fails.
    Test(crate::plugin_local::TestArgs),
    /// The tenant's audit log, newest first.
    Audit {
        /// Only entries about this plugin.
        name: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum ShadowAction {
    /// Run a candidate beside the serving version on every call.
    Start {
        name: String,
        hash: String,
    },
    Stop {
        name: String,
    },
    Report {
        name: String,
    },
    /// Compare a candidate with the serving version on a past period, now.
    Run {
        name: String,
        hash: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "agent")]
        group_by: String,
    },
}

pub async fn run(args: PluginArgs) -> anyhow::Result<()> {
    if let PluginCommand::New(new) = args.command {
        return new_project(new);
    }
    match args.command {
        PluginCommand::Run(local) => return crate::plugin_local::run(local).await,
        PluginCommand::Test(local) => return crate::plugin_local::test(local).await,
        _ => {}
    }
    let client = args.connection.client()?;
    let plugin = |name: &str, what: &str| format!("/plugins/{name}/{what}");
    let answer = match args.command {
        PluginCommand::Upload { file, no_activate } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let query = if no_activate { "?activate=false" } else { "" };
            client
                .send(
                    client
                        .request(Method::POST, &format!("/plugins{query}"))
                        .header("content-type", "application/wasm")
                        .body(bytes),
                )
                .await?
        }
        PluginCommand::List => client.send(client.request(Method::GET, "/plugins")).await?,
        PluginCommand::Versions { name } => {
            client.send(client.request(Method::GET, &plugin(&name, "versions"))).await?
        }
        PluginCommand::Activate { name, hash } => {
            client.send(client.request(Method::POST, &plugin(&name, "activate")).json(&json!({ "hash": hash }))).await?
        }
        PluginCommand::Rollback { name, hash } => {
            client.send(client.request(Method::POST, &plugin(&name, "rollback")).json(&json!({ "hash": hash }))).await?
        }
        PluginCommand::Canary { name, stop: true, .. } => {
            client.send(client.request(Method::DELETE, &plugin(&name, "canary"))).await?
        }
        PluginCommand::Canary { name, hash, percent, stop: false } => {
            let hash = hash.context("give the canary version's hash, or --stop")?;
            let body = json!({ "hash": hash, "percent": percent });
            client.send(client.request(Method::PUT, &plugin(&name, "canary")).json(&body)).await?
        }
        PluginCommand::Shadow { action } => match action {
            ShadowAction::Start { name, hash } => {
                client
                    .send(client.request(Method::PUT, &plugin(&name, "shadow")).json(&json!({ "hash": hash })))
                    .await?
            }
            ShadowAction::Stop { name } => {
                client.send(client.request(Method::DELETE, &plugin(&name, "shadow"))).await?
            }
            ShadowAction::Report { name } => client.send(client.request(Method::GET, &plugin(&name, "shadow"))).await?,
            ShadowAction::Run { name, hash, from, to, group_by } => {
                let body = json!({ "hash": hash, "from": from, "to": to, "group_by": group_by });
                client.send(client.request(Method::POST, &plugin(&name, "shadow/run")).json(&body)).await?
            }
        },
        PluginCommand::Policy { name, on_failure } => {
            let body = json!({ "on_failure": on_failure });
            client.send(client.request(Method::PUT, &plugin(&name, "policy")).json(&body)).await?
        }
        PluginCommand::Stats { name } => client.send(client.request(Method::GET, &plugin(&name, "stats"))).await?,
        PluginCommand::New(_) => unreachable!("`plugin new` returns above"),
        PluginCommand::Run(_) | PluginCommand::Test(_) => unreachable!("local commands return above"),
        PluginCommand::Audit { name, limit } => {
            let mut path = format!("/audit?limit={limit}");
            if let Some(name) = name {
                path.push_str(&format!("&plugin={name}"));
            }
            client.send(client.request(Method::GET, &path)).await?
        }
    };
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}

/// `cxhost plugin new`: what to scaffold, and where.
#[derive(Args)]
pub struct NewArgs {
    /// The kind of plugin (its world in wit/cxhost.wit).
    #[arg(long, value_enum)]
    kind: cxhost::scaffold::Kind,
    /// The language of the project.
    #[arg(long, value_enum)]
    lang: cxhost::scaffold::Lang,
    /// The plugin's name: 1–40 lowercase letters, digits or `_`, starting with a letter.
    name: String,
    /// Where to write the project (default ./NAME); it must not exist yet.
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn new_project(args: NewArgs) -> anyhow::Result<()> {
    use cxhost::scaffold;
    let (kind, lang, name) = (args.kind.name(), args.lang.name(), &args.name);
    if !scaffold::supported(args.kind, args.lang) {
        let kinds: Vec<&str> =
            scaffold::Kind::ALL.into_iter().filter(|k| scaffold::supported(*k, args.lang)).map(|k| k.name()).collect();
        bail!("no {lang} template for {kind} plugins yet; in {lang} there are: {}", kinds.join(", "));
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(name));
    let written = scaffold::new_project(args.kind, args.lang, name, &dir)?;
    let files = written.len();
    println!(
        "wrote a {kind} plugin `{name}` in {lang} to {} ({files} files); its README.md says how to build, test and upload it",
        dir.display()
    );
    Ok(())
}

/// A tenant's API on a running server, with a key.
pub(crate) struct Client<'a> {
    http: reqwest::Client,
    base: String,
    key: &'a str,
}

impl<'a> Client<'a> {
    pub(crate) fn connect(server: &str, key: Option<&'a str>, tenant: Option<&str>) -> anyhow::Result<Client<'a>> {
        let key = key.context("give an API key with --key or CXHOST_KEY")?;
        let tenant = tenant.context("give the tenant with --tenant or CXHOST_TENANT")?;
        Ok(Client {
            http: reqwest::Client::new(),
            base: format!("{}/v1/tenants/{tenant}", server.trim_end_matches('/')),
            key,
        })
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).bearer_auth(self.key)
    }

    /// The JSON answer, or an error naming the problem's code and detail.
    pub(crate) async fn send(&self, request: RequestBuilder) -> anyhow::Result<Value> {
        let text = self.send_text(request).await?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The answer's body as text (CSV exports), or an error naming the problem.
    pub(crate) async fn send_text(&self, request: RequestBuilder) -> anyhow::Result<String> {
        let response = request.send().await.context("cannot reach the server")?;
        let status = response.status();
        let text = response.text().await.context("reading the answer")?;
        if !status.is_success() {
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = body["code"].as_str().unwrap_or("error");
            let detail = body["detail"].as_str().unwrap_or("no detail");
            bail!("{status} {code}: {detail}");
        }
        Ok(text)
    }
}
