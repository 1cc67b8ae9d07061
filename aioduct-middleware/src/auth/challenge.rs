//! `WWW-Authenticate` and `Authentication-Info` parsing (RFC 9110 §11): challenges with a
//! scheme and auth-params, several per header and over several headers.

/// One challenge: a scheme and its parameters, names lower-cased, values unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) params: Vec<(String, String)>,
}

impl Challenge {
    /// The first value of parameter `name` (lower case).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every challenge in `value`. Malformed parts end the parse; what came before is kept.
pub(crate) fn parse_challenges(value: &str, out: &mut Vec<Challenge>) {
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    loop {
        p.skip_list_separators();
        let Some(scheme) = p.token() else { return };
        let mut challenge = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: Vec::new(),
        };
        p.skip_ws();
        // A token68 (`Basic dXNlcjpwYXNz`) or the params; both may be absent.
        if !p.params(&mut challenge.params) {
            p.token68();
        }
        out.push(challenge);
        p.skip_ws();
        match p.peek() {
            Some(b',') => {}
            None => return,
            // Garbage after a challenge: stop here.
            Some(_) => return,
        }
    }
}

/// A bare list of auth-params, as in `Authentication-Info`.
pub(crate) fn parse_params(value: &str) -> Vec<(String, String)> {
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut params = Vec::new();
    p.skip_list_separators();
    p.params(&mut params);
    params
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_list_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// Skips a token68 and its trailing `=` padding.
    fn token68(&mut self) {
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        {
            self.i += 1;
        }
        while self.peek() == Some(b'=') {
            self.i += 1;
        }
    }

    /// Whether the input at the cursor is `token BWS "="` not followed by another `=` (which
    /// would make it a token68), without moving.
    fn at_param(&self) -> bool {
        let mut j = self.i;
        let start = j;
        while self.s.get(j).copied().is_some_and(is_tchar) {
            j += 1;
        }
        if j == start {
            return false;
        }
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if self.s.get(j) != Some(&b'=') {
            return false;
        }
        j += 1;
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        !matches!(self.s.get(j), Some(b'=') | Some(b',') | None)
    }

    /// Reads `name=value` pairs separated by commas, stopping before the next challenge's
    /// scheme. `false` when there was not even one.
    fn params(&mut self, out: &mut Vec<(String, String)>) -> bool {
        let mut any = false;
        loop {
            let save = self.i;
            self.skip_list_separators();
            if !self.at_param() {
                self.i = save;
                return any;
            }
            let Some(name) = self.token() else {
                return any;
            };
            self.skip_ws();
            self.i += 1; // the `=`, checked by at_param
            self.skip_ws();
            let value = if self.peek() == Some(b'"') {
                match self.quoted() {
                    Some(value) => value,
                    None => return any,
                }
            } else {
                match self.token() {
                    Some(value) => value,
                    None => return any,
                }
            };
            out.push((name.to_ascii_lowercase(), value));
            any = true;
            self.skip_ws();
            if self.peek() != Some(b',') {
                return any;
            }
        }
    }

    /// A quoted-string with `\` escapes; `None` when unterminated.
    fn quoted(&mut self) -> Option<String> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.i += 1;
        let mut bytes = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(String::from_utf8_lossy(&bytes).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    bytes.push(self.peek()?);
                    self.i += 1;
                }
                b => {
                    bytes.push(b);
                    self.i += 1;
                }
            }
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut out = Vec::new();
        parse_challenges(value, &mut out);
        out.into_iter().map(|c| (c.scheme, c.params)).collect()
    }

    fn c(scheme: &str, params: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
        (
            scheme.to_owned(),
            params
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn challenges_parse() {
        let cases = vec![
            (
                r#"Digest realm="a", nonce="n""#,
                vec![c("digest", &[("realm", "a"), ("nonce", "n")])],
            ),
            (
                r#"Basic realm="x", DIGEST Realm="y",NONCE=abc , qop="auth,auth-int""#,
                vec![
                    c("basic", &[("realm", "x")]),
                    c(
                        "digest",
                        &[("realm", "y"), ("nonce", "abc"), ("qop", "auth,auth-int")],
                    ),
                ],
            ),
            (
                r#"Digest realm="say \"hi\" \\ there", nonce="a,b=c""#,
                vec![c(
                    "digest",
                    &[("realm", r#"say "hi" \ there"#), ("nonce", "a,b=c")],
                )],
            ),
            (
                "Negotiate, Basic dXNlcjpwYXNz==, Bearer",
                vec![c("negotiate", &[]), c("basic", &[]), c("bearer", &[])],
            ),
            (
                "Bearer realm = \"r\" , error=invalid_token, Digest nonce=\"n\"",
                vec![
                    c("bearer", &[("realm", "r"), ("error", "invalid_token")]),
                    c("digest", &[("nonce", "n")]),
                ],
            ),
            ("", vec![]),
            (" , ,", vec![]),
            (r#"Digest realm="unterminated"#, vec![c("digest", &[])]),
            ("Digest realm=", vec![c("digest", &[])]),
            ("Digest @@@", vec![c("digest", &[])]),
            ("\"quoted\"", vec![]),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), expected, "{input:?}");
        }
    }

    #[test]
    fn auth_info_params_parse() {
        let params = parse_params(r#"nextnonce="abc", qop=auth, rspauth="x""#);
        assert_eq!(params[0], ("nextnonce".to_owned(), "abc".to_owned()));
        assert_eq!(params.len(), 3);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = b"Digest realm=\"\\,= \tabcQOP";
        for _ in 0..5000 {
            let len = rng.usize(0..40);
            let s: String = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())] as char)
                .collect();
            let mut out = Vec::new();
            parse_challenges(&s, &mut out);
            let _ = parse_params(&s);
        }
    }
}
