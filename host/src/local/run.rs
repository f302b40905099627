//! One local run of a plugin component: the ordinary services ([`Services::open`]) on a
//! temporary data directory, a `local` tenant loaded through the ingest route, the component
//! uploaded through the upload route (the same compile and checks), and the call made through
//! the route the HTTP API answers for its kind — all handed to the server's own router in this
//! process, so the runtime, limits, SQL sandbox and answers are the server's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use axum::body::Body;
use axum::http::{Method, Request as HttpRequest, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::trace::{Observed, Recording};
use crate::app::{AppState, Services, StartError};
use crate::auth::Role;
use crate::config::{Config, PluginLimits};
use crate::store::schema::{self, ColumnType};

/// The tenant every local run works in.
pub const LOCAL_TENANT: &str = "local";

/// Fields of an answer that change from run to run or build to build; a local run's output
/// leaves them out, so that fixtures can compare it (the hash is in [`RunReport::hash`]):
/// points-ledger entry ids and the ids of the actions a rule run opened (both from the run's
/// random id), a route's latency and when its roster snapshot was taken.
pub const VOLATILE_FIELDS: [&str; 10] = [
    "elapsed_ms",
    "run_id",
    "hash",
    "plugin_hash",
    "statement_id",
    "created_at",
    "entry_id",
    "opened",
    "latency_us",
    "snapshot_taken_at",
];

/// How long an enricher run waits for the texts it was given to be scored.
const ENRICH_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot start the local server: {0}")]
    Start(#[from] Box<StartError>),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("`{file}` is not named after a table: name data files <table>.csv or <table>.parquet ({tables})")]
    NotATable { file: String, tables: String },
    #[error("no data files (<table>.csv or <table>.parquet) in {0}")]
    NoData(PathBuf),
    #[error("{file} row {row}, column `{column}`: {message}")]
    BadRow { file: String, row: u64, column: String, message: String },
    #[error("{what} failed: {status} {code}: {detail}")]
    Refused { what: String, status: u16, code: String, detail: String },
    #[error("the request: {0}")]
    Request(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StartError> for LocalError {
    fn from(e: StartError) -> Self {
        LocalError::Start(Box::new(e))
    }
}

/// What to ask of the plugin: the fixture format's `request.json` (every field optional).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Start (inclusive), a date or an RFC 3339 time; default the data's first day.
    pub from: Option<String>,
    /// End (exclusive); default the day after the data's last.
    pub to: Option<String>,
    /// Metrics: the grouping (default the API's, `total`).
    pub group_by: Option<String>,
    /// Pay models and game mechanics: a calendar month, `YYYY-MM` (instead of from/to).
    pub period: Option<String>,
    /// The plugin's parameters.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Enrichers: topic → keywords.
    pub taxonomy: Option<Value>,
    /// Routers: the contact to route (the body of `POST …/route`).
    pub contact: Option<Value>,
    /// How closely numbers must match in `cxhost plugin test`.
    pub tolerance: Option<Tolerance>,
}

/// Numbers `a` (expected) and `b` match when `|a - b| <= absolute` or
/// `|a - b| <= relative * |a|`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    #[serde(default = "tiny")]
    pub relative: f64,
    #[serde(default = "tiny")]
    pub absolute: f64,
}

fn tiny() -> f64 {
    1e-9
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { relative: tiny(), absolute: tiny() }
    }
}

/// What a run did.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// The plugin's name, kind, version and content hash.
    pub plugin: String,
    pub kind: String,
    pub version: String,
    pub hash: String,
    /// Rows loaded per table, in load order.
    pub loaded: Vec<(String, u64)>,
    /// The range asked for.
    pub from: String,
    pub to: String,
    /// The API's answer without [`VOLATILE_FIELDS`], or why the call failed.
    #[serde(serialize_with = "output_or_error")]
    pub output: Result<Value, LocalError>,
    pub queries: Vec<super::trace::QueryTrace>,
    pub rows_read: u64,
    /// The largest the plugin instance's linear memory grew to, in bytes.
    pub memory_peak_bytes: u64,
    /// Wall time of the call (its route, from request to answer; for an enricher, from the
    /// start of loading until every text is scored), in milliseconds.
    pub elapsed_ms: f64,
    pub limits: PluginLimits,
}

fn output_or_error<S: serde::Serializer>(output: &Result<Value, LocalError>, s: S) -> Result<S::Ok, S::Error> {
    match output {
        Ok(value) => value.serialize(s),
        Err(e) => json!({ "error": e.to_string() }).serialize(s),
    }
}

/// The server of one run: services on a temporary data directory with the `local` tenant and
/// a tenant admin key. The directory is removed when it is dropped.
pub struct LocalServer {
    state: AppState,
    router: axum::Router,
    key: String,
    dir: PathBuf,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The configuration of a local run: the server's defaults on a fresh temporary directory,
/// with `limits`, without the rule scheduler.
pub fn local_config(limits: PluginLimits) -> Result<Config, LocalError> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let dir = std::env::temp_dir().join(format!("cxhost-local-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| LocalError::Io { path: dir.clone(), source })?;
    let mut config = Config::new(&dir);
    config.default_limits = limits;
    config.rule_tick = None;
    config.operator_key = Some(crate::auth::new_key());
    Ok(config)
}

/// Runs `component` over the data at `data` as `request` asks, under `config` (see
/// [`local_config`]). Errors before the call (data, upload, request) are `Err`; a failed call
/// is the report's `output`.
pub async fn run(component: &Path, data: &Path, request: &Request, config: Config) -> Result<RunReport, LocalError> {
    let limits = config.default_limits;
    let server = LocalServer::open(config).await?;
    let bytes = std::fs::read(component).map_err(|source| LocalError::Io { path: component.to_path_buf(), source })?;
    let uploaded =
        server.send("uploading the component", Method::POST, "/plugins", Body::from(bytes), "application/wasm").await?;
    let text = |key: &str| uploaded[key].as_str().unwrap_or_default().to_string();
    let (name, kind, version, hash) = (text("name"), text("kind"), text("version"), text("hash"));
    if kind == "enricher" {
        server.prepare_enricher(&name, request).await?;
    }
    // An enricher is called as the texts are ingested: its run is the loading.
    let early = (kind == "enricher").then(|| (Recording::start(), Instant::now()));
    let loaded = server.load(data).await?;
    let (from, to) = server.range(request).await?;
    let (recording, started) = early.unwrap_or_else(|| (Recording::start(), Instant::now()));
    let output = server.call(&kind, &name, request, (&from, &to)).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let Observed { queries, memory_peak_bytes } = recording.finish();
    Ok(RunReport {
        plugin: name,
        kind,
        version,
        hash,
        loaded,
        from,
        to,
        output: output.map(without_volatile),
        rows_read: queries.iter().map(|q| q.rows).sum(),
        queries,
        memory_peak_bytes: memory_peak_bytes.min(limits.memory_bytes),
        elapsed_ms,
        limits,
    })
}

/// `value` without [`VOLATILE_FIELDS`], at any depth.
pub fn without_volatile(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !VOLATILE_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k, without_volatile(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_volatile).collect()),
        other => other,
    }
}

/// The data files at `data`, in load order: `data` itself when it is a file, else the files of
/// the directory ending in `.csv` or `.parquet`, each named after its table (an export's
/// Parquet files included); a CSV or Parquet file named otherwise is refused, other files are
/// left alone (`manifest.json`, `expected.json`, notes).
pub fn data_files(data: &Path) -> Result<Vec<(&'static schema::Table, PathBuf)>, LocalError> {
    let io = |source| LocalError::Io { path: data.to_path_buf(), source };
    let candidates: Vec<PathBuf> = if data.is_dir() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(data)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        paths
    } else {
        std::fs::metadata(data).map_err(io)?;
        vec![data.to_path_buf()]
    };
    let tables: Vec<&str> = schema::TABLES.iter().map(|t| t.name).collect();
    let mut files = Vec::new();
    for path in candidates {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (stem, extension) = file.rsplit_once('.').unwrap_or((&file, ""));
        if !matches!(extension, "csv" | "parquet") {
            continue;
        }
        match schema::table(stem) {
            Some(table) => files.push((table, path)),
            None => return Err(LocalError::NotATable { file, tables: tables.join(", ") }),
        }
    }
    if files.is_empty() {
        return Err(LocalError::NoData(data.to_path_buf()));
    }
    let order = |t: &schema::Table| schema::TABLES.iter().position(|x| x.name == t.name);
    files.sort_by_key(|(t, _)| order(t));
    Ok(files)
}

/// `YYYY-MM` as the range of that month.
fn month_range(period: &str) -> Result<(String, String), LocalError> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d")
        .map_err(|_| LocalError::Request(format!("`period` must be a month, YYYY-MM; got `{period}`")))?;
    let next = first + chrono::Months::new(1);
    Ok((first.to_string(), next.to_string()))
}

impl LocalServer {
    /// The services on `config`'s data directory with the `local` tenant and a key for it.
    pub async fn open(config: Config) -> Result<LocalServer, LocalError> {
        let dir = config.data_dir.clone();
        let opened = tokio::task::spawn_blocking(move || -> Result<(AppState, String), LocalError> {
            let (state, _) = Services::open(config)?;
            let internal = |e: &dyn std::fmt::Display| LocalError::Internal(e.to_string());
            state.system.create_tenant(LOCAL_TENANT, "Local run", "local").map_err(|e| internal(&e))?;
            let key = crate::auth::new_key();
            state
                .keys
                .add(&state.system, &key, Role::TenantAdmin, Some(LOCAL_TENANT), "local", "local")
                .map_err(|e| internal(&e))?;
            Ok((state, key))
        })
        .await
        .map_err(|e| LocalError::Internal(e.to_string()))?;
        let (state, key) = opened.inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        let router = crate::app(state.clone());
        Ok(LocalServer { state, router, key, dir })
    }

    /// The services behind the run (for the data-span query and the tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Hands a request for `path` under the tenant to the server's router; the JSON answer,
    /// or [`LocalError::Refused`] naming `what`, the status, code and detail.
    async fn send(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Body,
        content_type: &str,
    ) -> Result<Value, LocalError> {
        let (status, answer) = self.exchange(method, path, body, content_type).await?;
        if status.is_success() {
            return Ok(answer);
        }
        Err(LocalError::Refused {
            what: what.to_string(),
            status: status.as_u16(),
            code: answer["code"].as_str().unwrap_or("error").to_string(),
            detail: answer["detail"].as_str().unwrap_or("no detail").to_string(),
        })
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Body,
        content_type: &str,
    ) -> Result<(StatusCode, Value), LocalError> {
        let request = HttpRequest::builder()
            .method(method)
            .uri(format!("/v1/tenants/{LOCAL_TENANT}{path}"))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", content_type)
            .body(body)
            .map_err(|e| LocalError::Internal(e.to_string()))?;
        let response = self.router.clone().oneshot(request).await.map_err(|e| LocalError::Internal(e.to_string()))?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| LocalError::Internal(e.to_string()))?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    async fn get(&self, what: &str, path: &str, query: &[(&str, String)]) -> Result<Value, LocalError> {
        self.send(what, Method::GET, &with_query(path, query), Body::empty(), "application/json").await
    }

    async fn post(&self, what: &str, method: Method, path: &str, body: &Value) -> Result<Value, LocalError> {
        self.send(what, method, path, Body::from(body.to_string()), "application/json").await
    }

    /// Loads every data file at `data` through the ingest route, all or nothing per file; the
    /// first rejected row is the error, naming file, row and column. Rows loaded per table.
    pub async fn load(&self, data: &Path) -> Result<Vec<(String, u64)>, LocalError> {
        let mut loaded = Vec::new();
        for (table, path) in data_files(data)? {
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|source| LocalError::Io { path: path.clone(), source })?;
            let content_type = if file.ends_with(".parquet") { "application/vnd.apache.parquet" } else { "text/csv" };
            let route = format!("/ingest/{}?mode=all_or_nothing", table.name);
            let (status, answer) = self.exchange(Method::POST, &route, Body::from(bytes), content_type).await?;
            if status.is_success() {
                loaded.push((table.name.to_string(), answer["inserted"].as_u64().unwrap_or(0)));
                continue;
            }
            if let Some(first) = answer["report"]["errors"].get(0) {
                return Err(LocalError::BadRow {
                    file,
                    row: first["row"].as_u64().unwrap_or(0),
                    column: first["column"].as_str().unwrap_or("").to_string(),
                    message: first["message"].as_str().unwrap_or("").to_string(),
                });
            }
            return Err(LocalError::Refused {
                what: format!("loading {file}"),
                status: status.as_u16(),
                code: answer["code"].as_str().unwrap_or("error").to_string(),
                detail: answer["detail"].as_str().unwrap_or("no detail").to_string(),
            });
        }
        Ok(loaded)
    }

    /// The range asked for, or the data's: its first day to the day after its last, over the
    /// first required time column of every loaded table.
    async fn range(&self, request: &Request) -> Result<(String, String), LocalError> {
        if let Some(period) = &request.period {
            if request.from.is_some() || request.to.is_some() {
                return Err(LocalError::Request("give `period` or `from`/`to`, not both".to_string()));
            }
            return month_range(period);
        }
        if let (Some(from), Some(to)) = (&request.from, &request.to) {
            return Ok((from.clone(), to.clone()));
        }
        let state = self.state.clone();
        let span = tokio::task::spawn_blocking(move || data_span(&state))
            .await
            .map_err(|e| LocalError::Internal(e.to_string()))??;
        let (first, last) = span.ok_or_else(|| {
            LocalError::Request("the data has no times to take a range from; give `from` and `to`".to_string())
        })?;
        let day_after = last + chrono::Days::new(1);
        Ok((request.from.clone().unwrap_or(first.to_string()), request.to.clone().unwrap_or(day_after.to_string())))
    }

    /// Enrichers score texts as they are ingested: the taxonomy and the enricher are set first.
    async fn prepare_enricher(&self, name: &str, request: &Request) -> Result<(), LocalError> {
        if let Some(taxonomy) = &request.taxonomy {
            self.post("setting the taxonomy", Method::PUT, "/topics", &json!({ "topics": taxonomy })).await?;
        }
        let mut settings = self.get("reading the enrichment settings", "/enrichment", &[]).await?;
        settings["enricher"] = json!(name);
        settings["params"] = Value::Object(request.params.clone());
        self.post("choosing the enricher", Method::PUT, "/enrichment", &settings).await?;
        Ok(())
    }

    /// Calls the plugin through its kind's route; the answer.
    async fn call(
        &self,
        kind: &str,
        name: &str,
        request: &Request,
        (from, to): (&str, &str),
    ) -> Result<Value, LocalError> {
        let what = format!("the {} call of `{name}`", kind.replace('_', " "));
        let mut query: Vec<(&str, String)> = vec![("from", from.to_string()), ("to", to.to_string())];
        let params: Vec<(&str, String)> = request.params.iter().map(|(k, v)| (k.as_str(), param_text(v))).collect();
        let run_body = json!({ "plugin": name, "from": from, "to": to, "params": request.params });
        let range = [("from", from.to_string()), ("to", to.to_string())];
        match kind {
            "metric" => {
                if let Some(group_by) = &request.group_by {
                    query.push(("group_by", group_by.clone()));
                }
                query.extend(params);
                self.get(&what, &format!("/metrics/{name}"), &query).await
            }
            "dashboard" => {
                query.extend(params);
                self.get(&what, &format!("/dashboards/{name}"), &query).await
            }
            "pay_model" => {
                let run = self.post(&what, Method::POST, "/pay/runs", &run_body).await?;
                let statements = self.get("listing the statements", "/pay/statements", &range).await?;
                Ok(json!({ "run": run, "statements": statements }))
            }
            "game_mechanic" => {
                let run = self.post(&what, Method::POST, "/awards/runs", &run_body).await?;
                let ledger = self.get("reading the points ledger", "/awards/ledger", &range).await?;
                Ok(json!({ "run": run, "ledger": ledger }))
            }
            "rule" => {
                let body = json!({ "plugin": name, "at": to, "settle_minutes": 0, "params": request.params });
                self.post(&what, Method::POST, "/rules/runs", &body).await
            }
            "enricher" => self.enriched(&what).await,
            "router" => {
                let contact = request
                    .contact
                    .clone()
                    .ok_or_else(|| LocalError::Request("a router run needs a `contact` to route".to_string()))?;
                let mut settings = self.get("reading the routing settings", "/routing", &[]).await?;
                settings["router"] = json!(name);
                settings["params"] = Value::Object(request.params.clone());
                self.post("choosing the router", Method::PUT, "/routing", &settings).await?;
                self.post("taking the roster snapshot", Method::POST, "/routing/snapshot", &json!({})).await?;
                self.post(&what, Method::POST, "/route", &contact).await
            }
            other => Err(LocalError::Request(format!("plugins of kind `{other}` cannot be run locally"))),
        }
    }

    /// Waits until the loaded texts are scored; the status and every text's enrichment.
    async fn enriched(&self, what: &str) -> Result<Value, LocalError> {
        let started = Instant::now();
        let status = loop {
            let status = self.get(what, "/enrichments", &[]).await?;
            let pending: u64 =
                status["sources"].as_array().into_iter().flatten().map(|s| s["pending"].as_u64().unwrap_or(0)).sum();
            if pending == 0 || started.elapsed() > ENRICH_WAIT {
                break status;
            }
            self.state.enrichment.wake(LOCAL_TENANT);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let state = self.state.clone();
        let rows = tokio::task::spawn_blocking(move || enriched_rows(&state))
            .await
            .map_err(|e| LocalError::Internal(e.to_string()))??;
        let mut texts = Vec::new();
        for (source, id) in rows {
            let enrichment = self.get(what, &format!("/enrichments/{source}/{id}"), &[]).await?;
            texts.push(json!({ "source": source, "id": id, "enrichment": enrichment }));
        }
        Ok(json!({ "status": status, "texts": texts }))
    }
}

/// A parameter's value as a query string carries it.
fn param_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `path?k=v&…`, percent-encoded.
fn with_query(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let mut url = reqwest::Url::parse("http://local.invalid/").expect("a valid base");
    url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    format!("{path}?{}", url.query().unwrap_or(""))
}

fn internal(e: impl std::fmt::Display) -> LocalError {
    LocalError::Internal(e.to_string())
}

/// The first and last day of the tenant's data, over the first required time column of
/// every table that has rows.
fn data_span(state: &Services) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>, LocalError> {
    let db = state.tenants.get(LOCAL_TENANT).map_err(internal)?;
    let conn = db.connection().map_err(internal)?;
    let mut span: Option<(chrono::NaiveDate, chrono::NaiveDate)> = None;
    for table in schema::TABLES {
        let Some(column) =
            table.columns.iter().find(|c| c.required && matches!(c.ty, ColumnType::Timestamp | ColumnType::Date))
        else {
            continue;
        };
        let sql = format!(
            "SELECT CAST(min({c}) AS DATE)::VARCHAR, CAST(max({c}) AS DATE)::VARCHAR FROM {t}",
            c = column.name,
            t = table.name
        );
        let (first, last): (Option<String>, Option<String>) =
            conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(internal)?;
        let day = |s: Option<String>| s.and_then(|s| s.parse::<chrono::NaiveDate>().ok());
        if let (Some(first), Some(last)) = (day(first), day(last)) {
            span = Some(match span {
                Some((a, b)) => (a.min(first), b.max(last)),
                None => (first, last),
            });
        }
    }
    Ok(span)
}

/// Every text the enricher was given: (source table, row id), in order.
fn enriched_rows(state: &Services) -> Result<Vec<(String, String)>, LocalError> {
    let db = state.tenants.get(LOCAL_TENANT).map_err(internal)?;
    let conn = db.connection().map_err(internal)?;
    let mut statement =
        conn.prepare("SELECT source, row_id FROM enrichments ORDER BY source, row_id").map_err(internal)?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(internal)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(internal)
}
