//! The OpenAPI document. Its paths come from the same route table as the router
//! ([`crate::router::app`] and [`super::routes`], through `utoipa-axum`); this module holds
//! what the table does not: the title, the tags, the problem schema and the key scheme, and
//! the route that serves the assembled document.

use std::sync::Arc;

use axum::Extension;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Required};
use utoipa::{Modify, OpenApi};

use super::error::ServerFailure;

#[derive(OpenApi)]
#[openapi(
    info(title = "cxhost", description = "Contact-center analytics with sandboxed WebAssembly plugins. \
        Every route under `/v1` takes `Authorization: Bearer <key>`. Errors are JSON problems \
        (`application/problem+json`) with a stable `code`; every response carries its request id in \
        `x-request-id`."),
    tags(
        (name = "operations", description = "Health, readiness, metrics and this document; no key"),
        (name = "tenants", description = "Tenants, their limits, privacy floor and keys"),
        (name = "ingest", description = "Loading batches into a tenant's tables"),
        (name = "plugins", description = "The plugins a tenant can use, and uploading its own"),
        (name = "deployments", description = "Versions, activation, rollback, canary and shadow runs, policy, audit"),
        (name = "metrics", description = "Computing a metric, and opening its figures to their records"),
        (name = "analytics", description = "CX–EX correlation, dashboards, comment topics, fair rankings, quartiles and what a metric unit is worth"),
        (name = "pay", description = "Pay runs and statements"),
        (name = "awards", description = "Award runs, the points ledger, gaming flags and leaderboards"),
        (name = "rules", description = "Rule runs on demand and on a schedule, and the run log"),
        (name = "actions", description = "Coaching tasks and alerts that rules open, and moving them on"),
        (name = "coaching", description = "Coaching sessions and the impact of coaching on a metric"),
        (name = "enrichment", description = "How ingested comments and notes are scored (sentiment, topics, language), and how far it has come"),
        (name = "routing", description = "Routing decisions for new contacts, the roster snapshot routers read, and the decision log"),
    ),
    components(schemas(super::error::Problem)),
    modifiers(&BearerKey),
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("cxk_…").build()),
        );
    }
}

/// The document as served: JSON text made once when the router is built.
#[derive(Clone)]
pub struct Document(Arc<str>);

impl Document {
    /// The assembled document, finished: a query or path parameter is text, so none is `null`
    /// (an optional one is simply left out), whatever the Rust type behind it.
    pub fn new(mut openapi: utoipa::openapi::OpenApi) -> Document {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if matches!(parameter.parameter_in, ParameterIn::Path | ParameterIn::Query) {
                        if let Some(schema) = &mut parameter.schema {
                            without_null(schema);
                        }
                        if matches!(parameter.parameter_in, ParameterIn::Path) {
                            parameter.required = Required::True;
                        }
                    }
                }
            }
        }
        let mut document = serde_json::to_value(&openapi).expect("the OpenAPI document serializes");
        name_each_line_apart(&mut document["components"]["schemas"]);
        line_points_are_pairs(&mut document["components"]["schemas"]);
        Document(document.to_string().into())
    }

    pub fn json(&self) -> &str {
        &self.0
    }
}

/// Two schemas are called `Line`: a dashboard's line panel and a pay statement's line. The
/// document keeps one schema per name, so each gets a name of its own here, and the schemas
/// that use them point at the right one.
// TODO(owners of analytics::panels and store::pay): `#[schema(as = PanelLine)]` and
// `#[schema(as = StatementLine)]` on the two types would make this unnecessary.
fn name_each_line_apart(schemas: &mut serde_json::Value) {
    use utoipa::PartialSchema;
    let Some(schemas) = schemas.as_object_mut() else { return };
    schemas.remove("Line");
    for (user, name, schema) in [
        ("PanelData", "PanelLine", crate::analytics::panels::Line::schema()),
        ("Statement", "StatementLine", crate::store::pay::Line::schema()),
    ] {
        schemas.insert(name.to_string(), serde_json::to_value(schema).expect("a schema serializes"));
        if let Some(user) = schemas.get_mut(user) {
            retarget(user, "#/components/schemas/Line", &format!("#/components/schemas/{name}"));
        }
    }
}

/// A line series' points are `[x label, y]` pairs, `y` null where the series has no value.
// TODO(owner of analytics::panels): a schema on `LineSeries::points` would make this unnecessary.
fn line_points_are_pairs(schemas: &mut serde_json::Value) {
    let points = &mut schemas["LineSeries"]["properties"]["points"];
    if points.is_object() {
        points["items"] = serde_json::json!({
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": ["number", "null"]}],
            "items": false,
            "minItems": 2,
            "maxItems": 2,
        });
    }
}

/// Points every `$ref` to `from` within `value` at `to`.
fn retarget(value: &mut serde_json::Value, from: &str, to: &str) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if key == "$ref" && field == from {
                    *field = to.into();
                } else {
                    retarget(field, from, to);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| retarget(item, from, to)),
        _ => {}
    }
}

/// `schema` without `null` among its types or alternatives.
fn without_null(schema: &mut RefOr<Schema>) {
    let RefOr::T(inner) = schema else { return };
    match inner {
        Schema::Object(object) => {
            if let utoipa::openapi::schema::SchemaType::Array(types) = &object.schema_type {
                let kept: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
                object.schema_type = match kept.as_slice() {
                    [one] => utoipa::openapi::schema::SchemaType::Type(one.clone()),
                    _ => utoipa::openapi::schema::SchemaType::Array(kept),
                };
            }
        }
        Schema::OneOf(one_of) => {
            one_of.items.retain(|item| !is_null(item));
            if one_of.items.len() == 1 {
                let only = one_of.items.remove(0);
                let description = one_of.description.take();
                *schema = only;
                if let (Some(description), RefOr::T(Schema::Object(object))) = (description, &mut *schema) {
                    object.description.get_or_insert(description);
                }
            }
        }
        _ => {}
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object))
        if object.schema_type == utoipa::openapi::schema::SchemaType::Type(Type::Null))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, content_type = "application/json", body = Object, description = "the OpenAPI document"),
        ServerFailure))]
pub async fn document(Extension(document): Extension<Document>) -> Response {
    ([(CONTENT_TYPE, "application/json")], document.json().to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    fn document() -> Value {
        let config = crate::config::Config::new(std::env::temp_dir().join("cxhost-openapi-test"));
        let (_, document) = crate::router::documented(&config);
        serde_json::from_str(document.json()).unwrap()
    }

    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(target)) = fields.get("$ref") {
                    found.push(target);
                }
                fields.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_names_a_schema_of_the_document() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target}"));
            assert!(doc["components"]["schemas"].get(name).is_some(), "`{target}` names no schema");
        }
    }

    #[test]
    fn every_operation_documents_its_problems() {
        let doc = document();
        let mut ids = HashSet::new();
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.keys().all(|p| !p.starts_with("/ui")), "the pages are not part of the API");
        for path in ["/healthz", "/readyz", "/openapi.json", "/metrics", "/v1/tenants"] {
            assert!(paths.contains_key(path), "{path}");
        }
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let what = format!("{method} {path}");
                assert!(
                    ids.insert(operation["operationId"].as_str().unwrap().to_string()),
                    "{what}: operationId taken"
                );
                let responses = operation["responses"].as_object().unwrap();
                let mut needed = vec!["500"];
                if operation.get("security").is_some() {
                    needed.extend(["401", "403"]);
                }
                if path.contains("{tenant}") {
                    needed.push("404");
                }
                if operation["requestBody"]["content"].get("application/json").is_some() {
                    needed.extend(["400", "413"]);
                    // A rollback reads its optional body itself, whatever its type: a body not of
                    // its shape is a 400.
                    if operation["operationId"] != "rollback" {
                        needed.extend(["415", "422"]);
                    }
                }
                for status in needed {
                    assert!(responses.contains_key(status), "{what} does not document {status}");
                }
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = response["content"].as_object().unwrap();
                        assert_eq!(content.keys().collect::<Vec<_>>(), ["application/problem+json"], "{what} {status}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_documented_groupings_are_the_ones_read() {
        for name in super::super::GROUP_BYS {
            assert!(crate::params::parse_group_by(name).is_ok(), "{name}");
        }
        assert!(crate::params::parse_group_by("hour").is_err());
    }
}
