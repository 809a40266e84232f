//! The authorize step: the provider's signer or token source, run on every attempt.

use async_trait::async_trait;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};

use super::transport::Transport;
use super::{Call, Reply, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// Adds credentials to a request: a SigV4 signature, a bearer token, a SharedKey signature, ….
///
/// It runs inside the retry loop, so every attempt is signed afresh (a new date, a refreshed token).
/// Implementations should mark the headers they add as [sensitive](HeaderValue::set_sensitive); the debug
/// log redacts those and the usual credential headers.
///
/// ```
/// use async_trait::async_trait;
/// use cloud_core::{Authorize, Request, Result};
///
/// #[derive(Debug)]
/// struct ApiKey(cloud_core::Secret);
///
/// #[async_trait]
/// impl Authorize for ApiKey {
///     async fn authorize(&self, request: &mut Request) -> Result<()> {
///         let mut value = http::HeaderValue::from_str(self.0.expose())
///             .map_err(|_| cloud_core::Error::invalid_input("API key is not a valid header value"))?;
///         value.set_sensitive(true);
///         request.headers_mut().insert("x-api-key", value);
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Authorize: Send + Sync + std::fmt::Debug + 'static {
    /// Adds credentials to `request` in place.
    async fn authorize(&self, request: &mut Request) -> Result<()>;

    /// Adds credentials at once when nothing needs awaiting (fixed keys, a cached token still fresh);
    /// `None` sends the request through [`authorize`](Authorize::authorize) instead. The pipeline
    /// tries this first, which spares each attempt a boxed future.
    fn authorize_now(&self, request: &mut Request) -> Option<Result<()>> {
        let _ = request;
        None
    }

    /// Whether these credentials are fetched (tokens, sessions) and can be fetched anew. When so, a
    /// request the server refuses as [unauthenticated](crate::ErrorKind::Unauthenticated) (`401`, or
    /// a provider's own answer such as S3's `ExpiredToken`) is sent once more after
    /// [`refused`](Authorize::refused): a token revoked or expired early costs one round trip, not a
    /// failed call. The server did not act on a request it did not authenticate, so this holds for
    /// writes too.
    fn renewable(&self) -> bool {
        false
    }

    /// The server refused a request as unauthenticated: forget the credentials it carried, if they are
    /// still the current ones (another task may have renewed them already). `sent` holds the request's
    /// [sensitive](HeaderValue::set_sensitive) headers, the last two: mark the headers that carry
    /// the credentials so.
    fn refused(&self, sent: &HeaderMap) {
        let _ = sent;
    }
}

/// Sends requests as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAuth;

#[async_trait]
impl Authorize for NoAuth {
    async fn authorize(&self, _request: &mut Request) -> Result<()> {
        Ok(())
    }

    fn authorize_now(&self, _request: &mut Request) -> Option<Result<()>> {
        Some(Ok(()))
    }
}

/// Adds `Authorization: Bearer <token>` with a fixed token.
#[derive(Clone, Debug)]
pub struct BearerToken {
    value: HeaderValue,
}

impl BearerToken {
    /// An authorizer for a fixed token; fails if the token cannot be a header value.
    pub fn new(token: &Secret) -> Result<BearerToken> {
        let mut value =
            HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
                Error::invalid_input("the bearer token contains characters not allowed in a header")
            })?;
        value.set_sensitive(true);
        Ok(BearerToken { value })
    }
}

#[async_trait]
impl Authorize for BearerToken {
    async fn authorize(&self, request: &mut Request) -> Result<()> {
        self.authorize_now(request)
            .expect("a fixed token is at hand")
    }

    fn authorize_now(&self, request: &mut Request) -> Option<Result<()>> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.value.clone());
        Some(Ok(()))
    }
}

/// The credentials an attempt carried (the sensitive headers its authorizer added, which come last),
/// kept to name them to [`Authorize::refused`] if the server refuses them.
#[derive(Default)]
pub(crate) struct Sent([Option<(HeaderName, HeaderValue)>; 2]);

impl Sent {
    fn of(request: &Request) -> Sent {
        let mut sent = Sent::default();
        for (name, value) in request.headers() {
            if value.is_sensitive() {
                sent.0[0] = sent.0[1].take();
                sent.0[1] = Some((name.clone(), value.clone()));
            }
        }
        sent
    }

    fn headers(&self) -> HeaderMap {
        self.0.iter().flatten().cloned().collect()
    }
}

/// An attempt's error, after a refusal of renewable credentials has made the authorizer forget them:
/// marked for the retry step, which keeps the unsigned request, to send once more (unless this
/// attempt was that once more).
fn answered(
    result: Result<Reply>,
    authorizer: &dyn Authorize,
    sent: &Sent,
    renewed: bool,
) -> Result<Reply> {
    match result {
        Err(err) if err.kind() == ErrorKind::Unauthenticated && err.status().is_some() => {
            authorizer.refused(&sent.headers());
            Err(if renewed {
                err
            } else {
                err.renew_credentials()
            })
        }
        other => other,
    }
}

/// One attempt with its credentials: added at once when they are at hand, else awaited (the only
/// path that boxes a future). A refusal of renewable credentials is [`answered`].
pub(crate) async fn authorized(
    authorizer: &dyn Authorize,
    transport: &Transport,
    mut call: Call,
) -> Result<Reply> {
    match authorizer.authorize_now(&mut call.request) {
        Some(result) => result?,
        None => authorizer.authorize(&mut call.request).await?,
    }
    if !authorizer.renewable() {
        return transport.send(call).await;
    }
    let renewed = call.context.renewed;
    let sent = Sent::of(&call.request);
    answered(transport.send(call).await, authorizer, &sent, renewed)
}
