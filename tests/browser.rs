//! The `/ui` pages in a real headless Chromium, driven over WebDriver by ChromeDriver (both
//! from the system packages; `.ci/run` installs them): sign-in, the overview, the CX–EX
//! dashboard with its charts drawn, the drill-down to a team, the leaderboard and an agent's
//! pay statements, no console errors and nothing fetched from outside the server.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::demo_server;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// W3C WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A ChromeDriver process with one browser session; both end when it drops.
struct Browser {
    driver: Child,
    session: String,
    client: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        let chromium = std::env::var("CHROME_BIN").unwrap_or_else(|_| CHROMIUM.to_string());
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_string());
        assert!(
            std::path::Path::new(&chromium).exists() && std::path::Path::new(&chromedriver).exists(),
            "the UI tests need Chromium and ChromeDriver ({chromium}, {chromedriver}): \
             apt-get install chromium chromium-driver, or set CHROME_BIN and CHROMEDRIVER"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not answer on {base}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,2400",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let reply: Value =
            client.post(format!("{base}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let session = reply["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {reply}")).to_string();
        Browser { driver, session: format!("{base}/session/{session}"), client, _profile: profile }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self.client.request(method, format!("{}{path}", self.session));
        let request = if body.is_null() { request } else { request.json(&body) };
        let reply: Value = request.send().await.unwrap().json().await.unwrap();
        if reply["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", reply["value"]);
        }
        reply["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, body).await
    }

    async fn go(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", Value::Null).await.as_str().unwrap().to_string()
    }

    async fn find(&self, css: &str) -> String {
        let found = self.post("/element", json!({"using": "css selector", "value": css})).await;
        found[ELEMENT].as_str().unwrap().to_string()
    }

    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []})).await
    }

    /// Waits until the current URL's path is `path`.
    async fn wait_for_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let url = self.url().await;
            if url.split('?').next().is_some_and(|u| u.ends_with(path)) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "still at {url}, waiting for {path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Console messages at level SEVERE (errors) since the last call.
    async fn console_errors(&self) -> Vec<String> {
        let entries = self.post("/se/log", json!({"type": "browser"})).await;
        entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Saves a screenshot (base64 PNG) under `$CXHOST_SCREENSHOTS`, when set.
    async fn screenshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("CXHOST_SCREENSHOTS") {
            let png = self.command(reqwest::Method::GET, "/screenshot", Value::Null).await;
            std::fs::write(format!("{dir}/{name}.png.b64"), png.as_str().unwrap()).unwrap();
        }
    }
}

impl Browser {
    /// Ends the session, which closes the browser.
    async fn close(self) {
        let _ = self.client.delete(&self.session).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// What the page shows, counted in the browser after load.
const PAGE_FACTS: &str = r#"
const count = (css) => document.querySelectorAll(css).length;
const drawn = [...document.querySelectorAll('svg.chart')].every((svg) => svg.getBoundingClientRect().width > 100);
const foreign = performance.getEntriesByType('resource').filter((r) => !r.name.startsWith(location.origin)).length;
return {
  title: document.title,
  h1: document.querySelector('h1') ? document.querySelector('h1').textContent : '',
  charts: count('svg.chart'),
  drawn,
  foreign,
  scatter_points: count('svg[data-chart=scatter] circle.point'),
  trend_lines: count('svg[data-chart=scatter] line.trend'),
  line_series: count('svg[data-chart=line] polyline.series'),
  heat_cells: count('svg[data-chart=heat_map] rect.cell'),
  bars: count('svg[data-chart=bar] rect.bar'),
  kpis: [...document.querySelectorAll('.kpi-value')].map((e) => e.textContent),
  team_links: count('a[href*="/teams/"]'),
  agent_rows: count('section[aria-labelledby=agents] tbody tr'),
  board_rows: count('table.leaderboard tbody tr'),
  statements: count('table.statement'),
  labelled_charts: [...document.querySelectorAll('svg.chart')].every((svg) => svg.getAttribute('role') === 'img' && svg.querySelector('title')),
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_load_in_a_real_browser_with_charts_drawn_and_no_console_errors() {
    let (base, keys) = demo_server().await;
    let browser = Browser::start().await;

    // Signed out, a page sends the browser to sign in and back.
    browser.go(&format!("{base}/ui/tenants/demo/dashboards/cx_ex")).await;
    browser.wait_for_path("/ui/login").await;
    let field = browser.find("input#key").await;
    browser.post(&format!("/element/{field}/value"), json!({"text": keys.analyst})).await;
    let submit = browser.find("button[type=submit]").await;
    browser.post(&format!("/element/{submit}/click"), json!({})).await;
    browser.wait_for_path("/ui/tenants/demo/dashboards/cx_ex").await;

    let dashboard = browser.script(PAGE_FACTS).await;
    browser.screenshot("dashboard").await;
    assert_eq!(dashboard["h1"], "Dashboard cx_ex", "{dashboard}");
    assert_eq!(dashboard["charts"], 5, "scatter, two lines, heat map, bars: {dashboard}");
    assert_eq!(dashboard["drawn"], true, "{dashboard}");
    assert_eq!(dashboard["labelled_charts"], true, "{dashboard}");
    // The demo team-months whose eNPS clears the privacy floor, as points.
    let points = dashboard["scatter_points"].as_u64().unwrap();
    assert!(points >= 20, "{dashboard}");
    assert_eq!(dashboard["trend_lines"], 1, "{dashboard}");
    assert!(dashboard["line_series"].as_u64().unwrap() >= 2, "{dashboard}");
    assert_eq!(dashboard["heat_cells"], 16, "4 employee × 4 customer metrics: {dashboard}");
    assert_eq!(dashboard["bars"], 3, "one bar per site: {dashboard}");
    assert_eq!(dashboard["kpis"].as_array().unwrap().len(), 3, "{dashboard}");
    assert_eq!(dashboard["foreign"], 0, "{dashboard}");
    assert_eq!(dashboard["team_links"], 7, "one link per team of the demo: {dashboard}");

    // Drill down from the first team of the table to its agents.
    let team_link = browser.find("section table a[href*='/teams/']").await;
    browser.post(&format!("/element/{team_link}/click"), json!({})).await;
    browser.wait_for_path("/ui/tenants/demo/teams/team-01").await;
    let team = browser.script(PAGE_FACTS).await;
    browser.screenshot("team").await;
    assert_eq!(team["h1"], "Team team-01", "{team}");
    assert!(team["agent_rows"].as_u64().unwrap() >= 2, "{team}");

    browser.go(&format!("{base}/ui/tenants/demo")).await;
    let overview = browser.script(PAGE_FACTS).await;
    assert_eq!(overview["h1"], "Demo contact center (demo)", "{overview}");
    assert_eq!(overview["team_links"], 7, "{overview}");
    assert_eq!(overview["foreign"], 0);
    let plugin_link = browser.find("a[href$='/plugins/standard_pay']").await;
    browser.post(&format!("/element/{plugin_link}/click"), json!({})).await;
    browser.wait_for_path("/ui/tenants/demo/plugins/standard_pay").await;
    let plugin = browser.script(PAGE_FACTS).await;
    assert_eq!(plugin["h1"], "Plugin standard_pay", "{plugin}");

    // The demo settles pay and points for each month: a leaderboard, and an agent's statement.
    browser.go(&format!("{base}/ui/tenants/demo/leaderboard")).await;
    let board = browser.script(PAGE_FACTS).await;
    browser.screenshot("leaderboard").await;
    assert_eq!(board["h1"], "Leaderboard", "{board}");
    assert_eq!(board["board_rows"], 60, "every demo agent is ranked: {board}");
    assert_eq!(board["bars"], 20, "the top 20 as bars: {board}");
    assert_eq!(board["drawn"], true, "{board}");
    let leader = browser.find("table.leaderboard tbody a").await;
    browser.post(&format!("/element/{leader}/click"), json!({})).await;
    let agent = browser.script(PAGE_FACTS).await;
    browser.screenshot("agent").await;
    assert!(agent["h1"].as_str().unwrap().starts_with("Agent a0"), "{agent}");
    assert!(agent["statements"].as_u64().unwrap() >= 4, "a statement per month: {agent}");

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}
