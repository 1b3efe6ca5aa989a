//! Listen addresses in the collector's forms (`unix:///path`, `host:port`),
//! one connection stream type for tonic over either transport, and the client
//! side: where to connect ([`Target`]) and a lazy tonic channel to it.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tonic::transport::server::Connected;
use tonic::transport::{Channel, Endpoint};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(PathBuf),
    Tcp(String),
}

impl ListenAddr {
    pub fn parse(s: &str) -> Result<ListenAddr, String> {
        if let Some(path) = s.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(format!("invalid endpoint {s:?}: expected unix:///absolute/path"));
            }
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        if s.contains("://") {
            return Err(format!("invalid endpoint {s:?}: expected unix:///path or host:port"));
        }
        match s.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() => Ok(ListenAddr::Tcp(s.to_string())),
            _ => Err(format!("invalid endpoint {s:?}: expected unix:///path or host:port")),
        }
    }
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenAddr::Unix(p) => write!(f, "unix://{}", p.display()),
            ListenAddr::Tcp(a) => f.write_str(a),
        }
    }
}

/// Where a gRPC client connects (no TLS in this build).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    /// `http://host:port`
    Http(String),
}

/// A parsed client endpoint; `scheme_given` tells `http://host:port` (explicitly
/// plaintext) from a bare `host:port` (whose TLS setting is the caller's business).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedTarget {
    pub target: Target,
    pub scheme_given: bool,
}

impl Target {
    /// Parses `unix:///abs/path`, `http://host:port` or `host:port`; `https://`
    /// is refused (no TLS in this build), naming `who` in the error.
    pub fn parse(endpoint: &str, who: &str) -> Result<ParsedTarget, String> {
        if let Some(path) = endpoint.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(format!("invalid endpoint {endpoint:?}: expected unix:///absolute/path"));
            }
            return Ok(ParsedTarget {
                target: Target::Unix(PathBuf::from(path)),
                scheme_given: true,
            });
        }
        if endpoint.starts_with("https://") {
            return Err(format!(
                "{endpoint:?}: TLS is not supported by {who} (no TLS in this build); use http:// or unix://"
            ));
        }
        let (hostport, scheme_given) = match endpoint.strip_prefix("http://") {
            Some(h) => (h.trim_end_matches('/'), true),
            None => (endpoint, false),
        };
        match hostport.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !host.contains('/') && port.parse::<u16>().is_ok() => {
                Ok(ParsedTarget {
                    target: Target::Http(format!("http://{hostport}")),
                    scheme_given,
                })
            }
            _ => Err(format!(
                "invalid endpoint {endpoint:?}: expected host:port, http://host:port or unix:///path"
            )),
        }
    }

    /// A channel that connects on first use (and reconnects after failures);
    /// needs a running tokio runtime.
    pub fn connect_lazy(&self) -> Result<Channel, String> {
        match self {
            Target::Unix(path) => {
                let path = path.clone();
                // The authority of a unix-socket connection, as grpc-go sends it.
                let ep = Endpoint::from_static("http://localhost");
                Ok(ep.connect_with_connector_lazy(tower::service_fn(move |_: http::Uri| {
                    let path = path.clone();
                    async move { Ok::<_, io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
                })))
            }
            Target::Http(uri) => Ok(Endpoint::from_shared(uri.clone())
                .map_err(|e| format!("endpoint {uri}: {e}"))?
                .tcp_nodelay(true)
                .connect_lazy()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix://{}", p.display()),
            Target::Http(u) => f.write_str(u),
        }
    }
}

pub enum Listener {
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
}

impl Listener {
    /// Binds; a stale unix socket file left by a crashed run is removed first
    /// (only if it is a socket: a regular file there is an error, not ours to delete).
    pub async fn bind(addr: &ListenAddr) -> io::Result<Listener> {
        match addr {
            ListenAddr::Unix(path) => {
                remove_stale_socket(path)?;
                Ok(Listener::Unix(UnixListener::bind(path)?, path.clone()))
            }
            ListenAddr::Tcp(a) => Ok(Listener::Tcp(TcpListener::bind(a).await?)),
        }
    }

    pub fn socket_path(&self) -> Option<&Path> {
        match self {
            Listener::Unix(_, p) => Some(p),
            Listener::Tcp(_) => None,
        }
    }

    pub fn local_description(&self) -> String {
        match self {
            Listener::Unix(_, p) => format!("unix://{}", p.display()),
            Listener::Tcp(l) => l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        }
    }

    /// The accepted connections, for `serve_with_incoming_shutdown`.
    pub fn into_incoming(self) -> Pin<Box<dyn Stream<Item = io::Result<Conn>> + Send>> {
        match self {
            Listener::Unix(l, _) => Box::pin(futures::stream::unfold(l, |l| async move {
                let r = l.accept().await.map(|(s, _)| Conn::Unix(s));
                Some((r, l))
            })),
            Listener::Tcp(l) => Box::pin(futures::stream::unfold(l, |l| async move {
                let r = l.accept().await.map(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    Conn::Tcp(s)
                });
                Some((r, l))
            })),
        }
    }
}

pub fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A connection over either transport.
pub enum Conn {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_flush(cx),
            Conn::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_collector_forms() {
        assert_eq!(
            ListenAddr::parse("unix:///run/x/b1.sock").unwrap(),
            ListenAddr::Unix("/run/x/b1.sock".into())
        );
        assert_eq!(
            ListenAddr::parse("127.0.0.1:4317").unwrap(),
            ListenAddr::Tcp("127.0.0.1:4317".into())
        );
        assert_eq!(
            ListenAddr::parse("localhost:0").unwrap(),
            ListenAddr::Tcp("localhost:0".into())
        );
        for bad in ["unix://relative.sock", "http://x:1", "nohost", "h:port"] {
            assert!(ListenAddr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_target_forms() {
        let t = |s: &str| Target::parse(s, "test").map(|p| (p.target, p.scheme_given));
        assert_eq!(
            t("unix:///tmp/b.sock").unwrap(),
            (Target::Unix("/tmp/b.sock".into()), true)
        );
        assert_eq!(
            t("http://h:4317/").unwrap(),
            (Target::Http("http://h:4317".into()), true)
        );
        assert_eq!(
            t("127.0.0.1:4317").unwrap(),
            (Target::Http("http://127.0.0.1:4317".into()), false)
        );
        assert!(
            t("https://h:4317")
                .unwrap_err()
                .contains("TLS is not supported by test")
        );
        for bad in ["unix://rel.sock", "nohost", ":4317", "h:port", "http://h", "grpc://h:1"] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stale_socket_is_removed_but_regular_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s.sock");
        drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
        assert!(sock.exists());
        remove_stale_socket(&sock).unwrap();
        assert!(!sock.exists());
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(remove_stale_socket(&file).is_err());
        assert!(file.exists());
    }
}
