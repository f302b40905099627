//! Query deadlines: a plugin's SQL is interrupted in DuckDB when its call's deadline passes.
//! Armed queries are checked on every tick of the engine's epoch thread, so a deadline holds
//! within one tick and needs no async runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use duckdb::InterruptHandle;

struct Armed {
    deadline: Instant,
    handle: Arc<InterruptHandle>,
    fired: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct QueryWatchdog {
    armed: Mutex<HashMap<u64, Armed>>,
    next_id: AtomicU64,
}

/// One armed query; dropping it disarms. [`Armed::fired`] says whether the interrupt was
/// sent, in which case the connection must not be reused.
pub struct ArmedQuery<'a> {
    watchdog: &'a QueryWatchdog,
    id: u64,
    fired: Arc<AtomicBool>,
}

impl ArmedQuery<'_> {
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for ArmedQuery<'_> {
    fn drop(&mut self) {
        self.watchdog.armed.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

impl QueryWatchdog {
    /// Interrupts the query on `handle`'s connection at `deadline` unless disarmed first.
    pub fn arm(&self, deadline: Instant, handle: Arc<InterruptHandle>) -> ArmedQuery<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let fired = Arc::new(AtomicBool::new(false));
        self.armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Armed { deadline, handle, fired: fired.clone() });
        ArmedQuery { watchdog: self, id, fired }
    }

    /// Interrupts every armed query whose deadline has passed.
    pub fn tick(&self) {
        let now = Instant::now();
        let mut armed = self.armed.lock().unwrap_or_else(|e| e.into_inner());
        armed.retain(|_, query| {
            if query.deadline > now {
                return true;
            }
            query.fired.store(true, Ordering::SeqCst);
            query.handle.interrupt();
            false
        });
    }
}
