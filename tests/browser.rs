//! The `/ui` pages in a real headless Chromium, driven over WebDriver by ChromeDriver (both
//! from the system packages; `.ci/run` installs them): sign-in, the overview, the CX–EX
//! dashboard with its charts drawn, the drill-down to a team, the leaderboard and an agent's
//! pay statements; a team lead's coaching queue (schedule, mark done, a dismissal refused
//! without a reason), the task and its session on the agent's page, and the impact of
//! coaching drawn as charts; a chart's figure followed to its records and a record to its
//! contact, the fair ranking (arrows, largest moves) and the quartiles with the uplift; no
//! console errors and nothing fetched from outside the server.

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

    /// Waits until `script` (a function body) returns true on the current page.
    async fn wait_until(&self, script: &str) {
        let started = Instant::now();
        loop {
            if self.script(script).await == Value::Bool(true) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "waited 20 s for: {script}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), json!({})).await;
    }

    /// Signs in on the sign-in page the browser was sent to, and waits to be back at `path`.
    async fn sign_in(&self, key: &str, path: &str) {
        self.wait_for_path("/ui/login").await;
        let field = self.find("input#key").await;
        self.post(&format!("/element/{field}/value"), json!({"text": key})).await;
        self.click("button[type=submit]").await;
        self.wait_for_path(path).await;
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

/// What the coaching queue shows, counted in the browser.
const QUEUE_FACTS: &str = r#"
const tasks = [...document.querySelectorAll('article.task')];
return {
  h1: document.querySelector('h1').textContent,
  tasks: tasks.length,
  ids: tasks.map((t) => t.dataset.action),
  states: tasks.map((t) => t.dataset.state),
  agents: tasks.map((t) => t.querySelector('a[href*="/agents/"]').textContent),
  subjects: tasks.map((t) => t.querySelector('p.note').textContent.split(' · ')[1]),
  evidence_rows: tasks.map((t) => t.querySelectorAll('table.evidence tbody tr').length),
  evidence_first: tasks.length ? [...tasks[0].querySelectorAll('table.evidence tbody tr:first-child td')].map((c) => c.textContent) : [],
  schedule_buttons: document.querySelectorAll('article.task button.schedule').length,
  done_buttons: document.querySelectorAll('article.task button.done').length,
  dismiss_buttons: document.querySelectorAll('article.task button.dismiss').length,
  notice: document.querySelector('p.notice') ? document.querySelector('p.notice').textContent : null,
  refused: document.querySelector('p.error') ? document.querySelector('p.error').textContent : null,
  created: tasks.map((t) => t.querySelector('p.note').textContent.match(/opened (\S+)/)[1]),
};
"#;

/// What the impact page shows, counted in the browser.
const IMPACT_FACTS: &str = r#"
const count = (css) => document.querySelectorAll(css).length;
const text = (css) => [...document.querySelectorAll(css)].map((e) => e.textContent);
return {
  h1: document.querySelector('h1').textContent,
  from: document.querySelector('input[name=from]').value,
  to: document.querySelector('input[name=to]').value,
  drawn: [...document.querySelectorAll('svg.chart')].every((svg) => svg.getBoundingClientRect().width > 100),
  line_series: count('svg[data-chart=line] polyline.series'),
  line_points: count('svg[data-chart=line] circle.point'),
  line_labels: text('svg[data-chart=line] g.axis text'),
  legend: text('ul.legend li'),
  interval_points: count('svg[data-chart=intervals] circle.point'),
  interval_lines: count('svg[data-chart=intervals] line.interval'),
  zero_lines: count('svg[data-chart=intervals] line.zero'),
  interval_labels: text('svg[data-chart=intervals] > text'),
  kpi: text('.kpi-value'),
  total_n: document.querySelector('p.total-n').textContent,
  interval: document.querySelector('p.total-interval').textContent,
  rows: count('table.sessions tbody tr'),
  measured_rows: count('table.sessions tbody tr[data-status=measured]'),
  insufficient_reasons: text('table.sessions tbody tr[data-status=insufficient] td.status'),
  foreign: performance.getEntriesByType('resource').filter((r) => !r.name.startsWith(location.origin)).length,
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_lead_works_the_coaching_queue_and_sees_the_impact_of_coaching() {
    let (base, keys) = demo_server().await;
    let browser = Browser::start().await;
    let queue_path = "/ui/tenants/demo/coaching";

    // The demo's coaching run opened tasks with evidence; a team lead signs in to the queue.
    browser.go(&format!("{base}{queue_path}")).await;
    browser.sign_in(&keys.team_lead, queue_path).await;
    let queue = browser.script(QUEUE_FACTS).await;
    browser.screenshot("coaching-queue").await;
    assert_eq!(queue["h1"], "Coaching queue", "{queue}");
    let tasks = queue["tasks"].as_u64().unwrap();
    assert!(tasks >= 2, "the demo opens coaching tasks: {queue}");
    for what in ["schedule_buttons", "done_buttons", "dismiss_buttons"] {
        assert_eq!(queue[what].as_u64(), Some(tasks), "one {what} per task: {queue}");
    }
    assert!(queue["evidence_rows"].as_array().unwrap().iter().all(|n| n.as_u64().unwrap() >= 1), "{queue}");
    assert!(queue["states"].as_array().unwrap().iter().all(|s| s == "open" || s == "scheduled"), "{queue}");
    let created: Vec<&str> = queue["created"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "oldest first: {created:?}");
    // The first evidence figure has a metric's period and value.
    let first = &queue["evidence_first"];
    assert!(first[0].as_str().unwrap().contains(" to "), "period: {queue}");
    assert!(first[1].as_str().unwrap().parse::<f64>().is_ok(), "value: {queue}");

    let id = queue["ids"][0].as_str().unwrap().to_string();
    let agent = queue["agents"][0].as_str().unwrap().to_string();
    let subject = queue["subjects"][0].as_str().unwrap().to_string();
    let card = format!("article.task[data-action='{id}']");

    // One click schedules the session (the form holds tomorrow at 10:00) …
    browser.click(&format!("{card} button.schedule")).await;
    browser.wait_until("return !!document.querySelector('p.notice');").await;
    let scheduled = browser.script(QUEUE_FACTS).await;
    assert!(scheduled["notice"].as_str().unwrap().contains(&format!("Task {id}")), "{scheduled}");
    assert!(scheduled["notice"].as_str().unwrap().contains("is now scheduled, the session at"), "{scheduled}");
    let position = scheduled["ids"].as_array().unwrap().iter().position(|i| i == id.as_str()).expect("still queued");
    assert_eq!(scheduled["states"][position], "scheduled", "{scheduled}");

    // … and one more marks it done, which records the session; the task leaves the queue.
    browser.click(&format!("{card} button.done")).await;
    browser.wait_until("return !!document.querySelector('p.notice') && document.querySelector('p.notice').textContent.includes('is now done');").await;
    let done = browser.script(QUEUE_FACTS).await;
    assert_eq!(done["tasks"].as_u64(), Some(tasks - 1), "{done}");
    assert!(!done["ids"].as_array().unwrap().iter().any(|i| i == id.as_str()), "{done}");

    // The agent's page shows the task as done and the session that answers it.
    browser.go(&format!("{base}/ui/tenants/demo/agents/{agent}")).await;
    let row = format!("section[aria-labelledby=coaching-tasks] tr[data-action='{id}']");
    let agent_page = browser
        .script(&format!(
            r#"const row = document.querySelector("{row}");
               const session = document.querySelector("table.coaching-sessions tr[data-action='{id}']");
               return {{ h1: document.querySelector('h1').textContent,
                         state: row && row.dataset.state, state_text: row && row.querySelector('td.state').textContent,
                         session: session && [...session.children].map((c) => c.textContent) }};"#
        ))
        .await;
    browser.screenshot("coaching-agent").await;
    assert_eq!(agent_page["h1"], format!("Agent {agent}"), "{agent_page}");
    assert_eq!(agent_page["state"], "done", "{agent_page}");
    assert_eq!(agent_page["state_text"], "done", "{agent_page}");
    let session = agent_page["session"].as_array().unwrap_or_else(|| panic!("no session row: {agent_page}"));
    assert_eq!(session[0], format!("s-{id}"), "{agent_page}");
    assert_eq!(session[2], "team_lead:demo-team-lead", "the lead coached: {agent_page}");
    assert_eq!(session[3], subject.as_str(), "on the task's subject: {agent_page}");
    assert_eq!(session[4], id.as_str(), "{agent_page}");

    // Dismissing without a reason is refused with a message; the task stays open.
    browser.go(&format!("{base}{queue_path}")).await;
    let before = browser.script(QUEUE_FACTS).await;
    let other = before["ids"][0].as_str().unwrap().to_string();
    browser.click(&format!("article.task[data-action='{other}'] button.dismiss")).await;
    browser.wait_until("return !!document.querySelector('p.error');").await;
    let refused = browser.script(QUEUE_FACTS).await;
    browser.screenshot("coaching-refused").await;
    let error = refused["refused"].as_str().unwrap();
    assert!(error.contains(&other) && error.contains("dismissing an action needs a reason"), "{refused}");
    assert_eq!(refused["tasks"], before["tasks"], "{refused}");
    // With a reason it goes.
    let reason =
        browser.find(&format!("article.task[data-action='{other}'] form:has(button.dismiss) input[name=note]")).await;
    browser.post(&format!("/element/{reason}/value"), json!({"text": "on leave this month"})).await;
    browser.click(&format!("article.task[data-action='{other}'] button.dismiss")).await;
    browser.wait_until("return !!document.querySelector('p.notice') && document.querySelector('p.notice').textContent.includes('is now dismissed');").await;
    let dismissed = browser.script(QUEUE_FACTS).await;
    assert_eq!(dismissed["tasks"].as_u64(), before["tasks"].as_u64().map(|n| n - 1), "{dismissed}");

    // The impact of coaching on AHT: the demo's planted coaching effect, drawn.
    browser.go(&format!("{base}/ui/tenants/demo")).await;
    browser.click("a[href^='/ui/tenants/demo/coaching/impact']").await;
    browser.wait_for_path("/ui/tenants/demo/coaching/impact").await;
    let impact = browser.script(IMPACT_FACTS).await;
    browser.screenshot("coaching-impact").await;
    assert_eq!(impact["h1"], "Impact of coaching", "{impact}");
    assert_eq!(impact["foreign"], 0, "{impact}");
    assert_eq!(impact["drawn"], true, "{impact}");
    // The same figures as the API's for the page's range.
    let url = format!(
        "{base}/v1/tenants/demo/coaching/impact?metric=aht&weeks=4&from={}&to={}",
        impact["from"].as_str().unwrap(),
        impact["to"].as_str().unwrap()
    );
    let report: Value =
        reqwest::Client::new().get(url).bearer_auth(&keys.analyst).send().await.unwrap().json().await.unwrap();
    let (sessions, measured) =
        (report["total"]["sessions"].as_u64().unwrap(), report["total"]["measured"].as_u64().unwrap());
    assert!(measured >= 2, "the demo's sessions are measured: {report}");
    assert_eq!(impact["line_series"], 3, "coached, comparison, coached as the comparison changed: {impact}");
    assert_eq!(impact["line_points"], 6, "before and after of each: {impact}");
    let labels = impact["line_labels"].as_array().unwrap();
    assert!(labels.contains(&json!("4 weeks before")) && labels.contains(&json!("4 weeks after")), "{impact}");
    assert_eq!(
        impact["legend"],
        json!(["coached agents", "comparison agents", "coached, changing as the comparison did"]),
        "{impact}"
    );
    assert_eq!(impact["interval_points"].as_u64(), Some(measured + 1), "each measured session and the total: {impact}");
    assert_eq!(impact["zero_lines"], 1, "{impact}");
    assert_eq!(impact["interval_labels"].as_array().unwrap().last().unwrap(), "all sessions", "{impact}");
    assert_eq!(impact["rows"].as_u64(), Some(sessions), "every session is listed: {impact}");
    assert_eq!(impact["measured_rows"].as_u64(), Some(measured), "{impact}");
    let reasons = impact["insufficient_reasons"].as_array().unwrap();
    assert_eq!(reasons.len() as u64, sessions - measured, "{impact}");
    assert!(reasons.iter().all(|r| r.as_str().unwrap().starts_with("not measured: ")), "{impact}");
    let effect = report["total"]["effect"].as_f64().unwrap();
    assert_eq!(impact["kpi"][0], cxhost::ui::charts::number(effect), "{impact}");
    assert!(
        impact["total_n"].as_str().unwrap().starts_with(&format!("n = {measured} measured sessions of {sessions}")),
        "{impact}"
    );
    if let (Some(low), Some(high)) = (report["total"]["ci_low"].as_f64(), report["total"]["ci_high"].as_f64()) {
        let shown = format!("95% interval {} to {}", cxhost::ui::charts::number(low), cxhost::ui::charts::number(high));
        assert!(impact["interval"].as_str().unwrap().contains(&shown), "{impact}");
    }

    // The refused dismissal was answered 400, which the browser may log; nothing else.
    let errors: Vec<String> = browser
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !(e.contains("/coaching/tasks/") && e.contains("400")))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

/// Links from a dashboard's figures to their records, counted in the browser.
const LINK_FACTS: &str = r#"
const count = (css) => document.querySelectorAll(css).length;
const bar = document.querySelector('svg[data-chart=bar] a');
return {
  bars: count('svg[data-chart=bar] rect.bar'),
  linked_bars: count('svg[data-chart=bar] a rect.bar'),
  scatter_points: count('svg[data-chart=scatter] circle.point'),
  linked_scatter_points: count('svg[data-chart=scatter] a circle.point'),
  line_points: count('svg[data-chart=line] circle.point'),
  linked_line_points: count('svg[data-chart=line] a circle.point'),
  linked_kpis: count('.kpi a .kpi-value'),
  linked_cells: count('table.data td a[href*="/records?"]'),
  first_bar: bar ? { href: bar.getAttribute('href'), title: bar.querySelector('title').textContent } : null,
};
"#;

/// What a records page shows, counted in the browser.
const RECORD_FACTS: &str = r#"
const count = (css) => document.querySelectorAll(css).length;
const part = (role) => Number(document.querySelector(`table.roles tr[data-role=${role}] td`).textContent);
const first = document.querySelector('table.records tbody tr');
return {
  h1: document.querySelector('h1').textContent,
  refused: document.querySelector('p.error') ? document.querySelector('p.error').textContent : null,
  kpi: document.querySelector('.kpi-value') ? document.querySelector('.kpi-value').textContent : null,
  all: part('all'), numerator: part('numerator'), denominator: part('denominator'), excluded: part('excluded'),
  rows: count('table.records tbody tr'),
  roles: [...document.querySelectorAll('table.records tbody tr')].map((r) => r.dataset.role),
  contact_links: count('table.records a.contact'),
  agent_links: count('table.records a.agent'),
  next: !!document.querySelector('nav.pager a.next'),
  first_id: first ? first.querySelector('th.id').textContent : null,
  first_related: first ? first.querySelector('td.related').textContent : null,
  first_why: first ? first.querySelector('td.why').textContent : null,
  foreign: performance.getEntriesByType('resource').filter((r) => !r.name.startsWith(location.origin)).length,
};
"#;

/// What the ranking page shows, counted in the browser; every arrow checked against the ranks.
const RANKING_FACTS: &str = r#"
const count = (css) => document.querySelectorAll(css).length;
const rows = [...document.querySelectorAll('table.ranking tbody tr')];
const arrows_agree = rows.every((r) => {
  const raw = Number(r.querySelector('td.raw-rank').textContent);
  const adjusted = Number(r.querySelector('td.adjusted-rank').textContent);
  const change = r.querySelector('td.change').textContent.trim();
  const moved = raw - adjusted;
  return moved > 0 ? change === `↑ ${moved}` : moved < 0 ? change === `↓ ${-moved}` : change === '=';
});
return {
  h1: document.querySelector('h1').textContent,
  from: document.querySelector('input[name=from]').value,
  to: document.querySelector('input[name=to]').value,
  ranked: rows.length,
  ranks: Object.fromEntries(rows.map((r) => [r.dataset.agent, [Number(r.querySelector('td.raw-rank').textContent), Number(r.querySelector('td.adjusted-rank').textContent)]])),
  up: count('table.ranking span.up'),
  down: count('table.ranking span.down'),
  arrows_agree,
  largest: rows.filter((r) => r.classList.contains('moved-most')).map((r) => Math.abs(Number(r.dataset.change))),
  other_moves: rows.filter((r) => !r.classList.contains('moved-most')).map((r) => Math.abs(Number(r.dataset.change))),
  drawn_moves: count('svg[data-chart=ranks] line.largest'),
  drawn: [...document.querySelectorAll('svg.chart')].every((svg) => svg.getBoundingClientRect().width > 100),
  unranked: count('table.unranked tbody tr'),
  why: [...document.querySelectorAll('table.unranked td.why')].map((e) => e.textContent),
  adjusted_for: document.querySelector('p.adjusted').textContent,
  method: document.querySelector('p.method').textContent,
  foreign: performance.getEntriesByType('resource').filter((r) => !r.name.startsWith(location.origin)).length,
};
"#;

/// What the quartile page shows, counted in the browser.
const QUARTILE_FACTS: &str = r#"
const count = (css) => document.querySelectorAll(css).length;
const groups = [...document.querySelectorAll('section.quartile-group')];
return {
  h1: document.querySelector('h1').textContent,
  from: document.querySelector('input[name=from]').value,
  to: document.querySelector('input[name=to]').value,
  groups: groups.length,
  quartiles: groups.map((g) => g.querySelectorAll('table.quartiles tbody tr').length),
  members: groups.map((g) => g.querySelectorAll('table.quartiles td.members a').length),
  dots: groups.map((g) => g.querySelectorAll('svg[data-chart=strip] a circle.point').length),
  boundaries: groups.map((g) => g.querySelectorAll('svg[data-chart=strip] line.boundary').length),
  means: groups.map((g) => g.querySelectorAll('svg[data-chart=strip] line.mean').length),
  mean_cells: groups.length ? [...groups[0].querySelectorAll('td.mean')].map((e) => e.textContent) : [],
  uplift: groups.map((g) => g.querySelector('p.uplift-units').textContent),
  improvement: groups.length ? groups[0].querySelector('strong.improvement').textContent : null,
  money: groups.map((g) => g.querySelector('strong.money') ? g.querySelector('strong.money').textContent : null),
  drawn: [...document.querySelectorAll('svg.chart')].every((svg) => svg.getBoundingClientRect().width > 100),
  foreign: performance.getEntriesByType('resource').filter((r) => !r.name.startsWith(location.origin)).length,
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_open_to_their_records_and_contacts_and_agents_are_ranked_fairly() {
    let (base, keys) = demo_server().await;
    let browser = Browser::start().await;
    let dashboard_path = "/ui/tenants/demo/dashboards/cx_ex";
    let http = reqwest::Client::new();
    let api = |path: String, key: &str| {
        let request = http.get(format!("{base}{path}")).bearer_auth(key);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };

    // Every figure of the dashboard opens to its records.
    browser.go(&format!("{base}{dashboard_path}")).await;
    browser.sign_in(&keys.analyst, dashboard_path).await;
    let links = browser.script(LINK_FACTS).await;
    assert_eq!(links["linked_bars"], links["bars"], "every bar is a link: {links}");
    assert_eq!(links["linked_scatter_points"], links["scatter_points"], "{links}");
    assert_eq!(links["linked_line_points"], links["line_points"], "{links}");
    assert_eq!(links["linked_kpis"], 2, "the customer and employee figures: {links}");
    assert!(links["linked_cells"].as_u64().unwrap() >= 7 * 2, "per team: csat and enps: {links}");

    // Follow the first bar (CSAT of a site) to its records: the same figure, from its records.
    let title = links["first_bar"]["title"].as_str().unwrap().to_string();
    let (site, shown) = title.trim_start_matches("csat ").split_once(": ").unwrap();
    browser.click("svg[data-chart=bar] a").await;
    browser.wait_for_path("/ui/tenants/demo/metrics/csat/records").await;
    let records = browser.script(RECORD_FACTS).await;
    browser.screenshot("records").await;
    assert_eq!(records["h1"], format!("Records of csat: site {site}"), "{records}");
    assert_eq!(records["refused"], Value::Null, "{records}");
    assert_eq!(records["kpi"], shown, "the bar's figure: {records}");
    let parts = ["numerator", "denominator", "excluded"].map(|p| records[p].as_u64().unwrap());
    assert_eq!(parts.iter().sum::<u64>(), records["all"].as_u64().unwrap(), "{records}");
    assert_eq!(records["rows"], 100, "a page of 100: {records}");
    assert_eq!(records["next"], true, "{records}");
    assert!(records["agent_links"].as_u64().unwrap() > 0, "{records}");
    assert_eq!(records["foreign"], 0, "{records}");

    // With FCR as the customer metric, a site's records are contacts; those in the denominator
    // only are repeats, each naming the contact that repeated it.
    browser.go(&format!("{base}{dashboard_path}")).await;
    let cx = browser.find("input[name=cx]").await;
    browser.post(&format!("/element/{cx}/clear"), json!({})).await;
    browser.post(&format!("/element/{cx}/value"), json!({"text": "fcr"})).await;
    browser.click("form.filters button[type=submit]").await;
    browser
        .wait_until("return location.search.includes('cx=fcr') && !!document.querySelector('svg[data-chart=bar] a');")
        .await;
    browser.click("svg[data-chart=bar] a").await;
    browser.wait_for_path("/ui/tenants/demo/metrics/fcr/records").await;
    browser.click("table.roles tr[data-role=denominator] a").await;
    browser.wait_until("return location.search.includes('role=denominator');").await;
    let repeats = browser.script(RECORD_FACTS).await;
    assert!(repeats["rows"].as_u64().unwrap() > 0, "{repeats}");
    assert!(repeats["roles"].as_array().unwrap().iter().all(|r| r == "denominator"), "{repeats}");
    let (id, related) = (repeats["first_id"].as_str().unwrap(), repeats["first_related"].as_str().unwrap());
    assert!(repeats["first_why"].as_str().unwrap().contains(related), "{repeats}");

    // Follow the record to its contact: the repeat is among the customer's other contacts.
    browser.click("table.records tbody tr th.id a.contact").await;
    browser.wait_for_path(&format!("/ui/tenants/demo/contacts/{id}")).await;
    let contact = browser
        .script(
            r#"return { h1: document.querySelector('h1').textContent,
                        same_reason: [...document.querySelectorAll('table.same-reason a.contact')].map((a) => a.textContent),
                        customer: document.querySelector('td.customer').textContent };"#,
        )
        .await;
    browser.screenshot("contact").await;
    assert_eq!(contact["h1"], format!("Contact {id}"), "{contact}");
    assert!(contact["same_reason"].as_array().unwrap().iter().any(|c| c == related), "{contact}");

    // The fair ranking, from the tenant's overview: arrows agree with the ranks, the largest
    // moves are highlighted and drawn, and the ranks are the API's.
    browser.go(&format!("{base}/ui/tenants/demo")).await;
    browser.click("a.rankings").await;
    browser.wait_for_path("/ui/tenants/demo/rankings").await;
    let ranking = browser.script(RANKING_FACTS).await;
    browser.screenshot("ranking").await;
    assert_eq!(ranking["h1"], "Fair ranking by aht", "{ranking}");
    assert_eq!(ranking["ranked"], 60, "every demo agent has 30 records: {ranking}");
    assert_eq!(ranking["arrows_agree"], true, "{ranking}");
    assert!(ranking["up"].as_u64().unwrap() > 0 && ranking["down"].as_u64().unwrap() > 0, "{ranking}");
    let largest: Vec<u64> = ranking["largest"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let others: Vec<u64> = ranking["other_moves"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(largest.len() >= 3, "{ranking}");
    assert!(others.iter().all(|o| largest.iter().all(|l| o < l)), "the highlighted moves are the largest: {ranking}");
    assert_eq!(ranking["drawn_moves"].as_u64(), Some(largest.len() as u64), "{ranking}");
    assert_eq!(ranking["drawn"], true, "{ranking}");
    assert!(ranking["adjusted_for"].as_str().unwrap().contains("queue, contact_reason, channel"), "{ranking}");
    assert!(ranking["method"].as_str().unwrap().contains("Empirical Bayes"), "{ranking}");
    assert_eq!(ranking["foreign"], 0, "{ranking}");
    let (from, to) = (ranking["from"].as_str().unwrap().to_string(), ranking["to"].as_str().unwrap().to_string());
    let answer = api(format!("/v1/tenants/demo/rankings?metric=aht&from={from}&to={to}"), &keys.analyst).await;
    for agent in answer["agents"].as_array().unwrap() {
        let shown = &ranking["ranks"][agent["agent_id"].as_str().unwrap()];
        assert_eq!(shown, &json!([agent["raw_rank"], agent["adjusted_rank"]]), "{agent}");
    }
    // A larger minimum sample leaves agents unranked, each with why.
    browser.go(&format!("{base}/ui/tenants/demo/rankings?metric=aht&from={from}&to={to}&min_sample=2000")).await;
    let strict = browser.script(RANKING_FACTS).await;
    let unranked = strict["unranked"].as_u64().unwrap();
    assert!(unranked > 0 && strict["ranked"].as_u64().unwrap() + unranked == 60, "{strict}");
    assert!(
        strict["why"].as_array().unwrap().iter().all(|w| w.as_str().unwrap().contains("fewer than the 2000")),
        "{strict}"
    );

    // The quartiles, from the ranking page: four groups, a dot per agent, the uplift in units;
    // in money once the tenant values a second of handle time.
    browser.click("p.nav a.quartiles").await;
    browser.wait_for_path("/ui/tenants/demo/quartiles").await;
    let quartiles = browser.script(QUARTILE_FACTS).await;
    assert_eq!(quartiles["h1"], "Quartiles of aht", "{quartiles}");
    assert_eq!(quartiles["groups"], 1, "{quartiles}");
    assert_eq!(quartiles["quartiles"], json!([4]), "{quartiles}");
    assert_eq!(quartiles["members"], json!([60]), "{quartiles}");
    assert_eq!(quartiles["dots"], json!([60]), "{quartiles}");
    assert_eq!(quartiles["boundaries"], json!([3]), "{quartiles}");
    assert_eq!(quartiles["means"], json!([4]), "{quartiles}");
    assert_eq!(quartiles["drawn"], true, "{quartiles}");
    assert!(
        quartiles["uplift"][0].as_str().unwrap().starts_with("If every agent of Q3 reached Q2's mean"),
        "{quartiles}"
    );
    assert_eq!(quartiles["money"], json!([null]), "not valued yet: {quartiles}");
    let set = http
        .put(format!("{base}/v1/tenants/demo/metric-values/aht"))
        .bearer_auth(&keys.tenant_admin)
        .json(&json!({"cents_per_unit": 2, "per": "record"}))
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success(), "{}", set.text().await.unwrap());
    browser.go(&browser.url().await).await;
    let valued = browser.script(QUARTILE_FACTS).await;
    browser.screenshot("quartiles").await;
    let q = format!("from={}&to={}", valued["from"].as_str().unwrap(), valued["to"].as_str().unwrap());
    let answer = api(format!("/v1/tenants/demo/quartiles?metric=aht&{q}"), &keys.analyst).await;
    let uplift = &answer["groups"][0]["uplift"];
    let cents = uplift["money"]["cents"].as_i64().unwrap();
    assert_eq!(valued["money"][0], format!("{}.{:02}", cents / 100, cents % 100), "{valued} {answer}");
    assert_eq!(
        valued["improvement"],
        format!("{} seconds over their records", cxhost::ui::charts::number(uplift["improvement"].as_f64().unwrap())),
        "{valued}"
    );
    let means: Vec<String> = answer["groups"][0]["quartiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| cxhost::ui::charts::number(q["mean"].as_f64().unwrap()))
        .collect();
    assert_eq!(valued["mean_cells"], json!(means), "{valued}");
    // Per team: a population per team of the demo.
    browser.go(&format!("{base}/ui/tenants/demo/quartiles?metric=aht&{q}&by=team&basis=adjusted")).await;
    let teams = browser.script(QUARTILE_FACTS).await;
    assert_eq!(teams["groups"], 7, "{teams}");
    assert!(teams["quartiles"].as_array().unwrap().iter().all(|n| n == 4), "{teams}");
    assert_eq!(teams["foreign"], 0, "{teams}");

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}
