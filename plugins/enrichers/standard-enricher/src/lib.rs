//! The standard enricher (`standard_enricher`): for each comment its language (`en`, `zh` or
//! `und`), a sentiment in [-1, 1] — VADER for English (english.rs), jieba segmentation with
//! the NTUSD lexicon scored the VADER way for Chinese (chinese.rs), the two combined for a
//! mixed comment — the tenant's taxonomy topics its keywords name (topics.rs), and a few tags.
//! Pure logic lives in the modules and runs natively in unit tests; this file is the glue.
//!
//! Every call runs in a fresh instance: the Chinese segmenter is built only when a batch holds
//! Chinese text, VADER's lexicon only when it holds other text.

mod chinese;
mod english;
mod language;
mod topics;
mod valence;

use cxhost_enricher_sdk::{
    EnrichRequest, Enrichment, ParamSpec, ParamsExt, PluginInfo, TextItem, enricher, export_enricher, info, param_int,
};

pub use language::MIXED_SHARE;

pub const NAME: &str = "standard_enricher";
pub const VERSION: &str = "1.0.0";
/// Characters of a comment analysed by default; the rest is ignored.
pub const DEFAULT_MAX_CHARS: i64 = 5_000;
/// The bounds `max_chars` is clamped to.
pub const MAX_CHARS_RANGE: (i64, i64) = (100, 20_000);

/// The tags this enricher gives, in the order it gives them.
pub mod tags {
    /// Chinese and English each hold at least 20 % of the comment (see language.rs).
    pub const MIXED_LANGUAGE: &str = "mixed_language";
    /// A negation flipped a sentiment word (`not good`, `不满意`).
    pub const NEGATED: &str = "negated";
    /// The comment has a question mark (`?` or `？`).
    pub const QUESTION: &str = "question";
    /// The comment is longer than `max_chars`; only its start was analysed.
    pub const TRUNCATED: &str = "truncated";
}

const DESCRIPTION: &str = "Language, sentiment, topics and tags of each comment, from openly licensed lexicons \
compiled in (no model, nothing downloaded). Language: Chinese characters are counted against English words \
(and words or syllables of other scripts); the most numerous names it, `zh`, `en`, or `und` for other scripts and \
for texts without letters; a comment where Chinese and English each hold at least 20 % is tagged \
`mixed_language`. Sentiment in [-1, 1]: English by VADER (Hutto & Gilbert 2014: a lexicon of rated words, \
negation ×-0.74, degree adverbs ±0.293, `but`, capitals, `!`/`?`, normalised x/√(x²+15)); Chinese by the same \
rules over jieba's segmentation with the NTUSD polarity lexicon (±2.0 per word) and hand lists of negations \
(不, 没有, 不太 …), degree adverbs (很, 太, 有点 …), contrastive conjunctions (但是 …) and contact-center words; a \
mixed comment scores each language's part with its own analyser and takes the mean weighted by its units. \
Sentiment is present for `en` and `zh` (0.0 when no word carries any) and for `und` only when an emoji or \
emoticon carries some. Topics: the taxonomy topics one of whose keywords occurs, a keyword with Chinese \
characters as a substring, any other as a whole word, case-insensitively. Tags: mixed_language, negated (a \
negation flipped a sentiment word), question, truncated (only the first `max_chars` characters were analysed).";

fn params() -> Vec<ParamSpec> {
    vec![param_int(
        "max_chars",
        DEFAULT_MAX_CHARS,
        "characters of each comment analysed (the rest is ignored and the comment tagged `truncated`); \
         clamped to 100..20000",
    )]
}

/// The enricher's `describe()` answer.
pub fn describe() -> PluginInfo {
    info(NAME, VERSION, DESCRIPTION, params())
}

/// The analysers a batch builds as it needs them.
#[derive(Default)]
struct Analysers {
    chinese: Option<chinese::Analyser>,
}

/// One enrichment per item, in the request's order.
pub fn enrich(request: &EnrichRequest) -> Result<Vec<Enrichment>, String> {
    // The host passes every declared parameter; a request without it (a native test) gets
    // the default.
    let asked = if request.params.iter().any(|p| p.name == "max_chars") {
        request.params.int("max_chars")?
    } else {
        DEFAULT_MAX_CHARS
    };
    let max_chars = asked.clamp(MAX_CHARS_RANGE.0, MAX_CHARS_RANGE.1) as usize;
    let taxonomy = topics::Taxonomy::new(&request.taxonomy);
    let mut analysers = Analysers::default();
    Ok(request.items.iter().map(|item| enrich_item(item, &taxonomy, max_chars, &mut analysers)).collect())
}

/// `text` cut to its first `max` characters, and whether it was cut.
fn head(text: &str, max: usize) -> (&str, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    }
}

fn enrich_item(
    item: &TextItem,
    taxonomy: &topics::Taxonomy,
    max_chars: usize,
    analysers: &mut Analysers,
) -> Enrichment {
    let (text, truncated) = head(&item.text, max_chars);
    let profile = language::profile(text);
    let (sentiment, negated) = if profile.language == "und" {
        let v = english::score(text);
        ((v.hits > 0).then(|| v.compound()), v.negated)
    } else {
        let mut parts: Vec<(f64, valence::Valence)> = Vec::with_capacity(2);
        if profile.han > 0 {
            let zh = analysers.chinese.get_or_insert_with(chinese::Analyser::new);
            parts.push((profile.han as f64, zh.score(&profile.chinese)));
        }
        if profile.latin > 0 {
            parts.push((profile.latin as f64, english::score(&profile.english)));
        }
        let weight: f64 = parts.iter().map(|(w, _)| w).sum();
        let mean = parts.iter().map(|(w, v)| w * v.compound()).sum::<f64>() / weight;
        (Some(mean.clamp(-1.0, 1.0)), parts.iter().any(|(_, v)| v.negated))
    };
    let mut tags = Vec::new();
    if profile.mixed {
        tags.push(tags::MIXED_LANGUAGE.to_string());
    }
    if negated {
        tags.push(tags::NEGATED.to_string());
    }
    if text.contains(['?', '？']) {
        tags.push(tags::QUESTION.to_string());
    }
    if truncated {
        tags.push(tags::TRUNCATED.to_string());
    }
    Enrichment {
        id: item.id.clone(),
        sentiment: sentiment.filter(|s| s.is_finite()),
        topics: taxonomy.matches(text),
        tags,
        language: profile.language.to_string(),
    }
}

struct StandardEnricher;

impl enricher::Guest for StandardEnricher {
    fn describe() -> PluginInfo {
        describe()
    }

    fn enrich(request: EnrichRequest) -> Result<Vec<Enrichment>, String> {
        enrich(&request)
    }
}

export_enricher!(StandardEnricher);

#[cfg(test)]
mod tests;
