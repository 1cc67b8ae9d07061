//! A tiny authoritative DNS server for `*.test` on 127.0.0.1, over UDP and TCP, built on
//! hickory-proto's message types. It counts queries and can be told to drop them or to
//! truncate its UDP answers. It stops when dropped.

use std::{
    collections::HashMap,
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use hickory_proto::{
    op::{Message, ResponseCode},
    rr::{
        Name, RData, Record, RecordType,
        rdata::{A, AAAA, SOA},
    },
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, UdpSocket},
    task::{JoinHandle, JoinSet},
};

/// The negative TTL (SOA minimum) of the `test.` zone, in seconds.
pub(crate) const NEGATIVE_TTL: u32 = 1;

/// The addresses and TTL of one name.
#[derive(Debug, Clone)]
pub(crate) struct Host {
    pub(crate) v4: Vec<Ipv4Addr>,
    pub(crate) v6: Vec<Ipv6Addr>,
    pub(crate) ttl: u32,
}

/// The zone every test server starts with.
///
/// | name | A | AAAA | TTL |
/// |---|---|---|---|
/// | v4.test | 127.0.0.2 | | 60 |
/// | v6.test | | 2001:db8::6 | 60 |
/// | both.test | 127.0.0.3, 127.0.0.4 | 2001:db8::3, 2001:db8::4 | 60 |
/// | short.test | 127.0.0.5 | 2001:db8::5 | 1 |
///
/// The IPv6 addresses are documentation addresses: tests resolve them, nothing connects.
pub(crate) fn default_zone() -> HashMap<String, Host> {
    let v4 = |last| Ipv4Addr::new(127, 0, 0, last);
    let v6 = |last| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last);
    let mut zone = HashMap::new();
    let mut add = |name: &str, v4s: Vec<Ipv4Addr>, v6s: Vec<Ipv6Addr>, ttl| {
        let host = Host {
            v4: v4s,
            v6: v6s,
            ttl,
        };
        zone.insert(name.to_owned(), host);
    };
    add("v4.test", vec![v4(2)], vec![], 60);
    add("v6.test", vec![], vec![v6(6)], 60);
    add("both.test", vec![v4(3), v4(4)], vec![v6(3), v6(4)], 60);
    add("short.test", vec![v4(5)], vec![v6(5)], 1);
    zone
}

/// A running server; dropping it stops every task.
pub(crate) struct DnsServer {
    addr: SocketAddr,
    state: Arc<State>,
    tasks: Vec<JoinHandle<()>>,
}

struct State {
    zone: HashMap<String, Host>,
    udp_queries: AtomicUsize,
    tcp_queries: AtomicUsize,
    drop_queries: AtomicBool,
    truncate_udp: AtomicBool,
}

impl DnsServer {
    /// Starts a server with [`default_zone`] on the current tokio runtime.
    pub(crate) async fn start() -> Self {
        Self::with_zone(default_zone()).await
    }

    /// Starts a server answering for `zone` (lower-case names without the final dot).
    pub(crate) async fn with_zone(zone: HashMap<String, Host>) -> Self {
        let (udp, tcp) = bind_pair().await;
        let addr = udp.local_addr().unwrap();
        let state = Arc::new(State {
            zone,
            udp_queries: AtomicUsize::new(0),
            tcp_queries: AtomicUsize::new(0),
            drop_queries: AtomicBool::new(false),
            truncate_udp: AtomicBool::new(false),
        });
        let tasks = vec![
            tokio::spawn(serve_udp(udp, state.clone())),
            tokio::spawn(serve_tcp(tcp, state.clone())),
        ];
        DnsServer { addr, state, tasks }
    }

    /// Where the server listens, UDP and TCP.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every query received so far, UDP and TCP, answered or not.
    pub(crate) fn queries(&self) -> usize {
        self.udp_queries() + self.tcp_queries()
    }

    /// The queries received over UDP.
    pub(crate) fn udp_queries(&self) -> usize {
        self.state.udp_queries.load(Ordering::SeqCst)
    }

    /// The queries received over TCP.
    pub(crate) fn tcp_queries(&self) -> usize {
        self.state.tcp_queries.load(Ordering::SeqCst)
    }

    /// When on, queries are counted and never answered.
    pub(crate) fn drop_queries(&self, on: bool) {
        self.state.drop_queries.store(on, Ordering::SeqCst);
    }

    /// When on, UDP answers carry no records and the TC bit; TCP answers are whole.
    pub(crate) fn truncate_udp(&self, on: bool) {
        self.state.truncate_udp.store(on, Ordering::SeqCst);
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A UDP socket and a TCP listener on the same free port of 127.0.0.1.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        if let Ok(tcp) = TcpListener::bind(addr).await {
            return (udp, tcp);
        }
    }
    panic!("no port of 127.0.0.1 was free for both UDP and TCP");
}

async fn serve_udp(socket: UdpSocket, state: Arc<State>) {
    let mut buf = vec![0; 4096];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        state.udp_queries.fetch_add(1, Ordering::SeqCst);
        if state.drop_queries.load(Ordering::SeqCst) {
            continue;
        }
        let truncate = state.truncate_udp.load(Ordering::SeqCst);
        if let Some(answer) = respond(&state, &buf[..len], truncate) {
            let _ = socket.send_to(&answer, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, state: Arc<State>) {
    // Dropping the set (when this task is aborted) aborts every connection task.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(serve_connection(stream, state.clone()));
        while connections.try_join_next().is_some() {}
    }
}

/// Serves length-prefixed queries (RFC 1035 §4.2.2) until the client closes.
async fn serve_connection(mut stream: TcpStream, state: Arc<State>) {
    loop {
        let Ok(len) = stream.read_u16().await else {
            return;
        };
        let mut query = vec![0; usize::from(len)];
        if stream.read_exact(&mut query).await.is_err() {
            return;
        }
        state.tcp_queries.fetch_add(1, Ordering::SeqCst);
        if state.drop_queries.load(Ordering::SeqCst) {
            continue;
        }
        let Some(answer) = respond(&state, &query, false) else {
            continue;
        };
        let mut framed = u16::try_from(answer.len()).unwrap().to_be_bytes().to_vec();
        framed.extend_from_slice(&answer);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}

/// The answer to one query, or `None` for a message that is not a query.
fn respond(state: &State, query: &[u8], truncate: bool) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    let question = request.queries.first()?.clone();
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata.authoritative = true;
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.add_query(question.clone());

    if truncate {
        response.metadata.truncation = true;
        return response.to_vec().ok();
    }

    let host = question.name().to_ascii().to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    match state.zone.get(host) {
        None => {
            response.metadata.response_code = ResponseCode::NXDomain;
            response.add_authority(soa());
        }
        Some(entry) => {
            let name = question.name().clone();
            let ttl = entry.ttl;
            match question.query_type() {
                RecordType::A => {
                    for ip in &entry.v4 {
                        let record = Record::from_rdata(name.clone(), ttl, RData::A(A(*ip)));
                        response.add_answer(record);
                    }
                }
                RecordType::AAAA => {
                    for ip in &entry.v6 {
                        let record = Record::from_rdata(name.clone(), ttl, RData::AAAA(AAAA(*ip)));
                        response.add_answer(record);
                    }
                }
                _ => {}
            }
            if response.answers.is_empty() {
                // NOERROR without data: the SOA gives the negative TTL (RFC 2308).
                response.add_authority(soa());
            }
        }
    }
    response.to_vec().ok()
}

fn soa() -> Record {
    let zone = Name::from_ascii("test.").unwrap();
    let soa = SOA::new(
        Name::from_ascii("ns.test.").unwrap(),
        Name::from_ascii("hostmaster.test.").unwrap(),
        1,
        3600,
        600,
        86400,
        NEGATIVE_TTL,
    );
    Record::from_rdata(zone, NEGATIVE_TTL, RData::SOA(soa))
}
