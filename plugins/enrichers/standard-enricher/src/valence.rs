//! A VADER-style sentiment sum: what each analyser answers for one text, and the
//! normalisation of a sum into [-1, 1].

/// VADER's factor for a negated word (`not good`: 1.9 × -0.74).
pub const N_SCALAR: f64 = -0.74;
/// VADER's normalisation constant: a sum `x` becomes `x / sqrt(x² + 15)`.
const ALPHA: f64 = 15.0;

/// The sentiment found in one text by one analyser.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Valence {
    /// Sum of the words' valences after negation, degree words, the contrastive conjunction
    /// and the emphasis of `!` and `?`.
    pub sum: f64,
    /// Sentiment words found (lexicon words with a valence; emoji count through their
    /// descriptions).
    pub hits: usize,
    /// Whether a negation flipped a sentiment word.
    pub negated: bool,
}

impl Valence {
    /// The sum normalised into [-1, 1] as VADER's compound score.
    pub fn compound(&self) -> f64 {
        normalize(self.sum)
    }
}

/// `x / sqrt(x² + 15)`, clamped to [-1, 1]; 0 for a sum that is not finite.
pub fn normalize(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x / (x * x + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// VADER's emphasis of `!` (0.292 each, at most 4) and of `?` (0.18 each when there are 2 or
/// 3, 0.96 from 4 on), counting the full-width `！` and `？` too.
pub fn punctuation_emphasis(text: &str) -> f64 {
    let (mut exclamations, mut questions) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '!' | '！' => exclamations += 1,
            '?' | '？' => questions += 1,
            _ => {}
        }
    }
    let ep = exclamations.min(4) as f64 * 0.292;
    let qm = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f64 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

/// `sum` moved away from zero by `emphasis` (unchanged when 0).
pub fn emphasised(sum: f64, emphasis: f64) -> f64 {
    if sum > 0.0 {
        sum + emphasis
    } else if sum < 0.0 {
        sum - emphasis
    } else {
        sum
    }
}
