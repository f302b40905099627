//! Fair share of the plugin workers: each tenant has a number of places for requests that run
//! its plugins; further requests wait in a bounded queue for a bounded time and are then
//! refused with a time to retry, so one tenant's runaway plugins cannot take the workers that
//! another tenant's calls need.
//!
//! A place is held by the whole request (a dashboard's nested metric calls and a correlation
//! matrix's metric series run inside its place) and must move into the blocking work it
//! admits, so that a client that hangs up does not free a place while its call still runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::PluginLimits;

/// One tenant's places and queue.
struct Gate {
    places: u32,
    semaphore: Arc<Semaphore>,
    waiting: AtomicU32,
}

#[derive(Default)]
pub struct Admission {
    gates: Mutex<HashMap<String, Arc<Gate>>>,
}

/// A place for one request; dropping it frees the place.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
}

/// Why a request was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(
        "tenant `{tenant}` already runs {places} plugin requests and {waiting} more are waiting, its limit; \
         retry in {retry_after_secs} s"
    )]
    QueueFull { tenant: String, places: u32, waiting: u32, retry_after_secs: u64 },
    #[error(
        "tenant `{tenant}` had no free place for plugin requests within {waited_ms} ms (it runs {places} at a time); \
         retry in {retry_after_secs} s"
    )]
    TimedOut { tenant: String, places: u32, waited_ms: u64, retry_after_secs: u64 },
}

impl Refused {
    /// Seconds after which a retry has a fair chance.
    pub fn retry_after_secs(&self) -> u64 {
        match self {
            Refused::QueueFull { retry_after_secs, .. } | Refused::TimedOut { retry_after_secs, .. } => {
                *retry_after_secs
            }
        }
    }
}

/// Decrements the waiting count when a waiter leaves, however it leaves.
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    fn gate(&self, tenant: &str, places: u32) -> Arc<Gate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        let gate = gates.entry(tenant.to_string()).or_insert_with(|| Arc::new(Gate::new(places)));
        if gate.places != places {
            // New limits: later requests queue at a new gate; places held at the old one
            // are freed there.
            *gate = Arc::new(Gate::new(places));
        }
        gate.clone()
    }

    /// A place for a request of `tenant`, waiting up to the tenant's queue time.
    pub async fn admit(&self, tenant: &str, limits: &PluginLimits) -> Result<Admitted, Refused> {
        let gate = self.gate(tenant, limits.max_concurrent_calls);
        // A place is freed at the latest when a call's deadline passes.
        let retry_after_secs = limits.deadline_ms.div_ceil(1000).max(1);
        if let Ok(permit) = gate.semaphore.clone().try_acquire_owned() {
            return Ok(Admitted { _permit: permit });
        }
        let waiting = gate.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        let _waiting = Waiting(&gate.waiting);
        if waiting > limits.max_queued_calls {
            crate::telemetry::limit_hit(tenant, "queue_full", 1);
            return Err(Refused::QueueFull {
                tenant: tenant.to_string(),
                places: gate.places,
                waiting: waiting - 1,
                retry_after_secs,
            });
        }
        let started = Instant::now();
        let wait = Duration::from_millis(limits.queue_wait_ms);
        match tokio::time::timeout(wait, gate.semaphore.clone().acquire_owned()).await {
            Ok(Ok(permit)) => {
                crate::telemetry::queue_wait(tenant, started.elapsed().as_secs_f64());
                Ok(Admitted { _permit: permit })
            }
            _ => {
                crate::telemetry::limit_hit(tenant, "queue_wait", 1);
                Err(Refused::TimedOut {
                    tenant: tenant.to_string(),
                    places: gate.places,
                    waited_ms: limits.queue_wait_ms,
                    retry_after_secs,
                })
            }
        }
    }

    /// A place if one is free now (for work that may be skipped, like a shadow run).
    pub fn try_admit(&self, tenant: &str, limits: &PluginLimits) -> Option<Admitted> {
        let gate = self.gate(tenant, limits.max_concurrent_calls);
        gate.semaphore.clone().try_acquire_owned().ok().map(|permit| Admitted { _permit: permit })
    }
}

impl Gate {
    fn new(places: u32) -> Gate {
        Gate { places, semaphore: Arc::new(Semaphore::new(places.max(1) as usize)), waiting: AtomicU32::new(0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(places: u32, queued: u32, wait_ms: u64) -> PluginLimits {
        PluginLimits {
            max_concurrent_calls: places,
            max_queued_calls: queued,
            queue_wait_ms: wait_ms,
            ..PluginLimits::default()
        }
    }

    #[tokio::test]
    async fn a_tenant_waits_for_its_places_then_is_refused_and_others_are_not_held_up() {
        let admission = Admission::default();
        let limits = limits(1, 1, 50);
        let first = admission.admit("a", &limits).await.unwrap();
        let timed_out = admission.admit("a", &limits).await.unwrap_err();
        assert!(matches!(timed_out, Refused::TimedOut { waited_ms: 50, .. }), "{timed_out}");
        assert_eq!(timed_out.retry_after_secs(), 5);
        let other = admission.admit("b", &limits).await;
        assert!(other.is_ok(), "another tenant has its own places");

        let waiter = {
            let limits = PluginLimits { queue_wait_ms: 5_000, ..limits };
            let admission = &admission;
            async move { admission.admit("a", &limits).await }
        };
        let crowded = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let refused = admission.admit("a", &limits).await.unwrap_err();
            assert!(matches!(refused, Refused::QueueFull { waiting: 1, .. }), "{refused}");
            drop(first);
        };
        let (waited, ()) = tokio::join!(waiter, crowded);
        assert!(waited.is_ok(), "the queued request got the freed place");
        assert!(admission.try_admit("a", &limits).is_none(), "the place is taken again");
    }
}
