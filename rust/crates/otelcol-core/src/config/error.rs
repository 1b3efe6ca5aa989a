//! Config errors with field paths: `<file>: <path>: <what>`.

use std::fmt;

use serde::de::DeserializeOwned;

/// An error at a path inside some YAML value (relative to whoever reports it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Prefixes the path, e.g. a component's own error with `processors.advanced_filter`.
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = join_path(prefix, &self.path);
        self
    }

    pub fn in_file(self, file: &str) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            path: self.path,
            message: self.message,
        }
    }

    /// Turns a serde_path_to_error error into `path: what`, putting an unknown
    /// field's name into the path (`…drop_metricz: unknown field`) the way users
    /// read it.
    pub fn from_serde<E: fmt::Display>(err: serde_path_to_error::Error<E>) -> Self {
        // "?" marks a position serde could not name (YAML syntax errors): drop it.
        let path = match err.path().to_string() {
            p if p == "." || p == "?" => String::new(),
            p => p.strip_suffix(".?").map(str::to_string).unwrap_or(p),
        };
        let raw = err.inner().to_string();
        let (msg, _) = split_location(&raw);
        // serde_yaml prefixes some messages with (part of) the path; say it once.
        let msg = match msg.split_once(": ") {
            Some((head, rest)) if !head.is_empty() && !head.contains(' ') && path.starts_with(head) => rest.to_string(),
            _ => msg,
        };
        if let Some(rest) = msg.strip_prefix("unknown field `")
            && let Some((field, expected)) = rest.split_once('`')
        {
            let expected = expected.trim_start_matches(", ").trim();
            let path = if path.ends_with(field) {
                path.clone()
            } else {
                join_path(&path, field)
            };
            let message = if expected.is_empty() {
                "unknown field".to_string()
            } else {
                format!("unknown field ({expected})")
            };
            return FieldError { path, message };
        }
        // A required field that is absent: the path names it, like an unknown one.
        if let Some(rest) = msg.strip_prefix("missing field `")
            && let Some((field, _)) = rest.split_once('`')
        {
            return FieldError {
                path: join_path(&path, field),
                message: "required, missing".to_string(),
            };
        }
        FieldError {
            path,
            message: msg.to_string(),
        }
    }
}

/// serde_yaml appends " at line L column C"; keep it out of the message but
/// after it, so the line is still shown.
fn split_location(msg: &str) -> (String, Option<&str>) {
    match msg.find(" at line ") {
        Some(i) => (format!("{} ({})", &msg[..i], msg[i + 1..].trim()), Some(&msg[i + 1..])),
        None => (msg.to_string(), None),
    }
}

pub(crate) fn join_path(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => prefix.to_string(),
        _ if rest.starts_with('[') => format!("{prefix}{rest}"),
        _ => format!("{prefix}.{rest}"),
    }
}

/// A config error, displayed as `<file>: <path>: <what>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Deserializes a component's config (null = all defaults) with field paths.
pub fn parse_component_config<T: DeserializeOwned>(value: serde_yaml::Value) -> Result<T, FieldError> {
    let value = match value {
        serde_yaml::Value::Null => serde_yaml::Value::Mapping(Default::default()),
        v => v,
    };
    serde_path_to_error::deserialize(value).map_err(FieldError::from_serde)
}
