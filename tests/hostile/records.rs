//! A metric's records query as an attack: SQL that escapes its wrapper or the tenant, writes,
//! exhausts DuckDB or never ends, an oversized query, guest code that loops or traps inside
//! `records` — each refused with its reason, within the deadline, and nothing changed.

use reqwest::StatusCode;

use super::support::{Attacker, FROM, TO, attacker, server, timed};
use crate::util;

impl Attacker {
    /// The hostile metric's records in `mode`, with further parameters.
    pub async fn records(&self, mode: &str, extra: &[(&str, &str)]) -> super::support::Timed {
        let mut query = format!("from={FROM}&to={TO}&mode={mode}");
        for (name, value) in extra {
            query.push_str(&format!("&{name}={}", util::urlencode(value)));
        }
        let path = format!("/v1/tenants/{}/metrics/hostile_metric/records?{query}", self.tenant);
        timed(server().get(&self.key, &path)).await
    }

    /// How many agents the tenant has (the hostile metric's `sql` mode counts result rows).
    async fn agents(&self) -> f64 {
        let reply = self.sql("SELECT agent_id FROM agents").await.reply;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["rows"][0]["value"].as_f64().unwrap()
    }
}

#[tokio::test]
async fn a_records_query_that_escapes_or_writes_is_refused_and_changes_nothing() {
    let a = attacker("recordsescape").await;
    let agents = a.agents().await;
    let valid = a.records("ok", &[]).await;
    assert_eq!(valid.reply.status, StatusCode::OK, "{}", valid.reply.body);
    assert_eq!(valid.reply.body["totals"]["records"].as_f64(), Some(agents), "{}", valid.reply.body);
    let not_select = "only a single SELECT statement may run here";
    for (sql, reason) in [
        // Closing the host's wrapper early to run a statement of its own.
        ("SELECT * FROM agents) SELECT 1; DROP TABLE agents; --", not_select),
        ("SELECT * FROM agents); DELETE FROM agents; --", not_select),
        // DuckDB refuses a data-modifying statement inside the host's WITH.
        ("DELETE FROM agents", "data-modifying statement must be at the top level"),
        ("SELECT * FROM read_text('/etc/passwd')", "is not available to plugins"),
        ("SELECT current_setting('temp_directory') AS x", "is not available to plugins"),
        // A query without the columns of a records query.
        ("SELECT 1 AS x", "its records query failed"),
    ] {
        let call = a.records("records_sql", &[("sql", sql)]).await;
        let detail = call.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
        assert!(detail.contains(reason), "`{sql}`: expected `{reason}` in: {detail}");
        assert!(!detail.contains(&*server().data_dir.to_string_lossy()), "`{sql}` shows a host path: {detail}");
    }
    // A data-modifying CTE inside the plugin's own WITH: refused by DuckDB or rolled back.
    let sql = "WITH gone AS (DELETE FROM agents RETURNING *) SELECT * FROM gone";
    let cte = a.records("records_sql", &[("sql", sql)]).await;
    assert!(!cte.reply.status.is_server_error(), "{}", cte.reply.body);
    assert_eq!(a.agents().await, agents, "no agent was deleted");
    a.assert_healthy().await;
}

#[tokio::test]
async fn a_records_query_that_never_ends_or_grows_stops_at_the_deadline_or_limit() {
    let a = attacker("recordsexhaust").await;
    let endless = "SELECT 'x' AS source, 'r' AS record_id, 'total' AS grp, now() AS occurred_at, \
                   NULL AS agent_id, NULL AS queue, NULL AS contact_reason, NULL AS channel, \
                   count(*) AS num, 1 AS den, NULL AS reason, NULL AS related_id \
                   FROM range(1000000) a, range(1000000) b";
    let call = a.records("records_sql", &[("sql", endless)]).await;
    call.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout");
    call.within_deadline();
    let memory = "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r WHERE length(s) < 2000000000) \
                  SELECT 'x' AS source, 'r' AS record_id, 'total' AS grp, now() AS occurred_at, NULL AS agent_id, \
                  NULL AS queue, NULL AS contact_reason, NULL AS channel, max(length(s)) AS num, 1 AS den, \
                  NULL AS reason, NULL AS related_id FROM r";
    let call = a.records("records_sql", &[("sql", memory)]).await;
    assert!(
        matches!(call.reply.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::GATEWAY_TIMEOUT),
        "{}",
        call.reply.body
    );
    call.within_deadline();
    let huge = a.records("records_huge", &[]).await;
    let detail = huge.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
    assert!(detail.contains("more than the limit of 262144"), "{detail}");
    let params = a.records("records_params", &[]).await;
    let detail = params.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
    assert!(detail.contains("binds 10000 parameters, more than the limit of 256"), "{detail}");
    a.assert_healthy().await;
}

#[tokio::test]
async fn guest_code_that_loops_or_traps_inside_records_is_stopped() {
    let a = attacker("recordsguest").await;
    let looped = a.records("loop", &[]).await;
    looped.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout");
    looped.within_deadline();
    let trapped = a.records("trap", &[]).await;
    trapped.problem(StatusCode::BAD_GATEWAY, "plugin_trap");
    let grown = a.records("grow", &[]).await;
    grown.problem(StatusCode::BAD_GATEWAY, "plugin_memory_cap");
    let refused = a.records("records_error", &[]).await;
    let detail = refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert!(detail.contains("hostile records error"), "{detail}");
    a.assert_healthy().await;
}

#[tokio::test]
async fn a_metric_without_a_records_export_is_refused_by_name() {
    let a = attacker("recordsnone").await;
    // The standard metrics all open to their records; a plugin of the plain metric world does not.
    let s = server();
    let uploaded = s.upload(&a.key, &a.tenant, util::guest(cxhost::guests::test_guests::CONSTANT)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let name = uploaded.body["name"].as_str().unwrap().to_string();
    let path = format!("/v1/tenants/{}/metrics/{name}/records?from={FROM}&to={TO}", a.tenant);
    let reply = s.get(&a.key, &path).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(reply.body["code"], "records_unsupported", "{}", reply.body);
}
