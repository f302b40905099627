//! Test plugin: a hostile enricher that attacks the sandbox as its `mode` parameter says.
//! Loops, stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; garbage
//! enrichments, failing batches and plain answers for plumbing tests are made here.
//!
//! Modes of `enrich` (the parameters are hostile.rs's four: `mode`, `sql`, `n`, `size`):
//! - `normal` (and `ok`): one enrichment per item, in order: sentiment 0.5, language `en`, no
//!   topics, no tags
//! - `partial`: `normal` for the items at even positions (0, 2, …) only; the rest stay pending
//! - `empty`: no enrichment at all
//! - `fail`: the error `enricher failed on purpose`
//! - `fail_on_text`: the error `enricher failed on purpose: item <id> contains FAIL` when some
//!   item's text contains `FAIL`, otherwise `normal` (so that a batch fails and its parts pass)
//! - garbage, on the first item's enrichment (the others `normal`): `huge` (a topic of `size`
//!   bytes, 8 MiB by default), `bad_sentiment` (7.0), `nan_sentiment` (NaN), `unknown_id` (the
//!   id `not-sent-by-the-host`), `unknown_topic` (`no_such_topic`), `duplicate_id` (the first
//!   item enriched twice), `bad_language` (`EN-us!`), `too_many_tags` (17 tags), `long_tag` (a
//!   tag of 41 bytes), `multiline_tag` (a tag on two lines)
//! - anything else goes to `hostile::run`: `loop`, `recurse`, `grow`, `trap`, `sql`,
//!   `sql_loop`, `log_flood`, `log_forge`, `huge_error` and the `wasi_*` probes; a mode that
//!   answers is `normal`, with its figure (rows, bytes …) as a tag of each enrichment.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_enricher_sdk::{
    EnrichRequest, Enrichment, ParamsExt, PluginInfo, PluginKind, enricher, export_enricher, tag,
};
use hostile::{MIB, Outcome, filler};

struct HostileEnricher;

/// The plain answer for one item.
fn normal(id: &str) -> Enrichment {
    Enrichment {
        id: id.to_string(),
        sentiment: Some(0.5),
        topics: Vec::new(),
        tags: Vec::new(),
        language: "en".to_string(),
    }
}

impl enricher::Guest for HostileEnricher {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::Enricher,
            "hostile_enricher",
            "Hostile Enricher!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin and enrichment tests.",
        )
    }

    fn enrich(req: EnrichRequest) -> Result<Vec<Enrichment>, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        let all = || req.items.iter().map(|item| normal(&item.id)).collect::<Vec<_>>();
        // `normal` for every item, with `edit` applied to the first one's enrichment.
        let first = |edit: &dyn Fn(&mut Enrichment)| {
            let mut out = all();
            if let Some(e) = out.first_mut() {
                edit(e);
            }
            out
        };
        Ok(match args.mode {
            "normal" => all(),
            "partial" => req.items.iter().step_by(2).map(|item| normal(&item.id)).collect(),
            "empty" => Vec::new(),
            "fail" => return Err("enricher failed on purpose".to_string()),
            "fail_on_text" => {
                if let Some(item) = req.items.iter().find(|item| item.text.contains("FAIL")) {
                    return Err(format!("enricher failed on purpose: item {} contains FAIL", item.id));
                }
                all()
            }
            "huge" => first(&|e| e.topics = vec![filler(args.bytes(8 * MIB), "topic ")]),
            "bad_sentiment" => first(&|e| e.sentiment = Some(7.0)),
            "nan_sentiment" => first(&|e| e.sentiment = Some(f64::NAN)),
            "unknown_id" => first(&|e| e.id = "not-sent-by-the-host".to_string()),
            "unknown_topic" => first(&|e| e.topics = vec!["no_such_topic".to_string()]),
            "duplicate_id" => {
                let mut out = all();
                if let Some(e) = out.first().cloned() {
                    out.push(e);
                }
                out
            }
            "bad_language" => first(&|e| e.language = "EN-us!".to_string()),
            "too_many_tags" => first(&|e| e.tags = (0..17).map(|i| format!("tag{i}")).collect()),
            "long_tag" => first(&|e| e.tags = vec![filler(41, "t")]),
            "multiline_tag" => first(&|e| e.tags = vec!["two\nlines".to_string()]),
            _ => match hostile::run(&args)? {
                Outcome::Ok => all(),
                Outcome::Figure(value, unit) => {
                    let mut out = all();
                    let figure = tag(&format!("{value} {unit}"));
                    for e in &mut out {
                        e.tags.extend(figure.clone());
                    }
                    out
                }
            },
        })
    }
}

export_enricher!(HostileEnricher);
