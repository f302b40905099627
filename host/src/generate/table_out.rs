//! CSV writing: one buffered writer per table of `store::schema`, whose header and column order
//! are the schema's, and which refuses a row that leaves a schema column without a value.
//!
//! The generator gives each value with the name of its column (`t.text("agent_id", …)`). Values
//! given in the schema's column order go straight into the row; a value out of that order makes
//! the row hold its values by column and put them in the schema's order when it ends. A row
//! that misses a column of the schema, names a column the schema does not have, or names one
//! twice panics: that is a bug of the generator, found by its unit tests (`generate::tests`) the
//! moment a column is added to the schema. An empty field is written only when the generator
//! says so (`t.null(…)`).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::GenerateError;
use super::fields::{fmt_fixed, fmt_id, fmt_ts, fmt_u64};
use crate::store::schema::{self, Column, Table};

pub(super) struct TableOut {
    pub(super) table: &'static Table,
    pub(super) path: PathBuf,
    pub(super) rows: u64,
    writer: csv::Writer<BufWriter<File>>,
    /// The row being written, while its values come in the schema's column order.
    record: csv::ByteRecord,
    /// The row's values by schema column, once one came out of order; None before.
    by_column: Option<Vec<Option<Vec<u8>>>>,
}

impl TableOut {
    /// Creates `<table>.csv` in `dir` and writes its header: the schema's column names.
    pub(super) fn create(dir: &Path, table: &'static Table) -> Result<Self, GenerateError> {
        let path = dir.join(format!("{}.csv", table.name));
        let file = File::create(&path).map_err(|source| GenerateError::Io { path: path.clone(), source })?;
        let writer = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
        let mut t = TableOut { table, path, rows: 0, writer, record: csv::ByteRecord::new(), by_column: None };
        for column in table.columns {
            t.record.push_field(column.name.as_bytes());
        }
        t.write_record()?;
        Ok(t)
    }

    pub(super) fn text(&mut self, column: &str, v: &str) {
        self.put(column, v.as_bytes());
    }

    pub(super) fn opt_text(&mut self, column: &str, v: Option<&str>) {
        self.put(column, v.unwrap_or("").as_bytes());
    }

    /// An empty field: the column has no value in this row.
    pub(super) fn null(&mut self, column: &str) {
        self.put(column, b"");
    }

    pub(super) fn boolean(&mut self, column: &str, v: bool) {
        self.put(column, if v { b"true" } else { b"false" });
    }

    pub(super) fn int(&mut self, column: &str, v: u64) {
        let mut buf = [0u8; 20];
        self.put(column, fmt_u64(v, &mut buf));
    }

    pub(super) fn opt_int(&mut self, column: &str, v: Option<u64>) {
        match v {
            Some(v) => self.int(column, v),
            None => self.null(column),
        }
    }

    /// `prefix` followed by `n` zero-padded to at least `width` digits, e.g. `a0007`.
    pub(super) fn id(&mut self, column: &str, prefix: u8, n: u64, width: usize) {
        let mut buf = [0u8; 24];
        self.put(column, fmt_id(prefix, n, width, &mut buf));
    }

    /// Seconds since the Unix epoch, as an ISO 8601 UTC timestamp.
    pub(super) fn timestamp(&mut self, column: &str, secs: i64) {
        let mut buf = [0u8; 20];
        self.put(column, fmt_ts(secs, &mut buf));
    }

    pub(super) fn opt_timestamp(&mut self, column: &str, secs: Option<i64>) {
        match secs {
            Some(s) => self.timestamp(column, s),
            None => self.null(column),
        }
    }

    /// Days since the Unix epoch, as `YYYY-MM-DD`.
    pub(super) fn date(&mut self, column: &str, days: i64) {
        let mut buf = [0u8; 20];
        let full = fmt_ts(days * 86_400, &mut buf);
        self.put(column, &full[..10]);
    }

    /// A decimal with `decimals` digits after the point (`v` is rounded).
    pub(super) fn decimal(&mut self, column: &str, v: f64, decimals: u32) {
        let mut buf = [0u8; 32];
        self.put(column, fmt_fixed(v, decimals, &mut buf));
    }

    /// Writes the row in the schema's column order.
    ///
    /// Panics when a column of the schema got no value: the generator must give every column
    /// one (`null` for an empty field), so that a column added to the schema is never left out.
    pub(super) fn end_row(&mut self) -> Result<(), GenerateError> {
        let columns = self.table.columns;
        if let Some(by_column) = self.by_column.take() {
            for (column, value) in columns.iter().zip(by_column) {
                let Some(value) = value else { self.missing(column) };
                self.record.push_field(&value);
            }
        } else if let Some(column) = columns.get(self.record.len()) {
            self.missing(column);
        }
        self.write_record()?;
        self.rows += 1;
        Ok(())
    }

    pub(super) fn finish(&mut self) -> Result<(), GenerateError> {
        self.writer.flush().map_err(|source| GenerateError::Io { path: self.path.clone(), source })
    }

    fn put(&mut self, column: &str, value: &[u8]) {
        let next_in_schema = self.table.columns.get(self.record.len());
        if self.by_column.is_none() && next_in_schema.is_some_and(|c| c.name == column) {
            self.record.push_field(value);
        } else {
            self.put_out_of_order(column, value);
        }
    }

    /// Holds the row's values by column until it ends, from the first value that came out of
    /// the schema's order on.
    #[cold]
    fn put_out_of_order(&mut self, column: &str, value: &[u8]) {
        let columns = self.table.columns;
        let by_column = self.by_column.get_or_insert_with(|| {
            let mut by_column = vec![None; columns.len()];
            for (slot, field) in by_column.iter_mut().zip(self.record.iter()) {
                *slot = Some(field.to_vec());
            }
            self.record.clear();
            by_column
        });
        let Some(index) = columns.iter().position(|c| c.name == column) else {
            panic!(
                "the sample-data generator writes a column `{column}` that table `{}` of the schema does not have",
                self.table.name
            );
        };
        assert!(
            by_column[index].is_none(),
            "the sample-data generator gives column `{column}` of `{}` two values",
            self.table.name
        );
        by_column[index] = Some(value.to_vec());
    }

    fn missing(&self, column: &Column) -> ! {
        panic!(
            "the sample-data generator has no value for column `{}` of table `{}` (store/schema.rs): \
             give it one in host/src/generate/",
            column.name, self.table.name
        )
    }

    fn write_record(&mut self) -> Result<(), GenerateError> {
        let written = self.writer.write_byte_record(&self.record);
        self.record.clear();
        written.map_err(|source| GenerateError::Csv { path: self.path.clone(), source })
    }
}

/// The writers of every table the generator fills.
pub(super) struct Outputs {
    pub(super) agents: TableOut,
    pub(super) interactions: TableOut,
    pub(super) feedback: TableOut,
    pub(super) surveys: TableOut,
    pub(super) states: TableOut,
    pub(super) schedules: TableOut,
    pub(super) qa: TableOut,
    pub(super) certifications: TableOut,
    pub(super) coaching: TableOut,
}

impl Outputs {
    pub(super) fn create(dir: &Path) -> Result<Self, GenerateError> {
        Ok(Outputs {
            agents: TableOut::create(dir, &schema::AGENTS)?,
            interactions: TableOut::create(dir, &schema::INTERACTIONS)?,
            feedback: TableOut::create(dir, &schema::CUSTOMER_FEEDBACK)?,
            surveys: TableOut::create(dir, &schema::EMPLOYEE_SURVEYS)?,
            states: TableOut::create(dir, &schema::AGENT_STATES_TABLE)?,
            schedules: TableOut::create(dir, &schema::SCHEDULES)?,
            qa: TableOut::create(dir, &schema::QA_EVALUATIONS)?,
            certifications: TableOut::create(dir, &schema::CERTIFICATIONS)?,
            coaching: TableOut::create(dir, &schema::COACHING_SESSIONS)?,
        })
    }

    /// Every writer, in the order of `schema::TABLES` (a unit test holds them to it).
    pub(super) fn all(&mut self) -> [&mut TableOut; 9] {
        [
            &mut self.agents,
            &mut self.interactions,
            &mut self.feedback,
            &mut self.surveys,
            &mut self.states,
            &mut self.schedules,
            &mut self.qa,
            &mut self.certifications,
            &mut self.coaching,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::ColumnType;

    /// A table of the writer's own, so that these tests do not move with the real schema.
    static SHIFTS: Table = Table {
        name: "shifts",
        key: "shift_id",
        doc: "",
        columns: &[column("shift_id"), column("agent_id"), column("starts_at"), column("ends_at")],
        checks: &[],
    };

    const fn column(name: &'static str) -> Column {
        Column { name, ty: ColumnType::Text, required: true, rule: None, default: None, unit: "", doc: "" }
    }

    fn shifts() -> (tempfile::TempDir, TableOut) {
        let dir = tempfile::tempdir().unwrap();
        let t = TableOut::create(dir.path(), &SHIFTS).unwrap();
        (dir, t)
    }

    #[test]
    fn rows_follow_the_schema_order_whatever_order_values_come_in() {
        let (dir, mut t) = shifts();
        t.id("shift_id", b'h', 1, 9);
        t.timestamp("ends_at", 3_600);
        t.text("agent_id", "a0001");
        t.timestamp("starts_at", 0);
        t.end_row().unwrap();
        t.id("shift_id", b'h', 2, 9);
        t.text("agent_id", "a0002");
        t.timestamp("starts_at", 0);
        t.timestamp("ends_at", 7_200);
        t.end_row().unwrap();
        t.finish().unwrap();
        assert_eq!(t.rows, 2);
        let written = std::fs::read_to_string(dir.path().join("shifts.csv")).unwrap();
        assert_eq!(
            written,
            "shift_id,agent_id,starts_at,ends_at\n\
             h000000001,a0001,1970-01-01T00:00:00Z,1970-01-01T01:00:00Z\n\
             h000000002,a0002,1970-01-01T00:00:00Z,1970-01-01T02:00:00Z\n"
        );
    }

    #[test]
    #[should_panic(expected = "no value for column `ends_at` of table `shifts`")]
    fn a_schema_column_without_a_value_panics() {
        let (_dir, mut t) = shifts();
        t.id("shift_id", b'h', 1, 9);
        t.text("agent_id", "a0001");
        t.timestamp("starts_at", 0);
        let _ = t.end_row();
    }

    #[test]
    #[should_panic(expected = "no value for column `agent_id` of table `shifts`")]
    fn a_schema_column_without_a_value_panics_out_of_order_too() {
        let (_dir, mut t) = shifts();
        t.timestamp("ends_at", 3_600);
        t.id("shift_id", b'h', 1, 9);
        t.timestamp("starts_at", 0);
        let _ = t.end_row();
    }

    #[test]
    #[should_panic(expected = "a column `shift_length` that table `shifts` of the schema does not have")]
    fn a_column_missing_from_the_schema_panics() {
        let (_dir, mut t) = shifts();
        t.int("shift_length", 8);
    }

    #[test]
    #[should_panic(expected = "gives column `agent_id` of `shifts` two values")]
    fn a_column_given_twice_panics() {
        let (_dir, mut t) = shifts();
        t.id("shift_id", b'h', 1, 9);
        t.text("agent_id", "a0001");
        t.text("agent_id", "a0002");
    }
}
