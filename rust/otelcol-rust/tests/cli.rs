//! The command line of the real binary: validate, components, version, exit codes.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_otelcol-rust");

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn components_lists_every_native_type_as_json() {
    let (code, out, _) = run(&["components"]);
    assert_eq!(code, Some(0));
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let mut got: Vec<(String, String)> = v
        .iter()
        .map(|c| (c["kind"].as_str().unwrap().into(), c["type"].as_str().unwrap().into()))
        .collect();
    got.sort();
    let want = [
        ("exporter", "debug"),
        ("exporter", "file"),
        ("exporter", "otap"),
        ("exporter", "otlp_rust"),
        ("processor", "advanced_filter"),
        ("processor", "fault"),
        ("receiver", "jaeger"),
        ("receiver", "otlp"),
    ];
    assert_eq!(got, want.map(|(k, t)| (k.to_string(), t.to_string())));
    for c in &v {
        // Jaeger carries traces only; every other component takes all three.
        let want = if c["type"] == "jaeger" {
            serde_json::json!(["traces"])
        } else {
            serde_json::json!(["traces", "metrics", "logs"])
        };
        assert_eq!(c["signals"], want, "{}", c["type"]);
    }
}

#[test]
fn version() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("otelcol-rust {}", env!("CARGO_PKG_VERSION")));
}

const VALID: &str = r#"
receivers:
  otlp/in: {protocols: {grpc: {endpoint: "unix:///tmp/never-bound.sock"}}}
processors:
  advanced_filter: {drop_metrics: [up, "scrape_*"]}
exporters:
  otlp_rust: {endpoint: "unix:///tmp/backend.sock"}
service:
  pipelines:
    metrics: {receivers: [otlp/in], processors: [advanced_filter], exporters: [otlp_rust]}
"#;

#[test]
fn validate_accepts_a_good_config_and_rejects_with_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, VALID).unwrap();
    let (code, _, err) = run(&["validate", "--config", good.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(
        !std::path::Path::new("/tmp/never-bound.sock").exists(),
        "validate binds nothing"
    );

    let cases = [
        (
            "drop_metrics",
            "drop_metricz",
            "processors.advanced_filter.drop_metricz: unknown field",
        ),
        (
            "\"scrape_*\"",
            "\"scrape_[0-9]\"",
            "processors.advanced_filter.drop_metrics[1]: invalid glob",
        ),
        (
            "exporters: [otlp_rust]",
            "exporters: [otlp_rust/x]",
            "service.pipelines.metrics.exporters[0]: exporter \"otlp_rust/x\" is not defined",
        ),
        (
            "exporters: [otlp_rust]",
            "exporters: []",
            "service.pipelines.metrics.exporters: pipeline has no exporters",
        ),
        (
            "\"unix:///tmp/backend.sock\"",
            "\"https://b:4317\"",
            "exporters.otlp_rust.endpoint:",
        ),
    ];
    for (from, to, want) in cases {
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, VALID.replacen(from, to, 1)).unwrap();
        let (code, _, err) = run(&["validate", "--config", bad.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{err}");
        let prefix = format!("otelcol-rust: config error: {}: {want}", bad.display());
        assert!(err.starts_with(&prefix), "\n got: {err}\nwant: {prefix}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Running (not just validating) a bad config exits 2 as well.
    let bad = dir.path().join("bad.yaml");
    let (code, _, _) = run(&["--config", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["--bogus"]);
    assert_eq!(code, Some(2));
    assert!(err.starts_with("otelcol-rust: unexpected argument"));
}
