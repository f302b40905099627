//! Chinese sentiment, scored the way VADER scores English: the text is cut into words by
//! jieba (jieba-rs, over the reduced dictionary in `lexicon/jieba_small.txt`), each sentiment
//! word adds its valence — NTUSD's positive and negative words at +2.0 and -2.0, with the
//! hand list `lexicon/hand.tsv` adding and overriding — and the words before it in the same
//! clause change it: a negation (不, 没有 …) multiplies it by -0.74 (-0.5 for 不太 "not very"),
//! a degree adverb (很, 太 … or 有点) moves it 0.293 away from or towards zero (×0.95 and ×0.9
//! at two and three words' distance). After the first contrastive conjunction (但是 …) words
//! count 1.5 times, before it half; `！` and `？` add VADER's emphasis; the sum is normalised
//! by x / √(x² + 15).
//!
//! A word jieba leaves whole but whose head is a negation or a degree adverb and whose rest is
//! a sentiment word is scored as the two (很差 → 很 差, 太慢 → 太 慢, 不太满意 → 不太 满意),
//! so a compound in jieba's dictionary counts as its parts. A word that is both a degree
//! adverb and a sentiment word (好) is a degree adverb right before a sentiment word (好慢 "so
//! slow"), a sentiment word anywhere else.

use jieba_rs::Jieba;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::valence::{Valence, emphasised, punctuation_emphasis};

const POSITIVE: &str = include_str!("../lexicon/ntusd_positive.txt");
const NEGATIVE: &str = include_str!("../lexicon/ntusd_negative.txt");
const HAND: &str = include_str!("../lexicon/hand.tsv");
const DICTIONARY: &str = include_str!("../lexicon/jieba_small.txt");

/// The valence of every NTUSD word (the lists have no strengths).
pub const NTUSD_VALENCE: f64 = 2.0;
/// How many words before a sentiment word can change it.
const WINDOW: usize = 3;

/// The Chinese lexicons: sentiment words, negations, degree adverbs, contrastive conjunctions.
pub struct Lexicon {
    valence: FxHashMap<&'static str, f64>,
    negation: FxHashMap<&'static str, f64>,
    degree: FxHashMap<&'static str, f64>,
    contrast: FxHashSet<&'static str>,
}

impl Lexicon {
    /// NTUSD's words (+2.0, -2.0; a word on both lists is neutral), then the hand list.
    pub fn new() -> Lexicon {
        let mut valence: FxHashMap<&'static str, f64> = FxHashMap::with_capacity_and_hasher(11_000, Default::default());
        valence.extend(POSITIVE.lines().filter(|w| !w.is_empty()).map(|w| (w, NTUSD_VALENCE)));
        for word in NEGATIVE.lines().filter(|w| !w.is_empty()) {
            let v = if valence.contains_key(word) { 0.0 } else { -NTUSD_VALENCE };
            valence.insert(word, v);
        }
        let mut lexicon = Lexicon {
            valence,
            negation: FxHashMap::default(),
            degree: FxHashMap::default(),
            contrast: FxHashSet::default(),
        };
        for line in HAND.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let mut fields = line.split('\t');
            let (Some(kind), Some(word), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            let Ok(value) = value.trim().parse::<f64>() else {
                continue;
            };
            match kind {
                "negation" => _ = lexicon.negation.insert(word, value),
                "degree" => _ = lexicon.degree.insert(word, value),
                "contrast" => _ = lexicon.contrast.insert(word),
                "valence" => _ = lexicon.valence.insert(word, value),
                _ => {}
            }
        }
        lexicon
    }

    fn is_modifier(&self, word: &str) -> bool {
        self.negation.contains_key(word) || self.degree.contains_key(word)
    }

    /// The role of `word` on its own (a word that is both degree adverb and sentiment word is
    /// [`Role::Sentiment`] here; [`Analyser::score`] decides by the next word).
    fn role(&self, word: &str) -> Role {
        if !word.chars().any(char::is_alphanumeric) {
            Role::Boundary
        } else if let Some(&f) = self.negation.get(word) {
            Role::Negation(f)
        } else if self.contrast.contains(word) {
            Role::Contrast
        } else if let Some(&v) = self.valence.get(word).filter(|v| **v != 0.0) {
            Role::Sentiment(v)
        } else if let Some(&d) = self.degree.get(word) {
            Role::Degree(d)
        } else {
            Role::Neutral
        }
    }

    /// `word` as a negation or degree adverb followed by a sentiment word (or another such
    /// split), when it is neither itself; `None` otherwise.
    fn split<'a>(&self, word: &'a str, out: &mut Vec<&'a str>) -> bool {
        let mut heads: Vec<usize> = word.char_indices().map(|(i, _)| i).filter(|&i| i > 0).collect();
        heads.reverse();
        for at in heads {
            let (head, rest) = word.split_at(at);
            if !self.is_modifier(head) {
                continue;
            }
            let mark = out.len();
            out.push(head);
            if matches!(self.role(rest), Role::Sentiment(_)) {
                out.push(rest);
                return true;
            }
            if !self.is_modifier(rest) && self.split(rest, out) {
                return true;
            }
            out.truncate(mark);
        }
        false
    }
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    /// Punctuation or space: the end of a clause.
    Boundary,
    Neutral,
    Negation(f64),
    Degree(f64),
    Contrast,
    Sentiment(f64),
}

/// The segmenter and the lexicons; building it costs a few milliseconds (see README.md), so a
/// batch builds it once and only when it holds Chinese text.
pub struct Analyser {
    jieba: Jieba,
    lexicon: Lexicon,
}

impl Analyser {
    pub fn new() -> Analyser {
        // The embedded dictionary is checked by a unit test; should it ever fail to load, jieba
        // still cuts (by its HMM) rather than the enricher failing.
        let jieba = Jieba::with_dict(&mut DICTIONARY.as_bytes()).unwrap_or_else(|_| Jieba::empty());
        Analyser { jieba, lexicon: Lexicon::new() }
    }

    /// The words of `text` as scored: jieba's cut, with negation or degree heads split off.
    pub fn words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        let mut words = Vec::new();
        for token in self.jieba.cut(text, true) {
            let word = token.word;
            if self.lexicon.role(word) != Role::Neutral || !self.lexicon.split(word, &mut words) {
                words.push(word);
            }
        }
        words
    }

    /// The valence of `text`.
    pub fn score(&self, text: &str) -> Valence {
        let words = self.words(text);
        let lex = &self.lexicon;
        let mut roles: Vec<Role> = words.iter().map(|w| lex.role(w)).collect();
        // 好 before a sentiment word is a degree adverb.
        for i in 0..roles.len() {
            if let Role::Sentiment(_) = roles[i]
                && let Some(&d) = lex.degree.get(words[i])
                && matches!(roles.get(i + 1), Some(Role::Sentiment(_)))
            {
                roles[i] = Role::Degree(d);
            }
        }
        let mut result = Valence::default();
        let mut sentiments = vec![0.0; roles.len()];
        for (i, role) in roles.iter().enumerate() {
            let Role::Sentiment(base) = *role else {
                continue;
            };
            result.hits += 1;
            let mut v = base;
            let mut flipped = false;
            for distance in 0..WINDOW.min(i) {
                match roles[i - distance - 1] {
                    Role::Boundary => break,
                    Role::Degree(d) => {
                        let s = if v < 0.0 { -d } else { d };
                        v += s * [1.0, 0.95, 0.9][distance];
                    }
                    Role::Negation(f) => {
                        v *= f;
                        flipped = true;
                    }
                    Role::Neutral | Role::Contrast | Role::Sentiment(_) => {}
                }
            }
            result.negated |= flipped && v != 0.0;
            sentiments[i] = v;
        }
        if let Some(ci) = roles.iter().position(|r| *r == Role::Contrast) {
            for (i, s) in sentiments.iter_mut().enumerate() {
                *s *= if i < ci { 0.5 } else { 1.5 };
            }
        }
        result.sum = emphasised(sentiments.iter().sum(), punctuation_emphasis(text));
        result
    }
}

impl Default for Analyser {
    fn default() -> Self {
        Analyser::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::valence::normalize;

    fn analyser() -> &'static Analyser {
        static ANALYSER: std::sync::OnceLock<Analyser> = std::sync::OnceLock::new();
        ANALYSER.get_or_init(Analyser::new)
    }

    fn words(text: &str) -> String {
        analyser().words(text).join("/")
    }

    fn compound(text: &str) -> f64 {
        analyser().score(text).compound()
    }

    #[test]
    fn the_dictionary_loads() {
        let jieba = Jieba::with_dict(&mut DICTIONARY.as_bytes()).expect("jieba_small.txt loads");
        assert!(jieba.has_word("满意") && jieba.has_word("服务") && jieba.has_word("不好") && jieba.has_word("打不通"));
    }

    #[test]
    fn segmentation_of_the_fixtures() {
        assert_eq!(words("不满意"), "不/满意");
        assert_eq!(words("很满意"), "很/满意");
        assert_eq!(words("服务很好"), "服务/很/好");
        assert_eq!(words("等了太久"), "等/了/太/久");
        assert_eq!(words("态度差"), "态度/差");
        assert_eq!(words("太慢了"), "太/慢/了");
        assert_eq!(words("不太满意"), "不太/满意");
        assert_eq!(words("不好"), "不好");
    }

    /// Hand-worked: valence v, then v / √(v² + 15).
    #[test]
    fn hand_worked_values() {
        let cases: &[(&str, f64)] = &[
            // 满意 +2.0
            ("满意", normalize(2.0)),
            // 不 × 满意: 2.0 × -0.74 = -1.48 → -0.35696
            ("不满意", -0.356_96),
            // 很 + 满意: 2.0 + 0.293 = 2.293 → 0.50945
            ("很满意", 0.509_45),
            ("服务很好", 0.509_45),
            // 太 + 久: -2.0 - 0.293 = -2.293
            ("等了太久", -0.509_45),
            // 差 -2.0 → -0.45883
            ("态度差", -0.458_83),
            // 不好 is one NTUSD word, -2.0
            ("不好", -0.458_83),
            ("太慢了", -0.509_45),
            // 不太 × 满意: 2.0 × -0.5 = -1.0 → -1/4
            ("不太满意", -0.25),
            // 非常 + 失望: -2.293; the 。 adds nothing
            ("我对这次服务非常失望。", -0.509_45),
            // 好 before 慢 is a degree adverb: -2.293
            ("好慢", -0.509_45),
            // 耐心 2.0 + 很 0.293; 快 2.0 + 很 0.293 (很快 split); 解决 (NTUSD) 2.0 + 很 three
            // words back 0.293 × 0.9 (快 is skipped, as VADER skips lexicon words): 6.84970
            ("客服很耐心，问题很快就解决了", 0.870_49),
            // 满意 × 0.5 before 但是, 慢 (太 +0.293) × 1.5: 1.0 - 3.4395 = -2.4395
            ("服务满意但是物流太慢", -0.532_96),
            // 不是 × (很 + 好) = -0.74 × 2.293 = -1.69682
            ("不是很好", -0.401_29),
            // 没有 × 解决问题 = -1.48
            ("没有解决问题", -0.356_96),
        ];
        for (text, expected) in cases {
            let got = compound(text);
            assert!((got - expected).abs() < 1e-3, "{text}: {got} vs {expected} ({})", words(text));
        }
    }

    #[test]
    fn negation_is_reported() {
        assert!(analyser().score("不满意").negated);
        assert!(!analyser().score("很满意").negated);
        assert!(!analyser().score("不好").negated, "不好 is one negative word, not a negation");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in ["", "，。！", "不", "很很很很", "不不不满意", "好好好", "\u{0}\u{1b}", "但是"] {
            assert!(analyser().score(text).compound().is_finite());
        }
    }
}
