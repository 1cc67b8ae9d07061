//! HTTP semantics against httpbin (gunicorn): Digest auth (MD5, SHA-256), cookies, redirects and
//! gzip / deflate / brotli bodies.

use super::*;

fn client() -> TestClient {
    Client::builder().no_proxy().build()
}

/// `GET url` with `client`: the status and the body as JSON.
async fn get_json(client: &TestClient, url: &str, peer: &Peer) -> (StatusCode, serde_json::Value) {
    let resp = client
        .get(url)
        .unwrap()
        .send()
        .await
        .unwrap_or_else(|err| panic!("GET {url}: {err:?}\n{}", peer.log_tail()));
    let status = resp.status();
    let body = resp.text().await.unwrap();
    let json = serde_json::from_str(&body)
        .unwrap_or_else(|err| panic!("GET {url}: not JSON ({err}): {body:?}"));
    (status, json)
}

#[tokio::test]
async fn digest_md5_and_sha256() {
    let httpbin = peers::httpbin();
    let client = Client::<TokioRuntime>::builder()
        .no_proxy()
        .digest_auth(USER, PASSWORD)
        .build();
    for algorithm in ["MD5", "SHA-256"] {
        let url = format!(
            "http://{}/digest-auth/auth/{USER}/{PASSWORD}/{algorithm}",
            httpbin.addr
        );
        let (status, json) = get_json(&client, &url, &httpbin).await;
        assert_eq!(status, StatusCode::OK, "{algorithm}: {json}");
        assert_eq!(json["authenticated"], true, "{algorithm}: {json}");
        assert_eq!(json["user"], USER);
    }
    // Wrong credentials: the one automatic retry is answered 401 again, and that is returned.
    let wrong = Client::<TokioRuntime>::builder()
        .no_proxy()
        .digest_auth(USER, "wrong")
        .build();
    let url = format!(
        "http://{}/digest-auth/auth/{USER}/{PASSWORD}/MD5",
        httpbin.addr
    );
    let resp = wrong.get(&url).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookies_are_stored_sent_and_deleted() {
    let httpbin = peers::httpbin();
    let client = Client::<TokioRuntime>::builder()
        .no_proxy()
        .cookie_store(true)
        .build();
    // httpbin sets the cookies and redirects to /cookies, which lists what it received.
    let url = format!("http://{}/cookies/set?flavour=oat&count=3", httpbin.addr);
    let (status, json) = get_json(&client, &url, &httpbin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["cookies"]["flavour"], "oat", "{json}");
    assert_eq!(json["cookies"]["count"], "3", "{json}");
    let url = format!("http://{}/cookies/delete?flavour", httpbin.addr);
    let (_, json) = get_json(&client, &url, &httpbin).await;
    assert!(json["cookies"].get("flavour").is_none(), "{json}");
    assert_eq!(json["cookies"]["count"], "3", "{json}");
}

#[tokio::test]
async fn redirect_chains_are_followed_to_the_end() {
    let httpbin = peers::httpbin();
    let client = client();
    let base = format!("http://{}", httpbin.addr);
    for path in [
        "/redirect/5",
        "/relative-redirect/4",
        "/absolute-redirect/3",
    ] {
        let resp = client
            .get(format!("{base}{path}"))
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(resp.url().path(), "/get", "{path}: final URL");
    }
    // 307 replays a POST and its body; 303 turns it into a GET.
    let url = format!("{base}/redirect-to?url=/post&status_code=307");
    let resp = client
        .post(&url)
        .unwrap()
        .body("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(json["data"], "kept");
    let url = format!("{base}/redirect-to?url=/get&status_code=303");
    let resp = client
        .post(&url)
        .unwrap()
        .body("dropped")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "a GET reached /get");
    // More hops than allowed is a redirect error.
    let limited = Client::<TokioRuntime>::builder()
        .no_proxy()
        .max_redirects(2)
        .build();
    let err = limited
        .get(format!("{base}/redirect/3"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
}

#[tokio::test]
async fn gzip_deflate_and_brotli_bodies_are_decoded() {
    let httpbin = peers::httpbin();
    let client = client();
    for (path, flag) in [
        ("/gzip", "gzipped"),
        ("/deflate", "deflated"),
        ("/brotli", "brotli"),
    ] {
        let url = format!("http://{}{path}", httpbin.addr);
        let (status, json) = get_json(&client, &url, &httpbin).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(json[flag], true, "{path}: {json}");
    }
}
