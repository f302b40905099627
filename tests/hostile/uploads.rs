//! Uploads that are not what the host runs: random bytes, a core module, a truncated
//! component, another world, one too large, and a compile bomb that would keep the compiler
//! busy for minutes — each refused with its reason while the other tenants are served.

use std::time::{Duration, Instant};

use cxhost::guests::test_guests::{HOSTILE_METRIC, WRONG_WORLD};
use reqwest::StatusCode;

use super::support::{COMPILE_TIMEOUT, assert_bystander_healthy, attacker, compile_bomb, server};
use crate::util::guest;

#[tokio::test]
async fn components_the_host_does_not_run_are_refused_with_the_reason() {
    let a = attacker("uploads").await;
    let s = server();
    let mut random = vec![0u8; 4096];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for byte in random.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let whole = guest(HOSTILE_METRIC);
    let truncated = whole[..whole.len() / 2].to_vec();
    for (what, bytes, code) in [
        ("random bytes", random, "not_a_component"),
        ("a core module", core_module, "not_a_component"),
        ("a truncated component", truncated, "not_a_component"),
        ("a component of another world", guest(WRONG_WORLD), "wrong_world"),
    ] {
        let reply = s.upload(&a.key, &a.tenant, bytes).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", reply.body);
        assert_eq!(reply.body["code"], code, "{what}: {}", reply.body);
    }
    let too_large = s.upload(&a.key, &a.tenant, vec![0u8; (32 << 20) + 1]).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", too_large.body);
    assert_eq!(too_large.body["code"], "plugin_too_large");
    assert_eq!(too_large.body["detail"], "a plugin component may have at most 33554432 bytes");
    a.assert_healthy().await;
}

#[tokio::test]
async fn a_compile_bomb_is_stopped_and_other_tenants_are_served_meanwhile() {
    let a = attacker("bomb").await;
    let bomb = compile_bomb(3, 800_000);
    assert!(bomb.len() < 32 << 20, "the bomb fits the upload limit: {} bytes", bomb.len());
    let started = Instant::now();
    let upload = {
        let (key, tenant) = (a.key.clone(), a.tenant.clone());
        tokio::spawn(async move { server().upload(&key, &tenant, bomb).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_bystander_healthy().await;
    let reply = upload.await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(reply.body["code"], "compile_stopped", "{}", reply.body);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("it took longer than 4 s") || detail.contains("it needed more than 1024 MiB of memory"),
        "{detail}"
    );
    assert!(elapsed < COMPILE_TIMEOUT + Duration::from_secs(3), "refused after {elapsed:?}");
    a.assert_healthy().await;
}
