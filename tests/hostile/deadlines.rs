//! Deadlines hold within the slack for every kind of work a plugin can cause: guest code,
//! SQL in DuckDB, many small queries, result conversion, and nested analytics calls of a
//! dashboard that each would run to the end of their own deadline.

use reqwest::StatusCode;

use super::support::attacker;

#[tokio::test]
async fn every_kind_of_work_stops_at_the_deadline() {
    let a = attacker("deadlines").await;
    let cases = [
        ("guest code", a.metric("loop", &[]).await),
        ("one long query", a.sql("SELECT count(*) AS n FROM range(1000000) a, range(1000000) b").await),
        ("many short queries", a.metric("sql_loop", &[("sql", "SELECT count(*) FROM range(200000)")]).await),
        ("a wide result", a.metric("sql_loop", &[("sql", "SELECT repeat('z', 1000) AS s FROM range(50000)")]).await),
        ("nested metric calls", a.dashboard("nested", &[("sql", "hostile_metric"), ("n", "5")]).await),
        ("nested metric series calls", a.dashboard("nested_series", &[("sql", "hostile_metric"), ("n", "3")]).await),
        ("log calls", a.metric("log_flood", &[("size", "100")]).await),
    ];
    for (what, call) in &cases {
        assert!(
            matches!(call.reply.status, StatusCode::GATEWAY_TIMEOUT | StatusCode::BAD_GATEWAY),
            "{what}: {}",
            call.reply.body
        );
        call.within_deadline();
        eprintln!("{what}: stopped after {} ms", call.elapsed.as_millis());
    }
    a.assert_healthy().await;
}
