//! The WASI 0.2 a plugin call gets: deny by default. The standard interfaces that language
//! runtimes import at start-up are linked from `wasmtime-wasi` (sync) with an empty
//! environment and arguments, no preopened directories, an empty stdin, no sockets (TCP, UDP
//! and name lookup disallowed, every address refused), stdout and stderr captured into the
//! plugin's log and capped in bytes per call, random bytes from a fixed seed, and a monotonic
//! clock of our own whose waits end at the call's deadline. Imports of any other interface
//! (`wasi:http`, …) are traps. `docs/WASI.md` says what each interface gives.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_wasi::SeedableRng;
use rand_wasi::rngs::StdRng;
use tokio::io::AsyncWrite;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, HasData, Linker, Resource, ResourceTable, ResourceType, Val};
use wasmtime::{Engine, StoreContextMut};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynPollable, OutputStream, Pollable, StreamResult, subscribe};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::host::CallState;
use super::logs::{CallLog, TenantLogBudgets};

/// Bytes of stdout and stderr together kept from one call; the rest is counted and dropped.
pub const STDIO_BYTES_PER_CALL: usize = 16 * 1024;

/// The seed of both random generators (`wasi:random/random` and `wasi:random/insecure`), the
/// same for every call, and the answer of `wasi:random/insecure-seed`.
pub const RANDOM_SEED: u64 = 0;

/// Largest `get-random-bytes` / `get-insecure-random-bytes` request; a larger one traps.
pub const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// The interfaces [`link`] serves (every WASI 0.2 interface of `wasmtime-wasi` but
/// `wasi:http`), by name without version: a component may import any `0.2.x` of them.
const GRANTED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Whether `import` (`wasi:cli/stdout@0.2.6`, say) is an interface [`link`] serves.
fn granted(import: &str) -> bool {
    import.split_once('@').is_some_and(|(name, version)| version.starts_with("0.2.") && GRANTED.contains(&name))
}

/// Defines each import of `component` that neither [`link`] nor the worlds (`cxhost:`)
/// serve — `wasi:http`, say — as functions that trap when called, so that such a component
/// loads and fails only if it uses them. Wasmtime's own `define_unknown_imports_as_traps`
/// would also shadow a granted interface imported at another 0.2 version than
/// `wasmtime-wasi` defines (`wasi:cli/environment@0.2.6` beside `@0.2.12`) with traps; here
/// those are left to the linker's semver matching.
pub fn define_the_rest_as_traps(
    linker: &mut Linker<CallState>,
    engine: &Engine,
    component: &Component,
) -> wasmtime::Result<()> {
    // Resources imported so far: an interface that uses one of another import's
    // (`wasi:http/types` takes `input-stream` from `wasi:io/streams`) must leave it to that import.
    let mut imported = Vec::new();
    for (name, import) in component.component_type().imports(engine) {
        if granted(name) || name.starts_with("cxhost:") {
            if let ComponentItem::ComponentInstance(instance) = import.ty {
                imported.extend(instance.exports(engine).filter_map(|(_, export)| match export.ty {
                    ComponentItem::Resource(ty) => Some(ty),
                    _ => None,
                }));
            }
            continue;
        }
        match import.ty {
            ComponentItem::ComponentInstance(instance) => {
                let mut stubs = linker.instance(name)?;
                for (item, export) in instance.exports(engine) {
                    match export.ty {
                        ComponentItem::ComponentFunc(_) => stubs.func_new(item, refusal(format!("{name}#{item}")))?,
                        ComponentItem::Resource(ty) if imported.contains(&ty) => {}
                        ComponentItem::Resource(ty) => {
                            imported.push(ty);
                            stubs.resource(item, ResourceType::host::<()>(), |_, _| Ok(()))?
                        }
                        _ => {}
                    }
                }
            }
            ComponentItem::ComponentFunc(_) => linker.root().func_new(name, refusal(name.to_string()))?,
            _ => {}
        }
    }
    Ok(())
}

/// A host function that traps, saying the plugin called `import`, which it is not granted.
fn refusal(
    import: String,
) -> impl Fn(StoreContextMut<'_, CallState>, ComponentFunc, &[Val], &mut [Val]) -> wasmtime::Result<()> + Send + Sync + 'static
{
    move |_, _, _, _| Err(wasmtime::Error::msg(format!("`{import}` is not granted to plugins")))
}

/// Links the WASI interfaces plugins get into `linker`. Call with shadowing allowed: the
/// monotonic clock of `wasmtime-wasi` is replaced by [`DeadlineClock`].
pub fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    monotonic_clock::add_to_linker::<CallState, DeadlineClockData>(linker, |state| DeadlineClock {
        table: &mut state.wasi.table,
        started: state.wasi.started,
        deadline: state.deadline,
        cut: &state.wasi.cut_at_deadline,
    })
}

/// One call's WASI state: the context, its resources, the captured output and whether a
/// wait was cut at the deadline.
pub struct CallWasi {
    ctx: WasiCtx,
    table: ResourceTable,
    stdio: Arc<Mutex<Captured>>,
    /// Where the call's monotonic clock starts (it reads 0 here).
    started: Instant,
    cut_at_deadline: Arc<AtomicBool>,
}

impl CallWasi {
    /// The deny-by-default context of one call: nothing but a fresh capture buffer, seeded
    /// generators and boxed defaults (no system calls).
    pub fn new() -> CallWasi {
        let stdio = Arc::new(Mutex::new(Captured::default()));
        let mut builder = WasiCtxBuilder::new();
        builder
            .stdout(Capture { shared: stdio.clone(), stream: Stream::Stdout })
            .stderr(Capture { shared: stdio.clone(), stream: Stream::Stderr })
            .secure_random(StdRng::seed_from_u64(RANDOM_SEED))
            .insecure_random(StdRng::seed_from_u64(RANDOM_SEED))
            .insecure_random_seed(u128::from(RANDOM_SEED))
            .max_random_size(MAX_RANDOM_BYTES)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        CallWasi {
            ctx: builder.build(),
            table: ResourceTable::new(),
            stdio,
            started: Instant::now(),
            cut_at_deadline: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether a clock wait of the guest was cut short by the call's deadline: the call ran
    /// out of time even if the guest went on to return.
    pub fn waited_past_deadline(&self) -> bool {
        self.cut_at_deadline.load(Ordering::SeqCst)
    }

    /// Writes what the call printed to the plugin's log, one line per line (stdout at INFO,
    /// stderr at WARN, under the call's line budgets), and says once how many bytes were cut.
    pub fn flush_stdio(&self, log: &mut CallLog, budgets: &TenantLogBudgets, who: (&str, &str, &str)) {
        let captured = std::mem::take(&mut *self.stdio.lock().unwrap_or_else(|e| e.into_inner()));
        for (stream, bytes) in [(Stream::Stdout, &captured.stdout), (Stream::Stderr, &captured.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            for line in text.split_terminator('\n') {
                log.write_stdio(budgets, who, stream.name(), line.strip_suffix('\r').unwrap_or(line));
            }
        }
        if captured.cut > 0 {
            let (tenant, plugin, version) = who;
            tracing::warn!(
                target: "cxhost::plugin",
                tenant = %tenant,
                plugin = %plugin,
                version = %version,
                cut_bytes = captured.cut,
                "plugin stdout and stderr cut: {} bytes past the cap of {} bytes per call",
                captured.cut,
                STDIO_BYTES_PER_CALL
            );
            crate::telemetry::limit_hit(tenant, "stdio_bytes", 1);
        }
    }
}

impl Default for CallWasi {
    fn default() -> Self {
        CallWasi::new()
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi.ctx, table: &mut self.wasi.table }
    }
}

/// What a call wrote to stdout and stderr, up to [`STDIO_BYTES_PER_CALL`] together.
#[derive(Default)]
struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Bytes written past the cap and dropped.
    cut: u64,
}

impl Captured {
    /// Keeps what fits of `bytes` and counts the rest; every write succeeds.
    fn keep(&mut self, stream: Stream, bytes: &[u8]) {
        let room = STDIO_BYTES_PER_CALL.saturating_sub(self.stdout.len() + self.stderr.len());
        let kept = bytes.len().min(room);
        let buffer = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        buffer.extend_from_slice(&bytes[..kept]);
        self.cut += (bytes.len() - kept) as u64;
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// The guest's stdout or stderr: always ready, never blocks, keeps what fits in the call's
/// capture buffer.
#[derive(Clone)]
struct Capture {
    shared: Arc<Mutex<Captured>>,
    stream: Stream,
}

impl Capture {
    fn keep(&self, bytes: &[u8]) {
        self.shared.lock().unwrap_or_else(|e| e.into_inner()).keep(self.stream, bytes);
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    async fn ready(&mut self) {}
}

impl OutputStream for Capture {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl AsyncWrite for Capture {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// `wasi:clocks/monotonic-clock` for one call: nanoseconds since the call began, and
/// subscriptions that are ready at the time asked or at the call's deadline, whichever comes
/// first. The epoch does not interrupt a guest blocked in the host, so no wait may outlast
/// the deadline; a wait cut there marks the call as timed out.
struct DeadlineClock<'a> {
    table: &'a mut ResourceTable,
    started: Instant,
    deadline: Instant,
    cut: &'a Arc<AtomicBool>,
}

struct DeadlineClockData;

impl HasData for DeadlineClockData {
    type Data<'a> = DeadlineClock<'a>;
}

impl DeadlineClock<'_> {
    fn subscribe_until(&mut self, when: Option<Instant>) -> wasmtime::Result<Resource<DynPollable>> {
        let (until, cut) = match when {
            Some(when) if when <= self.deadline => (when, None),
            _ => (self.deadline, Some(self.cut.clone())),
        };
        let sleep = self.table.push(DeadlineSleep { until: tokio::time::Instant::from_std(until), cut })?;
        subscribe(self.table, sleep)
    }
}

impl monotonic_clock::Host for DeadlineClock<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(1)
    }

    fn subscribe_instant(&mut self, when: monotonic_clock::Instant) -> wasmtime::Result<Resource<DynPollable>> {
        let when = self.started.checked_add(Duration::from_nanos(when));
        self.subscribe_until(when)
    }

    fn subscribe_duration(&mut self, duration: monotonic_clock::Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let when = Instant::now().checked_add(Duration::from_nanos(duration));
        self.subscribe_until(when)
    }
}

/// A clock subscription: ready at `until`; when `until` is the call's deadline rather than
/// the time asked, becoming ready marks the call as timed out.
struct DeadlineSleep {
    until: tokio::time::Instant,
    cut: Option<Arc<AtomicBool>>,
}

#[wasmtime_wasi::async_trait]
impl Pollable for DeadlineSleep {
    async fn ready(&mut self) {
        tokio::time::sleep_until(self.until).await;
        if let Some(cut) = &self.cut {
            cut.store(true, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_0_2_version_of_a_granted_interface_is_granted_and_nothing_else() {
        assert!(granted("wasi:cli/environment@0.2.6") && granted("wasi:clocks/monotonic-clock@0.2.12"));
        assert!(!granted("wasi:http/outgoing-handler@0.2.6"), "no HTTP");
        assert!(!granted("wasi:cli/environment@0.3.0"), "not WASI 0.3");
        assert!(!granted("wasi:cli/environment"), "an unversioned name is not WASI 0.2");
    }

    #[test]
    fn output_past_the_cap_is_counted_and_dropped() {
        let mut captured = Captured::default();
        captured.keep(Stream::Stdout, &vec![b'a'; STDIO_BYTES_PER_CALL - 10]);
        captured.keep(Stream::Stderr, &[b'b'; 25]);
        captured.keep(Stream::Stdout, b"more");
        assert_eq!(captured.stdout.len(), STDIO_BYTES_PER_CALL - 10);
        assert_eq!(captured.stderr, vec![b'b'; 10]);
        assert_eq!(captured.cut, 15 + 4);
    }
}
