//! An echo server that keeps every byte it received, to show what entered the tunnel.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use super::Listener;

pub struct Origin {
    listener: Listener,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Origin {
    pub fn start() -> Origin {
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let listener = Listener::start(move |mut conn| {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = conn.read(&mut buf) {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
                if conn.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
        Origin { listener, received }
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.addr()
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// Every byte received so far, on all connections.
    pub fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}
