//! `service::telemetry::metrics::level`, with the Go collector's meaning:
//! `none` counts nothing at all, `basic` and `normal` count every component,
//! `detailed` adds the failure attributes (`error.type`, `error.permanent`).

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Basic,
    #[default]
    Normal,
    Detailed,
}

impl Level {
    /// Any case, as configtelemetry.Level reads it.
    pub fn parse(s: &str) -> Result<Level, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Level::None),
            "basic" => Ok(Level::Basic),
            "normal" => Ok(Level::Normal),
            "detailed" => Ok(Level::Detailed),
            _ => Err(format!(
                "unknown metrics level {s:?} (expected none, basic, normal or detailed)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Basic => "basic",
            Level::Normal => "normal",
            Level::Detailed => "detailed",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
