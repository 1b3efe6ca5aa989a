//! What a receiver holds while it serves, and the order it stops in: stop
//! accepting (GOAWAY on gRPC, close on HTTP), let in-flight requests finish
//! (the connection tracker), give each server task a short grace to flush
//! its responses, then remove the unix sockets it created.

use std::path::PathBuf;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a server task may take to flush its last responses after the
/// in-flight requests ended.
pub const RESPONSE_FLUSH_GRACE: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Serving {
    /// Cancelled at shutdown: every accept loop stops.
    pub stop: CancellationToken,
    /// The server tasks (one per listener).
    pub tasks: Vec<JoinHandle<()>>,
    /// The connection tasks, waited for at shutdown.
    pub tracker: TaskTracker,
    /// Unix socket files to remove once stopped.
    pub sockets: Vec<PathBuf>,
}

impl Serving {
    pub async fn shut_down(self) {
        self.stop.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        for mut t in self.tasks {
            if tokio::time::timeout(RESPONSE_FLUSH_GRACE, &mut t).await.is_err() {
                t.abort();
            }
        }
        for p in self.sockets {
            let _ = std::fs::remove_file(&p);
        }
    }
}
