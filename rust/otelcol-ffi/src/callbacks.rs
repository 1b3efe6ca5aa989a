//! The Go side's functions, set once by `otelcol_ffi_init`.

use std::sync::OnceLock;

use crate::abi::OtelcolCallbacks;

static CALLBACKS: OnceLock<OtelcolCallbacks> = OnceLock::new();

// SAFETY: the struct holds only function pointers, which any thread may call.
unsafe impl Send for OtelcolCallbacks {}
// SAFETY: as above; it is never mutated after init.
unsafe impl Sync for OtelcolCallbacks {}

/// Stores the callbacks; false when they were set already (first one wins:
/// a Go process has one set of exported functions).
pub fn set(cbs: OtelcolCallbacks) -> bool {
    CALLBACKS.set(cbs).is_ok()
}

pub fn get() -> Option<&'static OtelcolCallbacks> {
    CALLBACKS.get()
}
