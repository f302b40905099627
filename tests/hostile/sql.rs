//! SQL that tries to escape the tenant (writes, ATTACH, COPY, file and URL readers,
//! extensions, settings, other tenants, the system database, the host's paths) or to exhaust
//! DuckDB (huge results, memory, spill space, endless queries).

use reqwest::StatusCode;

use super::support::{DEADLINE_MS, attacker, server};

#[tokio::test]
async fn every_escape_through_plugin_sql_is_refused_with_its_reason() {
    let a = attacker("escapes").await;
    let s = server();
    let data_dir = s.data_dir.canonicalize().unwrap();
    let victim = data_dir.join("tenants/bystander/data.duckdb");
    let system = data_dir.join("system.duckdb");
    let (victim, system) = (victim.display(), system.display());
    let not_select = "only a single SELECT statement may run here";
    let refused = "is not available to plugins";
    // A path in FROM is a replacement scan: refused for a file that exists, not even tried for one
    // that does not.
    let disabled = "disabled by configuration";
    let unknown = "does not exist";
    let cases: Vec<(String, &str)> = vec![
        ("DELETE FROM agents".into(), not_select),
        ("SELECT 1; DROP TABLE agents".into(), not_select),
        (format!("ATTACH '{victim}' AS v"), not_select),
        (format!("ATTACH '{system}' AS sys (READ_ONLY)"), not_select),
        ("COPY agents TO '/tmp/cxhost-leak.csv'".into(), not_select),
        ("INSTALL httpfs".into(), not_select),
        ("LOAD httpfs".into(), not_select),
        ("SET enable_external_access = true".into(), not_select),
        ("PRAGMA database_list".into(), not_select),
        ("CALL duckdb_settings()".into(), not_select),
        ("SELECT * FROM read_text('/etc/passwd')".into(), refused),
        ("SELECT * FROM read_csv('https://example.com/x.csv')".into(), refused),
        (format!("SELECT * FROM read_parquet('{victim}')"), refused),
        ("SELECT * FROM query('DELETE FROM agents')".into(), refused),
        ("SELECT * FROM query_table('agents')".into(), refused),
        ("SELECT current_setting('temp_directory')".into(), refused),
        ("SELECT path FROM duckdb_databases()".into(), refused),
        ("SELECT path FROM duckdb_databases".into(), refused),
        ("SELECT * FROM system.main.duckdb_settings()".into(), refused),
        ("SELECT * FROM pragma_database_list".into(), refused),
        ("SELECT * FROM duckdb_extensions()".into(), refused),
        ("SELECT * FROM duckdb_temporary_files()".into(), refused),
        ("SELECT getenv('HOME')".into(), refused),
        (format!("SELECT * FROM '{victim}'"), disabled),
        ("SELECT * FROM '/etc/passwd'".into(), unknown),
        ("SELECT * FROM 'https://example.com/data.parquet'".into(), disabled),
        ("SELECT * FROM glob('/*')".into(), refused),
    ];
    for (sql, reason) in &cases {
        let call = a.sql(sql).await;
        let detail = call.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
        assert!(detail.contains(reason), "`{sql}`: expected `{reason}` in: {detail}");
        assert!(!detail.contains(&*data_dir.to_string_lossy()), "`{sql}` shows a host path: {detail}");
    }
    let writes = a.sql("WITH gone AS (DELETE FROM agents RETURNING *) SELECT count(*) FROM gone").await;
    assert!(writes.reply.status.is_client_error() || writes.reply.status.is_success(), "{}", writes.reply.body);
    let schemas = a.sql("SELECT * FROM information_schema.schemata").await;
    assert_eq!(schemas.reply.status, StatusCode::OK, "{}", schemas.reply.body);
    let tables =
        a.sql("SELECT table_name FROM information_schema.tables WHERE table_name IN ('tenants', 'api_keys')").await;
    assert_eq!(tables.reply.body["rows"][0]["value"], 0.0, "the system database's tables are not there");
    assert!(!std::path::Path::new("/tmp/cxhost-leak.csv").exists());
    a.assert_healthy().await;
}

#[tokio::test]
async fn a_result_too_big_to_convert_breaks_neither_the_call_nor_the_tenant() {
    let a = attacker("hugeresult").await;
    // 1,100 strings of 2 MiB: one batch over 2 GiB, which the driver cannot convert.
    let huge = a.sql("SELECT repeat('x', 1 << 21) AS s FROM range(1100)").await;
    let detail = huge.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert!(detail.ends_with("column `s`: a text value is longer than 65536 bytes, the limit for plugins"), "{detail}");
    assert!(huge.elapsed.as_millis() < 500, "stopped inside DuckDB before any conversion: {:?}", huge.elapsed);
    // Under the row cap but over the byte cap: stopped as it streams.
    let wide = a.sql("SELECT repeat('y', 60000) || range AS s FROM range(5000)").await;
    let detail = wide.problem(StatusCode::BAD_GATEWAY, "plugin_limit");
    assert!(detail.contains("read more than 67108864 bytes of query results"), "{detail}");
    let many = a.sql("SELECT * FROM range(2000000)").await;
    let detail = many.problem(StatusCode::BAD_GATEWAY, "plugin_limit");
    assert!(detail.contains("read more than 1000000 rows"), "{detail}");
    a.assert_healthy().await;
}

#[tokio::test]
async fn sql_that_grabs_memory_or_disk_hits_the_tenant_database_limits() {
    let a = attacker("exhaust").await;
    for sql in [
        "SELECT length(list(range)) AS n FROM range(400000000)",
        "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r WHERE length(s) < 2000000000) \
         SELECT max(length(s)) AS n FROM r",
        "SELECT length(string_agg(repeat('y', 1000), ',')) AS n FROM range(3000000)",
        "SELECT sum(r) AS n FROM (SELECT row_number() OVER (ORDER BY hash(range)) AS r FROM range(300000000))",
    ] {
        let call = a.sql(sql).await;
        assert!(
            matches!(call.reply.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::GATEWAY_TIMEOUT),
            "`{sql}`: {}",
            call.reply.body
        );
        let detail = call.reply.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("Out of Memory") || detail.contains("ran past its deadline") || detail.contains("temp"),
            "`{sql}`: {detail}"
        );
        call.within_deadline();
    }
    a.assert_healthy().await;
}

#[tokio::test]
async fn endless_queries_are_interrupted_at_the_deadline() {
    let a = attacker("endless").await;
    let cross = a.sql("SELECT count(*) AS n FROM range(1000000) a, range(1000000) b").await;
    assert_eq!(
        cross.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout"),
        format!("plugin `hostile_metric` 0.0.1 ran past its deadline of {DEADLINE_MS} ms and was stopped")
    );
    cross.within_deadline();
    let repeated = a.metric("sql_loop", &[("sql", "SELECT count(*) FROM range(3000000)")]).await;
    repeated.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout");
    repeated.within_deadline();
    a.assert_healthy().await;
}
