//! Ingest over the API: a bad batch rejected with row, column and reason and nothing written,
//! or its valid rows loaded; a re-sent batch changes nothing unless asked to replace; CSV,
//! NDJSON, JSON and Parquet load alike; unknown columns and unreadable batches get clear errors.

use cxhost::guests::test_guests::READ_OTHER_TENANT;
use reqwest::StatusCode;
use serde_json::json;

use crate::util::{AGENTS_CSV, app, guest};

#[tokio::test]
async fn a_bad_batch_is_rejected_with_row_and_column_and_writes_nothing() {
    let s = app();
    let key = s.tenant("strict").await;
    assert_eq!(s.upload(&key, "strict", guest(READ_OTHER_TENANT)).await.status, StatusCode::CREATED);
    let loaded = s.ingest(&key, "strict", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    assert_eq!(loaded.body["inserted"], 2);

    let batch = "interaction_id,customer_id,agent_id,channel,queue,offered_at,answered_at,ended_at,outcome,talk_seconds\n\
                 i1,c1,x1,voice,billing,2026-03-02T09:00:00Z,2026-03-02T09:00:20Z,2026-03-02T09:05:00Z,handled,200\n\
                 i2,c2,x1,voice,billing,2026-03-02T09:10:00Z,2026-03-02T09:09:00Z,2026-03-02T09:15:00Z,handled,100\n\
                 i3,c3,nobody,chat,billing,2026-03-02T09:20:00Z,2026-03-02T09:20:05Z,2026-03-02T09:25:00Z,handled,100\n\
                 i4,c4,x2,fax,billing,2026-03-02T09:30:00Z,2026-03-02T09:30:05Z,2026-03-02T09:35:00Z,handled,abc\n";
    let rejected = s.ingest(&key, "strict", "interactions", "", "text/csv", batch.into()).await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", rejected.body);
    assert_eq!(rejected.body["code"], "batch_rejected");
    let report = &rejected.body["report"];
    assert_eq!(report["committed"], false);
    assert_eq!(report["rows_received"], 4);
    assert_eq!(report["rejected"], 3);
    let errors: Vec<(u64, String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (2, "answered_at".into(), "answered_at is before offered_at".into()),
            (3, "agent_id".into(), "unknown agent_id 'nobody' (not in agents)".into()),
            (4, "channel".into(), "'fax' is not one of voice, chat, email, messaging, self_service".into()),
            (4, "talk_seconds".into(), "'abc' is not a valid integer".into()),
        ]
    );
    let count = s.count_rows(&key, "strict", "SELECT * FROM interactions").await;
    assert_eq!(count.body["rows"][0]["value"], 0.0, "nothing written: {}", count.body);

    let partial = s.ingest(&key, "strict", "interactions", "?mode=load_valid", "text/csv", batch.into()).await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.body);
    assert_eq!(partial.body["inserted"], 1);
    assert_eq!(partial.body["rejected"], 3);
    assert_eq!(partial.body["errors"].as_array().unwrap().len(), 4);
    let count = s.count_rows(&key, "strict", "SELECT * FROM interactions").await;
    assert_eq!(count.body["rows"][0]["value"], 1.0);
}

#[tokio::test]
async fn resending_a_batch_changes_nothing_and_replace_overwrites() {
    let s = app();
    let key = s.tenant("resend").await;
    let first = s.ingest(&key, "resend", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!((first.body["inserted"].clone(), first.body["unchanged"].clone()), (json!(2), json!(0)));
    let again = s.ingest(&key, "resend", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!((again.body["inserted"].clone(), again.body["unchanged"].clone()), (json!(0), json!(2)));
    let moved = "agent_id,employment_type,team,site\nx1,employee,south,berlin\n";
    let replaced = s.ingest(&key, "resend", "agents", "?on_conflict=replace", "text/csv", moved.into()).await;
    assert_eq!(replaced.body["replaced"], 1, "{}", replaced.body);
    assert_eq!(replaced.body["inserted"], 0);
}

#[tokio::test]
async fn json_ndjson_and_parquet_batches_load_like_csv() {
    let s = app();
    let key = s.tenant("formats").await;
    let ndjson = "{\"agent_id\":\"n1\",\"employment_type\":\"contractor\",\"team\":\"t\",\"site\":\"home\"}\n\
                  {\"agent_id\":\"n2\",\"employment_type\":\"crowd\",\"team\":\"t\",\"site\":\"home\",\"hired_at\":\"2025-01-02\"}\n";
    let reply = s.ingest(&key, "formats", "agents", "", "application/x-ndjson", ndjson.into()).await;
    assert_eq!(reply.body["inserted"], 2, "{}", reply.body);
    let array = json!([{"agent_id": "j1", "employment_type": "employee", "team": "t", "site": "berlin"}]).to_string();
    let reply = s.ingest(&key, "formats", "agents", "", "application/json", array.into()).await;
    assert_eq!(reply.body["inserted"], 1, "{}", reply.body);

    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("agents.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT 'p' || i AS agent_id, 'employee' AS employment_type, 't' AS team, 'berlin' AS site,
               DATE '2024-01-01' AS hired_at FROM range(3) r(i)) TO '{}' (FORMAT parquet)",
        parquet.display()
    ))
    .unwrap();
    let reply = s
        .ingest(&key, "formats", "agents", "", "application/vnd.apache.parquet", std::fs::read(&parquet).unwrap())
        .await;
    assert_eq!(reply.body["inserted"], 3, "{}", reply.body);

    let bad = "{\"agent_id\":\"n9\",\"employment_type\":\"robot\",\"team\":\"t\",\"site\":\"home\"}\n";
    let reply = s.ingest(&key, "formats", "agents", "", "application/x-ndjson", bad.into()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["report"]["errors"][0]["column"], "employment_type");
}

#[tokio::test]
async fn unknown_columns_and_unreadable_batches_get_clear_errors() {
    let s = app();
    let key = s.tenant("unknowns").await;
    let reply = s.ingest(&key, "unknowns", "agents", "", "text/csv", "agent_id,shoe_size\nx,42\n".into()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "unknown_columns");
    assert!(reply.body["detail"].as_str().unwrap().contains("shoe_size"));
    let reply = s.ingest(&key, "unknowns", "agents", "", "text/csv", "agent_id,team\nx,north\n".into()).await;
    assert_eq!(reply.body["code"], "missing_columns", "{}", reply.body);
    let reply = s.ingest(&key, "unknowns", "calls", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["code"], "unknown_table");
    let reply =
        s.ingest(&key, "unknowns", "agents", "", "application/vnd.apache.parquet", b"not parquet".to_vec()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "unreadable_batch");
    let reply = s.ingest(&key, "unknowns", "agents", "", "image/png", AGENTS_CSV.into()).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
