//! Real third-party peers for the interop tests (see ../shared/PEERS.md): each one runs in the
//! foreground on 127.0.0.1, on ports that were free, with its configuration, pid and log files in
//! a folder of its own. A start waits (at most [`READY_WITHIN`]) until the peer answers and fails
//! with the peer's log tail when it does not; dropping the peer kills its process group (by the
//! PID of the process it started) and removes the folder.
//!
//! `cargo xtask interop` installs the peers; run by hand, a missing one fails with the package to
//! install.

use std::{
    fmt::Write as _,
    fs,
    io::ErrorKind,
    net::{SocketAddr, TcpListener, TcpStream, UdpSocket},
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    thread,
    time::{Duration, Instant},
};

/// How long a peer may take to answer after its start.
pub const READY_WITHIN: Duration = Duration::from_secs(10);

/// How many times a peer that exits before it listens is started again on other ports: a port
/// found free can be taken by another process before the peer binds it.
const STARTS: usize = 3;

/// The user and password of the peers that ask for credentials.
pub const USER: &str = "user";
pub const PASSWORD: &str = "pass";

/// `user:pass` for squid's `basic_ncsa_auth` (`openssl passwd -apr1 -salt aioduct0 pass`).
const SQUID_PASSWD: &str = "user:$apr1$aioduct0$7tUGFo4aqz3J8mLOkGftn/\n";

/// squid's helper that checks Basic credentials against an htpasswd file.
pub const SQUID_BASIC_AUTH: &str = "/usr/lib/squid/basic_ncsa_auth";

/// A running peer: its processes (stopped in reverse order on drop) and its folder.
pub struct Peer {
    name: &'static str,
    dir: PathBuf,
    children: Vec<Child>,
    logs: Vec<PathBuf>,
    /// Where it listens (the SOCKS port for `ssh -D`, the DNS port for dnsmasq).
    pub addr: SocketAddr,
}

impl Peer {
    /// A peer with a fresh, empty folder and nothing running yet.
    fn new(name: &'static str) -> Peer {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aioduct-interop-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Peer {
            name,
            dir,
            children: Vec::new(),
            logs: Vec::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// A file in the peer's folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// `path(file)` as text, for configuration files.
    fn at(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }

    fn write(&self, file: &str, contents: &str) -> String {
        fs::write(self.path(file), contents).unwrap();
        self.at(file)
    }

    /// Also shows `file` (written by the peer itself) in failure messages.
    fn log_file(&mut self, file: &str) {
        self.logs.push(self.path(file));
    }

    /// Starts `program` in a process group of its own, standard output and error to `log`.
    fn spawn(&mut self, program: &str, args: &[String], log: &str) {
        self.spawn_with_env(program, args, log, &[]);
    }

    /// `spawn`, with `env` added to the program's environment.
    fn spawn_with_env(&mut self, program: &str, args: &[String], log: &str, env: &[(&str, &str)]) {
        let path = find_program(program);
        let out = fs::File::create(self.path(log)).unwrap();
        self.log_file(log);
        let child = Command::new(&path)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "{}: cannot start `{}`: {err}; `cargo xtask interop` installs it ({})",
                    self.name,
                    path.display(),
                    package_of(program)
                )
            });
        self.children.push(child);
    }

    /// Waits until `addr` accepts TCP connections. `Err` when a process of the peer exited
    /// first (worth another start on other ports); a panic with the log tail when the time is up.
    fn wait_for_tcp(&mut self, addr: SocketAddr) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            for child in &mut self.children {
                if let Some(status) = child.try_wait().unwrap() {
                    return Err(format!(
                        "{} exited with {status} before listening on {addr}\n{}",
                        self.name,
                        self.log_tail()
                    ));
                }
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {addr} within {READY_WITHIN:?}\n{}",
                self.name,
                self.log_tail()
            );
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// The last lines of each of the peer's logs, for failure messages.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        for log in &self.logs {
            let contents = fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = contents.lines().collect();
            let start = lines.len().saturating_sub(25);
            let _ = writeln!(text, "--- {} (last lines) ---", log.display());
            for line in &lines[start..] {
                let _ = writeln!(text, "{line}");
            }
        }
        text
    }

    /// Stops every process of the peer, last started first: SIGKILL to its process group, which
    /// also takes the helpers and workers the peer forked (squid's auth helper, dante's
    /// children). No peer keeps state worth a graceful stop, and squid's takes two seconds.
    fn stop(&mut self) {
        while let Some(mut child) = self.children.pop() {
            if child.try_wait().ok().flatten().is_some() {
                // Reaped: its PID may belong to someone else by now.
                continue;
            }
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Starts a peer with `start` up to [`STARTS`] times, each on fresh ports, until it listens.
fn start_with_retries(mut start: impl FnMut() -> Result<Peer, String>) -> Peer {
    let mut failures = Vec::new();
    for _ in 0..STARTS {
        match start() {
            Ok(peer) => return peer,
            Err(failure) => failures.push(failure),
        }
    }
    panic!("{}", failures.join("\n"));
}

/// squid (`squid -N`), HTTP forwarding and CONNECT. With `auth`, Basic proxy authentication
/// through `basic_ncsa_auth` and an htpasswd file in the peer's folder.
pub fn squid(auth: bool) -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("squid");
        // squid drops its privileges to its own user, which must write its logs here.
        fs::set_permissions(&peer.dir, fs::Permissions::from_mode(0o777)).unwrap();
        let port = free_tcp_port();
        let auth_lines = if auth {
            let passwd = peer.write("passwd", SQUID_PASSWD);
            fs::set_permissions(&passwd, fs::Permissions::from_mode(0o644)).unwrap();
            format!(
                "auth_param basic program {SQUID_BASIC_AUTH} {passwd}\n\
                 auth_param basic realm aioduct\n\
                 acl authed proxy_auth REQUIRED\n\
                 http_access allow authed\n"
            )
        } else {
            "http_access allow all\n".to_owned()
        };
        let conf = format!(
            "http_port 127.0.0.1:{port}\n\
             pid_filename {pid}\n\
             cache_log {cache_log}\n\
             access_log stdio:{access_log}\n\
             coredump_dir {dir}\n\
             cache deny all\n\
             cache_mem 4 MB\n\
             pinger_enable off\n\
             shutdown_lifetime 0 seconds\n\
             dns_nameservers 127.0.0.1\n\
             acl loopback src 127.0.0.0/8\n\
             http_access deny !loopback\n\
             {auth_lines}\
             http_access deny all\n",
            pid = peer.at("squid.pid"),
            cache_log = peer.at("cache.log"),
            access_log = peer.at("access.log"),
            dir = peer.dir.display(),
        );
        let conf = peer.write("squid.conf", &conf);
        peer.log_file("cache.log");
        peer.spawn("squid", &args(["-N", "-f", &conf]), "squid.out");
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// tinyproxy (`tinyproxy -d`), HTTP forwarding and CONNECT to any port. With `auth`,
/// `BasicAuth user pass`.
pub fn tinyproxy(auth: bool) -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("tinyproxy");
        let port = free_tcp_port();
        let auth_line = if auth {
            format!("BasicAuth {USER} {PASSWORD}\n")
        } else {
            String::new()
        };
        let conf = format!(
            "Port {port}\n\
             Listen 127.0.0.1\n\
             Timeout 60\n\
             Allow 127.0.0.1\n\
             LogLevel Info\n\
             PidFile \"{pid}\"\n\
             {auth_line}",
            pid = peer.at("tinyproxy.pid"),
        );
        let conf = peer.write("tinyproxy.conf", &conf);
        peer.spawn("tinyproxy", &args(["-d", "-c", &conf]), "tinyproxy.log");
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// dante (`danted -N 1`): SOCKS4 and SOCKS5 without authentication (its user methods need
/// system users), for clients on 127.0.0.0/8, out through `lo`.
pub fn dante() -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("dante");
        let port = free_tcp_port();
        let conf = format!(
            "logoutput: {log}\n\
             internal: 127.0.0.1 port = {port}\n\
             external: lo\n\
             clientmethod: none\n\
             socksmethod: none\n\
             user.privileged: root\n\
             user.unprivileged: nobody\n\
             client pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  log: error\n}}\n\
             socks pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  log: error connect\n}}\n",
            log = peer.at("danted.log"),
        );
        let conf = peer.write("danted.conf", &conf);
        let pid = peer.at("danted.pid");
        peer.log_file("danted.log");
        peer.spawn(
            "danted",
            &args(["-f", &conf, "-p", &pid, "-N", "1"]),
            "danted.out",
        );
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// OpenSSH's dynamic forwarding: an `sshd` on 127.0.0.1 with keys made here, and
/// `ssh -N -D 127.0.0.1:P` logged into it; `addr` is the SOCKS port (SOCKS4, 4a, 5, 5h).
pub fn ssh_socks() -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("ssh");
        // sshd's privilege separation needs it; only root can make it, and only root needs it.
        let _ = fs::create_dir_all("/run/sshd");
        keygen(&peer, "host_key");
        keygen(&peer, "user_key");
        fs::copy(peer.path("user_key.pub"), peer.path("authorized_keys")).unwrap();
        let sshd_port = free_tcp_port();
        let conf = format!(
            "ListenAddress 127.0.0.1:{sshd_port}\n\
             HostKey {host_key}\n\
             PidFile {pid}\n\
             AuthorizedKeysFile {keys}\n\
             PermitRootLogin prohibit-password\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             UsePAM no\n\
             StrictModes no\n\
             AllowTcpForwarding yes\n\
             LogLevel VERBOSE\n",
            host_key = peer.at("host_key"),
            pid = peer.at("sshd.pid"),
            keys = peer.at("authorized_keys"),
        );
        let conf = peer.write("sshd_config", &conf);
        // sshd re-executes itself and insists on an absolute path, which find_program gives.
        peer.spawn("sshd", &args(["-D", "-e", "-f", &conf]), "sshd.log");
        peer.wait_for_tcp(SocketAddr::from(([127, 0, 0, 1], sshd_port)))?;

        let socks_port = free_tcp_port();
        let login = format!("{}@127.0.0.1", current_user());
        let forward = format!("127.0.0.1:{socks_port}");
        let key = peer.at("user_key");
        let log = peer.at("ssh.log");
        let port = sshd_port.to_string();
        #[rustfmt::skip]
        let ssh_args = args([
            "-N", "-F", "/dev/null", "-D", &forward, "-p", &port, "-i", &key,
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-E", &log, &login,
        ]);
        peer.log_file("ssh.log");
        peer.spawn("ssh", &ssh_args, "ssh.out");
        peer.addr = SocketAddr::from(([127, 0, 0, 1], socks_port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// pproxy as a SOCKS5 server asking for `user:pass`, with `--auth 0` so that every connection
/// authenticates (otherwise a login is remembered per client IP and bad credentials pass).
pub fn pproxy() -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("pproxy");
        let port = free_tcp_port();
        let listen = format!("socks5://127.0.0.1:{port}#{USER}:{PASSWORD}");
        peer.spawn(
            "pproxy",
            &args(["--auth", "0", "-l", &listen]),
            "pproxy.log",
        );
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// dnsmasq answering only for `host_records` (`name,address[,address…]`), on UDP and TCP. No
/// upstream servers and no /etc/hosts: every other name is REFUSED, nothing leaves the machine.
pub fn dnsmasq(host_records: &[&str]) -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("dnsmasq");
        let port = free_udp_and_tcp_port();
        let mut dnsmasq_args = args([
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--log-facility=-",
            "--log-queries",
        ]);
        dnsmasq_args.push(format!("--port={port}"));
        dnsmasq_args.push(format!("--pid-file={}", peer.at("dnsmasq.pid")));
        for record in host_records {
            dnsmasq_args.push(format!("--host-record={record}"));
        }
        peer.spawn("dnsmasq", &dnsmasq_args, "dnsmasq.log");
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        // dnsmasq binds UDP and TCP before it serves either.
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// httpbin (the Python test service) under gunicorn: digest auth, cookies, redirects and
/// compressed bodies, as PEERS.md lists.
pub fn httpbin() -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("httpbin");
        let port = free_tcp_port();
        let bind = format!("127.0.0.1:{port}");
        #[rustfmt::skip]
        let gunicorn_args = args([
            "-b", &bind, "-w", "1", "-k", "gthread", "--threads", "4", "httpbin:app",
        ]);
        peer.spawn("gunicorn", &gunicorn_args, "gunicorn.log");
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

/// Caddy serving the files of `site` (a folder of the peer, filled by `fill`) over plain
/// HTTP/1.1 with `encode zstd gzip`: the zstd peer. Its admin endpoint and automatic HTTPS are
/// off, and its state stays in the peer's folder.
pub fn caddy(fill: impl Fn(&Path)) -> Peer {
    start_with_retries(|| {
        let mut peer = Peer::new("caddy");
        let site = peer.path("site");
        fs::create_dir_all(&site).unwrap();
        fill(&site);
        let port = free_tcp_port();
        let config = format!(
            "{{\n\tadmin off\n\tauto_https off\n\tskip_install_trust\n}}\n\
             http://127.0.0.1:{port} {{\n\troot * {}\n\tencode zstd gzip\n\tfile_server\n}}\n",
            site.display()
        );
        let caddyfile = peer.write("Caddyfile", &config);
        let home = peer.at("");
        let caddy_args = args(["run", "--config", &caddyfile, "--adapter", "caddyfile"]);
        let env = [
            ("HOME", home.as_str()),
            ("XDG_DATA_HOME", home.as_str()),
            ("XDG_CONFIG_HOME", home.as_str()),
        ];
        peer.spawn_with_env("caddy", &caddy_args, "caddy.log", &env);
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        peer.wait_for_tcp(peer.addr)?;
        Ok(peer)
    })
}

fn args<const N: usize>(list: [&str; N]) -> Vec<String> {
    list.iter().map(|arg| (*arg).to_owned()).collect()
}

/// `ssh-keygen` an ed25519 key without passphrase at `file` (and `file.pub`) in the folder.
fn keygen(peer: &Peer, file: &str) {
    let path = peer.at(file);
    let output = Command::new(find_program("ssh-keygen"))
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "aioduct-interop",
            "-f",
            &path,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("ssh: cannot run ssh-keygen: {err} (openssh-client)"));
    assert!(
        output.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The user the tests run as: sshd lets a non-root sshd log in only as its own user.
fn current_user() -> String {
    let output = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `program` from `PATH`, else from the sbin folders (not always on a user's `PATH`), else the
/// pproxy and gunicorn of xtask's venv; as an absolute path.
fn find_program(program: &str) -> PathBuf {
    if program == "pproxy"
        && let Some(path) = std::env::var_os("AIODUCT_PPROXY")
    {
        return PathBuf::from(path);
    }
    if program == "gunicorn"
        && let Some(path) = std::env::var_os("AIODUCT_GUNICORN")
    {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from));
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop/venv/bin");
    dirs.push(venv);
    dirs.into_iter()
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| PathBuf::from(program))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The package that brings `program`, for the message when it is missing.
fn package_of(program: &str) -> &'static str {
    match program {
        "squid" => "apt-get install squid",
        "tinyproxy" => "apt-get install tinyproxy",
        "danted" => "apt-get install dante-server",
        "sshd" => "apt-get install openssh-server",
        "ssh" | "ssh-keygen" => "apt-get install openssh-client",
        "dnsmasq" => "apt-get install dnsmasq",
        "pproxy" => "pip install pproxy, or set AIODUCT_PPROXY",
        "gunicorn" => "pip install httpbin gunicorn, or set AIODUCT_GUNICORN",
        "caddy" => "apt-get install caddy",
        _ => "see ../shared/PEERS.md",
    }
}

/// A TCP port of 127.0.0.1 that was free a moment ago.
pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A port of 127.0.0.1 free for both UDP and TCP, for DNS.
fn free_udp_and_tcp_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => return port,
            Err(err) if err.kind() == ErrorKind::AddrInUse => continue,
            Err(err) => panic!("cannot bind 127.0.0.1:{port}: {err}"),
        }
    }
    panic!("no port of 127.0.0.1 was free for both UDP and TCP");
}
