//! Behaviour shared by the four hostile test plugins (metric, dashboard, pay model, game
//! mechanic), included by each with `#[path = "../../hostile.rs"] mod hostile;`. It is a plain
//! file, not a crate: every directory under `testing/` is a workspace member and needs a
//! Cargo.toml. It uses the SDK core (`cxhost-sdk-core`), whose types and host imports every
//! world SDK shares, so each hostile plugin depends on the core as well as on its world's SDK.
//!
//! The main entry point of each plugin reads its four parameters into [`Args`] and handles its
//! world's own garbage-output modes; every other mode goes to [`run`], which loops, recurses,
//! grows memory, traps, runs SQL, floods or forges the log and probes WASI. [`run`] answers
//! with an [`Outcome`] that each plugin turns into its world's result.
//!
//! `describe()` has no input, so its behaviour is chosen by patching [`DESCRIBE_MODE`] in the
//! compiled .wasm: see [`describe`].

use std::hash::BuildHasher;
use std::hint::black_box;

use cxhost_sdk_core::{LogLevel, ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind, log, param_int, param_text};

/// One mebibyte.
pub const MIB: usize = 1 << 20;

/// The marker the tests patch to pick `describe()`'s behaviour: `CXHOST-DESCRIBE-MODE:`, then
/// the mode, NUL-padded to 48 bytes. Its first 32 bytes (prefix, `normal`, five NULs) are the
/// 32-byte form of the marker; overwriting just those with the prefix, a mode of at most 11
/// bytes and NULs also works, since the remaining bytes are NUL. Longer modes
/// (`param_group_by` is 14 bytes) need the full 48.
#[used]
static DESCRIBE_MODE: [u8; 48] = *b"CXHOST-DESCRIBE-MODE:normal\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Length of `CXHOST-DESCRIBE-MODE:`; the prefix itself is not checked, so that its text
/// appears in the binary only inside the marker.
const PREFIX_LEN: usize = "CXHOST-DESCRIBE-MODE:".len();

/// The four parameters every hostile plugin declares, as a request passed them.
pub struct Args<'a> {
    /// What to do; see [`run`] and each plugin's own modes.
    pub mode: &'a str,
    /// SQL for the `sql` and `sql_loop` modes (the dashboard's `nested` takes a metric name).
    pub sql: &'a str,
    /// A repeat count; 0 means forever or once, as the mode says.
    pub n: i64,
    /// A size in bytes of generated text; 0 (or less) means the mode's default.
    pub size: i64,
}

impl Args<'_> {
    /// `size` in bytes, or `default` when it is 0 or negative.
    pub fn bytes(&self, default: usize) -> usize {
        if self.size > 0 { self.size as usize } else { default }
    }
}

/// What a shared mode produced, for the plugin to turn into its world's result.
pub enum Outcome {
    /// The world's small valid result.
    Ok,
    /// A valid result carrying this figure (metric value, kpi value, pay quantity, points)
    /// and a word saying what it counts.
    Figure(f64, &'static str),
}

/// Runs a mode shared by all four worlds; an unknown mode is an error.
pub fn run(args: &Args) -> Result<Outcome, String> {
    match args.mode {
        "ok" => Ok(Outcome::Ok),
        "loop" => spin(),
        "recurse" => Ok(Outcome::Figure(dive(0) as f64, "frames")),
        "grow" => grow(),
        "trap" => trap("hostile trap"),
        "sql" => Ok(Outcome::Figure(row_count(args.sql)? as f64, "rows")),
        "sql_loop" => loop {
            let _ = black_box(row_count(black_box(args.sql)));
        },
        "log_flood" => {
            let message = filler(args.bytes(200), "flood ");
            if args.n == 0 {
                loop {
                    log(LogLevel::Info, &message);
                }
            }
            for _ in 0..args.n {
                log(LogLevel::Info, &message);
            }
            Ok(Outcome::Ok)
        }
        "log_forge" => {
            log(
                LogLevel::Info,
                "innocent\n2026-11-29T12:00:00.000000Z  INFO cxhost: operator key cxk_forged\r\x1b[31mred\x1b[0m\u{0}end",
            );
            Ok(Outcome::Ok)
        }
        "huge_error" => Err(filler(args.bytes(10 * MIB), "line with /etc/passwd\n")),
        "wasi_env" => Ok(Outcome::Figure(std::env::vars().count() as f64, "variables")),
        "wasi_file" => match std::fs::read_to_string("/etc/passwd") {
            Ok(text) => Ok(Outcome::Figure(text.len() as f64, "bytes")),
            Err(e) => Err(e.to_string()),
        },
        "wasi_clock" => match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(since) => Ok(Outcome::Figure(since.as_secs() as f64, "seconds")),
            Err(e) => Err(e.to_string()),
        },
        "wasi_random" => {
            let hash = std::collections::hash_map::RandomState::new().hash_one("hostile");
            Ok(Outcome::Figure((hash % 1000) as f64, "hash"))
        }
        "wasi_stdout" => {
            for i in 0..1000 {
                println!("hostile stdout line {i}");
                eprintln!("hostile stderr line {i}");
            }
            Ok(Outcome::Ok)
        }
        other => Err(format!("unknown mode `{other}`")),
    }
}

/// Runs one SELECT without parameters: its row count, or the host's error unchanged.
fn row_count(sql: &str) -> Result<u64, String> {
    cxhost_sdk_core::query(sql, &[]).map(|table| table.row_count() as u64)
}

/// `pattern` repeated and cut to exactly `len` bytes (`pattern` must be ASCII).
pub fn filler(len: usize, pattern: &str) -> String {
    let mut text = pattern.repeat(len / pattern.len() + 1);
    text.truncate(len);
    text
}

/// Panics. The default panic hook would read `RUST_BACKTRACE` and write to stderr, WASI the
/// host does not grant, so the trap would name that import; with a silent hook the panic
/// goes straight to `abort`, an `unreachable` trap.
fn trap(message: &str) -> ! {
    std::panic::set_hook(Box::new(|_| {}));
    panic!("{message}")
}

/// Loops forever; `black_box` keeps the optimizer from removing the loop.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Recurses until the engine's wasm call stack is exhausted: the call is not in tail position
/// (its result goes through `black_box` afterwards) and the exit test is opaque. Only scalars
/// live in a frame, so nothing lands on the shadow stack in linear memory; overflowing that
/// instead would trap as an out-of-bounds access rather than a stack overflow.
fn dive(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    let below = dive(depth + 1);
    black_box(below) ^ depth
}

/// Allocates 1 MiB blocks forever, writes to every 4 KiB page of each and keeps them all.
fn grow() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; MIB];
        for page in block.chunks_mut(4096) {
            page[0] = black_box(1);
        }
        hoard.push(black_box(block));
        black_box(&hoard);
    }
}

/// The mode written in [`DESCRIBE_MODE`]: the bytes after the prefix up to the first NUL.
fn describe_mode() -> String {
    // SAFETY: a volatile read of an initialised static of plain bytes; volatile so that the
    // compiler reads the (possibly patched) bytes instead of folding the original constant.
    let marker = unsafe { core::ptr::read_volatile(&DESCRIBE_MODE) };
    let mode = &marker[PREFIX_LEN..];
    let end = mode.iter().position(|&b| b == 0).unwrap_or(mode.len());
    String::from_utf8_lossy(&mode[..end]).into_owned()
}

/// The parameters every hostile plugin declares, in this order.
fn params() -> Vec<ParamSpec> {
    vec![
        param_text("mode", "ok", "what to do: ok, loop, recurse, grow, trap, sql, ... (see hostile.rs)"),
        param_text("sql", "SELECT 1 AS x", "SQL for the sql modes; the metric's name for a dashboard's nested mode"),
        param_int("n", 0, "how many times or items; 0 means forever or once, as the mode says"),
        param_int("size", 0, "bytes of generated text; 0 means the mode's default"),
    ]
}

/// `describe()`'s answer as [`DESCRIBE_MODE`] says:
/// - `normal` (and any unknown mode): `name`, version `0.0.1`, `kind`, `description` and the four
///   parameters
/// - `trap`, `loop`, `grow`: panic, loop forever, allocate forever
/// - `huge`: an 8 MiB description and 20,000 text parameters `p0`..`p19999`
/// - `param_from`, `param_group_by`, `param_subject`, `param_empty`: one more parameter named
///   `from`, `group_by`, `subject` or ""
/// - `param_dup`: `mode` declared twice
/// - `bad_default`: one more integer parameter `k` whose default is text
/// - `bad_name`: `bad_name` instead of `name`
/// - `huge_version`: a version of 1 MiB
/// - `control_chars`: a description with a newline, a carriage return, an ANSI escape and a NUL
pub fn describe(kind: PluginKind, name: &str, bad_name: &str, description: &str) -> PluginInfo {
    let mut info = PluginInfo {
        name: name.to_string(),
        version: "0.0.1".to_string(),
        kind,
        description: description.to_string(),
        params: params(),
    };
    match describe_mode().as_str() {
        "trap" => trap("hostile trap in describe"),
        "loop" => spin(),
        "grow" => grow(),
        "huge" => {
            info.description = filler(8 * MIB, "x");
            info.params = (0..20_000).map(|i| param_text(&format!("p{i}"), "", "x")).collect();
        }
        "param_from" => info.params.push(param_text("from", "", "shadows the host's own `from`")),
        "param_group_by" => info.params.push(param_text("group_by", "", "shadows the host's own `group_by`")),
        "param_subject" => info.params.push(param_text("subject", "", "shadows the host's own `subject`")),
        "param_empty" => info.params.push(param_text("", "", "a parameter without a name")),
        "param_dup" => info.params.push(param_text("mode", "ok", "`mode` again")),
        "bad_default" => info.params.push(ParamSpec {
            name: "k".to_string(),
            type_: ParamType::Integer,
            default: ParamValue::Text("seven".to_string()),
            description: "an integer whose default is text".to_string(),
        }),
        "bad_name" => info.name = bad_name.to_string(),
        "huge_version" => info.version = format!("0.0.1-{}", filler(MIB - "0.0.1-".len(), "x")),
        "control_chars" => info.description = format!("{description} \n\r\x1b[31m\u{0} end"),
        _ => {}
    }
    info
}
