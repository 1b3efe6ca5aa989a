//! `ProcessingError`: the cross-runtime error model and its gRPC / HTTP
//! mapping, so that a fault raised in Rust reaches a Go client with the
//! status code, HTTP status and retryability a Go component would give it.

use std::fmt;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessingError {
    /// Not worth retrying. gRPC `Internal` unless a specific code is given.
    Permanent { message: String, code: Option<Code> },
    /// Temporary failure. gRPC `Unavailable` unless a specific code is given.
    Retryable { message: String, code: Option<Code> },
    /// The caller cancelled (or went away).
    Cancelled { message: String },
    /// The request deadline passed.
    Timeout { message: String },
    /// Rate limited / out of capacity; always sent with `google.rpc.RetryInfo`.
    ResourceExhausted {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Invalid component configuration met at run time.
    Configuration { message: String },
}

impl ProcessingError {
    pub fn permanent(message: impl Into<String>) -> Self {
        ProcessingError::Permanent {
            message: message.into(),
            code: None,
        }
    }

    pub fn retryable(message: impl Into<String>) -> Self {
        ProcessingError::Retryable {
            message: message.into(),
            code: None,
        }
    }

    pub fn cancelled(message: impl Into<String>) -> Self {
        ProcessingError::Cancelled {
            message: message.into(),
        }
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        ProcessingError::Timeout {
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ProcessingError::Permanent { message, .. }
            | ProcessingError::Retryable { message, .. }
            | ProcessingError::Cancelled { message }
            | ProcessingError::Timeout { message }
            | ProcessingError::ResourceExhausted { message, .. }
            | ProcessingError::Configuration { message } => message,
        }
    }

    /// The variant's name as it appears in logs and the `fault` processor config.
    pub fn kind(&self) -> &'static str {
        match self {
            ProcessingError::Permanent { .. } => "permanent",
            ProcessingError::Retryable { .. } => "retryable",
            ProcessingError::Cancelled { .. } => "cancelled",
            ProcessingError::Timeout { .. } => "timeout",
            ProcessingError::ResourceExhausted { .. } => "resource_exhausted",
            ProcessingError::Configuration { .. } => "configuration",
        }
    }

    /// Permanent errors must not be retried by the caller.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ProcessingError::Permanent { .. } | ProcessingError::Configuration { .. }
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProcessingError::ResourceExhausted { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn grpc_code(&self) -> Code {
        match self {
            ProcessingError::Configuration { .. } => Code::InvalidArgument,
            ProcessingError::Permanent { code, .. } => code.unwrap_or(Code::Internal),
            ProcessingError::Timeout { .. } => Code::DeadlineExceeded,
            ProcessingError::Cancelled { .. } => Code::Cancelled,
            ProcessingError::ResourceExhausted { .. } => Code::ResourceExhausted,
            ProcessingError::Retryable { code, .. } => code.unwrap_or(Code::Unavailable),
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            ProcessingError::Configuration { .. } => 400,
            ProcessingError::Permanent { code: None, .. } => 500,
            ProcessingError::Timeout { .. } => 504,
            ProcessingError::Cancelled { .. } => 499,
            ProcessingError::ResourceExhausted { .. } => 429,
            ProcessingError::Retryable { code: None, .. } => 503,
            // A specific gRPC code is translated the way the collector's
            // receiver/otlpreceiver/internal/errors does.
            ProcessingError::Permanent { code: Some(c), .. } | ProcessingError::Retryable { code: Some(c), .. } => {
                http_status_for_code(*c)
            }
        }
    }

    /// The status answered to a gRPC caller. ResourceExhausted always carries
    /// RetryInfo: the Go otlpexporter treats it as permanent without one.
    pub fn to_status(&self) -> Status {
        let code = self.grpc_code();
        match self {
            ProcessingError::ResourceExhausted { retry_after, message } => {
                Status::with_error_details(code, message.clone(), ErrorDetails::with_retry_info(*retry_after))
            }
            _ => Status::new(code, self.message().to_string()),
        }
    }

    /// Classifies a status received from a downstream gRPC server the way the Go
    /// otlpexporter does (`shouldRetry`): the caller upstream then decides on the
    /// real outcome.
    pub fn from_status(status: &Status) -> ProcessingError {
        let message = format!("{:?}: {}", status.code(), status.message());
        match status.code() {
            Code::ResourceExhausted => match status.get_details_retry_info() {
                Some(info) => ProcessingError::ResourceExhausted {
                    message,
                    retry_after: info.retry_delay,
                },
                None => ProcessingError::Permanent {
                    message,
                    code: Some(Code::ResourceExhausted),
                },
            },
            Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::OutOfRange
            | Code::Unavailable
            | Code::DataLoss => ProcessingError::Retryable {
                message,
                code: Some(status.code()),
            },
            other => ProcessingError::Permanent {
                message,
                code: Some(other),
            },
        }
    }
}

/// The collector's GetHTTPStatusCodeFromStatus table.
pub fn http_status_for_code(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => 503,
        Code::ResourceExhausted => 429,
        Code::InvalidArgument => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::Unimplemented => 404,
        _ => 500,
    }
}

impl fmt::Display for ProcessingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error: {}", self.kind(), self.message())?;
        if let Some(d) = self.retry_after() {
            write!(f, " (retry after {d:?})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProcessingError {}

impl From<ProcessingError> for Status {
    fn from(e: ProcessingError) -> Status {
        e.to_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_variants() -> Vec<(ProcessingError, Code, u16)> {
        vec![
            (
                ProcessingError::Configuration { message: "c".into() },
                Code::InvalidArgument,
                400,
            ),
            (ProcessingError::permanent("p"), Code::Internal, 500),
            (
                ProcessingError::Permanent {
                    message: "p".into(),
                    code: Some(Code::InvalidArgument),
                },
                Code::InvalidArgument,
                400,
            ),
            (
                ProcessingError::Permanent {
                    message: "p".into(),
                    code: Some(Code::Unauthenticated),
                },
                Code::Unauthenticated,
                401,
            ),
            (
                ProcessingError::Permanent {
                    message: "p".into(),
                    code: Some(Code::PermissionDenied),
                },
                Code::PermissionDenied,
                403,
            ),
            (
                ProcessingError::Permanent {
                    message: "p".into(),
                    code: Some(Code::Unimplemented),
                },
                Code::Unimplemented,
                404,
            ),
            (ProcessingError::timeout("t"), Code::DeadlineExceeded, 504),
            (ProcessingError::cancelled("x"), Code::Cancelled, 499),
            (
                ProcessingError::ResourceExhausted {
                    message: "r".into(),
                    retry_after: Some(Duration::from_secs(3)),
                },
                Code::ResourceExhausted,
                429,
            ),
            (ProcessingError::retryable("u"), Code::Unavailable, 503),
            (
                ProcessingError::Retryable {
                    message: "a".into(),
                    code: Some(Code::Aborted),
                },
                Code::Aborted,
                503,
            ),
        ]
    }

    #[test]
    fn every_variant_maps_to_its_grpc_code_and_http_status() {
        for (err, code, http) in all_variants() {
            assert_eq!(err.grpc_code(), code, "{err}");
            assert_eq!(err.http_status(), http, "{err}");
            let st = err.to_status();
            assert_eq!(st.code(), code, "{err}");
            assert_eq!(st.message(), err.message());
        }
    }

    #[test]
    fn only_permanent_and_configuration_are_permanent() {
        for (err, _, _) in all_variants() {
            let expect = matches!(err.kind(), "permanent" | "configuration");
            assert_eq!(err.is_permanent(), expect, "{err}");
        }
    }

    #[test]
    fn resource_exhausted_carries_retry_info_with_and_without_delay() {
        let with = ProcessingError::ResourceExhausted {
            message: "slow down".into(),
            retry_after: Some(Duration::from_millis(1500)),
        };
        let st = with.to_status();
        let info = st.get_details_retry_info().expect("RetryInfo detail present");
        assert_eq!(info.retry_delay, Some(Duration::from_millis(1500)));

        let without = ProcessingError::ResourceExhausted {
            message: "full".into(),
            retry_after: None,
        };
        let info = without
            .to_status()
            .get_details_retry_info()
            .expect("RetryInfo even without a delay");
        assert_eq!(info.retry_delay, None);
    }

    #[test]
    fn other_variants_carry_no_details() {
        for (err, _, _) in all_variants() {
            if err.kind() != "resource_exhausted" {
                assert!(err.to_status().details().is_empty(), "{err}");
            }
        }
    }

    #[test]
    fn downstream_status_classification_follows_go_should_retry() {
        let re = Status::with_error_details(
            Code::ResourceExhausted,
            "x",
            ErrorDetails::with_retry_info(Some(Duration::from_secs(2))),
        );
        assert_eq!(
            ProcessingError::from_status(&re).retry_after(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(ProcessingError::from_status(&re).grpc_code(), Code::ResourceExhausted);

        let bare = Status::resource_exhausted("x");
        assert!(ProcessingError::from_status(&bare).is_permanent());
        assert_eq!(ProcessingError::from_status(&bare).grpc_code(), Code::ResourceExhausted);

        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            let e = ProcessingError::from_status(&Status::new(code, "x"));
            assert!(!e.is_permanent(), "{code:?}");
            assert_eq!(e.grpc_code(), code);
        }
        for code in [
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::Unimplemented,
            Code::Internal,
            Code::Unknown,
        ] {
            let e = ProcessingError::from_status(&Status::new(code, "x"));
            assert!(e.is_permanent(), "{code:?}");
            assert_eq!(e.grpc_code(), code, "the backend's code is passed upstream");
        }
    }
}
