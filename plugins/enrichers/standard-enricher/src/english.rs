//! English sentiment: the rules of VADER (Hutto & Gilbert 2014) as the reference Python
//! implementation (vaderSentiment 3.3.2) applies them, over the lexicon and emoji
//! descriptions of the `vader_sentiment` crate 0.1.1 (MIT), vendored in `lexicon/`.
//!
//! The crate itself is not linked: its scorer matches booster n-grams as substrings (so `very`
//! counts twice in `agent was very helpful`, and `so` is found inside `also`), and its lexicon
//! is a `HashMap` with std's random seed, which asks the host for `wasi:random` — a trap in
//! cxhost, which grants no WASI. This port follows the reference, with one difference: its
//! `but` rule finds a score's position by value (`list.index`), which this port takes from
//! the position itself.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::valence::{N_SCALAR, Valence, emphasised, punctuation_emphasis};

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;

const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOST: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];

const DAMPEN: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];

const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// A booster's or dampener's increment.
fn booster(word: &str) -> Option<f64> {
    if BOOST.contains(&word) {
        Some(B_INCR)
    } else if DAMPEN.contains(&word) {
        Some(B_DECR)
    } else {
        None
    }
}

fn special_case(seq: &str) -> Option<f64> {
    SPECIAL_CASES.iter().find(|(s, _)| *s == seq).map(|(_, v)| *v)
}

const LEXICON: &str = include_str!("../lexicon/vader_lexicon.txt");
const EMOJI: &str = include_str!("../lexicon/vader_emoji_lexicon.txt");

/// VADER's word valences and emoji descriptions, parsed on first use (about 11,000 lines).
struct Lexicons {
    words: FxHashMap<&'static str, f64>,
    emoji: FxHashMap<&'static str, &'static str>,
}

fn lexicons() -> &'static Lexicons {
    static LEXICONS: OnceLock<Lexicons> = OnceLock::new();
    LEXICONS.get_or_init(|| {
        let fields = |line: &'static str| {
            let mut f = line.split('\t');
            Some((f.next()?, f.next()?))
        };
        let words = LEXICON
            .lines()
            .filter_map(fields)
            .filter_map(|(word, value)| Some((word, value.trim().parse::<f64>().ok()?)))
            .collect();
        let emoji = EMOJI.lines().filter_map(fields).collect();
        Lexicons { words, emoji }
    })
}

/// A word's valence in VADER's lexicon: `word` is lowercased by the caller, and entries
/// with capitals (`:D`) never match, as in the reference.
pub fn lexicon(word: &str) -> Option<f64> {
    lexicons().words.get(word).copied()
}

fn negated(lower: &str) -> bool {
    NEGATE.contains(&lower) || lower.contains("n't")
}

/// Python's `str.isupper`: some cased character and no lowercase one.
fn is_upper(word: &str) -> bool {
    word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase)
}

/// Python's `token.strip(string.punctuation)`, keeping the token when two or fewer characters
/// remain (an emoticon such as `:)`).
fn strip_punctuation(token: &str) -> &str {
    let stripped = token.trim_matches(|c: char| c.is_ascii_punctuation());
    if stripped.chars().count() <= 2 { token } else { stripped }
}

/// `text` with each emoji replaced by its description (`👍` → `thumbs up`), as the reference.
fn describe_emoji(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = true;
    let mut buf = [0u8; 4];
    let emoji = &lexicons().emoji;
    for c in text.chars() {
        let described = if c.is_ascii() { None } else { emoji.get(&*c.encode_utf8(&mut buf)) };
        match described {
            Some(description) => {
                if !prev_space {
                    out.push(' ');
                }
                out.push_str(description);
                prev_space = false;
            }
            None => {
                out.push(c);
                prev_space = c == ' ';
            }
        }
    }
    out
}

struct Tokens<'a> {
    words: Vec<&'a str>,
    lower: Vec<String>,
    cap_diff: bool,
}

impl Tokens<'_> {
    fn in_lexicon(&self, i: usize) -> bool {
        lexicon(&self.lower[i]).is_some()
    }
}

/// VADER's valence of `text`.
pub fn score(text: &str) -> Valence {
    let described = describe_emoji(text);
    let text = described.trim();
    let words: Vec<&str> = text.split_whitespace().map(strip_punctuation).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let upper = words.iter().filter(|w| is_upper(w)).count();
    let cap_diff = upper > 0 && upper < words.len();
    let tokens = Tokens { words, lower, cap_diff };

    let mut result = Valence::default();
    let mut sentiments = Vec::with_capacity(tokens.words.len());
    for i in 0..tokens.words.len() {
        let lower = tokens.lower[i].as_str();
        let kind_of = lower == "kind" && tokens.lower.get(i + 1).is_some_and(|next| next == "of");
        if booster(lower).is_some() || kind_of {
            sentiments.push(0.0);
            continue;
        }
        sentiments.push(valence(&tokens, i, &mut result));
    }
    if let Some(bi) = tokens.lower.iter().position(|w| w == "but") {
        for (si, s) in sentiments.iter_mut().enumerate() {
            if si < bi {
                *s *= 0.5;
            } else if si > bi {
                *s *= 1.5;
            }
        }
    }
    if !sentiments.is_empty() {
        result.sum = emphasised(sentiments.iter().sum(), punctuation_emphasis(text));
    }
    result
}

/// The valence of word `i` (`sentiment_valence` of the reference).
fn valence(t: &Tokens, i: usize, result: &mut Valence) -> f64 {
    let lower = &t.lower;
    let Some(base) = lexicon(&lower[i]) else {
        return 0.0;
    };
    result.hits += 1;
    let mut flips = 0u32;
    let mut v = base;
    if lower[i] == "no" && i + 1 < lower.len() && t.in_lexicon(i + 1) {
        v = 0.0;
    }
    if (i > 0 && lower[i - 1] == "no")
        || (i > 1 && lower[i - 2] == "no")
        || (i > 2 && lower[i - 3] == "no" && (lower[i - 1] == "or" || lower[i - 1] == "nor"))
    {
        v = base * N_SCALAR;
        flips += 1;
    }
    if is_upper(t.words[i]) && t.cap_diff {
        v += if v > 0.0 { C_INCR } else { -C_INCR };
    }
    for start in 0..3 {
        if i > start && !t.in_lexicon(i - start - 1) {
            let mut s = scalar(t, i - start - 1, v);
            if start == 1 {
                s *= 0.95;
            } else if start == 2 {
                s *= 0.9;
            }
            v += s;
            let (checked, flipped) = negation_check(v, lower, start, i);
            v = checked;
            flips += u32::from(flipped);
            if start == 2 {
                v = special_idioms(v, lower, i);
            }
        }
    }
    // `least` as a negation (`the least helpful`), not in `at least` or `very least`.
    let least = |j: usize| lower[j] == "least" && !t.in_lexicon(j);
    if i > 1 && least(i - 1) {
        if lower[i - 2] != "at" && lower[i - 2] != "very" {
            v *= N_SCALAR;
            flips += 1;
        }
    } else if i > 0 && least(i - 1) {
        v *= N_SCALAR;
        flips += 1;
    }
    if flips > 0 && v != 0.0 {
        result.negated = true;
    }
    v
}

/// The increment of a booster or dampener at `j` for a word of valence `v`.
fn scalar(t: &Tokens, j: usize, v: f64) -> f64 {
    let Some(mut s) = booster(&t.lower[j]) else {
        return 0.0;
    };
    if v < 0.0 {
        s = -s;
    }
    if is_upper(t.words[j]) && t.cap_diff {
        s += if v > 0.0 { C_INCR } else { -C_INCR };
    }
    s
}

/// The reference's `_negation_check`: the valence, and whether a negation flipped it.
fn negation_check(v: f64, w: &[String], start: usize, i: usize) -> (f64, bool) {
    let is = |j: usize, word: &str| w[j] == word;
    let flipped = (v * N_SCALAR, true);
    match start {
        0 if negated(&w[i - 1]) => flipped,
        1 if is(i - 2, "never") && (is(i - 1, "so") || is(i - 1, "this")) => (v * 1.25, false),
        1 if is(i - 2, "without") && is(i - 1, "doubt") => (v, false),
        1 if negated(&w[i - 2]) => flipped,
        // The reference's operator precedence, kept: `so` or `this` just before boosts
        // whatever came three words before.
        2 if (is(i - 3, "never") && (is(i - 2, "so") || is(i - 2, "this"))) || is(i - 1, "so") || is(i - 1, "this") => {
            (v * 1.25, false)
        }
        2 if is(i - 3, "without") && (is(i - 2, "doubt") || is(i - 1, "doubt")) => (v, false),
        2 if negated(&w[i - 3]) => flipped,
        _ => (v, false),
    }
}

fn special_idioms(mut v: f64, w: &[String], i: usize) -> f64 {
    let onezero = format!("{} {}", w[i - 1], w[i]);
    let twoonezero = format!("{} {} {}", w[i - 2], w[i - 1], w[i]);
    let twoone = format!("{} {}", w[i - 2], w[i - 1]);
    let threetwoone = format!("{} {} {}", w[i - 3], w[i - 2], w[i - 1]);
    let threetwo = format!("{} {}", w[i - 3], w[i - 2]);
    for seq in [&onezero, &twoonezero, &twoone, &threetwoone, &threetwo] {
        if let Some(value) = special_case(seq) {
            v = value;
            break;
        }
    }
    if w.len() - 1 > i
        && let Some(value) = special_case(&format!("{} {}", w[i], w[i + 1]))
    {
        v = value;
    }
    if w.len() - 1 > i + 1
        && let Some(value) = special_case(&format!("{} {} {}", w[i], w[i + 1], w[i + 2]))
    {
        v = value;
    }
    for n_gram in [&threetwoone, &threetwo, &twoone] {
        if let Some(b) = booster(n_gram) {
            v += b;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compound(text: &str) -> f64 {
        score(text).compound()
    }

    /// Figures of the reference implementation (vaderSentiment 3.3.2, `compound`, rounded to
    /// 4 places); the first five are also worked by hand in their comments. (The reference's
    /// lexicon has `heart` and `hearts`, which the crate's lacks; no sentence here has them.)
    #[test]
    fn reference_figures() {
        let cases: &[(&str, f64)] = &[
            // good 1.9 × -0.74 = -1.406 → -1.406/√(1.406² + 15)
            ("not good", -0.3412),
            // bad -2.5 × -0.74 = 1.85 → 1.85/√(1.85² + 15)
            ("not bad at all", 0.431),
            // helpful 1.8 + very 0.293 = 2.093
            ("The agent was very helpful", 0.4754),
            // terrible -2.1 (wait, never and again are not in the lexicon)
            ("terrible wait, never again", -0.4767),
            // helpful 1.8 × 0.5 (before `but`) = 0.9
            ("The agent was helpful but the wait was too long", 0.2263),
            ("Great service, excellent agent, thanks!", 0.8999),
            ("Rude and useless.", -0.7003),
            ("I called about my bill on Tuesday", 0.0),
            ("😀", 0.3612),
            ("😡 never again", 0.0),
            (":)", 0.4588),
            (":(", -0.4404),
            ("The agent was not helpful at all", -0.3252),
            ("Very rude agent, I waited 40 minutes!!", -0.5963),
            ("Thank you so much, problem solved", 0.2228),
            ("The hold music was ok but nobody answered", 0.1531),
            ("Worst experience ever. Never again.", -0.6249),
            ("not very good", -0.3865),
            ("kind of helpful", 0.4215),
            ("the least helpful agent", -0.3252),
            ("at least it is not horrible", 0.431),
            ("no help at all", -0.3089),
            ("no problems", 0.3089),
            ("AMAZING service", 0.6739),
            ("I am not happy with the refund", -0.4585),
            ("I am NOT happy", -0.4585),
            ("Why is nobody answering??", 0.0),
            ("Is this the support line?", 0.4019),
            ("Without doubt the best agent", 0.7438),
            ("never so happy", 0.6948),
            ("It was sort of ok", 0.228),
            ("The agent was friendly but the app is useless", -0.3818),
            ("VADER is smart, handsome, and funny.", 0.8316),
            ("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469),
            ("The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042),
            ("Today only kinda sux! But I'll get by, lol", 0.5249),
            ("Make sure you :) or :D today!", 0.8633),
            ("yeah right, great service", 0.743),
            ("the bomb", -0.4939),
            ("kiss of death for this company", -0.2732),
            ("I hardly think it was good", 0.4404),
            ("I absolutely love this", 0.6697),
            ("It isn't a horrible service", 0.431),
        ];
        for (text, expected) in cases {
            let got = compound(text);
            assert!((got - expected).abs() < 5e-5, "{text}: {got} vs {expected}");
        }
    }

    #[test]
    fn negation_is_reported() {
        assert!(score("not good").negated);
        assert!(!score("very good").negated);
        assert!(score("I didn't like it").negated);
    }

    #[test]
    fn emoji_and_emoticons_score() {
        assert!(compound("😀") > 0.0);
        assert_eq!(score("👍").hits, 0, "`thumbs up` has no word of the lexicon");
        assert_eq!(score("12345").hits, 0);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in ["", " ", "!!!!????", "but", "no", "kind", "not not not", "\u{0}\u{1b}[31m", "least"] {
            let v = score(text);
            assert!(v.compound().is_finite());
        }
    }
}
