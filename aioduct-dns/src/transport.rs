//! Keeps the reason a connection to the DNS server failed.
//!
//! hickory's name-server pool reports a refused TCP connection or a rejected certificate only as
//! "no connections available". The runtime provider here (for TCP connects) and the
//! certificate verifier in `tls.rs` record what went wrong, so a failed lookup can say it.

use std::{
    error::Error as StdError,
    fmt,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use aioduct_core::BoxError;
use hickory_resolver::net::runtime::{RuntimeProvider, TokioRuntimeProvider};

/// The most recent transport failure of one resolver, shared by its connections.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastFailure(Arc<Mutex<Option<(Instant, Failure)>>>);

impl LastFailure {
    pub(crate) fn record(&self, context: String, source: BoxError) {
        let failure = Failure {
            context,
            source: Arc::from(source),
        };
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), failure));
    }

    /// The failure recorded at or after `started`, if any: a lookup only reports failures of
    /// its own time, not one a previous lookup already recovered from.
    pub(crate) fn since(&self, started: Instant) -> Option<Failure> {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some((at, failure)) if *at >= started => Some(failure.clone()),
            _ => None,
        }
    }
}

/// A transport failure: what we were doing, and the error that stopped it.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    context: String,
    source: Arc<dyn StdError + Send + Sync>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source as &(dyn StdError + 'static))
    }
}

/// hickory's tokio provider, recording failed TCP connects (plain TCP, DoT and DoH).
#[derive(Clone, Default)]
pub(crate) struct Provider {
    tokio: TokioRuntimeProvider,
    failures: LastFailure,
}

impl Provider {
    pub(crate) fn new(failures: LastFailure) -> Self {
        Provider {
            tokio: TokioRuntimeProvider::default(),
            failures,
        }
    }
}

type Tokio = TokioRuntimeProvider;

impl RuntimeProvider for Provider {
    type Handle = <Tokio as RuntimeProvider>::Handle;
    type Timer = <Tokio as RuntimeProvider>::Timer;
    type Udp = <Tokio as RuntimeProvider>::Udp;
    type Tcp = <Tokio as RuntimeProvider>::Tcp;

    fn create_handle(&self) -> Self::Handle {
        self.tokio.create_handle()
    }

    fn connect_tcp(
        &self,
        server_addr: SocketAddr,
        bind_addr: Option<SocketAddr>,
        timeout: Option<Duration>,
    ) -> Pin<Box<dyn Send + Future<Output = Result<Self::Tcp, io::Error>>>> {
        let connect = self.tokio.connect_tcp(server_addr, bind_addr, timeout);
        let failures = self.failures.clone();
        Box::pin(async move {
            let result = connect.await;
            if let Err(err) = &result {
                let copy = io::Error::new(err.kind(), err.to_string());
                let context = format!("cannot connect to the DNS server at {server_addr}");
                failures.record(context, copy.into());
            }
            result
        })
    }

    fn bind_udp(
        &self,
        local_addr: SocketAddr,
        server_addr: SocketAddr,
    ) -> Pin<Box<dyn Send + Future<Output = Result<Self::Udp, io::Error>>>> {
        self.tokio.bind_udp(local_addr, server_addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_since_the_lookup_began_count() {
        let failures = LastFailure::default();
        failures.record("first".into(), "old".into());
        let started = Instant::now();
        assert!(failures.since(started).is_none());

        failures.record("cannot connect".into(), "refused".into());
        let failure = failures.since(started).unwrap();
        assert_eq!(failure.to_string(), "cannot connect");
        assert_eq!(failure.source().unwrap().to_string(), "refused");
    }
}
