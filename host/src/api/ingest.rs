//! Ingest over HTTP: the request body is streamed to the tenant's staging directory and
//! loaded by DuckDB's readers in one transaction.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::error::{BadRequest, Keyed, NotFound, Problem, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller};
use crate::auth::Action;
use crate::store::{Format, IngestOptions, IngestReport, OnConflict, ValidationMode, ingest, schema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IngestPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The table to load (data/SCHEMA.md).
    #[param(value_type = TableName, inline)]
    pub table: String,
}

/// The name of one of a tenant's tables.
pub struct TableName;

impl utoipa::PartialSchema for TableName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(schema::TABLES.iter().map(|t| t.name))).into()
    }
}

impl utoipa::ToSchema for TableName {}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// `csv`, `ndjson`, `json` (an array of objects) or `parquet`; defaults from Content-Type.
    #[param(inline)]
    pub format: Option<Format>,
    /// `all_or_nothing` (default) or `load_valid`.
    #[param(inline)]
    pub mode: Option<ValidationMode>,
    /// `skip` (default) keeps stored rows with the same id; `replace` overwrites them.
    #[param(inline)]
    pub on_conflict: Option<OnConflict>,
}

/// Load a batch into one of the tenant's tables (ingest, tenant admin or operator). The body's
/// format is told by its `Content-Type` or by `?format=`; its columns are the table's
/// (data/SCHEMA.md).
#[utoipa::path(post, path = "/tenants/{tenant}/ingest/{table}", tag = "ingest",
    params(IngestPath, IngestQuery),
    request_body(description = "CSV with a header row, NDJSON, a JSON array of objects, or Parquet", content(
        (String = "text/csv"), (String = "application/x-ndjson"), (Vec<Object> = "application/json"),
        (Vec<u8> = "application/vnd.apache.parquet"))),
    responses(
        (status = 200, body = IngestReport, description = "applied; `errors` lists rejected rows in load_valid mode; `enrichment` says how many texts were queued for the tenant's enricher"),
        Keyed, NotFound,
        BadRequest,
        (status = 413, body = Problem, content_type = "application/problem+json",
            description = "the body is larger than the server accepts"),
        (status = 415, body = Problem, content_type = "application/problem+json",
            description = "neither `Content-Type` nor `?format=` names a format the server reads (`unsupported_format`)"),
        (status = 422, body = Problem, content_type = "application/problem+json",
            description = "rejected as a whole (`batch_rejected`); `report.errors` lists row, column and reason"),
        TenantData),
    security(("api_key" = [])))]
pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(IngestPath { tenant, table }): ApiPath<IngestPath>,
    ApiQuery(query): ApiQuery<IngestQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, ApiError> {
    caller.require(&state, Action::Ingest, &tenant)?;
    let spec = schema::table(&table).ok_or_else(|| {
        let known: Vec<&str> = schema::TABLES.iter().map(|t| t.name).collect();
        ApiError::not_found("unknown_table", format!("no table `{table}`; tables: {}", known.join(", ")))
            .with_field("table")
    })?;
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = query.format.or_else(|| Format::from_content_type(content_type)).ok_or_else(|| {
        ApiError::new(
            crate::problem::Class::UnsupportedMediaType,
            "unsupported_format",
            "Unsupported format",
            format!("cannot tell the batch format from Content-Type `{content_type}`; send text/csv, application/x-ndjson, application/json or application/vnd.apache.parquet, or add ?format="),
        )
    })?;
    let enricher = crate::pipelines::enrichment::enricher_of(&state, &tenant)?;
    let options = IngestOptions {
        format,
        mode: query.mode.unwrap_or_default(),
        on_conflict: query.on_conflict.unwrap_or_default(),
        enricher,
    };
    let db = state.tenants.get(&tenant)?;
    let staged = db.staging_dir().join(format!("{}.{}", crate::auth::new_key(), format.extension()));
    let written = stream_to_file(body, &staged).await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&staged).await;
        return Err(e);
    }
    let _guard = db.ingest_lock.lock().await;
    let (path, blocking_db) = (staged.clone(), db.clone());
    let result = tokio::task::spawn_blocking(move || ingest::ingest_file(&blocking_db, spec, &path, options)).await;
    let _ = tokio::fs::remove_file(&staged).await;
    let report = result?.inspect_err(|e| {
        if let crate::store::IngestError::Rejected(report) = e {
            crate::telemetry::ingested(&tenant, spec.name, "rejected", report.rejected);
        }
    })?;
    for (result, rows) in [
        ("inserted", report.inserted),
        ("replaced", report.replaced),
        ("unchanged", report.unchanged),
        ("rejected", report.rejected),
    ] {
        crate::telemetry::ingested(&tenant, spec.name, result, rows);
    }
    if report.enrichment.as_ref().is_some_and(|e| e.queued > 0) {
        state.enrichment.wake(&tenant);
    }
    Ok(Json(report))
}

async fn stream_to_file(body: Body, path: &std::path::Path) -> Result<(), ApiError> {
    // Large writes: a body arrives in chunks of a few KiB, and each write to a tokio file is a
    // round trip to a blocking thread.
    let file = tokio::fs::File::create(path).await.map_err(ApiError::internal)?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                crate::problem::Class::TooLarge,
                "body_unreadable",
                "Request body could not be read",
                format!("reading the request body failed: {e}"),
            )
        })?;
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok(())
}
