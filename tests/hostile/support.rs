//! The hostile suite's server and tenants: one server with short limits, attacking tenants
//! holding the four hostile plugins, a bystander tenant, the checks that both still answer
//! exactly as before, and the components built to attack the loader.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cxhost::guests::test_guests::{HOSTILE_DASHBOARD, HOSTILE_GAME, HOSTILE_METRIC, HOSTILE_PAY};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{self, OPERATOR_KEY, Reply, Server, guest};

/// The deadline of every hostile call, and how much later it may end at most.
pub const DEADLINE_MS: u64 = 1_000;
pub const SLACK_MS: u64 = 250;
/// How long compiling one upload may take on this server.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(4);

/// A week of the hand-checked fixture.
pub const FROM: &str = "2026-03-02";
pub const TO: &str = "2026-03-09";

/// The server the hostile suite attacks: compiles uploads in a child process of the real
/// binary under [`COMPILE_TIMEOUT`] and 1 GiB.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        util::start_server_with(&dir, |config| {
            config.compiler = cxhost::config::Compiler::Subprocess {
                exe: env!("CARGO_BIN_EXE_cxhost").into(),
                timeout: COMPILE_TIMEOUT,
                memory_bytes: 1 << 30,
            };
            config.memory_budget_bytes = 6 << 30;
        })
    })
}

/// The limits of an attacking tenant.
pub fn hostile_limits() -> Value {
    json!({
        "deadline_ms": DEADLINE_MS,
        "memory_bytes": 64u64 << 20,
        "max_rows_read": 1_000_000,
        "max_result_bytes": 4u64 << 20,
        "max_bytes_read": 64u64 << 20,
        "db_memory_bytes": 256u64 << 20,
        "db_temp_bytes": 256u64 << 20,
        "max_concurrent_calls": 2,
        "max_queued_calls": 4,
        "queue_wait_ms": 5_000,
        "log_lines_per_call": 20,
        "log_lines_per_minute": 600
    })
}

/// A tenant that runs the hostile plugins, with the fixture loaded and its own figures taken
/// before any attack.
pub struct Attacker {
    pub tenant: String,
    pub key: String,
    csat_before: Value,
}

/// Loads the fixture into a new tenant and takes its CSAT per agent.
async fn fixture_tenant(tenant: &str) -> (String, Value) {
    let s = server();
    let key = s.tenant(tenant).await;
    s.load_fixture(&key, tenant).await;
    let csat = s.metric(&key, tenant, "csat", &format!("from={FROM}&to={TO}&group_by=agent")).await;
    assert_eq!(csat.status, StatusCode::OK, "{}", csat.body);
    (key, csat.body["rows"].clone())
}

pub async fn attacker(tenant: &str) -> Attacker {
    let s = server();
    let (key, csat_before) = fixture_tenant(tenant).await;
    let limits = s.put_json(OPERATOR_KEY, &format!("/v1/tenants/{tenant}/limits"), hostile_limits()).await;
    assert_eq!(limits.status, StatusCode::OK, "{}", limits.body);
    for plugin in [HOSTILE_METRIC, HOSTILE_DASHBOARD, HOSTILE_PAY, HOSTILE_GAME] {
        let uploaded = s.upload(&key, tenant, guest(plugin)).await;
        assert_eq!(uploaded.status, StatusCode::CREATED, "{plugin}: {}", uploaded.body);
    }
    Attacker { tenant: tenant.to_string(), key, csat_before }
}

/// A reply and how long it took.
pub struct Timed {
    pub reply: Reply,
    pub elapsed: Duration,
}

impl Timed {
    /// Asserts the problem's status and code and returns its detail.
    pub fn problem(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.reply.status, status, "{}", self.reply.body);
        assert_eq!(self.reply.body["code"], code, "{}", self.reply.body);
        self.reply.body["detail"].as_str().unwrap().to_string()
    }

    /// Asserts the call ended within its deadline and the slack.
    pub fn within_deadline(&self) {
        assert!(
            self.elapsed < Duration::from_millis(DEADLINE_MS + SLACK_MS),
            "ended after {} ms, more than {DEADLINE_MS} ms + {SLACK_MS} ms: {}",
            self.elapsed.as_millis(),
            self.reply.body
        );
    }
}

pub async fn timed(request: impl std::future::Future<Output = Reply>) -> Timed {
    let started = Instant::now();
    let reply = request.await;
    Timed { reply, elapsed: started.elapsed() }
}

/// `mode` plus further parameters as a query string.
fn query(mode: &str, extra: &[(&str, &str)]) -> String {
    let mut query = format!("from={FROM}&to={TO}&mode={mode}");
    for (name, value) in extra {
        query.push_str(&format!("&{name}={}", util::urlencode(value)));
    }
    query
}

fn params(mode: &str, extra: &[(&str, &str)]) -> Value {
    let mut params = serde_json::Map::new();
    params.insert("mode".into(), json!(mode));
    for (name, value) in extra {
        let value = value.parse::<i64>().map_or_else(|_| json!(value), |n| json!(n));
        params.insert(name.to_string(), value);
    }
    Value::Object(params)
}

impl Attacker {
    pub async fn metric(&self, mode: &str, extra: &[(&str, &str)]) -> Timed {
        let s = server();
        timed(s.metric(&self.key, &self.tenant, "hostile_metric", &query(mode, extra))).await
    }

    /// The hostile metric asked for a series: as the customer side of a weekly correlation by
    /// team, which the host computes with one `compute-series` call.
    pub async fn series(&self, mode: &str, extra: &[(&str, &str)]) -> Timed {
        let mut spec = format!("hostile_metric[mode={mode}");
        for (name, value) in extra {
            spec.push_str(&format!(",{name}={value}"));
        }
        spec.push(']');
        let path = format!(
            "/v1/tenants/{}/correlations?cx={}&ex=enps&level=team&period=week&from={FROM}&to={TO}",
            self.tenant,
            util::urlencode(&spec)
        );
        timed(server().get(&self.key, &path)).await
    }

    pub async fn sql(&self, sql: &str) -> Timed {
        self.metric("sql", &[("sql", sql)]).await
    }

    pub async fn dashboard(&self, mode: &str, extra: &[(&str, &str)]) -> Timed {
        let path = format!("/v1/tenants/{}/dashboards/hostile_dashboard?{}", self.tenant, query(mode, extra));
        timed(server().get(&self.key, &path)).await
    }

    pub async fn pay(&self, mode: &str, extra: &[(&str, &str)]) -> Timed {
        let body = json!({"plugin": "hostile_pay", "from": FROM, "to": TO, "params": params(mode, extra)});
        timed(server().post_json(&self.key, &format!("/v1/tenants/{}/pay/runs", self.tenant), body)).await
    }

    pub async fn award(&self, mode: &str, extra: &[(&str, &str)]) -> Timed {
        let body = json!({"plugin": "hostile_game", "from": FROM, "to": TO, "params": params(mode, extra)});
        timed(server().post_json(&self.key, &format!("/v1/tenants/{}/awards/runs", self.tenant), body)).await
    }

    /// The tenant answers exactly as before the attacks: the same CSAT per agent from the
    /// standard plugin, a fresh batch loads, and the hostile metric's own `ok` answer.
    pub async fn assert_healthy(&self) {
        let s = server();
        let csat = s.metric(&self.key, &self.tenant, "csat", &format!("from={FROM}&to={TO}&group_by=agent")).await;
        assert_eq!(csat.status, StatusCode::OK, "{}: csat after the attack: {}", self.tenant, csat.body);
        assert_eq!(csat.body["rows"], self.csat_before, "{}: csat changed", self.tenant);
        let batch = format!(
            "agent_id,name,employment_type,team,site,hired_at,skills,timezone\n\
             h{n},Probe,crowd,north,home,2026-01-01,support,UTC\n",
            n = rand_suffix()
        );
        let loaded = s.ingest(&self.key, &self.tenant, "agents", "", "text/csv", batch.into_bytes()).await;
        assert_eq!(loaded.status, StatusCode::OK, "{}: ingest after the attack: {}", self.tenant, loaded.body);
        assert_eq!(loaded.body["inserted"], 1);
        let ok = self.metric("ok", &[]).await;
        assert_eq!(ok.reply.status, StatusCode::OK, "{}: the hostile metric's ok mode: {}", self.tenant, ok.reply.body);
        assert_eq!(s.get("", "/healthz").await.status, StatusCode::OK);
        assert_bystander_healthy().await;
    }
}

fn rand_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A tenant that never attacks; its figures must never change.
pub async fn assert_bystander_healthy() {
    static BYSTANDER: tokio::sync::OnceCell<(String, Value)> = tokio::sync::OnceCell::const_new();
    let (key, before) = BYSTANDER.get_or_init(|| fixture_tenant("bystander")).await;
    let s = server();
    let started = Instant::now();
    let csat = s.metric(key, "bystander", "csat", &format!("from={FROM}&to={TO}&group_by=agent")).await;
    assert_eq!(csat.status, StatusCode::OK, "the bystander: {}", csat.body);
    assert_eq!(&csat.body["rows"], before, "the bystander's figures changed");
    assert!(started.elapsed() < Duration::from_secs(2), "the bystander waited {:?}", started.elapsed());
}

/// The bytes of hostile guest `name` (e.g. [`HOSTILE_METRIC`]) with its `describe()` mode marker (48 bytes: a prefix,
/// the mode, NUL padding) set to `mode`.
pub fn patched(name: &str, mode: &str) -> Vec<u8> {
    const PREFIX: &[u8] = b"CXHOST-DESCRIBE-MODE:";
    const MARKER: usize = 48;
    let mut normal = PREFIX.to_vec();
    normal.extend_from_slice(b"normal");
    normal.resize(MARKER, 0);
    let mut wanted = PREFIX.to_vec();
    wanted.extend_from_slice(mode.as_bytes());
    assert!(wanted.len() <= MARKER, "mode `{mode}` is too long for the marker");
    wanted.resize(MARKER, 0);
    let mut bytes = guest(name);
    let at = bytes.windows(MARKER).position(|w| w == normal).expect("the describe marker is in the component");
    bytes[at..at + MARKER].copy_from_slice(&wanted);
    bytes
}

/// A component whose one core module has `functions` functions of `depth` nested blocks, each
/// with a conditional branch out: valid, about 8 bytes per block, and compiled in more than
/// linear time (one function of 800,000 blocks takes about 9 s on one core here; wasmparser
/// allows 7,654,321 bytes per function).
pub fn compile_bomb(functions: u32, depth: u32) -> Vec<u8> {
    use wasm_encoder::{BlockType, CodeSection, Function, FunctionSection, Module, TypeSection, ValType};
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I64], [ValType::I64]);
    module.section(&types);
    let mut declared = FunctionSection::new();
    let mut code = CodeSection::new();
    for _ in 0..functions {
        declared.function(0);
        let mut function = Function::new([]);
        let mut sink = function.instructions();
        for _ in 0..depth {
            sink.block(BlockType::Empty).local_get(0).i64_eqz().br_if(0);
        }
        for _ in 0..depth {
            sink.end();
        }
        sink.local_get(0).end();
        code.function(&function);
    }
    module.section(&declared);
    module.section(&code);
    let mut component = wasm_encoder::Component::new();
    component.section(&wasm_encoder::ModuleSection(&module));
    component.finish()
}
