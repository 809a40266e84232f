//! Times as APIs write them in their bodies (RFC 3339), read by one function for every provider:
//! S3's and EC2's XML, the JSON of GCS, Swift, Nova and DigitalOcean, credential files and token
//! answers. HTTP dates in headers are [`headers::http_date`](crate::headers::http_date)'s.

use std::time::SystemTime;

/// A time as RFC 3339 writes it: `2026-12-07T10:58:39Z`, `…39.999-05:00`, or `…39.123456` with the
/// zone left out (Swift's), read as UTC. `None` for anything else, or a time before 1970.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cloud_core::time::rfc3339;
///
/// let utc = rfc3339("2026-12-08T10:00:00Z").unwrap();
/// assert_eq!(rfc3339("2026-12-08T05:00:00.000-05:00"), Some(utc));
/// assert_eq!(rfc3339("2026-12-08T10:00:00+00:00"), Some(utc));
/// assert_eq!(rfc3339("1970-01-01T00:00:01"), Some(UNIX_EPOCH + Duration::from_secs(1)));
/// assert_eq!(rfc3339("yesterday"), None);
/// ```
pub fn rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let (local, offset) = match text
        .len()
        .checked_sub(6)
        .and_then(|at| text.get(at..).map(|z| (at, z)))
    {
        Some((at, zone))
            if text.len() > 19
                && (zone.starts_with('+') || zone.starts_with('-'))
                && zone.as_bytes()[3] == b':' =>
        {
            let hours: u64 = zone.get(1..3)?.parse().ok()?;
            let minutes: u64 = zone.get(4..6)?.parse().ok()?;
            let seconds = std::time::Duration::from_secs(hours * 3600 + minutes * 60);
            (&text[..at], Some((zone.starts_with('-'), seconds)))
        }
        _ => (text.trim_end_matches(['Z', 'z']), None),
    };
    let at = humantime::parse_rfc3339_weak(local).ok()?;
    match offset {
        None => Some(at),
        // Local time west of UTC is behind it: add the offset to reach UTC.
        Some((true, by)) => at.checked_add(by),
        Some((false, by)) => at.checked_sub(by),
    }
}

/// A field holding an [`rfc3339`] time (`#[serde(default, deserialize_with = "…")]`), read from the
/// answer's text without an owned copy of it: a listing's times cost no allocation. A missing field,
/// `null`, or text that is not a time is `None`, as [`rfc3339`] reads it; another type is an error.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Entry {
///     #[serde(default, deserialize_with = "cloud_core::time::optional_rfc3339")]
///     updated: Option<std::time::SystemTime>,
/// }
///
/// let entry: Entry = serde_json::from_str(r#"{"updated": "2026-12-08T10:00:00Z"}"#).unwrap();
/// assert_eq!(entry.updated, cloud_core::time::rfc3339("2026-12-08T10:00:00Z"));
/// let entry: Entry = serde_json::from_str("{}").unwrap();
/// assert_eq!(entry.updated, None);
/// assert!(serde_json::from_str::<Entry>(r#"{"updated": 7}"#).is_err());
/// ```
#[cfg(feature = "json")]
pub fn optional_rfc3339<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<SystemTime>, D::Error> {
    struct Time;
    impl<'de> serde::de::Visitor<'de> for Time {
        type Value = Option<SystemTime>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a time as text, or null")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> std::result::Result<Self::Value, E> {
            Ok(rfc3339(text))
        }

        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: serde::Deserializer<'de>>(
            self,
            d: D2,
        ) -> std::result::Result<Self::Value, D2::Error> {
            d.deserialize_str(Time)
        }
    }
    deserializer.deserialize_option(Time)
}
