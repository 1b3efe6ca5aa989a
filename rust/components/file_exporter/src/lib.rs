//! Exporter `file`: appends each request as one line of OTLP JSON
//! (`{"resourceMetrics":[…]}`), for tests and demos.

use std::path::PathBuf;
use std::sync::Arc;

use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::model::Request;
use otelcol_core::{ComponentId, Exporter, Payload, ProcessingError, RequestContext, async_trait};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

otelcol_core::register!(exporter FILE = "file", [Traces, Metrics, Logs], create);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    path: PathBuf,
}

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Exporter>, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    if raw.path.as_os_str().is_empty() {
        return Err(FieldError::new("path", "must not be empty"));
    }
    Ok(Arc::new(FileExporter {
        id: id.clone(),
        path: raw.path,
        file: Mutex::new(None),
    }))
}

pub struct FileExporter {
    id: ComponentId,
    path: PathBuf,
    file: Mutex<Option<tokio::fs::File>>,
}

/// One OTLP JSON line for a request.
/// JSON needs the owned form: this exporter is a decoding one (it is for tests
/// and demos, not for throughput).
pub fn to_json_line(data: &Payload) -> Result<Vec<u8>, String> {
    let owned = data.decode().map_err(|e| e.to_string())?;
    let mut line = match &owned {
        Request::Traces(r) => serde_json::to_vec(r),
        Request::Metrics(r) => serde_json::to_vec(r),
        Request::Logs(r) => serde_json::to_vec(r),
    }
    .map_err(|e| e.to_string())?;
    line.push(b'\n');
    Ok(line)
}

#[async_trait]
impl Exporter for FileExporter {
    async fn start(&self) -> Result<(), String> {
        let f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| format!("cannot open {}: {e}", self.path.display()))?;
        *self.file.lock().await = Some(f);
        Ok(())
    }

    async fn export(&self, _ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let line =
            to_json_line(&data).map_err(|e| ProcessingError::permanent(format!("{}: cannot encode: {e}", self.id)))?;
        let mut guard = self.file.lock().await;
        let f = guard
            .as_mut()
            .ok_or_else(|| ProcessingError::retryable(format!("{}: not started", self.id)))?;
        // A failed write may succeed later (disk full, …): retryable.
        f.write_all(&line)
            .await
            .map_err(|e| ProcessingError::retryable(format!("{}: write {}: {e}", self.id, self.path.display())))?;
        f.flush()
            .await
            .map_err(|e| ProcessingError::retryable(format!("{}: flush: {e}", self.id)))?;
        Ok(())
    }

    async fn shutdown(&self) {
        if let Some(f) = self.file.lock().await.as_mut() {
            let _ = f.sync_all().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::metrics::v1::Metric;

    #[tokio::test]
    async fn writes_one_otlp_json_line_per_request() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let value: serde_yaml::Value = serde_yaml::from_str(&format!("path: {}", path.display())).unwrap();
        let e = create(&ComponentId::parse("file").unwrap(), value).unwrap();
        e.start().await.unwrap();
        let req = otelcol_core::model::testdata::in_one_scope(vec![Metric {
            name: "kept".into(),
            ..Default::default()
        }]);
        let ctx = RequestContext::background();
        e.export(&ctx, Payload::from(req.clone())).await.unwrap();
        e.export(&ctx, Payload::from(req)).await.unwrap();
        e.shutdown().await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["name"], "kept");
    }

    #[test]
    fn rejects_unknown_fields() {
        let value: serde_yaml::Value = serde_yaml::from_str("path: /tmp/x\nformat: json").unwrap();
        let err = create(&ComponentId::parse("file").unwrap(), value).err().unwrap();
        assert_eq!(err.path, "format");
    }
}
