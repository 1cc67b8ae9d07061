//! The global executor that runs spawned tasks.

use std::{
    future::{self, Future},
    panic::{self, AssertUnwindSafe},
    sync::Once,
    thread,
};

use async_executor::Executor;

static EXECUTOR: Executor<'static> = Executor::new();
static START: Once = Once::new();

/// Runs `future` to completion in the background, starting the executor threads on first use.
pub(crate) fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    START.call_once(start_threads);
    // Detached: the task keeps running after its handle is dropped.
    EXECUTOR.spawn(future).detach();
}

/// Starts the threads that run the executor: one, or as many as `SMOL_THREADS` says, so the
/// knob that sizes `smol::spawn`'s executor sizes this one too.
fn start_threads() {
    let threads = std::env::var("SMOL_THREADS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    for n in 1..=threads {
        thread::Builder::new()
            .name(format!("aioduct-smol-{n}"))
            .spawn(run)
            .expect("cannot start an aioduct-smol executor thread");
    }
}

/// The body of an executor thread. `async_io::block_on` drives the reactor while the executor
/// has nothing to run. async-executor already keeps a task's panic inside that task; the loop is
/// there so that a panic escaping anyway cannot leave every connection without a thread.
fn run() {
    loop {
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            async_io::block_on(EXECUTOR.run(future::pending::<()>()))
        }));
    }
}
