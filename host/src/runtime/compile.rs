//! Compiling uploaded components. A component can be built to make the compiler run for
//! minutes or take gigabytes (a compile bomb), so the server compiles in a child process of its
//! own executable (`cxhost compile-plugin`) under a wall-clock deadline and a memory limit,
//! and only loads what the child wrote. Tools and tests that trust their components compile
//! in-process.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::{LoadError, engine_config};

/// Compiles `bytes` with `engine` and writes the serialized code to `out`.
pub fn compile_to_file(engine: &Engine, bytes: &[u8], out: &Path) -> Result<(), LoadError> {
    let component = Component::new(engine, bytes).map_err(|e| LoadError::NotAComponent(format!("{e:#}")))?;
    let serialized = component.serialize().map_err(LoadError::Engine)?;
    std::fs::write(out, serialized).map_err(LoadError::Cache)
}

/// What the child writes on standard error when the bytes are not a valid component, so the
/// parent can tell a refusal from a failure.
const REFUSED_PREFIX: &str = "refused: ";

/// The child's side: compile `input` into `output` with the server's engine configuration.
/// Exits non-zero with [`REFUSED_PREFIX`] and the reason when the bytes are not a component.
pub fn child_main(input: &Path, output: &Path) -> i32 {
    let result = std::fs::read(input).map_err(LoadError::Cache).and_then(|bytes| {
        let engine = Engine::new(&engine_config()).map_err(LoadError::Engine)?;
        compile_to_file(&engine, &bytes, output)
    });
    match result {
        Ok(()) => 0,
        Err(LoadError::NotAComponent(reason)) => {
            eprintln!("{REFUSED_PREFIX}{reason}");
            2
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// Compiles `bytes` in a child process running `exe compile-plugin`, which may use at most
/// `memory_bytes` of data memory and `timeout` of wall-clock time; writes the code to `out`.
pub fn compile_in_child(
    exe: &Path,
    timeout: Duration,
    memory_bytes: u64,
    bytes: &[u8],
    out: &Path,
) -> Result<(), LoadError> {
    let input = out.with_extension("input");
    std::fs::write(&input, bytes).map_err(LoadError::Cache)?;
    let result = run_child(exe, timeout, memory_bytes, &input, out);
    let _ = std::fs::remove_file(&input);
    result
}

fn run_child(exe: &Path, timeout: Duration, memory_bytes: u64, input: &Path, out: &Path) -> Result<(), LoadError> {
    let mut command = Command::new(exe);
    command
        .arg("compile-plugin")
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .env("RAYON_NUM_THREADS", (crate::config::cores() / 2).max(1).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    limit_child_memory(&mut command, memory_bytes);
    let mut child = command.spawn().map_err(LoadError::Cache)?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(LoadError::Cache)? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LoadError::CompileStopped(format!(
                "it took longer than {} s; a component this hard to compile is refused",
                timeout.as_secs_f64()
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.by_ref().take(64 << 10).read_to_string(&mut stderr);
    }
    let stderr = stderr.trim();
    if status.success() {
        return Ok(());
    }
    if let Some(reason) = stderr.strip_prefix(REFUSED_PREFIX) {
        return Err(LoadError::NotAComponent(reason.to_string()));
    }
    let out_of_memory =
        stderr.contains("memory allocation") || stderr.contains("out of memory") || killed_by_signal(&status);
    if out_of_memory {
        return Err(LoadError::CompileStopped(format!(
            "it needed more than {} MiB of memory; a component this hard to compile is refused",
            memory_bytes >> 20
        )));
    }
    Err(LoadError::Compiler(format!("{status}: {stderr}")))
}

#[cfg(unix)]
fn killed_by_signal(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal().is_some()
}

#[cfg(not(unix))]
fn killed_by_signal(_status: &std::process::ExitStatus) -> bool {
    false
}

/// Caps the child's writable data memory (`RLIMIT_DATA`): the engine's reserved but
/// inaccessible address space does not count, the compiler's heap does.
#[cfg(unix)]
fn limit_child_memory(command: &mut Command, memory_bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit { rlim_cur: memory_bytes as libc::rlim_t, rlim_max: memory_bytes as libc::rlim_t };
    // SAFETY: between fork and exec only `setrlimit`, which is async-signal-safe, runs.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_child_memory(_command: &mut Command, _memory_bytes: u64) {}
