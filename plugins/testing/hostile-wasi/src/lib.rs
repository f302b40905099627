//! Test plugin: a metric that probes the WASI the host gives plugins, through Rust's standard
//! library, as its `mode` parameter says. Each probe answers rows of figures (group → value)
//! or the standard library's error text, so that the tests see exactly what the guest saw:
//!
//! - `env`: rows `vars` and `args`, how many environment variables and arguments there are
//! - `file`: reads `/etc/passwd`; `dir`: lists `/` (the preopened directories)
//! - `tcp`: connects to 127.0.0.1:`n` (default 5432); `udp`: binds a UDP socket;
//!   `dns`: resolves `example.com`
//! - `sleep`: sleeps `n` ms (default 10,000) and answers `slept` in ms
//! - `print`: writes `n` lines to stdout (`out i`) and to stderr (`err i`)
//! - `flood`: writes `size` bytes (default 128 MiB) to stdout and as many to stderr
//! - `random`: rows `first` and `second`, two hashes of `std`'s randomly keyed hasher
//!   (its keys come from `wasi:random`)
//! - `hashmap`: counts words with a `std::collections::HashMap::new()`
//! - `clock`: reads the monotonic and the wall clock `n` times in a tight loop (0: forever) and
//!   answers `wall_seconds` and `monotonic_ms`, or an error if the monotonic clock went back

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cxhost_plugin_sdk::prelude::*;

struct HostileWasi;

impl metric::Guest for HostileWasi {
    fn describe() -> PluginInfo {
        info(
            "hostile_wasi",
            "0.0.1",
            "Probes the WASI the host grants, as its `mode` parameter says; used by the hostile-plugin tests.",
            vec![
                param_text("mode", "env", "env, file, dir, tcp, udp, dns, sleep, print, flood, random, hashmap, clock"),
                param_int("n", 0, "a count, a port or milliseconds, as the mode says; 0 means the mode's default"),
                param_int("size", 0, "bytes to write in the flood mode; 0 means 128 MiB"),
            ],
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let n = req.params.int("n")?;
        let rows = match req.params.text("mode")? {
            "env" => vec![("vars", std::env::vars_os().count() as f64), ("args", std::env::args_os().count() as f64)],
            "file" => {
                let text = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("open /etc/passwd: {e}"))?;
                vec![("bytes", text.len() as f64)]
            }
            "dir" => {
                let entries = std::fs::read_dir("/").map_err(|e| format!("list /: {e}"))?;
                vec![("entries", entries.count() as f64)]
            }
            "tcp" => {
                let port = if n > 0 { n } else { 5432 };
                std::net::TcpStream::connect(("127.0.0.1", port as u16))
                    .map_err(|e| format!("connect 127.0.0.1:{port}: {e}"))?;
                vec![("connected", 1.0)]
            }
            "udp" => {
                std::net::UdpSocket::bind("0.0.0.0:0").map_err(|e| format!("bind udp: {e}"))?;
                vec![("bound", 1.0)]
            }
            "dns" => {
                use std::net::ToSocketAddrs;
                let found = ("example.com", 80).to_socket_addrs().map_err(|e| format!("resolve example.com: {e}"))?;
                vec![("addresses", found.count() as f64)]
            }
            "sleep" => {
                let started = Instant::now();
                std::thread::sleep(Duration::from_millis(if n > 0 { n as u64 } else { 10_000 }));
                vec![("slept", started.elapsed().as_millis() as f64)]
            }
            "print" => {
                for i in 0..n {
                    println!("out {i}");
                    eprintln!("err {i}");
                }
                vec![("lines", n as f64)]
            }
            "flood" => {
                let size = req.params.int("size")?;
                let size = if size > 0 { size as usize } else { 128 << 20 };
                let chunk = "flood line of sixty-four bytes, written again and again .......\n".repeat(1024);
                let mut written = 0;
                while written < size {
                    let part = &chunk.as_bytes()[..chunk.len().min(size - written)];
                    std::io::stdout().write_all(part).map_err(|e| format!("stdout: {e}"))?;
                    std::io::stderr().write_all(part).map_err(|e| format!("stderr: {e}"))?;
                    written += part.len();
                }
                vec![("bytes", written as f64)]
            }
            "random" => {
                // Each `RandomState::new()` of a thread takes the keys read once from WASI
                // random and adds one to the first: two different hashes, the same every call
                // if the seed is.
                let first = std::collections::hash_map::RandomState::new().hash_one("cxhost");
                let second = std::collections::hash_map::RandomState::new().hash_one("cxhost");
                vec![("first", (first >> 12) as f64), ("second", (second >> 12) as f64)]
            }
            "hashmap" => {
                let mut counts: HashMap<&str, u32> = HashMap::new();
                for word in "to be or not to be".split(' ') {
                    *counts.entry(word).or_default() += 1;
                }
                vec![("to", f64::from(counts["to"])), ("distinct", counts.len() as f64)]
            }
            "clock" => {
                let started = Instant::now();
                let mut last = started;
                let mut wall = SystemTime::now();
                let mut i = 0;
                while n == 0 || i < n {
                    let now = std::hint::black_box(Instant::now());
                    if now < last {
                        return Err(format!("the monotonic clock went back after {i} reads"));
                    }
                    last = now;
                    wall = std::hint::black_box(SystemTime::now());
                    i += 1;
                }
                let seconds = wall.duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
                vec![
                    ("wall_seconds", seconds as f64),
                    ("monotonic_ms", last.duration_since(started).as_millis() as f64),
                ]
            }
            other => return Err(format!("unknown mode `{other}`")),
        };
        let rows = rows
            .into_iter()
            .map(|(group, value)| MetricRow {
                group: group.to_string(),
                value: Some(value),
                numerator: None,
                denominator: None,
            })
            .collect();
        Ok(MetricResult { unit: "count".to_string(), rows })
    }
}

export_metric_single!(HostileWasi);
