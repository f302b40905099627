//! Compiled components cached on disk by content hash and engine, so a restart does not
//! recompile; what is not cached is compiled by the configured [`Compiler`], a few at a time.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::LoadError;
use super::compile;
use crate::config::Compiler;

pub struct CompiledCache {
    dir: PathBuf,
    engine_tag: String,
    compiler: Compiler,
    /// Components compiled (not found in the cache) since this cache was opened.
    compiled: AtomicU64,
    /// Compilations running now, at most `max_compiling`.
    compiling: Mutex<usize>,
    compiled_one: Condvar,
    max_compiling: usize,
}

impl CompiledCache {
    pub fn new(engine: &Engine, dir: PathBuf, compiler: Compiler) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(CompiledCache {
            dir,
            engine_tag: format!("{:016x}", hasher.finish()),
            compiler,
            compiled: AtomicU64::new(0),
            compiling: Mutex::new(0),
            compiled_one: Condvar::new(),
            max_compiling: (crate::config::cores() as usize / 2).max(1),
        })
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

    /// The cached component, or the compiler's, which is then written to the cache.
    pub fn get_or_compile(&self, engine: &Engine, hash: &str, bytes: &[u8]) -> Result<Component, LoadError> {
        let path = self.path(hash);
        if let Some(component) = load(engine, &path) {
            return Ok(component);
        }
        let _slot = self.take_slot();
        if let Some(component) = load(engine, &path) {
            return Ok(component);
        }
        // Unique among every cache of every process that may share the directory.
        static TMP_FILES: AtomicU64 = AtomicU64::new(0);
        let unique = TMP_FILES.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{unique}", std::process::id()));
        let compiled = match &self.compiler {
            Compiler::InProcess => compile::compile_to_file(engine, bytes, &tmp),
            Compiler::Subprocess { exe, timeout, memory_bytes } => {
                compile::compile_in_child(exe, *timeout, *memory_bytes, bytes, &tmp)
            }
        };
        if let Err(e) = compiled {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.compiled.fetch_add(1, Ordering::Relaxed);
        std::fs::rename(&tmp, &path).map_err(LoadError::Cache)?;
        load(engine, &path).ok_or_else(|| {
            LoadError::Compiler(format!("its output at {} does not load in this engine", path.display()))
        })
    }

    /// Waits for one of the compilation slots; compiling is CPU- and memory-heavy.
    fn take_slot(&self) -> CompileSlot<'_> {
        let mut running = self.compiling.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= self.max_compiling {
            running = self.compiled_one.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        CompileSlot { cache: self }
    }
}

struct CompileSlot<'a> {
    cache: &'a CompiledCache,
}

impl Drop for CompileSlot<'_> {
    fn drop(&mut self) {
        *self.cache.compiling.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.cache.compiled_one.notify_one();
    }
}

fn load(engine: &Engine, path: &Path) -> Option<Component> {
    if !path.exists() {
        return None;
    }
    // SAFETY: the cache directory is written only by `get_or_compile`, with the output of
    // `Component::serialize` of an engine built from `engine_config()` (in this process or in
    // the compile child running this same executable), and the file name carries the engine's
    // compatibility hash.
    unsafe { Component::deserialize_file(engine, path) }.ok()
}
