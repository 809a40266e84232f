//! Reading `application/x-www-form-urlencoded` bodies and query strings, as the loopback token
//! endpoints do.

/// The decoded `name=value` pairs of `text`, in order (`name` alone has an empty value).
pub fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        // A name without `=` has an empty value, as URL parsers read it.
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// The pairs of a form body.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    pairs(&String::from_utf8_lossy(body))
}

/// The first value of `name`.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
