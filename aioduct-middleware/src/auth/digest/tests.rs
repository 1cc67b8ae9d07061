use super::*;
use crate::auth::challenge::parse_challenges;

fn challenges(value: &str) -> Vec<Challenge> {
    let mut out = Vec::new();
    parse_challenges(value, &mut out);
    out
}

/// The param `name` of an `Authorization` value we wrote.
fn field(value: &str, name: &str) -> Option<String> {
    let rest = value.strip_prefix("Digest ").unwrap();
    crate::auth::challenge::parse_params(rest)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

const RFC_CHALLENGE: &str = r#"Digest
    realm="http-auth@example.org",
    qop="auth, auth-int",
    algorithm=ALG,
    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

fn rfc_answer() -> Answer<'static> {
    Answer {
        user: "Mufasa",
        password: "Circle of Life",
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
        nc: 1,
        cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    }
}

#[test]
fn rfc7616_section_3_9_1_md5_and_sha256() {
    // Header folding as in the RFC's figure, unfolded as a server would send it.
    let unfolded = |alg: &str| RFC_CHALLENGE.replace("ALG", alg).replace("\n    ", " ");
    let cases = [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ];
    for (alg, expected) in cases {
        let challenge = DigestChallenge::pick(&challenges(&unfolded(alg)))
            .unwrap()
            .unwrap();
        assert_eq!(challenge.qop, Qop::Auth);
        let value = challenge.authorization(&rfc_answer());
        assert_eq!(field(&value, "response").unwrap(), expected, "{alg}");
        assert_eq!(field(&value, "nc").unwrap(), "00000001");
        assert_eq!(field(&value, "qop").unwrap(), "auth");
        assert_eq!(field(&value, "algorithm").unwrap(), alg);
        assert_eq!(field(&value, "username").unwrap(), "Mufasa");
        assert_eq!(field(&value, "uri").unwrap(), "/dir/index.html");
        assert_eq!(
            field(&value, "opaque").unwrap(),
            "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
        );
    }
}

#[test]
fn rfc7616_section_3_9_2_userhash_sha512_256() {
    let header = r#"Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true"#;
    let challenge = DigestChallenge::pick(&challenges(header)).unwrap().unwrap();
    let answer = Answer {
        user: "J\u{e4}s\u{f8}n Doe",
        password: "Secret, or not?",
        method: "GET",
        uri: "/doe.json",
        body: b"",
        nc: 1,
        cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
    };
    let value = challenge.authorization(&answer);
    assert_eq!(
        field(&value, "username").unwrap(),
        // RFC 7616 prints 5a1a8a47...; erratum 4897 corrects it to this value of
        // SHA-512-256("J\u{e4}s\u{f8}n Doe:api@example.org").
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
    assert_eq!(
        field(&value, "response").unwrap(),
        // Erratum 4897 again: the RFC's values came from a draft SHA-512/256.
        "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
    );
    assert_eq!(field(&value, "userhash").unwrap(), "true");
}

#[test]
fn strongest_supported_algorithm_is_picked() {
    let offer = |algs: &[&str]| {
        algs.iter()
            .map(|a| format!(r#"Digest realm="r", nonce="n", algorithm={a}"#))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cases: [(&[&str], Result<&str, Refusal>); 7] = [
        (&["MD5", "SHA-256", "SHA-512-256"], Ok("SHA-512-256")),
        (&["sha-256-sess", "md5"], Ok("SHA-256-sess")),
        (&["SHA-256-sess", "SHA-256"], Ok("SHA-256")),
        (&["MD5-sess"], Ok("MD5-sess")),
        (&["SHA3-512", "MD5"], Ok("MD5")),
        (&["SHA3-512"], Err(Refusal::Algorithm("SHA3-512".into()))),
        (&["sha-1"], Err(Refusal::Algorithm("sha-1".into()))),
    ];
    for (algs, expected) in cases {
        let picked =
            DigestChallenge::pick(&challenges(&offer(algs))).map(|c| c.unwrap().algorithm.name());
        assert_eq!(picked, expected, "{algs:?}");
    }
    assert!(matches!(
        DigestChallenge::pick(&challenges("Basic realm=\"x\"")),
        Ok(None)
    ));
    assert_eq!(
        DigestChallenge::pick(&challenges("Digest realm=\"x\"")).unwrap_err(),
        Refusal::Malformed
    );
    assert_eq!(
        DigestChallenge::pick(&challenges("Digest nonce=n, qop=\"auth-conf\"")).unwrap_err(),
        Refusal::Qop("auth-conf".into())
    );
}

#[test]
fn legacy_and_auth_int_and_sess_forms() {
    let legacy = DigestChallenge::pick(&challenges(
        r#"Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093""#,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(legacy.qop, Qop::Legacy);
    let value = legacy.authorization(&Answer {
        user: "Mufasa",
        password: "CircleOfLife",
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
        nc: 1,
        cnonce: "unused",
    });
    // RFC 2069's own example.
    assert_eq!(
        field(&value, "response").unwrap(),
        "1949323746fe6a43ef61f9606e7febea"
    );
    assert!(field(&value, "nc").is_none() && field(&value, "cnonce").is_none());
    assert!(
        field(&value, "algorithm").is_none(),
        "not echoed when not offered"
    );

    // auth-int: H(A2) covers H(body).
    let int = DigestChallenge::pick(&challenges(
        r#"Digest realm="r", nonce="n", qop="auth-int", algorithm=SHA-256-sess"#,
    ))
    .unwrap()
    .unwrap();
    let answer = Answer {
        body: b"payload",
        ..rfc_answer()
    };
    let value = int.authorization(&answer);
    let alg = int.algorithm;
    let ha1 =
        alg.h(format!("{}:n:{}", alg.h(b"Mufasa:r:Circle of Life"), answer.cnonce).as_bytes());
    let ha2 = alg.h(format!("GET:/dir/index.html:{}", alg.h(b"payload")).as_bytes());
    let expected = alg.h(format!("{ha1}:n:00000001:{}:auth-int:{ha2}", answer.cnonce).as_bytes());
    assert_eq!(field(&value, "response").unwrap(), expected);
    assert_eq!(field(&value, "qop").unwrap(), "auth-int");
}

#[test]
fn awkward_usernames_are_escaped_or_extended() {
    let challenge = DigestChallenge::pick(&challenges(r#"Digest realm="r", nonce="n", qop=auth"#))
        .unwrap()
        .unwrap();
    let value = challenge.authorization(&Answer {
        user: "a\"b\\c",
        ..rfc_answer()
    });
    assert_eq!(field(&value, "username").unwrap(), "a\"b\\c");
    let value = challenge.authorization(&Answer {
        user: "J\u{e4}s\u{f8}n",
        ..rfc_answer()
    });
    assert!(
        value.contains("username*=UTF-8''J%C3%A4s%C3%B8n, "),
        "{value}"
    );
}
