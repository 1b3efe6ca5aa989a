//! Command line parsing (small enough not to need a parser crate).

use std::path::PathBuf;

pub const USAGE: &str =
    "usage: otelcol-rust --config FILE [--exit-with-parent] [--exit-on-stdin-eof] [--secret-on-stdin] [--listen-fds N]
       otelcol-rust validate --config FILE
       otelcol-rust components
       otelcol-rust --version";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run {
        config: PathBuf,
        exit_with_parent: bool,
        exit_on_stdin_eof: bool,
        /// The first line of stdin is the bridge secret (otelcol_core::auth).
        secret_on_stdin: bool,
        /// fds 3 .. 3+N-1 are listening sockets passed by the parent, served
        /// on by `fd://N` endpoints (otelcol_core::endpoint::adopt_listen_fds).
        listen_fds: usize,
    },
    Validate {
        config: PathBuf,
    },
    Components,
    Version,
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    let sub = match args.peek().map(String::as_str) {
        Some("validate") | Some("components") => args.next(),
        _ => None,
    };
    let mut config = None;
    let (mut exit_with_parent, mut exit_on_stdin_eof, mut secret_on_stdin) = (false, false, false);
    let mut listen_fds = 0;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--version" | "-v" => return Ok(Command::Version),
            "--help" | "-h" => return Ok(Command::Help),
            "--config" => config = Some(args.next().ok_or("--config needs a file")?),
            s if s.starts_with("--config=") => config = Some(s["--config=".len()..].to_string()),
            "--exit-with-parent" if sub.is_none() => exit_with_parent = true,
            "--exit-on-stdin-eof" if sub.is_none() => exit_on_stdin_eof = true,
            "--secret-on-stdin" if sub.is_none() => secret_on_stdin = true,
            "--listen-fds" if sub.is_none() => {
                let n = args.next().ok_or("--listen-fds needs a number")?;
                listen_fds = n
                    .parse::<u16>()
                    .map_err(|_| format!("--listen-fds {n:?}: not a number of file descriptors"))?
                    .into();
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    match sub.as_deref() {
        Some("components") if config.is_none() => Ok(Command::Components),
        Some("components") => Err("components takes no --config".to_string()),
        Some(_) => Ok(Command::Validate {
            config: config.ok_or("validate needs --config FILE")?.into(),
        }),
        None => Ok(Command::Run {
            config: config.ok_or("--config FILE is required")?.into(),
            exit_with_parent,
            exit_on_stdin_eof,
            secret_on_stdin,
            listen_fds,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, String> {
        parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            p("--config c.yaml --exit-with-parent").unwrap(),
            Command::Run {
                config: "c.yaml".into(),
                exit_with_parent: true,
                exit_on_stdin_eof: false,
                secret_on_stdin: false,
                listen_fds: 0
            }
        );
        assert_eq!(
            p("--exit-on-stdin-eof --config=c.yaml --secret-on-stdin --listen-fds 2").unwrap(),
            Command::Run {
                config: "c.yaml".into(),
                exit_with_parent: false,
                exit_on_stdin_eof: true,
                secret_on_stdin: true,
                listen_fds: 2
            }
        );
        assert_eq!(
            p("validate --config c.yaml").unwrap(),
            Command::Validate {
                config: "c.yaml".into()
            }
        );
        assert_eq!(p("components").unwrap(), Command::Components);
        assert_eq!(p("--version").unwrap(), Command::Version);
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(p("").is_err());
        assert!(p("validate").is_err());
        assert!(p("--config").is_err());
        assert!(p("--config c --bogus").is_err());
        assert!(p("validate --config c --exit-with-parent").is_err());
        assert!(p("validate --config c --secret-on-stdin").is_err());
        assert!(p("validate --config c --listen-fds 1").is_err());
        assert!(p("--config c --listen-fds").is_err());
        assert!(p("--config c --listen-fds -1").is_err());
        assert!(p("--config c --listen-fds x").is_err());
    }
}
