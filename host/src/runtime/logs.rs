//! What plugins write to the server's log through `host.log`: one line per message with its
//! control characters escaped (a message cannot start a line that looks like the server's
//! own), cut to a maximum length, always tagged with tenant, plugin and version, and limited
//! per call and per tenant per minute; what is dropped is counted and said once per call.
//! Lines a plugin prints to stdout and stderr (see `wasi.rs`) go through the same budgets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::bindings::LogLevel;

/// Longest message written, in bytes of the escaped text; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// A message as one quoted, printable line: cut at [`MAX_MESSAGE_BYTES`], then written as a
/// Rust string literal, so newlines, escape sequences, NUL and quotes become visible escapes
/// and the plugin's text cannot pass for the server's own lines or tags.
pub fn one_line(message: &str) -> String {
    let mut end = message.len().min(MAX_MESSAGE_BYTES);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let mut line = format!("{:?}", &message[..end]);
    if end < message.len() {
        line.push_str(" (cut)");
    }
    line
}

/// Lines per minute each tenant's plugins may still write, refilled continuously.
#[derive(Default)]
pub struct TenantLogBudgets {
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl TenantLogBudgets {
    /// Takes one line from `tenant`'s budget of `per_minute` lines; false when it is spent.
    fn take(&self, tenant: &str, per_minute: u32) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let capacity = f64::from(per_minute);
        let bucket =
            buckets.entry(tenant.to_string()).or_insert_with(|| Bucket { tokens: capacity, refilled: Instant::now() });
        let now = Instant::now();
        let refill = now.duration_since(bucket.refilled).as_secs_f64() * capacity / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One call's log: how many lines it wrote and dropped.
pub struct CallLog {
    pub max_lines: u32,
    pub per_minute: u32,
    pub written: u32,
    pub dropped: u64,
}

impl CallLog {
    pub fn new(max_lines: u32, per_minute: u32) -> Self {
        CallLog { max_lines, per_minute, written: 0, dropped: 0 }
    }

    /// Writes `message` as one tagged line if the call's and the tenant's budgets allow.
    pub fn write(
        &mut self,
        budgets: &TenantLogBudgets,
        (tenant, plugin, version): (&str, &str, &str),
        level: LogLevel,
        message: &str,
    ) {
        if !self.admit(budgets, tenant) {
            return;
        }
        let line = one_line(message);
        match level {
            LogLevel::Trace => {
                tracing::trace!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, "{line}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, "{line}")
            }
            LogLevel::Info => {
                tracing::info!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, "{line}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, "{line}")
            }
            LogLevel::Error => {
                tracing::error!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, "{line}")
            }
        }
    }

    /// Writes one line the plugin printed to `stream` (`stdout` at INFO, `stderr` at WARN)
    /// under the same budgets as `host.log`.
    pub fn write_stdio(
        &mut self,
        budgets: &TenantLogBudgets,
        (tenant, plugin, version): (&str, &str, &str),
        stream: &'static str,
        message: &str,
    ) {
        if !self.admit(budgets, tenant) {
            return;
        }
        let line = one_line(message);
        if stream == "stderr" {
            tracing::warn!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, stream, "{line}");
        } else {
            tracing::info!(target: "cxhost::plugin", tenant = %tenant, plugin = %plugin, version = %version, stream, "{line}");
        }
    }

    /// Takes one line from the call's and the tenant's budgets, or counts it as dropped.
    fn admit(&mut self, budgets: &TenantLogBudgets, tenant: &str) -> bool {
        if self.written >= self.max_lines || !budgets.take(tenant, self.per_minute) {
            self.dropped += 1;
            return false;
        }
        self.written += 1;
        true
    }

    /// Says once, at the end of the call, how many lines were dropped.
    pub fn finish(&self, (tenant, plugin, version): (&str, &str, &str)) {
        if self.dropped > 0 {
            tracing::warn!(
                target: "cxhost::plugin",
                tenant = %tenant,
                plugin = %plugin,
                version = %version,
                dropped = self.dropped,
                "plugin log lines dropped: more than {} in this call or {} a minute for this tenant",
                self.max_lines,
                self.per_minute
            );
            crate::telemetry::limit_hit(tenant, "log_lines", self.dropped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_stays_on_one_line_and_shows_its_control_characters() {
        let forged = "innocent\n2026-11-29T12:00:00Z  INFO cxhost: key\r\x1b[31mred\u{0} tenant=\"other\"";
        assert_eq!(
            one_line(forged),
            r#""innocent\n2026-11-29T12:00:00Z  INFO cxhost: key\r\u{1b}[31mred\0 tenant=\"other\"""#
        );
        let long = one_line(&"é".repeat(5000));
        assert!(long.len() <= MAX_MESSAGE_BYTES + 10 && long.ends_with("\" (cut)"), "{}", long.len());
    }

    #[test]
    fn a_tenant_gets_its_lines_per_minute_and_no_more() {
        let budgets = TenantLogBudgets::default();
        let taken = (0..50).filter(|_| budgets.take("a", 10)).count();
        assert_eq!(taken, 10);
        assert!(budgets.take("b", 10), "another tenant has its own budget");
    }
}
