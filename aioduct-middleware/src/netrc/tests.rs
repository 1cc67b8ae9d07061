use std::sync::Arc;

use aioduct_core::{Body, Endpoint};

use super::*;

type Creds = (&'static str, Option<&'static str>, Option<&'static str>);

#[test]
fn parses_valid_files() {
    let cases: Vec<(&str, &str, &str, Option<Creds>)> = vec![
        (
            "plain",
            "machine a.test login u password p",
            "a.test",
            Some(("a.test", Some("u"), Some("p"))),
        ),
        (
            "no trailing newline, several lines",
            "machine a.test\n  login u\n  password p\n  account acct",
            "A.TEST",
            Some(("a.test", Some("u"), Some("p"))),
        ),
        (
            "first match wins",
            "machine a.test login first password 1\nmachine a.test login second password 2\n",
            "a.test",
            Some(("a.test", Some("first"), Some("1"))),
        ),
        (
            "default when nothing matches",
            "machine a.test login u password p\ndefault login anon password guest",
            "b.test",
            Some(("default", Some("anon"), Some("guest"))),
        ),
        (
            "machine beats default whatever the order",
            "default login anon\nmachine a.test login u",
            "a.test",
            Some(("a.test", Some("u"), None)),
        ),
        (
            "quoted tokens with escapes",
            r#"machine a.test login "my user" password "p\"w\\d\tx""#,
            "a.test",
            Some(("a.test", Some("my user"), Some("p\"w\\d\tx"))),
        ),
        (
            "comments",
            "# a comment\nmachine a.test # trailing comment\nlogin u password p#notcomment",
            "a.test",
            Some(("a.test", Some("u"), Some("p#notcomment"))),
        ),
        (
            "macdef skipped to the blank line",
            "macdef init\ncd /pub\nmachine fake login no\n\nmachine a.test login u password p",
            "a.test",
            Some(("a.test", Some("u"), Some("p"))),
        ),
        (
            "macdef at the end without a blank line",
            "machine a.test login u\nmacdef x\nput file\nlogin other",
            "a.test",
            Some(("a.test", Some("u"), None)),
        ),
        (
            "macdef lines are not machines",
            "macdef init\nmachine fake login no\n\n",
            "fake",
            None,
        ),
        (
            "no port matching",
            "machine a.test:8080 login u",
            "a.test",
            None,
        ),
        ("empty", "", "a.test", None),
        ("only white space", " \n\t\r\n", "a.test", None),
        (
            "CRLF line ends",
            "machine a.test\r\nlogin u\r\npassword p\r\n",
            "a.test",
            Some(("a.test", Some("u"), Some("p"))),
        ),
    ];
    for (name, text, host, expected) in cases {
        let netrc = Netrc::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let found = netrc.lookup(host).map(|e| (e.login(), e.password()));
        let expected = expected.map(|(_, login, password)| (login, password));
        assert_eq!(found, expected, "{name}");
    }
}

#[test]
fn malformed_files_are_errors_naming_the_line() {
    let cases = [
        ("machine", "line 1", "without a value"),
        ("machine a.test login", "line 1", "`login` without a value"),
        ("login u password p", "line 1", "outside a machine entry"),
        (
            "machine a.test\nlogin u\nsecret x",
            "line 3",
            "unexpected token",
        ),
        ("machine a.test login \"open", "line 1", "unterminated"),
        ("machine a.test login \"open\\", "line 1", "unterminated"),
        ("macdef", "line 1", "without a value"),
    ];
    for (text, line, what) in cases {
        let err = Netrc::parse(text).unwrap_err();
        assert!(err.is_builder(), "{text:?}");
        let message = err.to_string();
        assert!(
            message.contains(line) && message.contains(what),
            "{text:?}: {message}"
        );
    }
}

#[test]
fn truncations_and_random_bytes_never_panic() {
    let sample =
        "# c\nmachine a.test login \"u s\" password p\\\"x\nmacdef m\nx y\n\ndefault login d";
    for end in 0..=sample.len() {
        if sample.is_char_boundary(end) {
            let _ = Netrc::parse(&sample[..end]);
        }
    }
    // A small xorshift: the fuzz loop needs no dependency.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    };
    let words = [
        "machine", "default", "login", "password", "account", "macdef", "\"", "\\", "#", "\n",
        "\n\n", " ", "a", "é",
    ];
    for _ in 0..5000 {
        let text: String = (0..next(20)).map(|_| words[next(words.len())]).collect();
        let _ = Netrc::parse(&text);
        let bytes: Vec<u8> = (0..next(30)).map(|_| next(256) as u8).collect();
        let _ = Netrc::parse(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn from_file_reads_and_reports_missing_files() {
    let dir = std::env::temp_dir().join(format!("aioduct-netrc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("netrc");
    std::fs::write(&path, "machine a.test login u password p").unwrap();
    let netrc = Netrc::from_file(&path).unwrap();
    assert_eq!(netrc.lookup("a.test").unwrap().login(), Some("u"));
    assert!(
        Netrc::from_file(dir.join("missing"))
            .unwrap_err()
            .is_builder()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_redacts_secrets() {
    let netrc = Netrc::parse("machine a.test login u password hunter2 account acct").unwrap();
    let shown = format!("{netrc:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("acct"),
        "{shown}"
    );
}

struct Echo;

impl Endpoint for Echo {
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>> {
        let auth = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Box::pin(async move { Ok(http::Response::new(Body::from(auth))) })
    }
}

fn sent_authorization(auth: &Arc<dyn Middleware>, req: Request) -> String {
    let chain = [auth.clone()];
    let resp = futures_lite::future::block_on(Next::new(&chain, &Echo).run(req)).unwrap();
    String::from_utf8(resp.body().as_bytes().unwrap().to_vec()).unwrap()
}

#[test]
fn middleware_sends_credentials_for_the_exact_host_only() {
    let netrc = Netrc::parse("machine a.test login u password p").unwrap();
    let auth: Arc<dyn Middleware> = Arc::new(NetrcAuth::new(netrc));
    let get = |url: &str| http::Request::get(url).body(Body::empty()).unwrap();
    // base64("u:p")
    assert_eq!(
        sent_authorization(&auth, get("http://A.test:8080/x")),
        "Basic dTpw"
    );
    assert_eq!(
        sent_authorization(&auth, get("https://a.test/")),
        "Basic dTpw"
    );
    assert_eq!(sent_authorization(&auth, get("http://b.a.test/")), "");
    assert_eq!(sent_authorization(&auth, get("http://a.test.evil/")), "");

    let mut own = get("http://a.test/");
    own.headers_mut()
        .insert(AUTHORIZATION, HeaderValue::from_static("Bearer mine"));
    assert_eq!(sent_authorization(&auth, own), "Bearer mine");

    let mut hop = get("http://a.test/");
    hop.extensions_mut().insert(RedirectContext {
        first_url: "http://b.test/".parse().unwrap(),
        previous_url: "http://b.test/".parse().unwrap(),
        hops: 1,
        credentials_stripped: true,
    });
    assert_eq!(
        sent_authorization(&auth, hop),
        "",
        "not after a cross-origin hop"
    );
}
