//! Canary routing: a subject (an agent, a caller) falls in the canary's share by a hash of the
//! subject and the canary version, so the same subject stays on the same side for as long as
//! that canary runs.

use sha2::{Digest, Sha256};

/// Whether `subject` takes the canary `canary_hash` when it gets `percent` (0–100) of calls.
pub fn takes_canary(tenant: &str, name: &str, canary_hash: &str, subject: &str, percent: f64) -> bool {
    if percent <= 0.0 {
        return false;
    }
    if percent >= 100.0 {
        return true;
    }
    let digest = Sha256::new()
        .chain_update(tenant)
        .chain_update([0])
        .chain_update(name)
        .chain_update([0])
        .chain_update(canary_hash)
        .chain_update([0])
        .chain_update(subject)
        .finalize();
    let bucket = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000;
    (bucket as f64) < percent * 100.0
}

#[cfg(test)]
mod tests {
    use super::takes_canary;

    #[test]
    fn the_share_is_close_to_the_percentage_and_stable() {
        let taken = (0..20_000).filter(|i| takes_canary("t", "aht", "abc", &format!("agent-{i}"), 10.0)).count();
        assert!((1800..=2200).contains(&taken), "{taken} of 20000 took a 10% canary");
        for i in 0..100 {
            let subject = format!("agent-{i}");
            assert_eq!(
                takes_canary("t", "aht", "abc", &subject, 30.0),
                takes_canary("t", "aht", "abc", &subject, 30.0)
            );
        }
        assert!(!takes_canary("t", "aht", "abc", "x", 0.0));
        assert!(takes_canary("t", "aht", "abc", "x", 100.0));
    }
}
