//! Cancellation registry: the Go side names a request by a token id, and
//! `otelcol_ffi_cancel(id)` fires that request's CancellationToken at once
//! (Go calls it from `context.AfterFunc`). Entries live exactly as long as
//! their request: [`Registered`] removes its entry when dropped.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use tokio_util::sync::CancellationToken;

static TOKENS: LazyLock<Mutex<HashMap<u64, CancellationToken>>> = LazyLock::new(Default::default);

/// A request's token, registered under its id until dropped.
pub struct Registered {
    id: u64,
    pub token: CancellationToken,
}

/// Registers a fresh token under `id` (0: a request nobody can cancel).
pub fn register(id: u64) -> Registered {
    let token = CancellationToken::new();
    if id != 0 {
        lock().insert(id, token.clone());
    }
    Registered { id, token }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if self.id != 0 {
            lock().remove(&self.id);
        }
    }
}

/// Fires the token of request `id`; false when no such request is running
/// (it finished already, or never started).
pub fn cancel(id: u64) -> bool {
    let token = lock().get(&id).cloned();
    token.map(|t| t.cancel()).is_some()
}

/// Requests currently registered (tests and leak checks).
pub fn active() -> usize {
    lock().len()
}

fn lock() -> std::sync::MutexGuard<'static, HashMap<u64, CancellationToken>> {
    // A panic never happens while the lock is held; recover the map anyway.
    TOKENS.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fire_and_are_removed_on_completion() {
        let r = register(9_000_001);
        assert!(!r.token.is_cancelled());
        assert!(cancel(9_000_001));
        assert!(r.token.is_cancelled());
        drop(r);
        assert!(!cancel(9_000_001), "removed once the request is done");
        let none = register(0);
        assert!(!cancel(0));
        drop(none);
    }
}
