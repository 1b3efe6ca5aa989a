//! Panics stop at the FFI boundary: unwinding into Go is undefined
//! behaviour, and a panicking component must fail its own request, not the
//! process.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use otelcol_core::ProcessingError;

/// The panic's message, when it has one.
pub fn message(p: &(dyn Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs a request future; a panic inside becomes a permanent error (gRPC
/// Internal, HTTP 500) for that request, and is logged.
pub async fn request<F>(what: &str, work: F) -> Result<(), ProcessingError>
where
    F: Future<Output = Result<(), ProcessingError>>,
{
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(r) => r,
        Err(p) => {
            let msg = message(&*p);
            tracing::error!(
                component = what,
                panic = msg,
                "a Rust component panicked; its request fails with Internal"
            );
            Err(ProcessingError::permanent(format!(
                "{what}: a Rust component panicked: {msg}"
            )))
        }
    }
}

/// Runs an FFI entry point's body; a panic becomes `on_panic`.
pub fn entry<T>(name: &str, on_panic: T, body: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(p) => {
            tracing::error!(entry = name, panic = message(&*p), "panic at the FFI boundary");
            on_panic
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_request_fails_with_internal() {
        let r = request("fault", async { panic!("boom") }).await;
        let e = r.unwrap_err();
        assert!(e.is_permanent());
        assert_eq!(e.grpc_code(), tonic::Code::Internal);
        assert!(e.message().contains("boom"), "{e}");
    }

    #[test]
    fn an_entry_point_panic_returns_the_fallback() {
        assert_eq!(entry("t", -1, || panic!("x")), -1);
        assert_eq!(entry("t", -1, || 3), 3);
    }
}
