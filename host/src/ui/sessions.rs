//! Signed-in browser sessions: a random token in the cookie stands for the principal whose key
//! signed in, so the key itself never travels again. Sessions live in memory (a restart signs
//! everyone out) and end after a day without use or on sign-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::auth::Principal;

/// How long a session lasts without a request.
pub const IDLE_LIMIT: Duration = Duration::from_secs(24 * 3600);

#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, (Principal, Instant)>>,
}

impl Sessions {
    /// Opens a session for `principal` and returns its token.
    pub fn open(&self, principal: Principal) -> String {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, (_, used)| used.elapsed() < IDLE_LIMIT);
        open.insert(token.clone(), (principal, Instant::now()));
        token
    }

    /// The principal of a live session, marking it used.
    pub fn get(&self, token: &str) -> Option<Principal> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (principal, used) = open.get_mut(token)?;
        if used.elapsed() >= IDLE_LIMIT {
            open.remove(token);
            return None;
        }
        *used = Instant::now();
        Some(principal.clone())
    }

    pub fn close(&self, token: &str) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }
}
