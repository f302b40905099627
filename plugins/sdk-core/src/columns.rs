//! Reading columns of a query result by name, with nulls as `None`.

use crate::{Batch, ColumnValues};

/// A query result with typed accessors by column name, as [`query`](crate::query) answers it.
///
/// Each accessor answers one entry per row, `None` where the value is SQL NULL, and an error
/// naming the columns there are when the result has no column of that name (or, except for
/// [`text`](Table::text), one of another type).
///
/// ```ignore
/// let t = query("SELECT agent_id, avg(csat) AS csat FROM customer_feedback GROUP BY 1", &[])?;
/// for (agent, csat) in t.text("agent_id")?.into_iter().zip(t.float("csat")?) {
///     if let (Some(agent), Some(csat)) = (agent, csat) { /* ... */ }
/// }
/// ```
pub struct Table {
    batch: Batch,
}

impl Table {
    /// Wraps a batch the host answered (e.g. from the generated `host::query` binding).
    pub fn new(batch: Batch) -> Self {
        Table { batch }
    }

    /// The number of rows; every column has this many values.
    pub fn row_count(&self) -> usize {
        self.batch.row_count as usize
    }

    /// The result as the host sent it, for columns read by position or type.
    pub fn batch(&self) -> &Batch {
        &self.batch
    }

    fn column(&self, name: &str) -> Result<(&ColumnValues, &[bool]), String> {
        self.batch.columns.iter().find(|c| c.name == name).map(|c| (&c.values, c.nulls.as_slice())).ok_or_else(|| {
            let names: Vec<&str> = self.batch.columns.iter().map(|c| c.name.as_str()).collect();
            format!("query result has no column `{name}` (columns: {})", names.join(", "))
        })
    }

    /// A numeric column (integer, float or timestamp) as floats; a timestamp gives its
    /// microseconds since the Unix epoch.
    pub fn float(&self, name: &str) -> Result<Vec<Option<f64>>, String> {
        let (values, nulls) = self.column(name)?;
        let floats: Vec<f64> = match values {
            ColumnValues::Float(v) => v.clone(),
            ColumnValues::Integer(v) | ColumnValues::Timestamp(v) => v.iter().map(|x| *x as f64).collect(),
            _ => return Err(format!("column `{name}` is not numeric")),
        };
        Ok(with_nulls(floats, nulls))
    }

    /// An integer or timestamp column; a timestamp gives its microseconds since the Unix epoch
    /// (UTC). A float column is an error: cast it in SQL, or read it with [`float`](Table::float).
    pub fn int(&self, name: &str) -> Result<Vec<Option<i64>>, String> {
        let (values, nulls) = self.column(name)?;
        match values {
            ColumnValues::Integer(v) | ColumnValues::Timestamp(v) => Ok(with_nulls(v.clone(), nulls)),
            _ => Err(format!("column `{name}` is not an integer column")),
        }
    }

    /// A text column; a column of any other type is rendered as text (integers and timestamps
    /// as their number, floats and booleans as Rust writes them).
    pub fn text(&self, name: &str) -> Result<Vec<Option<String>>, String> {
        let (values, nulls) = self.column(name)?;
        let texts: Vec<String> = match values {
            ColumnValues::Text(v) => v.clone(),
            ColumnValues::Integer(v) | ColumnValues::Timestamp(v) => v.iter().map(|x| x.to_string()).collect(),
            ColumnValues::Float(v) => v.iter().map(|x| x.to_string()).collect(),
            ColumnValues::Boolean(v) => v.iter().map(|x| x.to_string()).collect(),
        };
        Ok(with_nulls(texts, nulls))
    }

    /// A boolean column.
    pub fn boolean(&self, name: &str) -> Result<Vec<Option<bool>>, String> {
        let (values, nulls) = self.column(name)?;
        match values {
            ColumnValues::Boolean(v) => Ok(with_nulls(v.clone(), nulls)),
            _ => Err(format!("column `{name}` is not boolean")),
        }
    }
}

fn with_nulls<T>(values: Vec<T>, nulls: &[bool]) -> Vec<Option<T>> {
    if nulls.is_empty() {
        return values.into_iter().map(Some).collect();
    }
    values.into_iter().zip(nulls).map(|(v, null)| if *null { None } else { Some(v) }).collect()
}
