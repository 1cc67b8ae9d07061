//! Reads the DNS names of a certificate's subjectAltName extension.
//!
//! Neither rustls nor webpki lists a certificate's names (webpki only checks one name against
//! them), and a full X.509 parser is a large dependency for one field. The DER walk below reads
//! just the path `Certificate > TBSCertificate > [3] extensions > subjectAltName > dNSName`.
//!
//! The input is a certificate the server sent. Any malformation gives an empty list, which is
//! safe: the names only let a pool coalesce connections, and no names means no coalescing.

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
/// `[3] EXPLICIT Extensions` in TBSCertificate (context-specific, constructed).
const EXTENSIONS: u8 = 0xa3;
/// `dNSName [2] IA5String` in GeneralName (context-specific, primitive).
const DNS_NAME: u8 = 0x82;
/// The DER contents of the OID 2.5.29.17, id-ce-subjectAltName.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The dNSName entries of the certificate's subjectAltName, lower-cased, in certificate order.
///
/// Wildcard names (`*.example.com`) are returned as written. IP addresses and other name types
/// are left out.
pub(crate) fn dns_names(cert_der: &[u8]) -> Vec<String> {
    try_dns_names(cert_der).unwrap_or_default()
}

fn try_dns_names(cert_der: &[u8]) -> Option<Vec<String>> {
    let (cert, _) = expect(cert_der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;

    // The fields before the extensions (version, serial, algorithm, issuer, validity, subject,
    // key, unique ids) all have tags other than [3], so a scan finds the extensions.
    let mut fields = tbs;
    while !fields.is_empty() {
        let (tag, contents, rest) = tlv(fields)?;
        if tag == EXTENSIONS {
            return san_in_extensions(contents);
        }
        fields = rest;
    }
    Some(Vec::new())
}

fn san_in_extensions(explicit: &[u8]) -> Option<Vec<String>> {
    let (mut extensions, _) = expect(explicit, SEQUENCE)?;
    while !extensions.is_empty() {
        let (extension, rest) = expect(extensions, SEQUENCE)?;
        extensions = rest;

        let (id, mut body) = expect(extension, OID)?;
        if id != SUBJECT_ALT_NAME {
            continue;
        }
        if let Some((BOOLEAN, _, rest)) = tlv(body) {
            body = rest;
        }
        let (value, _) = expect(body, OCTET_STRING)?;
        return general_names(value);
    }
    Some(Vec::new())
}

fn general_names(value: &[u8]) -> Option<Vec<String>> {
    let (mut names, _) = expect(value, SEQUENCE)?;
    let mut found = Vec::new();
    while !names.is_empty() {
        let (tag, contents, rest) = tlv(names)?;
        names = rest;
        if tag == DNS_NAME && contents.is_ascii() {
            let name = std::str::from_utf8(contents).ok()?;
            found.push(name.to_ascii_lowercase());
        }
    }
    Some(found)
}

/// Reads one element with the given tag: its contents and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match tlv(input)? {
        (found, contents, rest) if found == tag => Some((contents, rest)),
        _ => None,
    }
}

/// Reads one DER element: its tag, its contents and what follows it.
///
/// Only what certificates use is accepted: single-byte tags and definite lengths of at most four
/// length bytes.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        bytes.iter().try_fold(0usize, |len, &b| {
            len.checked_mul(256)?.checked_add(usize::from(b))
        })?
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(names: &[&str]) -> Vec<u8> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(names).unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn lists_dns_names_in_order_and_skips_ip_addresses() {
        let der = cert_with(&[
            "localhost",
            "127.0.0.1",
            "Example.COM",
            "*.example.net",
            "::1",
        ]);
        assert_eq!(
            dns_names(&der),
            ["localhost", "example.com", "*.example.net"]
        );
    }

    #[test]
    fn a_certificate_without_names_has_none() {
        assert!(dns_names(&cert_with(&[])).is_empty());
    }

    #[test]
    fn truncated_or_corrupt_certificates_give_no_names_and_never_panic() {
        let der = cert_with(&["localhost"]);
        for len in 0..der.len() {
            // A truncated outer SEQUENCE fails its length check, so nothing is read from it.
            assert!(dns_names(&der[..len]).is_empty(), "prefix of {len} bytes");
        }
        for i in 0..der.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[i] ^= flip;
                let _ = dns_names(&bad);
            }
        }
        assert!(dns_names(b"").is_empty());
        assert!(dns_names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_empty());
        assert!(dns_names(&[0x30, 0x80, 0x00, 0x00]).is_empty());
    }

    #[test]
    fn long_form_lengths_are_read() {
        assert_eq!(
            tlv(&[0x04, 0x81, 0x01, 0xaa]),
            Some((0x04, &[0xaa][..], &[][..]))
        );
        assert_eq!(
            tlv(&[0x04, 0x82, 0x00, 0x01, 0xaa, 0xbb]),
            Some((0x04, &[0xaa][..], &[0xbb][..]))
        );
        assert_eq!(tlv(&[0x1f, 0x01, 0x00]), None);
    }
}
