//! Topics from the tenant's taxonomy: a topic matches when one of its keywords occurs in the
//! comment, by the SDK's [`keyword_matches`] — a keyword with a Chinese character as a
//! substring, any other as a whole word, case-insensitively, as the host's own topic counts
//! (`\b(k1|k2)\b` on the lowercased text) — so a keyword in either language finds its topic.

use cxhost_enricher_sdk::{Topic, keyword_matches};

/// A taxonomy prepared once per batch: topic names in order (each once, the first wins) with
/// their keywords lowercased and trimmed, empty ones left out.
pub struct Taxonomy {
    topics: Vec<(String, Vec<String>)>,
}

impl Taxonomy {
    pub fn new(topics: &[Topic]) -> Taxonomy {
        let mut prepared: Vec<(String, Vec<String>)> = Vec::with_capacity(topics.len());
        for topic in topics {
            if prepared.iter().any(|(name, _)| *name == topic.name) {
                continue;
            }
            let keywords = topic.keywords.iter().map(|k| k.trim().to_lowercase()).filter(|k| !k.is_empty()).collect();
            prepared.push((topic.name.clone(), keywords));
        }
        Taxonomy { topics: prepared }
    }

    /// The names of the topics `text` mentions, in taxonomy order.
    pub fn matches(&self, text: &str) -> Vec<String> {
        if self.topics.is_empty() {
            return Vec::new();
        }
        let lowered = text.to_lowercase();
        self.topics
            .iter()
            .filter(|(_, keywords)| keywords.iter().any(|k| keyword_matches(&lowered, k)))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, keywords: &[&str]) -> Topic {
        Topic { name: name.to_string(), keywords: keywords.iter().map(|k| k.to_string()).collect() }
    }

    #[test]
    fn keywords_in_both_languages() {
        let taxonomy = Taxonomy::new(&[
            topic("wait_time", &["wait", "hold", "queue", "等", "排队"]),
            topic("refund", &["Refund", "退款"]),
            topic("staff", &["agent", "客服", "态度"]),
            topic("empty", &["", "  "]),
            topic("wait_time", &["anything"]),
        ]);
        assert_eq!(taxonomy.matches("The agent was very helpful"), vec!["staff"]);
        assert_eq!(taxonomy.matches("客服态度很差，等了半个小时"), vec!["wait_time", "staff"]);
        assert_eq!(taxonomy.matches("退款 took ages, long WAIT"), vec!["wait_time", "refund"]);
        assert!(taxonomy.matches("waiting for my refunds").is_empty(), "whole words only");
        assert!(taxonomy.matches("anything").is_empty(), "a repeated name keeps its first keywords");
    }
}
