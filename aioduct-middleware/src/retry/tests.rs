use std::sync::Mutex;

use aioduct_core::{Body, Endpoint};
use futures_lite::future::block_on;

use super::*;

/// Records the waits asked for and returns at once.
#[derive(Default)]
struct FakeTimer {
    slept: Mutex<Vec<Duration>>,
}

impl Timer for FakeTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.slept.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// Answers from a script, one entry per attempt (the last repeats), and counts attempts.
struct Script {
    answers: Vec<fn() -> Result<Response>>,
    calls: Mutex<usize>,
}

impl Script {
    fn new(answers: Vec<fn() -> Result<Response>>) -> Self {
        Script {
            answers,
            calls: Mutex::new(0),
        }
    }

    fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }
}

impl Endpoint for Script {
    fn call(&self, _req: Request) -> BoxFuture<'_, Result<Response>> {
        let mut calls = self.calls.lock().unwrap();
        let answer = self.answers[(*calls).min(self.answers.len() - 1)];
        *calls += 1;
        Box::pin(async move { answer() })
    }
}

fn status(code: u16) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::from_u16(code).unwrap();
    resp
}

fn ok() -> Result<Response> {
    Ok(status(200))
}

fn unavailable() -> Result<Response> {
    Ok(status(503))
}

fn bad_gateway() -> Result<Response> {
    Ok(status(502))
}

fn connect_error() -> Result<Response> {
    Err(Error::msg(ErrorKind::Connect, "refused"))
}

fn timeout() -> Result<Response> {
    Err(Error::msg(ErrorKind::Timeout, "slow"))
}

fn run(policy: RetryPolicy, req: Request, script: &Script) -> (Result<Response>, Vec<Duration>) {
    let timer = Arc::new(FakeTimer::default());
    let retry: Arc<dyn Middleware> = Arc::new(Retry::new(policy, timer.clone()));
    let chain = [retry];
    let result = block_on(Next::new(&chain, script).run(req));
    let slept = timer.slept.lock().unwrap().clone();
    (result, slept)
}

fn get() -> Request {
    http::Request::get("http://a.test/")
        .body(Body::empty())
        .unwrap()
}

fn post() -> Request {
    http::Request::post("http://a.test/")
        .body(Body::from("x"))
        .unwrap()
}

#[test]
fn which_outcomes_are_retried() {
    let no_jitter = || RetryPolicy::new().jitter(Jitter::None);
    type Case = (
        &'static str,
        RetryPolicy,
        fn() -> Request,
        fn() -> Result<Response>,
        usize,
    );
    let cases: Vec<Case> = vec![
        ("503 on GET", no_jitter(), get, unavailable, 3),
        ("503 on POST", no_jitter(), post, unavailable, 1),
        (
            "503 on POST, opted in",
            no_jitter().retry_non_idempotent(true),
            post,
            unavailable,
            3,
        ),
        ("502 is opt-in", no_jitter(), get, bad_gateway, 1),
        (
            "502 opted in",
            no_jitter().retry_status(502),
            get,
            bad_gateway,
            3,
        ),
        ("connect error on POST", no_jitter(), post, connect_error, 3),
        (
            "connect errors off",
            no_jitter().retry_connect_errors(false),
            get,
            connect_error,
            1,
        ),
        ("timeout on GET", no_jitter(), get, timeout, 3),
        ("timeout on POST", no_jitter(), post, timeout, 1),
        ("200", no_jitter(), get, ok, 1),
        ("never", RetryPolicy::never(), get, unavailable, 1),
        (
            "max attempts",
            no_jitter().max_attempts(5),
            get,
            unavailable,
            5,
        ),
    ];
    for (name, policy, req, answer, attempts) in cases {
        let script = Script::new(vec![answer]);
        let _ = run(policy, req(), &script);
        assert_eq!(script.calls(), attempts, "{name}");
    }
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let policy = RetryPolicy::new()
        .max_attempts(6)
        .jitter(Jitter::None)
        .backoff(Duration::from_millis(100), Duration::from_millis(500));
    let script = Script::new(vec![unavailable]);
    let (result, slept) = run(policy, get(), &script);
    assert_eq!(
        result.unwrap().status(),
        503,
        "the last response is returned"
    );
    let ms: Vec<u128> = slept.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [100, 200, 400, 500, 500]);
}

#[test]
fn jitter_stays_within_bounds() {
    let policy = RetryPolicy::new().backoff(Duration::from_millis(100), Duration::from_secs(1));
    for retry in 1..10 {
        let full = policy.backoff_delay(retry, Duration::ZERO);
        assert!(full <= Duration::from_secs(1));
    }
    let policy = policy.jitter(Jitter::Decorrelated);
    let mut previous = Duration::ZERO;
    for retry in 1..20 {
        let wait = policy.backoff_delay(retry, previous);
        assert!(wait >= Duration::from_millis(100) && wait <= Duration::from_secs(1));
        assert!(wait <= previous.max(Duration::from_millis(100)) * 3);
        previous = wait;
    }
}

#[test]
fn success_after_failures_is_returned() {
    let script = Script::new(vec![connect_error, unavailable, ok]);
    let (result, slept) = run(RetryPolicy::new(), get(), &script);
    assert_eq!(result.unwrap().status(), 200);
    assert_eq!(script.calls(), 3);
    assert_eq!(slept.len(), 2);
}

#[test]
fn streaming_bodies_are_never_retried() {
    let stream = futures_lite::stream::iter(vec![Ok::<_, std::io::Error>(&b"x"[..])]);
    let req = http::Request::put("http://a.test/")
        .body(Body::wrap_stream(stream))
        .unwrap();
    let script = Script::new(vec![connect_error]);
    let (result, _) = run(RetryPolicy::new(), req, &script);
    assert!(result.unwrap_err().is_connect());
    assert_eq!(script.calls(), 1);
}

#[test]
fn per_request_policy_overrides() {
    let mut req = get();
    req.extensions_mut().insert(RetryPolicy::never());
    let script = Script::new(vec![unavailable]);
    let _ = run(RetryPolicy::new(), req, &script);
    assert_eq!(script.calls(), 1);

    let mut req = get();
    req.extensions_mut()
        .insert(RetryPolicy::new().max_attempts(4).jitter(Jitter::None));
    let script = Script::new(vec![unavailable]);
    let _ = run(RetryPolicy::never(), req, &script);
    assert_eq!(script.calls(), 4);
}

#[test]
fn budget_stops_retries() {
    let budget = RetryBudget::new(Duration::from_secs(60), 0, 0.5);
    let policy = RetryPolicy::new().max_attempts(10).budget(budget);
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let script = Script::new(vec![unavailable]);
        let (result, _) = run(policy.clone(), get(), &script);
        assert_eq!(result.unwrap().status(), 503);
        attempts.push(script.calls());
    }
    // 1 request: 0.5 retries allowed; 2: 1 (spent); 3: 1.5, one spent already.
    assert_eq!(attempts, [1, 2, 1]);
}

#[test]
fn retry_after_forms() {
    let now = SystemTime::now();
    let with = |value: &str| {
        let mut resp = status(503);
        resp.headers_mut()
            .insert(RETRY_AFTER, value.parse().unwrap());
        retry_after(&resp, now)
    };
    let in_two = httpdate::fmt_http_date(now + Duration::from_secs(2));
    let cases = [
        ("120", Some(Duration::from_secs(120))),
        (" 3 ", Some(Duration::from_secs(3))),
        ("0", Some(Duration::ZERO)),
        (
            "99999999999999999999999",
            Some(Duration::from_secs(u64::MAX)),
        ),
        ("Sun, 06 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
    ];
    for (value, expected) in cases {
        assert_eq!(with(value), expected, "{value:?}");
    }
    let wait = with(&in_two).unwrap();
    assert!(wait > Duration::from_millis(500) && wait <= Duration::from_secs(2));
}

fn unavailable_retry_after_1() -> Result<Response> {
    let mut resp = status(503);
    resp.headers_mut()
        .insert(RETRY_AFTER, http::HeaderValue::from_static("1"));
    Ok(resp)
}

fn unavailable_retry_after_hour() -> Result<Response> {
    let mut resp = status(429);
    resp.headers_mut()
        .insert(RETRY_AFTER, http::HeaderValue::from_static("3600"));
    Ok(resp)
}

#[test]
fn retry_after_is_waited_or_beyond_the_cap_returned() {
    let script = Script::new(vec![unavailable_retry_after_1, ok]);
    let (result, slept) = run(RetryPolicy::new(), get(), &script);
    assert_eq!(result.unwrap().status(), 200);
    assert_eq!(slept, [Duration::from_secs(1)]);

    let script = Script::new(vec![unavailable_retry_after_hour, ok]);
    let (result, slept) = run(RetryPolicy::new(), get(), &script);
    assert_eq!(result.unwrap().status(), 429, "returned, not waited for");
    assert!(slept.is_empty());
    assert_eq!(script.calls(), 1);
}
