//! Buckets in other regions. S3 refuses a request signed for the wrong region with `301
//! PermanentRedirect` or `400 AuthorizationHeaderMalformed`, naming the bucket's region in
//! `x-amz-bucket-region`. The request is then signed again for that region (and sent to that
//! region's endpoint when the driver uses AWS's own), once, and the region is remembered for the
//! bucket for the life of the driver. A bucket that has answered once is known to be where the driver
//! points, so its requests are no longer copied in case they must be sent again.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use cloud_core::{HttpClient, HttpService, Request, Result, ServiceConfig};

use super::error::S3Errors;
use crate::auth::{CredentialSource, SigV4};

/// The region an S3 refusal named, carried as the error's source.
#[derive(Debug)]
pub(crate) struct BucketRegion(pub(crate) String);

impl fmt::Display for BucketRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the bucket is in region {}", self.0)
    }
}

impl std::error::Error for BucketRegion {}

/// The region `err` says the bucket is in, if it says so.
pub(crate) fn named_region(err: &cloud_core::Error) -> Option<String> {
    std::error::Error::source(err)?
        .downcast_ref::<BucketRegion>()
        .map(|r| r.0.clone())
}

/// The service (signer and pipeline) for one other region.
struct Regional {
    region: String,
    http: HttpService,
}

/// What the driver knows of where its buckets are.
pub(crate) struct BucketRegions {
    client: HttpClient,
    credentials: CredentialSource,
    provider: &'static str,
    /// Whether the endpoint is AWS's own, whose host names the region.
    aws_endpoint: bool,
    /// What is known of each bucket, found with one lookup per request.
    buckets: RwLock<HashMap<String, Known>>,
    by_region: Mutex<HashMap<String, Arc<Regional>>>,
}

/// What is known of one bucket.
#[derive(Clone, Default)]
struct Known {
    /// The region it lives in, when not the driver's.
    elsewhere: Option<Arc<Regional>>,
    /// It has answered a request sent where the driver points.
    confirmed: bool,
}

/// How to send one request to its bucket.
pub(crate) struct Route {
    /// The other region's service, when the bucket lives elsewhere.
    pub(crate) http: Option<HttpService>,
    /// A copy to send again if S3 names another region; none once the bucket has answered.
    pub(crate) spare: Option<Request>,
    /// Whether the bucket had answered before this request.
    pub(crate) confirmed: bool,
}

impl fmt::Debug for BucketRegions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<(String, String)> = self
            .buckets
            .read()
            .map(|m| {
                m.iter()
                    .filter_map(|(b, k)| Some((b.clone(), k.elsewhere.as_ref()?.region.clone())))
                    .collect()
            })
            .unwrap_or_default();
        f.debug_struct("BucketRegions")
            .field("elsewhere", &known)
            .finish_non_exhaustive()
    }
}

/// `s3.REGION.amazonaws.com` (with or without a bucket in front, or the global `s3.amazonaws.com`)
/// with `region` in place; other hosts as they are.
fn regional_host(host: &str, region: &str) -> Option<String> {
    // The last `s3.`: a bucket's name may hold one too.
    let (prefix, rest) = match host.rfind("s3.") {
        Some(0) => ("", host),
        Some(at) if host[..at].ends_with('.') => (&host[..at], &host[at..]),
        _ => return None,
    };
    let rest = rest.strip_prefix("s3.")?;
    let suffix = rest.split_once("amazonaws.com").map(|(_, s)| s)?;
    Some(format!("{prefix}s3.{region}.amazonaws.com{suffix}"))
}

impl BucketRegions {
    pub(crate) fn new(
        client: HttpClient,
        credentials: CredentialSource,
        provider: &'static str,
        aws_endpoint: bool,
    ) -> BucketRegions {
        BucketRegions {
            client,
            credentials,
            provider,
            aws_endpoint,
            buckets: RwLock::new(HashMap::new()),
            by_region: Mutex::new(HashMap::new()),
        }
    }

    /// How to send `request` to `bucket`: to that region's service and host when it lives elsewhere,
    /// with a spare copy while the bucket has not answered yet.
    pub(crate) fn route(&self, bucket: &str, request: &mut Request) -> Route {
        let known = self
            .buckets
            .read()
            .ok()
            .and_then(|b| b.get(bucket).cloned())
            .unwrap_or_default();
        let Some(regional) = known.elsewhere else {
            return Route {
                http: None,
                spare: if known.confirmed {
                    None
                } else {
                    cloud_core::request::try_clone(request)
                },
                confirmed: known.confirmed,
            };
        };
        self.send_to(&regional, request);
        Route {
            http: Some(regional.http.clone()),
            spare: None,
            confirmed: known.confirmed,
        }
    }

    /// `request` sent to `regional`'s host, when the driver uses AWS's own endpoints.
    fn send_to(&self, regional: &Regional, request: &mut Request) {
        if !self.aws_endpoint {
            return;
        }
        let host = request
            .uri()
            .host()
            .and_then(|h| regional_host(h, &regional.region));
        if let Some(host) = host {
            let mut parts = request.uri().clone().into_parts();
            if let Ok(authority) = host.parse() {
                parts.authority = Some(authority);
                if let Ok(uri) = http::Uri::from_parts(parts) {
                    *request.uri_mut() = uri;
                }
            }
        }
        if request.headers().contains_key(http::header::HOST) {
            if let Ok(value) = http::HeaderValue::from_str(request.uri().host().unwrap_or("")) {
                request.headers_mut().insert(http::header::HOST, value);
            }
        }
    }

    /// `request` routed again after S3 named the bucket's region (learnt just before).
    pub(crate) fn reroute(&self, bucket: &str, request: &mut Request) -> Option<HttpService> {
        let regional = self.buckets.read().ok()?.get(bucket)?.elsewhere.clone()?;
        self.send_to(&regional, request);
        Some(regional.http.clone())
    }

    /// `bucket` answered: its region is settled.
    pub(crate) fn confirm(&self, bucket: &str) {
        if let Ok(mut buckets) = self.buckets.write() {
            buckets.entry(bucket.to_owned()).or_default().confirmed = true;
        }
    }

    /// Remembers that `bucket` lives in `region`.
    pub(crate) fn learn(&self, bucket: &str, region: &str) -> Result<()> {
        let regional = {
            let mut by_region = self.by_region.lock().map_err(|_| {
                cloud_core::Error::unexpected("the region table was poisoned by a panic")
            })?;
            match by_region.get(region) {
                Some(regional) => regional.clone(),
                None => {
                    let signer = SigV4::s3(&self.credentials, region, self.client.clock())?;
                    let http = self.client.service(
                        ServiceConfig::new(self.provider)
                            .shared_authorizer(Arc::new(signer))
                            .errors(S3Errors),
                    );
                    let regional = Arc::new(Regional {
                        region: region.to_owned(),
                        http,
                    });
                    by_region.insert(region.to_owned(), regional.clone());
                    regional
                }
            }
        };
        tracing::debug!(
            bucket,
            region,
            "the bucket is in another region; signing for it"
        );
        if let Ok(mut buckets) = self.buckets.write() {
            buckets.entry(bucket.to_owned()).or_default().elsewhere = Some(regional);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_region_of_aws_hosts_only() {
        assert_eq!(
            regional_host("s3.us-east-1.amazonaws.com", "eu-west-1").as_deref(),
            Some("s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            regional_host("photos.s3.amazonaws.com", "ap-south-1").as_deref(),
            Some("photos.s3.ap-south-1.amazonaws.com")
        );
        assert_eq!(
            regional_host("my.bucket.s3.us-west-2.amazonaws.com", "eu-west-1").as_deref(),
            Some("my.bucket.s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            regional_host("s3.data.s3.us-east-1.amazonaws.com", "eu-west-1").as_deref(),
            Some("s3.data.s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(regional_host("minio.example.com", "eu-west-1"), None);
        assert_eq!(regional_host("nots3.example.com", "eu-west-1"), None);
    }
}
