//! The Rust half's log lines go to the Go side's logger: the same JSON
//! lines the child writes to stderr in subprocess mode, one callback per
//! line, so the collector re-emits them through its own logger either way.

use std::io::Write;

/// Collects one formatted event, then hands it to Go when dropped.
pub struct GoLine(Vec<u8>);

impl Write for GoLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for GoLine {
    fn drop(&mut self) {
        let line = self.0.trim_ascii_end();
        if line.is_empty() {
            return;
        }
        match crate::callbacks::get().and_then(|c| c.log) {
            // SAFETY: the line lives across the call; Go copies it.
            Some(log) => unsafe { log(line.as_ptr(), line.len()) },
            None => {
                let _ = std::io::stderr().write_all(&self.0);
            }
        }
    }
}

/// Installs the subscriber once (later calls keep the first one: the
/// process has one global subscriber). `level` is the Rust half's
/// `service.telemetry.logs.level`.
pub fn init(level: Option<&str>) {
    otelcol_core::logging::init_with_writer(level, || GoLine(Vec::with_capacity(256)));
}
