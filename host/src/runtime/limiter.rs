//! Per-call resource limits: a memory cap that traps with a clear message when a plugin
//! tries to grow past it.

use wasmtime::ResourceLimiter;

/// Marker error carried by the trap when the memory cap is hit.
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {cap} bytes reached (tried to grow to {desired} bytes)")]
pub struct MemoryCapExceeded {
    pub cap: u64,
    pub desired: u64,
}

pub struct CallLimiter {
    pub memory_cap: u64,
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // `cxhost plugin run` reports an instance's peak memory from this event: linear memory
        // never shrinks, so the last size a call grew to is its peak (crate::local::trace).
        tracing::debug!(desired_bytes = desired as u64, "plugin memory grows");
        if desired as u64 > self.memory_cap {
            return Err(MemoryCapExceeded { cap: self.memory_cap, desired: desired as u64 }.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
