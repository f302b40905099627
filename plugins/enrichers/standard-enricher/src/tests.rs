//! Tests of the whole enricher: the hand-checked fixtures of `fixtures/comments.json`, the
//! batch's shape, parameters, odd input, and (ignored by default) the cost per 1,000 comments.

use cxhost_enricher_sdk::{
    EnrichRequest, MAX_TAG_BYTES, MAX_TAGS, Param, ParamValue, PluginKind, TextItem, TextSource, Topic,
    is_language_code,
};
use serde_json::Value;

use super::{describe, enrich};

const FIXTURES: &str = include_str!("../fixtures/comments.json");

fn source(name: &str) -> TextSource {
    match name {
        "customer_comment" => TextSource::CustomerComment,
        "employee_comment" => TextSource::EmployeeComment,
        "interaction_notes" => TextSource::InteractionNotes,
        other => panic!("unknown source {other}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|s| s.as_str().expect("a string").to_string()).collect()
}

fn request(items: Vec<TextItem>, taxonomy: Vec<Topic>, params: Vec<Param>) -> EnrichRequest {
    EnrichRequest { items, taxonomy, params }
}

fn item(id: &str, text: &str) -> TextItem {
    TextItem { id: id.to_string(), source: TextSource::CustomerComment, text: text.to_string() }
}

fn fixture_request() -> (EnrichRequest, Vec<Value>) {
    let fixtures: Value = serde_json::from_str(FIXTURES).expect("comments.json parses");
    let taxonomy = fixtures["taxonomy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| Topic { name: t["name"].as_str().unwrap().to_string(), keywords: strings(&t["keywords"]) })
        .collect();
    let comments = fixtures["comments"].as_array().unwrap().clone();
    let items = comments
        .iter()
        .map(|c| TextItem {
            id: c["id"].as_str().unwrap().to_string(),
            source: source(c["source"].as_str().unwrap()),
            text: c["text"].as_str().unwrap().to_string(),
        })
        .collect();
    (request(items, taxonomy, vec![]), comments)
}

/// Every fixture: language, the sign of the sentiment (or none), its hand-worked value within
/// 1e-3 where given, topics and tags exactly. All mismatches are listed at once.
#[test]
fn hand_checked_fixtures() {
    let (req, comments) = fixture_request();
    let out = enrich(&req).expect("the fixtures enrich");
    assert_eq!(out.len(), comments.len());
    let mut wrong = Vec::new();
    for (e, c) in out.iter().zip(&comments) {
        let id = c["id"].as_str().unwrap();
        assert_eq!(e.id, id, "one enrichment per item, in order");
        let mut check = |what: &str, ok: bool, got: String| {
            if !ok {
                wrong.push(format!("{id} {:?}: {what} got {got}", c["text"].as_str().unwrap()));
            }
        };
        check("language", e.language == c["language"].as_str().unwrap(), e.language.clone());
        let sign = e.sentiment.map(|s| {
            if s > 0.0 {
                1
            } else if s < 0.0 {
                -1
            } else {
                0
            }
        });
        check("sentiment sign", sign == c["sentiment_sign"].as_i64(), format!("{:?}", e.sentiment));
        if let Some(expected) = c.get("sentiment").and_then(Value::as_f64) {
            let close = e.sentiment.is_some_and(|s| (s - expected).abs() < 1e-3);
            check("sentiment", close, format!("{:?} for {expected}", e.sentiment));
        }
        check("topics", e.topics == strings(&c["topics"]), format!("{:?}", e.topics));
        check("tags", e.tags == strings(&c["tags"]), format!("{:?}", e.tags));
    }
    assert!(wrong.is_empty(), "fixtures that do not hold:\n{}", wrong.join("\n"));
}

/// The fixtures the issue names are there, in both languages and mixed.
#[test]
fn fixture_coverage() {
    let (_, comments) = fixture_request();
    let texts: Vec<&str> = comments.iter().map(|c| c["text"].as_str().unwrap()).collect();
    for text in [
        "not good",
        "not bad at all",
        "The agent was very helpful",
        "terrible wait, never again",
        "不满意",
        "很满意",
        "服务很好",
        "等了太久",
        "态度差",
        "客服很好 but the wait was too long",
    ] {
        assert!(texts.contains(&text), "{text} is a fixture");
    }
    let count = |lang: &str| comments.iter().filter(|c| c["id"].as_str().unwrap().starts_with(lang)).count();
    assert!(count("en-") >= 8 && count("zh-") >= 8 && count("mx-") >= 3);
}

#[test]
fn describes_itself() {
    let info = describe();
    assert_eq!((info.name.as_str(), info.version.as_str()), ("standard_enricher", "1.0.0"));
    assert_eq!(info.kind, PluginKind::Enricher);
    assert!(info.description.contains("VADER") && info.description.contains("NTUSD"));
    // The host's limits on a description: 8 KiB, no control characters but newline and tab.
    assert!(info.description.len() <= 8 << 10 && !info.description.chars().any(|c| c.is_control()));
    assert!(info.params[0].description.len() <= 1 << 10 && !info.params[0].description.contains('\n'));
    assert_eq!(info.params.len(), 1);
    assert_eq!(info.params[0].name, "max_chars");
    assert!(matches!(info.params[0].default, ParamValue::Integer(5000)));
}

#[test]
fn empty_batch_and_taxonomy() {
    assert!(enrich(&request(vec![], vec![], vec![])).unwrap().is_empty());
    let out = enrich(&request(vec![item("a", "退款 refund")], vec![], vec![])).unwrap();
    assert!(out[0].topics.is_empty());
}

#[test]
fn max_chars_truncates_and_tags() {
    let long = format!("{} terrible", "fine ".repeat(100));
    let param = |n: i64| vec![Param { name: "max_chars".to_string(), value: ParamValue::Integer(n) }];
    let out = enrich(&request(vec![item("a", &long)], vec![], param(100))).unwrap();
    assert_eq!(out[0].tags, vec!["truncated"]);
    assert!(out[0].sentiment.unwrap() > 0.0, "`terrible` is past the first 100 characters");
    let out = enrich(&request(vec![item("a", &long)], vec![], param(1000))).unwrap();
    assert!(out[0].tags.is_empty());
    // Clamped: 1 means 100.
    let out = enrich(&request(vec![item("a", &"好".repeat(150))], vec![], param(1))).unwrap();
    assert_eq!(out[0].tags, vec!["truncated"]);
    let wrong = vec![Param { name: "max_chars".to_string(), value: ParamValue::Text("x".to_string()) }];
    assert!(enrich(&request(vec![item("a", "x")], vec![], wrong)).is_err());
}

/// Odd and hostile input: every answer stays within the host's checks.
#[test]
fn odd_input_stays_within_the_hosts_checks() {
    let texts = [
        String::new(),
        "\u{0}\u{1}\u{1b}[31m\r\n\t".to_string(),
        "好".repeat(100_000),
        "bad ".repeat(50_000),
        "不".repeat(6_000),
        "!?！？".repeat(1_000),
        "🙂".repeat(3_000),
        "a\u{301}\u{301}\u{301}".repeat(1_000),
        "\u{E000}\u{FFFF}\u{10FFFF}".to_string(),
        "很很很很很很很很好".to_string(),
        "not not not not good".to_string(),
    ];
    let items: Vec<TextItem> = texts.iter().enumerate().map(|(i, t)| item(&i.to_string(), t)).collect();
    let taxonomy = vec![Topic { name: "t".to_string(), keywords: vec!["".to_string(), "好".to_string()] }];
    let out = enrich(&request(items, taxonomy, vec![])).unwrap();
    assert_eq!(out.len(), texts.len());
    for e in &out {
        assert!(e.sentiment.is_none_or(|s| s.is_finite() && (-1.0..=1.0).contains(&s)), "{e:?}");
        assert!(is_language_code(&e.language));
        assert!(e.tags.len() <= MAX_TAGS && e.tags.iter().all(|t| t.len() <= MAX_TAG_BYTES && !t.contains('\n')));
    }
}

/// Cost per 1,000 comments, natively (run with `-- --ignored --nocapture`): the Chinese
/// analyser's start-up, a batch of 1,000 English, Chinese and mixed comments, and the peak
/// resident memory.
#[test]
#[ignore]
fn cost_per_thousand_comments() {
    use std::time::Instant;
    let rss_kib = || {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let line = status.lines().find(|l| l.starts_with("VmRSS")).unwrap_or("VmRSS: 0 kB").to_string();
        line.split_whitespace().nth(1).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)
    };
    let (req, comments) = fixture_request();
    let before = rss_kib();
    let start = Instant::now();
    let analyser = super::chinese::Analyser::new();
    let build = start.elapsed();
    let analyser_kib = rss_kib() - before;
    drop(analyser);
    let start = Instant::now();
    let _ = super::english::score("warm up the lexicon");
    let vader = start.elapsed();
    let items: Vec<TextItem> = (0..1000)
        .map(|i| {
            let c = &comments[i % comments.len()];
            let text = format!("{} {}", c["text"].as_str().unwrap(), ["", "谢谢", "thanks", "。"][i % 4]);
            item(&i.to_string(), &text.repeat(1 + i % 5))
        })
        .collect();
    let chars: usize = items.iter().map(|i| i.text.chars().count()).sum();
    let batch = request(items, req.taxonomy.clone(), vec![]);
    let start = Instant::now();
    let out = enrich(&batch).unwrap();
    let whole = start.elapsed();
    assert_eq!(out.len(), 1000);
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).map(str::to_string))
        .unwrap_or_default();
    println!(
        "chinese analyser built in {build:?} (+{analyser_kib} KiB resident); VADER lexicon in {vader:?}; 1,000 \
         comments ({chars} characters) in {whole:?} including a fresh Chinese analyser; {peak}"
    );
}
