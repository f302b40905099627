//! Compiled components cached on disk by content hash and engine, so a restart does not
//! recompile.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::Engine;
use wasmtime::component::Component;

pub struct CompiledCache {
    dir: PathBuf,
    engine_tag: String,
    /// Components compiled (not found in the cache) since this cache was opened.
    compiled: AtomicU64,
}

impl CompiledCache {
    pub fn new(engine: &Engine, dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(CompiledCache { dir, engine_tag: format!("{:016x}", hasher.finish()), compiled: AtomicU64::new(0) })
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}-{}.cwasm", self.engine_tag))
    }

    /// Whether a compiled artifact for this content hash and engine exists.
    pub fn contains(&self, hash: &str) -> bool {
        self.path(hash).exists()
    }

    /// How many components were compiled rather than loaded from the cache.
    pub fn compilations(&self) -> u64 {
        self.compiled.load(Ordering::Relaxed)
    }

    /// The cached component, or `compile()`'s, which is then written to the cache.
    pub fn get_or_compile(&self, engine: &Engine, hash: &str, bytes: &[u8]) -> wasmtime::Result<(Component, bool)> {
        let path = self.path(hash);
        if path.exists() {
            // SAFETY: the cache directory is written only by `get_or_compile` with the output of
            // this engine's `serialize`, and the file name carries the engine's compatibility hash.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok((component, true));
            }
        }
        let component = Component::new(engine, bytes)?;
        self.compiled.fetch_add(1, Ordering::Relaxed);
        let serialized = component.serialize()?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &serialized).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
        Ok((component, false))
    }
}
