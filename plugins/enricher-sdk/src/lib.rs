//! The cxhost enricher SDK: WIT bindings of the enricher world (a crate of its own, since a
//! component carries the worlds of every binding linked into it) on top of the shared core
//! (`cxhost-sdk-core`), the host's limits on an enrichment, and small helpers — an empty
//! [`enrichment`] to fill in, [`tag`] to make a label the host accepts, [`is_language_code`]
//! and [`keyword_matches`], the taxonomy rule the host's own topic counts use.
//!
//! The host sends the texts of newly ingested rows in batches (up to about 1,000) and calls
//! `enrich` in a fresh instance every time: nothing survives between calls, so build lexicons
//! lazily and only when a batch needs them. Answer at most one enrichment per item, with its
//! id; an item left out stays pending and is sent again. An `Err` fails the whole batch (the
//! host retries it in smaller batches). The host checks every answer: sentiment finite and in
//! [-1, 1], topics from the request's taxonomy, at most [`MAX_TAGS`] tags of at most
//! [`MAX_TAG_BYTES`] bytes on one line, a language of lowercase ASCII letters of at most
//! [`MAX_LANGUAGE_BYTES`] bytes (an ISO 639-1 code or `und`).
//!
//! ```ignore
//! use cxhost_enricher_sdk::prelude::*;
//! struct Shouting;
//! impl enricher::Guest for Shouting {
//!     fn describe() -> PluginInfo {
//!         info("shouting", "1.0.0", "Tags texts written mostly in capitals; topics by keyword.", vec![])
//!     }
//!     fn enrich(req: EnrichRequest) -> Result<Vec<Enrichment>, String> {
//!         Ok(req
//!             .items
//!             .iter()
//!             .map(|item| {
//!                 let mut e = enrichment(&item.id);
//!                 let letters = item.text.chars().filter(|c| c.is_alphabetic());
//!                 let (caps, all) = letters.fold((0, 0), |(c, a), ch| (c + ch.is_uppercase() as u32, a + 1));
//!                 if all > 10 && caps * 2 > all {
//!                     e.tags.extend(tag("shouting"));
//!                 }
//!                 e.topics = matching_topics(&req.taxonomy, &item.text);
//!                 e
//!             })
//!             .collect())
//!     }
//! }
//! export_enricher!(Shouting);
//! ```

/// Bindings of the enricher world; `types` and `host` are the core's.
pub mod enricher {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "enricher",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "export_enricher_world",
        default_bindings_module: "cxhost_enricher_sdk::enricher",
    });
}

pub use cxhost_sdk_core::{
    Batch, Column, ColumnValues, LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind,
    SqlValue, Table, log, param_bool, param_float, param_int, param_text, query,
};
pub use enricher::cxhost::plugin::enricher_types::{EnrichRequest, Enrichment, TextItem, TextSource, Topic};

/// Most tags one enrichment may carry.
pub const MAX_TAGS: usize = 16;
/// Longest tag, in bytes.
pub const MAX_TAG_BYTES: usize = 40;
/// Longest language code, in bytes.
pub const MAX_LANGUAGE_BYTES: usize = 8;
/// The language of a text in no language, or in none the enricher knows.
pub const UNDETERMINED: &str = "und";

/// Everything an enricher plugin usually needs.
pub mod prelude {
    pub use crate::{
        EnrichRequest, Enrichment, ParamsExt, PluginInfo, TextItem, TextSource, Topic, UNDETERMINED, enricher,
        enrichment, export_enricher, info, is_language_code, keyword_matches, matching_topics, param_bool, param_float,
        param_int, param_text, source_name, tag,
    };
}

/// Exports `$t` (which implements [`enricher::Guest`]) as this component's enricher world.
#[macro_export]
macro_rules! export_enricher {
    ($t:ident) => {
        $crate::enricher::export_enricher_world!($t with_types_in $crate::enricher);
    };
}

/// Builds an enricher's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    cxhost_sdk_core::info(name, version, PluginKind::Enricher, description, params)
}

/// An enrichment of the item `id` that says nothing yet: no sentiment, topics or tags, language
/// [`UNDETERMINED`].
pub fn enrichment(id: &str) -> Enrichment {
    Enrichment {
        id: id.to_string(),
        sentiment: None,
        topics: Vec::new(),
        tags: Vec::new(),
        language: UNDETERMINED.to_string(),
    }
}

/// `text` as a tag the host accepts: lowercase, control characters (line breaks, tabs)
/// replaced by `_`, trimmed, and cut at a character boundary to at most [`MAX_TAG_BYTES`]
/// bytes; `None` when nothing is left.
pub fn tag(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        let c = if c.is_control() { '_' } else { c };
        if out.len() + c.len_utf8() > MAX_TAG_BYTES {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end().to_string();
    (!out.is_empty()).then_some(out)
}

/// Whether the host accepts `code` as a language: 1 to [`MAX_LANGUAGE_BYTES`] lowercase ASCII
/// letters (`en`, `zh`, `und`).
pub fn is_language_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= MAX_LANGUAGE_BYTES && code.bytes().all(|b| b.is_ascii_lowercase())
}

/// The source's table column in words: `customer_feedback.comment`, `employee_surveys.comment`
/// or `interactions.notes`.
pub fn source_name(source: TextSource) -> &'static str {
    match source {
        TextSource::CustomerComment => "customer_feedback.comment",
        TextSource::EmployeeComment => "employee_surveys.comment",
        TextSource::InteractionNotes => "interactions.notes",
    }
}

/// Whether a CJK ideograph (the unified blocks, extension A and the compatibility block).
fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

/// A word character of a regular expression's ASCII `\b`: letter, digit or underscore.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `keyword` occurs in `lowered` (a text already lowercased with `str::to_lowercase`),
/// by the rule the host's own topic counts follow:
/// - a keyword with a CJK ideograph matches as a substring (Chinese has no spaces);
/// - any other keyword matches where the regular expression `\b(keyword)\b` matches on the
///   lowercased text, `\b` being an ASCII word boundary: `refund` matches in `refund,` and
///   `no refund` but not in `refunds`; `wait time` matches in `the wait time was`.
///
/// The keyword is lowercased and trimmed; an empty one matches nothing.
pub fn keyword_matches(lowered: &str, keyword: &str) -> bool {
    let keyword = keyword.trim();
    let keyword: std::borrow::Cow<str> =
        if keyword.chars().any(char::is_uppercase) { keyword.to_lowercase().into() } else { keyword.into() };
    if keyword.is_empty() {
        return false;
    }
    if keyword.chars().any(is_ideograph) {
        return lowered.contains(&*keyword);
    }
    let (text, key) = (lowered.as_bytes(), keyword.as_bytes());
    let (first, last) = (is_word_byte(key[0]), is_word_byte(key[key.len() - 1]));
    lowered.match_indices(&*keyword).any(|(start, _)| {
        let end = start + key.len();
        let before = start > 0 && is_word_byte(text[start - 1]);
        let after = end < text.len() && is_word_byte(text[end]);
        before != first && after != last
    })
}

/// The names of the taxonomy's topics that `text` mentions — one of a topic's keywords
/// [`keyword_matches`] — in taxonomy order, each once.
pub fn matching_topics(taxonomy: &[Topic], text: &str) -> Vec<String> {
    let lowered = text.to_lowercase();
    let mut names: Vec<String> = Vec::new();
    for topic in taxonomy {
        if !names.contains(&topic.name) && topic.keywords.iter().any(|k| keyword_matches(&lowered, k)) {
            names.push(topic.name.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lowercase_one_line_and_short() {
        assert_eq!(tag("  Mixed_Language "), Some("mixed_language".to_string()));
        assert_eq!(tag("two\nlines"), Some("two_lines".to_string()));
        assert_eq!(tag("   "), None);
        let long = tag(&"é".repeat(30)).unwrap();
        assert_eq!(long.len(), 40);
        assert_eq!(tag(&"x".repeat(100)).unwrap().len(), MAX_TAG_BYTES);
    }

    #[test]
    fn language_codes() {
        assert!(is_language_code("en") && is_language_code("zh") && is_language_code("und"));
        assert!(!is_language_code("EN-us!") && !is_language_code("") && !is_language_code("abcdefghi"));
    }

    #[test]
    fn keywords_match_like_the_hosts_word_boundaries() {
        let t = "the refund, no refunds. wait time was long; 退款太慢了 c++ fan";
        assert!(keyword_matches(t, "refund"));
        assert!(keyword_matches(t, "Refund"));
        assert!(!keyword_matches(t, "fund"));
        assert!(keyword_matches(t, "wait time"));
        assert!(!keyword_matches(t, "time was lo"));
        assert!(keyword_matches(t, "退款"));
        assert!(keyword_matches(t, "款太"));
        assert!(!keyword_matches(t, ""));
        assert!(keyword_matches("refund", "refund"));
        assert!(!keyword_matches("refund_policy", "refund"));
        // `\b(c\+\+)\b`: after the last `+` a word character must follow.
        assert!(!keyword_matches(t, "c++"));
    }

    #[test]
    fn topics_in_taxonomy_order_once() {
        let taxonomy = vec![
            Topic { name: "wait".into(), keywords: vec!["wait".into(), "hold".into(), "等".into()] },
            Topic { name: "refund".into(), keywords: vec!["refund".into(), "退款".into()] },
            Topic { name: "staff".into(), keywords: vec!["agent".into()] },
        ];
        assert_eq!(matching_topics(&taxonomy, "退款 took a long WAIT on hold"), vec!["wait", "refund"]);
        assert!(matching_topics(&taxonomy, "nothing here").is_empty());
    }
}
