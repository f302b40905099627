//! Randomness: one independent random stream per purpose (and agent, day, …), and the few
//! distributions the generator draws from.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, Poisson, StandardNormal};

/// The purposes of the random streams; each gives [`sub_rng`] a distinct tag.
pub(super) const TAG_AGENTS: u64 = 1;
pub(super) const TAG_ENGAGEMENT: u64 = 2;
pub(super) const TAG_SURVEY: u64 = 3;
pub(super) const TAG_SCHEDULE: u64 = 4;
pub(super) const TAG_SELF_SERVICE: u64 = 5;
pub(super) const TAG_ASSIGN: u64 = 6;
pub(super) const TAG_CONTACTS: u64 = 7;
pub(super) const TAG_TEAMS: u64 = 8;
pub(super) const TAG_ATTENDANCE: u64 = 9;
pub(super) const TAG_CERTIFICATION: u64 = 10;
pub(super) const TAG_COACHING: u64 = 11;

fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An independent stream for (purpose, a, b), e.g. (contacts, agent, day): the draws of one
/// agent-day never depend on how many draws another one made.
pub(super) fn sub_rng(seed: u64, tag: u64, a: u64, b: u64) -> ChaCha8Rng {
    let k = mix64(mix64(mix64(seed ^ mix64(tag)) ^ a) ^ b.rotate_left(32));
    ChaCha8Rng::seed_from_u64(k)
}

pub(super) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

pub(super) fn exp1(rng: &mut ChaCha8Rng) -> f64 {
    Exp1.sample(rng)
}

pub(super) fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

pub(super) fn logistic_noise(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random_range(1e-12..1.0 - 1e-12);
    (u / (1.0 - u)).ln()
}

pub(super) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub(super) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    match Poisson::new(lambda) {
        Ok(p) => {
            let v: f64 = p.sample(rng);
            v as u64
        }
        Err(_) => lambda.round() as u64,
    }
}

/// Index drawn from unnormalized weights.
pub(super) fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A drawn duration as whole seconds, between 0 and 4 hours.
pub(super) fn secs(v: f64) -> u64 {
    v.round().clamp(0.0, 14_400.0) as u64
}
