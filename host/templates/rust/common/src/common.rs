//! What every kind of plugin shares: running one query through the host, reading the columns
//! of its answer, and reading parameters.
#![allow(dead_code)]

use crate::cxhost::plugin::host;
use crate::cxhost::plugin::types::{Batch, ColumnValues, Param, ParamValue, SqlValue};

/// Runs one read-only SELECT over the tenant's tables; `?` placeholders take `params`.
pub fn query(sql: &str, params: &[SqlValue]) -> Result<Batch, String> {
    host::query(sql, params)
}

fn column<'a>(batch: &'a Batch, name: &str) -> Result<&'a ColumnValues, String> {
    let column = batch.columns.iter().find(|c| c.name == name);
    Ok(&column.ok_or_else(|| format!("the query answered no column `{name}`"))?.values)
}

/// A text column's values; a null reads as `(none)`.
pub fn texts(batch: &Batch, name: &str) -> Result<Vec<String>, String> {
    let nulls = &batch.columns.iter().find(|c| c.name == name).map(|c| c.nulls.clone()).unwrap_or_default();
    match column(batch, name)? {
        ColumnValues::Text(values) => Ok(values
            .iter()
            .enumerate()
            .map(|(i, v)| if nulls.get(i) == Some(&true) { "(none)".to_string() } else { v.clone() })
            .collect()),
        _ => Err(format!("column `{name}` is not text")),
    }
}

/// An integer column's values (a null reads as 0).
pub fn integers(batch: &Batch, name: &str) -> Result<Vec<i64>, String> {
    match column(batch, name)? {
        ColumnValues::Integer(values) => Ok(values.clone()),
        _ => Err(format!("column `{name}` is not an integer")),
    }
}

/// An integer parameter: the host always sends every declared parameter.
pub fn integer_param(params: &[Param], name: &str) -> Result<i64, String> {
    match params.iter().find(|p| p.name == name).map(|p| &p.value) {
        Some(ParamValue::Integer(value)) => Ok(*value),
        _ => Err(format!("parameter `{name}` is missing or not an integer")),
    }
}
