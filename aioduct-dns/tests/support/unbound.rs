//! A real unbound, started in the foreground on 127.0.0.1 with Do53, DoT and DoH, serving a
//! static `test.` zone and refusing everything else (so it never recurses off the machine).
//! Killed and cleaned up on drop.

use std::{
    fs,
    net::{SocketAddr, TcpListener, UdpSocket},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use aioduct_core::{Name, Resolve};
use aioduct_dns::{CertificateDer, HickoryResolver};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

/// The name in unbound's certificate.
pub(crate) const TLS_NAME: &str = "dns.test";

/// A test certificate authority.
pub(crate) struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub(crate) fn new(common_name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        TestCa { issuer }
    }

    /// The CA certificate, to trust.
    pub(crate) fn cert(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for [`TLS_NAME`] and 127.0.0.1, and its key, both PEM.
    fn server_pem(&self) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec![TLS_NAME.to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A running unbound.
pub(crate) struct Unbound {
    child: Child,
    dir: PathBuf,
    /// Plain DNS, UDP and TCP.
    pub(crate) do53: SocketAddr,
    /// DNS-over-TLS.
    pub(crate) dot: SocketAddr,
    /// DNS-over-HTTPS, path `/dns-query`.
    pub(crate) doh: SocketAddr,
}

impl Unbound {
    /// Starts unbound with a server certificate from `ca`, and waits until it answers on each
    /// port.
    pub(crate) async fn start(ca: &TestCa) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aioduct-dns-unbound-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();

        let (cert, key) = ca.server_pem();
        fs::write(dir.join("cert.pem"), cert).unwrap();
        fs::write(dir.join("key.pem"), key).unwrap();

        let do53 = free_udp_and_tcp_port();
        let dot = free_tcp_port();
        let doh = free_tcp_port();
        let conf = dir.join("unbound.conf");
        fs::write(&conf, config(&dir, do53, dot, doh)).unwrap();

        let log = fs::File::create(dir.join("unbound.log")).unwrap();
        let child = Command::new("unbound")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("`unbound` must be installed for the interop tests (apt-get install unbound)");

        let mut unbound = Unbound {
            child,
            dir,
            do53: SocketAddr::from(([127, 0, 0, 1], do53)),
            dot: SocketAddr::from(([127, 0, 0, 1], dot)),
            doh: SocketAddr::from(([127, 0, 0, 1], doh)),
        };
        unbound.wait_until_ready().await;
        unbound
    }

    /// unbound's own log, for failure messages.
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(self.dir.join("unbound.log")).unwrap_or_default()
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let probe = HickoryResolver::builder()
            .timeout(Duration::from_millis(200))
            .attempts(1)
            .cache(false)
            .nameserver(self.do53);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("unbound exited with {status}:\n{}", self.log());
            }
            let answers = probe.resolve(Name::new("host.test")).await.is_ok();
            let listening = [self.dot, self.doh]
                .iter()
                .all(|addr| std::net::TcpStream::connect(addr).is_ok());
            if answers && listening {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "unbound did not answer within 15 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The configuration: everything in `dir`, no daemon, no chroot, no user switch, no control
/// socket; one static zone; the root refused so nothing is ever forwarded or recursed.
fn config(dir: &std::path::Path, do53: u16, dot: u16, doh: u16) -> String {
    let dir = dir.display();
    format!(
        r#"server:
    verbosity: 1
    interface: 127.0.0.1@{do53}
    interface: 127.0.0.1@{dot}
    interface: 127.0.0.1@{doh}
    port: {do53}
    tls-port: {dot}
    https-port: {doh}
    http-endpoint: "/dns-query"
    tls-service-key: "{dir}/key.pem"
    tls-service-pem: "{dir}/cert.pem"
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    do-daemonize: no
    use-syslog: no
    logfile: ""
    chroot: ""
    username: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    local-zone: "." refuse
    local-zone: "test." static
    local-data: "host.test. 60 IN A 127.0.0.1"
    local-data: "host.test. 60 IN AAAA ::1"
    local-data: "v4.test. 60 IN A 127.0.0.2"

remote-control:
    control-enable: no
"#
    )
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_and_tcp_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port of 127.0.0.1 was free for both UDP and TCP");
}
