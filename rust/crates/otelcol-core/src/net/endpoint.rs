//! Listen addresses in the collector's forms (`unix:///path`, `host:port`,
//! and `fd://N` for a listening socket inherited from the parent), one
//! connection stream type for tonic over either transport, and the client
//! side: where to connect ([`Target`]) and a lazy tonic channel to it.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{FromRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;
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
    /// `fd://N`: a listening TCP socket the parent bound and passed as file
    /// descriptor N (socket activation). The parent keeps the port bound for
    /// its whole life, so no other local process can take it while this
    /// process starts or between two of its runs.
    Fd(RawFd),
}

impl ListenAddr {
    pub fn parse(s: &str) -> Result<ListenAddr, String> {
        if let Some(n) = s.strip_prefix("fd://") {
            return match n.parse::<RawFd>() {
                // Digits only: no sign, no spaces, no trailing path.
                Ok(fd) if fd >= 3 && n.bytes().all(|b| b.is_ascii_digit()) => Ok(ListenAddr::Fd(fd)),
                Ok(_) if n.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
                    "invalid endpoint {s:?}: fds 0, 1 and 2 are stdin, stdout and stderr, not an inherited listener"
                )),
                _ => Err(format!(
                    "invalid endpoint {s:?}: expected fd://N, N the number of an inherited file descriptor (3 or more)"
                )),
            };
        }
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
            ListenAddr::Fd(n) => write!(f, "fd://{n}"),
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
            ListenAddr::Fd(fd) => Ok(Listener::Tcp(inherited_tcp_listener(*fd)?)),
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

/// The listening sockets the parent passed (fds 3, 4, ...), and whether a
/// listener serves on each yet: each is taken once, because a second owner
/// would close it under the first, or serve on whatever file the number is
/// reused for. Only adopted fds are served on: any other number may be a
/// file this process opened itself.
static INHERITED_FDS: Mutex<BTreeMap<RawFd, bool>> = Mutex::new(BTreeMap::new());

/// Adopts fds 3 .. 3+n as listening sockets passed by the parent (os/exec
/// ExtraFiles, as systemd socket activation passes them) for `fd://N`
/// endpoints, and marks them close-on-exec so nothing this process starts
/// inherits them. Call it first thing in `main`, before anything else opens
/// a file and could be given one of these numbers.
pub fn adopt_listen_fds(n: usize) -> Result<(), String> {
    let mut fds = INHERITED_FDS.lock().unwrap_or_else(|e| e.into_inner());
    for fd in (3..).take(n) {
        // SAFETY: F_GETFD/F_SETFD only read and set the fd's flags.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags < 0 {
            return Err(format!("--listen-fds {n}: fd {fd} is not open"));
        }
        // SAFETY: as above.
        unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
        fds.insert(fd, false);
    }
    Ok(())
}

/// Takes ownership of inherited fd `fd` after checking that the parent
/// passed it and that it is a listening TCP socket: a file, a pipe, a unix
/// socket, a UDP socket or a TCP socket that does not listen is refused,
/// not served on.
fn inherited_tcp_listener(fd: RawFd) -> io::Result<TcpListener> {
    let mut fds = INHERITED_FDS.lock().unwrap_or_else(|e| e.into_inner());
    match fds.get(&fd) {
        None => {
            let passed = match (fds.keys().next(), fds.keys().next_back()) {
                (Some(a), Some(b)) if a == b => format!("it passed fd {a}"),
                (Some(a), Some(b)) => format!("it passed fds {a} to {b}"),
                _ => "it passed none: otelcol-rust --listen-fds N adopts fds 3 .. 3+N-1".to_string(),
            };
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("fd {fd} was not passed by the parent ({passed})"),
            ));
        }
        Some(true) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("fd {fd} is already served on by another listener of this process"),
            ));
        }
        Some(false) => {}
    }
    check_listening_tcp(fd)?;
    fds.insert(fd, true);
    // SAFETY: fd is open and a listening TCP socket (checked above), and
    // INHERITED_FDS makes this the only owner in the process.
    let std = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    std.set_nonblocking(true)?;
    TcpListener::from_std(std)
}

/// Is fd an open socket of type SOCK_STREAM, of an IP family, in the
/// listening state? The error says what it is instead.
fn check_listening_tcp(fd: RawFd) -> io::Result<()> {
    let refuse = |what: String| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("fd {fd} is not a listening TCP socket: {what}"),
        ))
    };
    // SAFETY: a zeroed stat is a valid out-parameter for fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes only into st.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EBADF) {
            return refuse("no such file descriptor is open (was it passed by the parent?)".into());
        }
        return refuse(format!("fstat: {e}"));
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return refuse("it is not a socket".into());
    }
    let int_opt = |opt: libc::c_int| -> io::Result<libc::c_int> {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: v and len describe a c_int-sized out-parameter.
        let r = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, opt, (&mut v as *mut libc::c_int).cast(), &mut len) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(v)
    };
    // SAFETY: a zeroed sockaddr_storage is a valid out-parameter.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: ss and len describe a sockaddr_storage-sized out-parameter.
    if unsafe { libc::getsockname(fd, (&mut ss as *mut libc::sockaddr_storage).cast(), &mut len) } != 0 {
        return refuse(format!("getsockname: {}", io::Error::last_os_error()));
    }
    let family = libc::c_int::from(ss.ss_family);
    if family != libc::AF_INET && family != libc::AF_INET6 {
        let name = if family == libc::AF_UNIX {
            "a unix socket".to_string()
        } else {
            format!("a socket of address family {family}")
        };
        return refuse(format!("it is {name}"));
    }
    match int_opt(libc::SO_TYPE)? {
        libc::SOCK_STREAM => {}
        libc::SOCK_DGRAM => return refuse("it is a UDP socket".into()),
        t => return refuse(format!("it is a socket of type {t}")),
    }
    if int_opt(libc::SO_ACCEPTCONN)? == 0 {
        return refuse("it is a TCP socket that does not listen (bound or connected, listen() never called)".into());
    }
    Ok(())
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
    fn parses_inherited_fd_form() {
        assert_eq!(ListenAddr::parse("fd://3").unwrap(), ListenAddr::Fd(3));
        assert_eq!(ListenAddr::parse("fd://17").unwrap(), ListenAddr::Fd(17));
        assert_eq!(ListenAddr::Fd(4).to_string(), "fd://4");
        for stdio in ["fd://0", "fd://1", "fd://2"] {
            let e = ListenAddr::parse(stdio).unwrap_err();
            assert!(e.contains("stdin, stdout and stderr"), "{stdio}: {e}");
        }
        for bad in [
            "fd://",
            "fd://x",
            "fd://-3",
            "fd://+3",
            "fd:// 3",
            "fd://3/",
            "fd://99999999999",
        ] {
            let e = ListenAddr::parse(bad).unwrap_err();
            assert!(e.contains("expected fd://N"), "{bad}: {e}");
        }
    }

    use std::os::fd::{AsRawFd, IntoRawFd};

    /// What adopt_listen_fds does for fds 3.., for an fd this test opened.
    fn adopt_for_test(fd: RawFd) {
        INHERITED_FDS.lock().unwrap().insert(fd, false);
    }

    #[tokio::test]
    async fn serves_on_an_inherited_listening_socket_once() {
        let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std.local_addr().unwrap();
        let fd = std.into_raw_fd();
        adopt_for_test(fd);
        let l = Listener::bind(&ListenAddr::Fd(fd)).await.unwrap();
        assert_eq!(l.local_description(), addr.to_string());
        let mut incoming = l.into_incoming();
        let client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let conn = futures::StreamExt::next(&mut incoming).await.unwrap().unwrap();
        assert!(matches!(conn, Conn::Tcp(_)));
        drop(client);
        // A second listener on the same fd would serve on a socket the first
        // one closes, or on whatever the number is reused for.
        let e = Listener::bind(&ListenAddr::Fd(fd)).await.err().unwrap();
        assert!(e.to_string().contains("already served on"), "{e}");
    }

    #[tokio::test]
    async fn refuses_an_fd_that_is_not_a_listening_tcp_socket() {
        let refused = |fd: RawFd| async move {
            adopt_for_test(fd);
            match Listener::bind(&ListenAddr::Fd(fd)).await {
                Ok(_) => panic!("fd {fd} was served on"),
                Err(e) => e.to_string(),
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(dir.path().join("f")).unwrap();
        let e = refused(file.as_raw_fd()).await;
        assert!(e.contains("is not a listening TCP socket: it is not a socket"), "{e}");

        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let e = refused(udp.as_raw_fd()).await;
        assert!(e.contains("it is a UDP socket"), "{e}");

        let unix = std::os::unix::net::UnixListener::bind(dir.path().join("s.sock")).unwrap();
        let e = refused(unix.as_raw_fd()).await;
        assert!(e.contains("it is a unix socket"), "{e}");

        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let connected = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let e = refused(connected.as_raw_fd()).await;
        assert!(e.contains("TCP socket that does not listen"), "{e}");

        // Adopted, but closed since: far above anything this process opens.
        let e = refused(1 << 20).await;
        assert!(e.contains("no such file descriptor is open"), "{e}");

        // Never passed: whatever it is, it is this process's own file.
        let e = match Listener::bind(&ListenAddr::Fd(file.as_raw_fd() + 1000)).await {
            Ok(_) => panic!("served on an fd the parent did not pass"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("was not passed by the parent"), "{e}");

        // Refused fds were not taken: their owners still hold them open.
        assert!(file.metadata().is_ok());
        assert!(udp.local_addr().is_ok());
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
