//! The one tokio runtime of the process's Rust half, built on first use.
//!
//! Go owns signals in this process: the runtime never installs a handler
//! (tokio's would lack SA_ONSTACK and crash a Go thread it interrupts), and
//! its threads block SIGPIPE so that writing to a closed socket fails with
//! EPIPE instead of killing the process, as it does on Go's own threads.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// `service.worker_threads` of the config that starts the Rust half; 0: one
/// thread per CPU.
static WORKER_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sizes the runtime before it is built. Returns false when it already runs
/// (a second start in the same process), which keeps its size.
pub fn set_worker_threads(n: usize) -> bool {
    WORKER_THREADS.store(n, Ordering::Relaxed);
    RUNTIME.get().is_none()
}

/// The runtime, built lazily; an error when the OS refused threads.
pub fn get() -> Result<&'static Runtime, String> {
    RUNTIME
        .get_or_init(|| {
            let mut builder = Builder::new_multi_thread();
            if let n @ 1.. = WORKER_THREADS.load(Ordering::Relaxed) {
                builder.worker_threads(n);
            }
            builder
                .enable_all()
                .thread_name("otelcol-rust")
                .on_thread_start(block_sigpipe)
                .build()
                .map_err(|e| format!("cannot start the Rust async runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn block_sigpipe() {
    // SAFETY: sigset_t is plain data initialised by sigemptyset before use;
    // pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runtime_threads_block_sigpipe() {
        let rt = super::get().unwrap();
        let blocked = rt.block_on(async {
            tokio::task::spawn(async {
                // SAFETY: reading this thread's mask into a zeroed sigset_t.
                unsafe {
                    let mut cur: libc::sigset_t = std::mem::zeroed();
                    libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut cur);
                    libc::sigismember(&cur, libc::SIGPIPE) == 1
                }
            })
            .await
            .unwrap()
        });
        assert!(blocked, "SIGPIPE must be blocked on runtime threads");
    }
}
