//! The C ABI driven the way the Go side drives it, with callbacks written
//! in Rust: a request crosses in, goes through a pipeline and crosses back
//! out; context and errors survive both crossings; cancellation is prompt;
//! a panicking component fails only its request; nothing is left registered.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use otelcol_core::model::testdata::{Rng, metrics_request, traces_request};
use otelcol_ffi::abi::{OtelcolBytes, OtelcolCallbacks, OtelcolContext, OtelcolError, OtelcolKeyValue};
use otelcol_ffi::*;
use prost::Message;

#[derive(Debug)]
enum Event {
    Complete {
        call: u64,
        err: Option<(u8, u8, i32, i64, String)>,
    },
    Export {
        call: u64,
        bridge: String,
        len: usize,
        md: Vec<(String, String)>,
        trace: Option<[u8; 16]>,
        deadline: bool,
    },
    CancelExport(u64),
}

static EVENTS: Mutex<Option<Sender<Event>>> = Mutex::new(None);

fn send(e: Event) {
    if let Some(tx) = EVENTS.lock().unwrap().as_ref() {
        let _ = tx.send(e);
    }
}

unsafe extern "C" fn on_complete(call: u64, err: *const OtelcolError) {
    let err = (!err.is_null()).then(|| {
        // SAFETY: valid for this call.
        let e = unsafe { &*err };
        // SAFETY: as above.
        let msg = String::from_utf8_lossy(unsafe { e.message.as_slice() }).into_owned();
        (e.kind, e.permanent, e.grpc_code, e.retry_after_nanos, msg)
    });
    send(Event::Complete { call, err });
}

unsafe extern "C" fn on_export(
    b: *const u8,
    bl: usize,
    _sig: u8,
    _d: *const u8,
    dl: usize,
    ctx: *const OtelcolContext,
    call: u64,
) {
    // SAFETY: all valid for this call.
    let (bridge, c) = unsafe {
        (
            String::from_utf8_lossy(OtelcolBytes { ptr: b, len: bl }.as_slice()).into_owned(),
            &*ctx,
        )
    };
    let mut md = vec![];
    for i in 0..c.metadata_len {
        // SAFETY: metadata_len entries.
        let kv = unsafe { &*c.metadata.add(i) };
        // SAFETY: valid for this call.
        let (k, v) = unsafe { (kv.key.as_slice(), kv.value.as_slice()) };
        md.push((
            String::from_utf8_lossy(k).into_owned(),
            String::from_utf8_lossy(v).into_owned(),
        ));
    }
    let trace = (c.has_trace == 1).then_some(c.trace_id);
    send(Event::Export {
        call,
        bridge,
        len: dl,
        md,
        trace,
        deadline: c.has_deadline == 1,
    });
}

unsafe extern "C" fn on_cancel_export(call: u64) {
    send(Event::CancelExport(call));
}

const CONFIG: &str = r#"
receivers:
  ffi_bridge/in: {}
processors:
  fault/panic:
    error: panic
    metadata: {x-panic: "yes"}
  fault/slow:
    delay: 30s
exporters:
  ffi_bridge/out: {retry_on_failure: {enabled: false}}
service:
  pipelines:
    traces:
      receivers: [ffi_bridge/in]
      processors: [fault/panic]
      exporters: [ffi_bridge/out]
    metrics:
      receivers: [ffi_bridge/in]
      processors: [fault/slow]
      exporters: [ffi_bridge/out]
"#;

fn init() -> Receiver<Event> {
    static ONCE: Once = Once::new();
    let (tx, rx) = channel();
    *EVENTS.lock().unwrap() = Some(tx);
    ONCE.call_once(|| {
        let cbs = OtelcolCallbacks {
            complete: Some(on_complete),
            export: Some(on_export),
            cancel_export: Some(on_cancel_export),
            log: None,
        };
        // SAFETY: cbs lives across the call.
        assert_eq!(unsafe { otelcol_ffi_init(&cbs) }, OTELCOL_OK);
    });
    rx
}

struct Ctx {
    kvs: Vec<OtelcolKeyValue>,
    _strings: Vec<String>,
    raw: OtelcolContext,
}

fn ctx(md: &[(&str, &str)], token: u64, timeout: Option<Duration>) -> Box<Ctx> {
    let strings: Vec<String> = md.iter().flat_map(|(k, v)| [k.to_string(), v.to_string()]).collect();
    let kvs = strings
        .chunks(2)
        .map(|p| OtelcolKeyValue {
            key: OtelcolBytes::from_slice(p[0].as_bytes()),
            value: OtelcolBytes::from_slice(p[1].as_bytes()),
        })
        .collect::<Vec<_>>();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let mut c = Box::new(Ctx {
        kvs,
        _strings: strings,
        raw: OtelcolContext {
            deadline_unix_nanos: timeout.map_or(0, |t| (now + t).as_nanos() as i64),
            has_deadline: timeout.is_some() as u8,
            cancel_token: token,
            metadata: std::ptr::null(),
            metadata_len: md.len(),
            trace_id: [7; 16],
            span_id: [9; 8],
            trace_flags: 1,
            has_trace: 1,
            trace_state: OtelcolBytes::from_slice(b""),
        },
    });
    c.raw.metadata = c.kvs.as_ptr();
    c
}

fn consume(bridge: &str, signal: u8, data: &[u8], c: &Ctx, call: u64) {
    // SAFETY: everything lives across the call.
    unsafe {
        otelcol_ffi_consume(
            bridge.as_ptr(),
            bridge.len(),
            signal,
            data.as_ptr(),
            data.len(),
            &c.raw,
            call,
        )
    };
}

fn next(rx: &Receiver<Event>) -> Event {
    rx.recv_timeout(Duration::from_secs(10)).expect("an event within 10s")
}

#[test]
fn requests_cross_in_and_out_with_context_errors_cancellation_and_panics() {
    let rx = init();
    // SAFETY: a string from this library, freed once.
    let comps = unsafe {
        let p = otelcol_ffi_components();
        let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
        otelcol_ffi_string_free(p);
        s
    };
    assert!(
        comps.contains("\"ffi_bridge\"") && comps.contains("\"fault\""),
        "{comps}"
    );

    let bad = "receivers: {ffi_bridge/in: {port: 1}}\nexporters: {ffi_bridge/out: {}}\nservice: {pipelines: {traces: {receivers: [ffi_bridge/in], exporters: [ffi_bridge/out]}}}";
    // SAFETY: bad lives; the error is freed once.
    let err = unsafe {
        let p = otelcol_ffi_validate(bad.as_ptr(), bad.len());
        assert!(!p.is_null());
        let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
        otelcol_ffi_string_free(p);
        s
    };
    assert!(
        err.contains("rust half") && err.contains("receivers.ffi_bridge/in"),
        "{err}"
    );

    // SAFETY: CONFIG lives.
    let started = Instant::now();
    assert!(unsafe { otelcol_ffi_start(CONFIG.as_ptr(), CONFIG.len()) }.is_null());
    eprintln!("start took {:?}", started.elapsed());

    let traces = traces_request(&mut Rng::new(1)).encode_to_vec();
    let metrics = metrics_request(&mut Rng::new(2)).encode_to_vec();

    // Go → Rust → Go: the export reaches the Go side with the context.
    let c = ctx(
        &[(":authority", "col:4317"), ("x-tenant", "a"), ("X-Tenant", "b")],
        101,
        Some(Duration::from_secs(5)),
    );
    consume("in", 0, &traces, &c, 101);
    let Event::Export {
        call,
        bridge,
        len,
        md,
        trace,
        deadline,
    } = next(&rx)
    else {
        panic!("expected an export")
    };
    assert_eq!((bridge.as_str(), len), ("out", traces.len()));
    assert_eq!(
        md,
        vec![
            (":authority".into(), "col:4317".into()),
            ("x-tenant".into(), "a".into()),
            ("x-tenant".into(), "b".into())
        ]
    );
    assert_eq!(trace, Some([7; 16]));
    assert!(deadline);
    // Go answers with throttling; the Go → Rust caller sees it.
    let msg = b"slow down";
    let e = OtelcolError {
        message: OtelcolBytes::from_slice(msg),
        kind: 5,
        permanent: 0,
        grpc_code: 8,
        http_status: 429,
        retry_after_nanos: 2_000_000_000,
    };
    // SAFETY: e lives.
    assert_eq!(unsafe { otelcol_ffi_export_done(call, &e) }, 1);
    match next(&rx) {
        Event::Complete {
            call: 101,
            err: Some((kind, perm, code, retry, _)),
        } => {
            assert_eq!((kind, perm, code, retry), (5, 0, 8, 2_000_000_000));
        }
        other => panic!("{other:?}"),
    }

    // A panicking component fails its request with Internal; the next one passes.
    let c = ctx(&[("x-panic", "yes")], 102, None);
    consume("in", 0, &traces, &c, 102);
    match next(&rx) {
        Event::Complete {
            call: 102,
            err: Some((kind, perm, code, _, msg)),
        } => {
            assert_eq!((kind, perm, code), (1, 1, 13), "{msg}");
            assert!(msg.contains("panicked"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let c = ctx(&[], 103, None);
    consume("in", 0, &traces, &c, 103);
    let Event::Export { call, .. } = next(&rx) else {
        panic!("expected an export")
    };
    // SAFETY: null error = success.
    assert_eq!(unsafe { otelcol_ffi_export_done(call, std::ptr::null()) }, 1);
    assert!(matches!(next(&rx), Event::Complete { call: 103, err: None }));

    // Cancellation reaches a request stuck in a 30 s delay at once.
    let c = ctx(&[], 104, None);
    consume("in", 1, &metrics, &c, 104);
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    assert_eq!(otelcol_ffi_cancel(104), 1);
    match next(&rx) {
        Event::Complete {
            call: 104,
            err: Some((kind, _, code, _, _)),
        } => assert_eq!((kind, code), (3, 1)),
        other => panic!("{other:?}"),
    }
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "cancel took {:?}",
        t.elapsed()
    );

    // A deadline passing inside Rust ends the request with DeadlineExceeded.
    let c = ctx(&[], 105, Some(Duration::from_millis(50)));
    consume("in", 1, &metrics, &c, 105);
    match next(&rx) {
        Event::Complete {
            call: 105,
            err: Some((kind, _, code, _, _)),
        } => assert_eq!((kind, code), (4, 4)),
        other => panic!("{other:?}"),
    }

    // Refused before starting: unknown bridge, invalid data.
    consume("nope", 0, &traces, &c, 106);
    assert!(matches!(
        next(&rx),
        Event::Complete {
            call: 106,
            err: Some((2, 0, 14, _, _))
        }
    ));
    consume("in", 0, b"\xff\xff", &c, 107);
    assert!(matches!(
        next(&rx),
        Event::Complete {
            call: 107,
            err: Some((1, 1, 3, _, _))
        }
    ));
    // A client's bytes (the AS_RECEIVED flag) were read by Go's decoder, so
    // they are counted as pdata's encoding is: a span name that is not UTF-8,
    // which Go accepts and an all-Go collector forwards, crosses too...
    let not_utf8 = b"\x0a\x07\x12\x05\x12\x03\x2a\x01\xff";
    let c = ctx(&[], 110, None);
    consume("in", 0x80, not_utf8, &c, 110);
    let Event::Export { call, .. } = next(&rx) else {
        panic!("expected an export")
    };
    // SAFETY: null error = success.
    assert_eq!(unsafe { otelcol_ffi_export_done(call, std::ptr::null()) }, 1);
    assert!(matches!(next(&rx), Event::Complete { call: 110, err: None }));
    // ...and broken framing is refused before anything runs it, with the
    // prefix that lets Go send the request again encoded from pdata.
    let c = ctx(&[], 111, None);
    consume("in", 0x80, b"\x0a\x09\x12", &c, 111);
    let ev = next(&rx);
    assert!(
        matches!(&ev, Event::Complete { call: 111, err: Some((1, 1, 3, _, msg)) } if msg.starts_with("invalid OTLP ")),
        "{ev:?}"
    );

    // Rust gives up on a Go export when its caller cancels: Go is told.
    let c = ctx(&[], 108, None);
    consume("in", 0, &traces, &c, 108);
    let Event::Export { call, .. } = next(&rx) else {
        panic!("expected an export")
    };
    assert_eq!(otelcol_ffi_cancel(108), 1);
    let mut saw_cancel = false;
    let mut saw_complete = false;
    for _ in 0..2 {
        match next(&rx) {
            Event::CancelExport(id) => saw_cancel = id == call,
            Event::Complete {
                call: 108,
                err: Some((3, ..)),
            } => saw_complete = true,
            other => panic!("{other:?}"),
        }
    }
    assert!(saw_cancel && saw_complete);
    // SAFETY: a late answer is ignored.
    assert_eq!(unsafe { otelcol_ffi_export_done(call, std::ptr::null()) }, 0);

    assert_eq!(
        otelcol_ffi_active_requests(),
        0,
        "every request's registry entry is gone"
    );
    assert_eq!(otelcol_ffi_shutdown(), OTELCOL_OK);
    assert_eq!(otelcol_ffi_shutdown(), OTELCOL_ERR, "nothing left to stop");
    consume("in", 0, &traces, &c, 109);
    assert!(matches!(
        next(&rx),
        Event::Complete {
            call: 109,
            err: Some((2, 0, 14, _, _))
        }
    ));
}
