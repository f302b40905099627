//! Helpers for the end-to-end tests: a cxhost server over a temporary data directory — on a
//! free loopback port, or in this process without a socket — small HTTP helpers around it,
//! and the guest components `build.rs` built.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const OPERATOR_KEY: &str = "cxk_test_operator_key_0000000000000000000000";

/// A running server, reached over a loopback socket or, for [`app`], in this process. The
/// shared ones live for the whole test binary.
#[derive(Clone)]
pub struct Server {
    /// Where requests go: `http://127.0.0.1:<port>`, or [`IN_PROCESS`].
    pub base: String,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    /// For the server in this process ([`app`]): the router every request is handed to with
    /// `oneshot`, instead of a socket.
    router: Option<axum::Router>,
}

/// The base URL of the in-process server: requests built on it never leave the process.
pub const IN_PROCESS: &str = "http://in-process.invalid";

/// Compiled plugin code shared by every server of this test run (it is keyed by content hash).
fn compiled_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("cxhost-test-compiled");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts a server on `data_dir` on a thread of its own; returns once it listens.
pub fn start_server(data_dir: &Path) -> Server {
    start_server_with(data_dir, |_| {})
}

/// Starts a server like [`start_server`] with its configuration changed by `configure`.
pub fn start_server_with(data_dir: &Path, configure: impl FnOnce(&mut cxhost::Config) + Send + 'static) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = data_dir.to_path_buf();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let mut config = cxhost::Config::new(&dir);
            config.operator_key = Some(OPERATOR_KEY.to_string());
            config.compiled_dir = compiled_dir();
            configure(&mut config);
            let (state, _) = tokio::task::spawn_blocking(move || cxhost::Services::open(config))
                .await
                .unwrap()
                .expect("server state opens");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, cxhost::app(state)).await.unwrap();
        });
    });
    let address = rx.recv().expect("server started");
    Server {
        base: format!("http://{address}"),
        data_dir: data_dir.to_path_buf(),
        client: unpooled_client(),
        router: None,
    }
}

/// A client that keeps no idle connections: each test runs on its own Tokio runtime, and a
/// pooled connection would belong to the runtime of the test that opened it.
fn unpooled_client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("HTTP client builds")
}

/// The server shared by the tests that need a socket (concurrent clients, timing, the
/// browser); each test works in tenants of its own.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        start_server(&dir)
    })
}

static APP: OnceLock<Server> = OnceLock::new();
static APP_STATE: OnceLock<cxhost::AppState> = OnceLock::new();

/// The services behind [`app`], for tests that call below the HTTP layer on its tenants.
pub fn app_state() -> &'static cxhost::AppState {
    app();
    APP_STATE.get().expect("app() keeps its state")
}

/// The server shared by the API tests that need no socket: the same router
/// (`cxhost::app(state)`) in this process, answering each request with
/// `tower::ServiceExt::oneshot` on the calling test's runtime. Each test works in tenants of
/// its own; the helpers of [`Server`] work on it as on [`server`].
pub fn app() -> &'static Server {
    APP.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let mut config = cxhost::Config::new(&dir);
        config.operator_key = Some(OPERATOR_KEY.to_string());
        config.compiled_dir = compiled_dir();
        // Opened outside the runtime of the test that happens to come first: the state outlives it.
        let (state, _) =
            std::thread::spawn(move || cxhost::Services::open(config)).join().unwrap().expect("server state opens");
        APP_STATE.set(state.clone()).ok().expect("the in-process server is made once");
        Server {
            base: IN_PROCESS.to_string(),
            data_dir: dir,
            client: unpooled_client(),
            router: Some(cxhost::app(state)),
        }
    })
}

/// Two agents, as CSV: a batch every test can load into a fresh tenant.
pub const AGENTS_CSV: &str = "agent_id,employment_type,team,site\nx1,employee,north,berlin\nx2,crowd,south,home\n";

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/small")
}

/// Bytes of a guest component built by build.rs, named by its constant, e.g.
/// `guest(SPIN_FOREVER)` (see `cxhost::guests::test_guests`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = Path::new(cxhost::guests::GUESTS_DIR).join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A response: status, headers, the body as text and as JSON (Null when it is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Server {
    /// Sends `request` with `key` as its bearer token.
    pub async fn send(&self, request: reqwest::RequestBuilder, key: &str) -> Reply {
        self.exchange(request.bearer_auth(key)).await
    }

    /// Sends `request` (built on [`Server::base`]) as it is: over the socket with the client
    /// that built it, or to the in-process router.
    pub async fn exchange(&self, request: reqwest::RequestBuilder) -> Reply {
        let (client, request) = request.build_split();
        let request = request.expect("the request builds");
        let (status, headers, bytes) = match &self.router {
            None => {
                let response = client.execute(request).await.expect("request sent");
                let (status, headers) = (response.status(), response.headers().clone());
                (status, headers, response.bytes().await.unwrap().to_vec())
            }
            Some(router) => oneshot(router, request).await,
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, text, body }
    }

    pub async fn get(&self, key: &str, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.base)), key).await
    }

    pub async fn post_json(&self, key: &str, path: &str, body: Value) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body), key).await
    }

    pub async fn put_json(&self, key: &str, path: &str, body: Value) -> Reply {
        self.send(self.client.put(format!("{}{path}", self.base)).json(&body), key).await
    }

    pub async fn delete(&self, key: &str, path: &str) -> Reply {
        self.send(self.client.delete(format!("{}{path}", self.base)), key).await
    }

    /// Creates a tenant and returns a tenant-admin key for it.
    pub async fn tenant(&self, id: &str) -> String {
        let created = self.post_json(OPERATOR_KEY, "/v1/tenants", json!({"id": id, "name": id})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        self.key(id, "tenant_admin").await
    }

    pub async fn key(&self, tenant: &str, role: &str) -> String {
        let issued = self
            .post_json(OPERATOR_KEY, &format!("/v1/tenants/{tenant}/keys"), json!({"role": role, "name": role}))
            .await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
        issued.body["key"].as_str().unwrap().to_string()
    }

    pub async fn ingest(
        &self,
        key: &str,
        tenant: &str,
        table: &str,
        query: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let url = format!("{}/v1/tenants/{tenant}/ingest/{table}{query}", self.base);
        self.send(self.client.post(url).header("content-type", content_type).body(body), key).await
    }

    /// Loads every CSV of the small fixture into `tenant`, asserting each loads whole.
    pub async fn load_fixture(&self, key: &str, tenant: &str) {
        self.load_fixture_from(key, tenant, &fixture_dir()).await;
    }

    /// Loads every table's CSV found in `dir` into `tenant`, asserting each loads whole.
    pub async fn load_fixture_from(&self, key: &str, tenant: &str, dir: &Path) {
        for table in [
            "agents",
            "interactions",
            "customer_feedback",
            "employee_surveys",
            "agent_states",
            "schedules",
            "qa_evaluations",
            "certifications",
        ] {
            let path = dir.join(format!("{table}.csv"));
            let Ok(bytes) = std::fs::read(&path) else { continue };
            let reply = self.ingest(key, tenant, table, "", "text/csv", bytes).await;
            assert_eq!(reply.status, StatusCode::OK, "loading {table}: {}", reply.body);
            assert_eq!(reply.body["rejected"], 0, "{}", reply.body);
        }
    }

    pub async fn upload(&self, key: &str, tenant: &str, bytes: Vec<u8>) -> Reply {
        self.upload_with(key, tenant, bytes, "").await
    }

    /// Uploads with a query string, e.g. `?activate=false`.
    pub async fn upload_with(&self, key: &str, tenant: &str, bytes: Vec<u8>, query: &str) -> Reply {
        let url = format!("{}/v1/tenants/{tenant}/plugins{query}", self.base);
        self.send(self.client.post(url).header("content-type", "application/wasm").body(bytes), key).await
    }

    pub async fn metric(&self, key: &str, tenant: &str, name: &str, query: &str) -> Reply {
        self.get(key, &format!("/v1/tenants/{tenant}/metrics/{name}?{query}")).await
    }

    /// Row count of an arbitrary SELECT, run through the `read_other_tenant` test plugin
    /// (which must have been uploaded to `tenant`).
    pub async fn count_rows(&self, key: &str, tenant: &str, sql: &str) -> Reply {
        let sql = urlencode(sql);
        self.metric(key, tenant, "read_other_tenant", &format!("from=2026-01-01&to=2027-01-01&sql={sql}")).await
    }
}

/// Hands `request` to `router` in this process, as the server would after reading it.
async fn oneshot(router: &axum::Router, request: reqwest::Request) -> (StatusCode, HeaderMap, Vec<u8>) {
    use tower::ServiceExt;
    let url = request.url();
    assert!(url.as_str().starts_with(IN_PROCESS), "{url} is not on the in-process server");
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let mut http = axum::http::Request::builder().method(request.method().clone()).uri(target);
    for (name, value) in request.headers() {
        http = http.header(name, value);
    }
    let body = request.body().map(|b| b.as_bytes().expect("a body held in memory").to_vec());
    if let Some(body) = &body {
        http = http.header(reqwest::header::CONTENT_LENGTH, body.len());
    }
    let request = http.body(axum::body::Body::from(body.unwrap_or_default())).expect("the request converts");
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body is read");
    (status, headers, bytes.to_vec())
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A server holding the demo tenant (the README's first command, on a temporary directory),
/// served on the calling test's runtime.
pub async fn demo_server() -> (String, cxhost::demo::DemoKeys) {
    let dir = tempfile::tempdir().unwrap().keep();
    let config = cxhost::Config::new(&dir);
    let (state, keys, _) =
        tokio::task::spawn_blocking(move || cxhost::demo::prepare(config, &cxhost::generate::SampleSpec::demo()))
            .await
            .unwrap()
            .expect("demo tenant prepared");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, cxhost::app(state)).await });
    (base, keys)
}

/// A `cxhost serve` process of the built binary on a free loopback port; its log goes to a
/// file in the data directory. Killed (SIGKILL) when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub server: Server,
    pub log_path: PathBuf,
}

impl ServerProcess {
    /// Starts the server binary on `data_dir` with `extra` arguments and waits until it
    /// answers `/healthz`.
    pub async fn start(data_dir: &Path, extra: &[&str]) -> ServerProcess {
        std::fs::create_dir_all(data_dir).unwrap();
        let log_path = data_dir.join(format!(
            "server-{}.log",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        let log = std::fs::File::create(&log_path).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_cxhost"))
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0", "--operator-key", OPERATOR_KEY])
            .args(extra)
            .env("RUST_LOG", "cxhost=info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the cxhost binary starts");
        let started = std::time::Instant::now();
        let base = loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(rest) = text.split("cxhost listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(120), "the server did not start:\n{text}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let server = Server { base, data_dir: data_dir.to_path_buf(), client: unpooled_client(), router: None };
        assert_eq!(server.get("", "/healthz").await.status, StatusCode::OK);
        ServerProcess { child, server, log_path }
    }

    /// Kills the process at once, as a crash would (SIGKILL: no shutdown, no flush).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the server has written to its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The server's resident memory in bytes, from /proc.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map_or(0, |kib| kib << 10)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
