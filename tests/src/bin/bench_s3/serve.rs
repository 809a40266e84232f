//! The loopback S3 responder the clients are measured against.

use super::*;

/// A keep-alive HTTP/1.1 responder that answers like S3 and stores nothing; prints its address.
pub(super) fn serve() {
    // Before the first client: the big object's checksum takes a moment.
    stored();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        std::io::stdout().flush().unwrap();
        let listing = Arc::new(listing_xml());
        let connections = Arc::new(AtomicUsize::new(0));
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            connections.fetch_add(1, Ordering::Relaxed);
            let listing = listing.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut filled = 0;
                loop {
                    let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
                        if filled == buf.len() {
                            buf.resize(buf.len() * 2, 0);
                        }
                        match stream.read(&mut buf[filled..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => filled += n,
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    let mut lines = head.split("\r\n");
                    let mut request_line = lines.next().unwrap_or_default().split(' ');
                    let (method, target) = (
                        request_line.next().unwrap_or_default().to_owned(),
                        request_line.next().unwrap_or_default().to_owned(),
                    );
                    let length: u64 = lines
                        .filter_map(|l| l.split_once(':'))
                        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse().ok())
                        .unwrap_or(0);
                    // Discard the request body.
                    let mut rest = filled - (end + 4);
                    buf.copy_within(end + 4..filled, 0);
                    let mut to_skip = length;
                    while to_skip > 0 {
                        if rest == 0 {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => rest = n,
                            }
                        }
                        let take = (rest as u64).min(to_skip) as usize;
                        buf.copy_within(take..rest, 0);
                        rest -= take;
                        to_skip -= take as u64;
                    }
                    filled = rest;
                    if respond(&mut stream, &method, &target, &listing)
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
}

/// A `200 OK` carrying `body`.
async fn ok_with(stream: &mut tokio::net::TcpStream, body: &str) -> std::io::Result<()> {
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    method: &str,
    target: &str,
    listing: &str,
) -> std::io::Result<()> {
    let big = target.contains("/big");
    let common = "etag: \"0123456789abcdef0123456789abcdef\"\r\nlast-modified: Wed, 25 Nov 2026 20:00:00 GMT\r\ncontent-type: application/octet-stream\r\n";
    match method {
        "PUT" if target.contains("partNumber=") => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\netag: \"part\"\r\ncontent-length: 0\r\n\r\n")
                .await
        }
        "PUT" => {
            stream
                .write_all(
                    format!("HTTP/1.1 200 OK\r\n{common}content-length: 0\r\n\r\n").as_bytes(),
                )
                .await
        }
        "POST" if target.contains("uploads") => {
            ok_with(stream, "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>bench</Bucket><Key>k</Key><UploadId>bench-upload</UploadId></InitiateMultipartUploadResult>").await
        }
        "POST" => {
            ok_with(stream, "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>bench</Bucket><Key>k</Key><ETag>\"done-1\"</ETag></CompleteMultipartUploadResult>").await
        }
        "HEAD" => {
            let (len, sums) = if big {
                (BIG, &stored().big)
            } else {
                (SMALL as u64, &stored().small)
            };
            stream
                .write_all(
                    format!("HTTP/1.1 200 OK\r\n{sums}content-length: {len}\r\n\r\n").as_bytes(),
                )
                .await
        }
        // A GET of the bucket itself is a listing (ListObjectsV2, or V1 for older clients).
        "GET" if matches!(target.split('?').next(), Some("/bench" | "/bench/")) => {
            stream.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n", listing.len()).as_bytes()).await?;
            stream.write_all(listing.as_bytes()).await
        }
        "GET" if big => {
            let sums = &stored().big;
            stream
                .write_all(
                    format!("HTTP/1.1 200 OK\r\n{sums}content-length: {BIG}\r\n\r\n").as_bytes(),
                )
                .await?;
            let chunk = vec![7u8; 1 << 20];
            for _ in 0..BIG >> 20 {
                stream.write_all(&chunk).await?;
            }
            Ok(())
        }
        "GET" => {
            let sums = &stored().small;
            let mut response =
                format!("HTTP/1.1 200 OK\r\n{sums}content-length: {SMALL}\r\n\r\n").into_bytes();
            response.extend(std::iter::repeat_n(b'x', SMALL));
            stream.write_all(&response).await
        }
        _ => {
            stream
                .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                .await
        }
    }
}

/// The headers S3 sends with the objects the responder serves, as for objects this project uploads: a
/// small one's MD5 ETag and CRC-32C; a big (multipart) one's `…-N` ETag and full-object CRC-32C.
struct Stored {
    small: String,
    big: String,
}

fn stored() -> &'static Stored {
    static STORED: std::sync::OnceLock<Stored> = std::sync::OnceLock::new();
    STORED.get_or_init(|| {
        use base64::Engine;
        use md5::Digest;
        let b64 = |crc: u32| base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes());
        let small = vec![b'x'; SMALL];
        let md5: String = md5::Md5::digest(&small).iter().map(|b| format!("{b:02x}")).collect();
        let chunk = vec![7u8; 1 << 20];
        let big_crc = (0..BIG >> 20).fold(0, |crc, _| cloud_storage::crc32c_append(crc, &chunk));
        let tail = "last-modified: Wed, 25 Nov 2026 20:00:00 GMT\r\ncontent-type: application/octet-stream\r\n";
        Stored {
            small: format!(
                "etag: \"{md5}\"\r\nx-amz-checksum-crc32c: {}\r\nx-amz-checksum-type: FULL_OBJECT\r\n{tail}",
                b64(cloud_storage::crc32c(&small))
            ),
            big: format!(
                "etag: \"0123456789abcdef0123456789abcdef-64\"\r\nx-amz-checksum-crc32c: {}\r\nx-amz-checksum-type: FULL_OBJECT\r\n{tail}",
                b64(big_crc)
            ),
        }
    })
}

fn listing_xml() -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bench</Name><IsTruncated>false</IsTruncated>");
    for i in 0..LIST_KEYS {
        xml.push_str(&format!(
            "<Contents><Key>photos/2026/{i:06}.jpg</Key><LastModified>2026-11-25T20:00:00.000Z</LastModified><ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            1000 + i
        ));
    }
    xml.push_str("</ListBucketResult>");
    xml
}
