//! A copied request head takes the headers a sender adds without reallocating: counted with an
//! allocator that counts this thread's allocations.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use aioduct_core::{Body, Request, clone_head, clone_head_adding};
use http::{HeaderValue, header};

/// The system allocator, counting the allocations and reallocations of each thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down has no counter left, and is not counted.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed on to `System` unchanged; counting touches only a thread-local
// `Cell` that needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees for `layout` are `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller vouches for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn host_and_referer_fit_in_a_copied_head() {
    let req: Request = http::Request::get("http://example.test/")
        .header(header::USER_AGENT, "test/1")
        .header(header::ACCEPT, "*/*")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let mut head = clone_head(&req);
    let host = HeaderValue::from_static("example.test");
    let referer = HeaderValue::from_static("http://a.test/");
    let added = allocations_in(|| {
        head.headers.insert(header::HOST, host);
        head.headers.insert(header::REFERER, referer);
    });
    assert_eq!(
        added, 0,
        "adding two headers to the copy reallocated its map"
    );
    assert_eq!(head.headers.len(), 5);
}

#[test]
fn defaults_and_host_fit_in_the_copy_of_a_bare_request() {
    let req: Request = http::Request::get("http://example.test/")
        .body(Body::empty())
        .unwrap();
    let mut defaults = http::HeaderMap::new();
    defaults.insert(header::USER_AGENT, HeaderValue::from_static("test/1"));
    defaults.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    defaults.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    let mut head = clone_head_adding(&req, &defaults);
    let host = HeaderValue::from_static("example.test");
    let added = allocations_in(|| {
        head.headers.insert(header::HOST, host);
    });
    assert_eq!(added, 0, "adding Host to the copy reallocated its map");
    assert_eq!(head.headers.len(), 4);
}
