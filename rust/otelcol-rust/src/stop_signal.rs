//! Everything that asks the collector to stop: SIGTERM/SIGINT, the parent
//! process going away (ppid change), stdin reaching EOF.

use std::io::Read;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

pub struct StopWatchers {
    rx: mpsc::UnboundedReceiver<&'static str>,
}

impl StopWatchers {
    pub fn install(exit_with_parent: bool, exit_on_stdin_eof: bool) -> std::io::Result<StopWatchers> {
        let (tx, rx) = mpsc::unbounded_channel();
        for (kind, name) in [
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::interrupt(), "SIGINT"),
        ] {
            let mut s = signal(kind)?;
            let tx = tx.clone();
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    if tx.send(name).is_err() {
                        break;
                    }
                }
            });
        }
        if exit_with_parent {
            let tx = tx.clone();
            // SAFETY: getppid has no preconditions and cannot fail.
            let parent = unsafe { libc::getppid() };
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tick.tick().await;
                    // SAFETY: as above.
                    if unsafe { libc::getppid() } != parent {
                        let _ = tx.send("parent process exited");
                        break;
                    }
                }
            });
        }
        if exit_on_stdin_eof {
            let tx = tx.clone();
            // A plain thread: a blocking read must not hold a runtime worker.
            std::thread::Builder::new().name("stdin-eof".into()).spawn(move || {
                let mut buf = [0u8; 256];
                let mut stdin = std::io::stdin();
                loop {
                    match stdin.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => continue,
                    }
                }
                let _ = tx.send("stdin reached EOF");
            })?;
        }
        Ok(StopWatchers { rx })
    }

    /// Waits for the next stop request and says why.
    pub async fn next(&mut self) -> &'static str {
        self.rx.recv().await.unwrap_or("stop watchers gone")
    }
}
