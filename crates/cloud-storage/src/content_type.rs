//! Guessing a media type from a file name or key.

/// The media type usually meant by the extension of `name` (`photo.jpg` → `image/jpeg`), if it has a
/// known one.
///
/// ```
/// assert_eq!(cloud_storage::guess_content_type("reports/2026.csv"), Some("text/csv"));
/// assert_eq!(cloud_storage::guess_content_type("README"), None);
/// ```
pub fn guess_content_type(name: &str) -> Option<&'static str> {
    mime_guess::from_path(name).first_raw()
}
