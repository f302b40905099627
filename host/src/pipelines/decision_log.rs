//! The routing decision log: every decision (a sample of them at high rates, each logged row
//! carrying the number of decisions it stands for) written to the tenant's `route_decisions`
//! table by a writer thread of its own, so the live path only hands a row to a bounded queue.
//! A full queue drops the row and counts it (`cxhost_route_log_dropped_total`).

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use crate::store::TenantStore;
use crate::store::route_decisions::{LoggedDecision, append};

/// Rows waiting for the writer, over all tenants; more are dropped.
const QUEUE: usize = 20_000;
/// How often the writer flushes.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Which decisions are logged: all of a tenant's up to `full_per_second` in each second, then
/// one in `one_in` (with that weight); fallbacks always.
pub struct Sampler {
    seconds: Mutex<HashMap<String, (i64, u32)>>,
}

impl Sampler {
    pub fn new() -> Sampler {
        Sampler { seconds: Mutex::new(HashMap::new()) }
    }

    /// The weight to log this decision with, or `None` to leave it out.
    pub fn weight(
        &self,
        tenant: &str,
        now_us: i64,
        (full_per_second, one_in): (u32, u32),
        fallback: bool,
    ) -> Option<u32> {
        let second = now_us.div_euclid(1_000_000);
        let mut seconds = self.seconds.lock().unwrap_or_else(|e| e.into_inner());
        let slot = seconds.entry(tenant.to_string()).or_insert((second, 0));
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        let n = slot.1;
        if fallback || n <= full_per_second {
            return Some(1);
        }
        let one_in = one_in.max(1);
        (n - full_per_second).is_multiple_of(one_in).then_some(one_in)
    }
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::new()
    }
}

/// The queue to the writer.
pub struct DecisionLog {
    sender: SyncSender<LoggedDecision>,
}

impl DecisionLog {
    /// Starts the writer thread, which writes into `tenants`' databases while they live.
    pub fn start(tenants: Weak<TenantStore>) -> DecisionLog {
        let (sender, receiver) = sync_channel(QUEUE);
        let started =
            std::thread::Builder::new().name("cxhost-route-log".into()).spawn(move || write(receiver, tenants));
        if let Err(e) = started {
            tracing::error!(error = %e, "the routing decision log cannot start; decisions are not logged");
        }
        DecisionLog { sender }
    }

    /// Hands a decision to the writer without waiting; a full queue drops it.
    pub fn push(&self, decision: LoggedDecision) {
        if let Err(TrySendError::Full(d) | TrySendError::Disconnected(d)) = self.sender.try_send(decision) {
            crate::telemetry::route_log_dropped(&d.tenant);
        }
    }
}

fn write(receiver: Receiver<LoggedDecision>, tenants: Weak<TenantStore>) {
    loop {
        let first = match receiver.recv_timeout(FLUSH_EVERY) {
            Ok(d) => d,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        std::thread::sleep(FLUSH_EVERY);
        let mut by_tenant: HashMap<String, Vec<LoggedDecision>> = HashMap::new();
        for d in std::iter::once(first).chain(receiver.try_iter()) {
            by_tenant.entry(d.tenant.clone()).or_default().push(d);
        }
        let Some(store) = tenants.upgrade() else { return };
        for (tenant, rows) in by_tenant {
            let written = store.get(&tenant).map_err(|e| e.to_string()).and_then(|db| {
                let conn = db.connection().map_err(|e| e.to_string())?;
                append(&conn, &rows).map_err(|e| e.to_string())
            });
            if let Err(error) = written {
                tracing::warn!(%tenant, %error, rows = rows.len(), "routing decisions could not be logged");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_all_logged_up_to_the_rate_then_sampled_with_their_weight() {
        let sampler = Sampler::new();
        let weights: Vec<Option<u32>> = (0..8).map(|_| sampler.weight("t", 5_000_000, (3, 2), false)).collect();
        assert_eq!(weights, [Some(1), Some(1), Some(1), None, Some(2), None, Some(2), None]);
        assert_eq!(sampler.weight("t", 5_000_001, (3, 2), true), Some(1), "fallbacks are always logged");
        assert_eq!(sampler.weight("t", 6_000_000, (3, 2), false), Some(1), "a new second starts again");
        assert_eq!(sampler.weight("other", 5_000_000, (3, 2), false), Some(1), "per tenant");
    }
}
