//! The language of a comment, and its parts per script: CJK ideographs (Chinese), Latin
//! letters (English) and other letters (any other language, which this enricher does not
//! score).
//!
//! Scripts are compared in comparable units: a Chinese character against an English word (a
//! Chinese word is one or two characters). Ideographs count one each, as do kana and hangul
//! (so Japanese and Korean come out `und`); Latin letters and letters of other alphabets
//! count one per word, a word being a run of letters (an apostrophe between letters joins
//! them: `don't` is one word).
//!
//! The script with the most units names the language: `zh`, `en`, or `und` when other
//! letters lead or there are no letters at all (empty, digits, emoji); a tie between Chinese
//! and English is `zh`, and any tie with other letters loses to them. A text is *mixed* when
//! Chinese and English each hold at least 20 % of its units.

/// Least share of the units each of Chinese and English must hold for a text to be mixed.
pub const MIXED_SHARE: f64 = 0.2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Latin,
    /// Kana, hangul: one unit per character, not scored.
    Syllabic,
    /// Letters of another alphabet (Cyrillic, Greek, Arabic …): one unit per word, not scored.
    Other,
    /// Digits, spaces, punctuation, symbols, emoji: they belong to the run they sit in.
    Neutral,
}

/// Whether a CJK ideograph (unified ideographs, extension A, compatibility ideographs and the
/// supplementary ideographic planes).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}')
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if c.is_ascii_alphabetic()
        || (c.is_alphabetic()
            && matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' | '\u{2C60}'..='\u{2C7F}' | '\u{A720}'..='\u{A7FF}'))
    {
        Class::Latin
    } else if matches!(c, '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}')
    {
        Class::Syllabic
    } else if c.is_alphabetic() {
        Class::Other
    } else {
        Class::Neutral
    }
}

/// A comment's scripts: units per script, the language they name, and the text of each
/// script's runs for its analyser.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Chinese characters.
    pub han: usize,
    /// English (Latin-letter) words.
    pub latin: usize,
    /// Units of other scripts.
    pub other: usize,
    /// `zh`, `en` or `und`.
    pub language: &'static str,
    /// Whether Chinese and English each hold at least [`MIXED_SHARE`] of the units.
    pub mixed: bool,
    /// The Chinese runs, each with the neutral characters that follow it, joined by `，` (a
    /// clause boundary for the analyser); empty when there are none.
    pub chinese: String,
    /// The English runs (likewise), joined by a space.
    pub english: String,
}

/// The profile of `text`. Neutral characters belong to the run they follow (those before the
/// first letter to the first run); letters of other scripts belong to the run they sit in.
pub fn profile(text: &str) -> Profile {
    let (mut han, mut latin, mut other) = (0usize, 0usize, 0usize);
    let mut chinese = String::new();
    let mut english = String::new();
    // The current run's script (Han or Latin) and where it starts.
    let mut run: Option<(Class, usize)> = None;
    let mut prev = Class::Neutral;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let mut k = class(c);
        // An apostrophe between two Latin letters is part of the word.
        if matches!(c, '\'' | '’')
            && prev == Class::Latin
            && chars.peek().is_some_and(|&(_, n)| class(n) == Class::Latin)
        {
            k = Class::Latin;
        }
        match k {
            Class::Han => han += 1,
            Class::Syllabic => other += 1,
            Class::Latin if prev != Class::Latin => latin += 1,
            Class::Other if prev != Class::Other => other += 1,
            _ => {}
        }
        if matches!(k, Class::Han | Class::Latin) {
            match run {
                // The first run starts at the text's start, with whatever comes before it.
                None => run = Some((k, 0)),
                Some((script, _)) if script == k => {}
                Some((script, start)) => {
                    push_run(&mut chinese, &mut english, script, &text[start..at]);
                    run = Some((k, at));
                }
            }
        }
        prev = k;
    }
    if let Some((script, start)) = run {
        push_run(&mut chinese, &mut english, script, &text[start..]);
    }
    let units = han + latin + other;
    let language = if units == 0 || (other >= han && other >= latin) {
        "und"
    } else if han >= latin {
        "zh"
    } else {
        "en"
    };
    let share = |n: usize| if units == 0 { 0.0 } else { n as f64 / units as f64 };
    let mixed = share(han) >= MIXED_SHARE && share(latin) >= MIXED_SHARE;
    Profile { han, latin, other, language, mixed, chinese, english }
}

/// Adds a run to its script's text; an English run gets full-width forms as ASCII (`，` → `,`,
/// `。` → `.`, the ideographic space → a space), so that VADER strips them from words as it
/// strips ASCII punctuation (`great，` would not be found in its lexicon).
fn push_run(chinese: &mut String, english: &mut String, script: Class, part: &str) {
    if script == Class::Han {
        if !chinese.is_empty() {
            chinese.push('，');
        }
        chinese.push_str(part);
        return;
    }
    if !english.is_empty() {
        english.push(' ');
    }
    english.extend(part.chars().map(|c| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '、' => ',',
        '。' => '.',
        _ => c,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        let p = profile("The agent was very helpful");
        assert_eq!((p.language, p.latin, p.han, p.mixed), ("en", 5, 0, false));
        assert_eq!(p.english, "The agent was very helpful");
        let p = profile("服务很好");
        assert_eq!((p.language, p.han, p.latin, p.mixed), ("zh", 4, 0, false));
        assert_eq!(p.chinese, "服务很好");
        for und in ["", "   ", "12345", "👍👍", "!!!", "Это было ужасно", "とても良かったです"]
        {
            assert_eq!(profile(und).language, "und", "{und}");
        }
        assert_eq!(profile("don't").latin, 1);
        assert_eq!(profile("Café déjà vu").latin, 3);
    }

    #[test]
    fn mixed_runs() {
        let p = profile("客服很好 but the wait was too long");
        assert_eq!((p.language, p.han, p.latin, p.mixed), ("en", 4, 6, true));
        assert_eq!(p.chinese, "客服很好 ");
        assert_eq!(p.english, "but the wait was too long");
        let p = profile("“OK”，客服态度很差，等了半个小时");
        assert_eq!((p.language, p.han, p.latin, p.mixed), ("zh", 12, 1, false));
        assert_eq!(p.english, "“OK”,");
        assert_eq!(p.chinese, "客服态度很差，等了半个小时");
        let p = profile("APP太难用了, crashes every time");
        assert_eq!((p.language, p.han, p.latin, p.mixed), ("zh", 4, 4, true));
        assert_eq!(p.english, "APP crashes every time");
        assert_eq!(p.chinese, "太难用了, ");
        // A tie between Chinese and English is Chinese.
        assert_eq!(profile("好 good").language, "zh");
    }
}
