//! What the benchmark's programs share: arguments, the scenarios and their checks, the driver
//! that runs a scenario against any client, and the measurements of the client process.
//!
//! Each client program (`client-aioduct`, `client-reqwest`, `client-hyper-util`) implements
//! [`BenchClient`] for its library and hands it to [`run`], which prints one line of JSON.
//! A wrong answer (status, byte count, protocol version) ends the program with an error, so it
//! never becomes a figure.

mod driver;
mod scenario;

use std::{net::TcpStream, time::Duration};

pub use driver::{Report, run};
pub use scenario::{Flavor, Scenario};

/// The body of `/small`: 13 bytes.
pub const SMALL_BODY: &[u8] = b"Hello, world!";

/// The decoded length of `/gzip`.
pub const GZIP_PLAIN_LEN: usize = 1024 * 1024;

/// The length of the `download` scenario's body: 1 GiB.
pub const DOWNLOAD_LEN: u64 = 1024 * 1024 * 1024;

/// The length of the `post_16k` scenario's body.
pub const POST_LEN: usize = 16 * 1024;

/// The text behind `/gzip`: log-like lines, compressible the way real text is (about 5:1).
pub fn gzip_plain_text() -> Vec<u8> {
    let mut text = Vec::with_capacity(GZIP_PLAIN_LEN + 128);
    let mut seed: u32 = 0x1234_5678;
    let mut line = 0u32;
    while text.len() < GZIP_PLAIN_LEN {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        line += 1;
        let entry = format!(
            "{line:08} GET /api/items/{} 200 {}us user={:x}\n",
            seed % 10_000,
            seed % 997,
            seed
        );
        text.extend_from_slice(entry.as_bytes());
    }
    text.truncate(GZIP_PLAIN_LEN);
    text
}

/// One HTTP answer as the driver checks it.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub version: http::Version,
    /// Body bytes received (after decoding, for a client that decodes).
    pub len: u64,
    /// The `Location` header, for redirects followed by hand.
    pub location: Option<String>,
    /// The body itself, when the caller asked to keep it.
    pub body: Option<bytes::Bytes>,
}

/// A client library under test. Only the driver calls these, one scenario per process.
#[allow(async_fn_in_trait)]
pub trait BenchClient: Sized {
    /// A client configured for `flavor`, trusting the server's CA (PEM).
    fn build(flavor: Flavor, ca_pem: &[u8]) -> Result<Self, String>;

    /// GETs `url`, reading the whole body: kept when `keep_body`, otherwise only counted.
    async fn get(&self, url: &str, keep_body: bool) -> Result<Reply, String>;

    /// POSTs `body` to `url` and keeps the response body.
    async fn post(&self, url: &str, body: bytes::Bytes) -> Result<Reply, String>;

    /// Whether `get` follows redirects itself.
    fn follows_redirects(&self) -> bool {
        false
    }

    /// Whether `get` decodes a gzip-encoded body itself.
    fn decodes_gzip(&self) -> bool {
        false
    }
}

/// `--key value` arguments.
#[derive(Debug, Clone)]
pub struct Args {
    pairs: Vec<(String, String)>,
}

impl Args {
    /// The process's arguments.
    pub fn from_env() -> Args {
        let mut pairs = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(key) = args.next() {
            let key = key.trim_start_matches("--").to_owned();
            let value = args.next().unwrap_or_default();
            pairs.push((key, value));
        }
        Args { pairs }
    }

    /// The value of `--key`.
    pub fn value(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// Every value of `--key`, in order (for an option given more than once).
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `--key`, parsed.
    pub fn parsed<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        self.value(key).and_then(|v| v.parse().ok())
    }

    /// The CPU to pin to (`--cpu N`).
    pub fn cpu(&self) -> Option<usize> {
        self.parsed("cpu")
    }
}

/// Pins this thread, and every thread it starts afterwards, to `cpu`.
pub fn pin_to_cpu(cpu: usize) {
    // SAFETY: `set` is a plain bit set that lives across the call; pid 0 is this thread.
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if result != 0 {
        eprintln!(
            "warning: cannot pin to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// CPU time (user + system) of this process so far, and its peak RSS in KiB.
pub fn rusage() -> (Duration, u64) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (
        time(usage.ru_utime) + time(usage.ru_stime),
        usage.ru_maxrss as u64,
    )
}

/// The connections the server has accepted so far, asked on a connection of our own (which the
/// count includes).
pub fn server_conns(plain: &str) -> Result<u64, String> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(plain).map_err(|e| format!("/conns: {e}"))?;
    stream
        .write_all(b"GET /conns HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("/conns: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("/conns: {e}"))?;
    answer
        .rsplit("\r\n\r\n")
        .next()
        .and_then(|body| body.trim().parse().ok())
        .ok_or_else(|| format!("/conns: unexpected answer {answer:?}"))
}
