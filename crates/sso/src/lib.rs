//! Flywheel as an OpenID Connect relying party: the authorization code flow with PKCE,
//! `state` and `nonce`, on the `openidconnect` crate (no hand-written JOSE).
//!
//! [`Oidc`] keeps the provider's discovery document and keys for [`METADATA_TTL`] and
//! fetches the keys again when an ID token names a key it does not know (the provider
//! rotated its keys), at most once per [`JWKS_REFRESH_GAP`]. [`Oidc::finish`] checks the
//! ID token's signature, `iss`, `aud`, `exp` and `iat` (with [`LEEWAY`]) and `nonce`, then
//! reads the user info endpoint for the claims the ID token leaves out (providers put
//! `email` and groups in either). Whether an identity may sign in (a verified email, the
//! role its groups give) is the application layer's rule, not this crate's.
//!
//! Everything that can go wrong is a [`Refusal`] with a stable code for the audit log and
//! a sentence for the person.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{CoreClient, CoreGenderClaim, CoreResponseType};
use openidconnect::{
    reqwest, AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError,
    ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySet, LogoutRequest, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError,
};
use serde::{Deserialize, Serialize};

/// How long a discovery document (and its keys) is used before it is fetched again.
pub const METADATA_TTL: Duration = Duration::from_secs(3600);
/// The shortest time between two key fetches caused by unknown keys. ID tokens come from
/// the provider's token endpoint over a server-to-server call, so a flood of unknown keys
/// needs a flood of valid codes; one fetch a second still bounds what it could cost.
pub const JWKS_REFRESH_GAP: Duration = Duration::from_secs(1);
/// Clock skew tolerated on `exp` and `iat`.
pub const LEEWAY: chrono::Duration = chrono::Duration::seconds(60);
/// How long one request to the provider may take.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// What the relying party needs to talk to one provider.
#[derive(Clone)]
pub struct Client {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes beyond `openid` (e.g. `email`, `profile`, `groups`).
    pub scopes: Vec<String>,
    /// Flywheel's callback: `https://HOST/auth/oidc/callback`.
    pub redirect_url: String,
    /// The claim that lists the person's groups, if roles follow groups.
    pub groups_claim: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<hidden>")
            .field("scopes", &self.scopes)
            .field("redirect_url", &self.redirect_url)
            .field("groups_claim", &self.groups_claim)
            .finish()
    }
}

/// A sign-in begun: where to send the browser, and what to keep (server-side) until the
/// provider sends it back.
#[derive(Debug)]
pub struct Start {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// What a provider's discovery document names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorization: String,
    pub token: Option<String>,
    pub userinfo: Option<String>,
    pub end_session: Option<String>,
    /// Signing keys published.
    pub keys: usize,
}

/// Who the provider says signed in, after every check of the ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// `email_verified` as the provider states it; absent counts as not verified.
    pub email_verified: bool,
    pub name: Option<String>,
    /// The groups claim's values (empty when no groups claim is configured or sent).
    pub groups: Vec<String>,
    /// Every claim of the ID token and user info (for a configured linking claim).
    pub claims: HashMap<String, serde_json::Value>,
    /// Whether the provider's keys had to be fetched again (it rotated them).
    pub keys_refreshed: bool,
}

/// Why a sign-in was refused. `code` is stable (audit log, tests); the message is for the
/// person and names what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the identity provider at {0} could not be reached or answered badly: {1}")]
    Provider(String, String),
    #[error("the identity provider refused the sign-in: {0}")]
    ProviderError(String),
    #[error("the identity provider sent no ID token")]
    NoIdToken,
    #[error("the ID token was issued for another application ({0})")]
    Audience(String),
    #[error("the ID token has expired ({0}); check that this server's clock is right")]
    Expired(String),
    #[error(
        "the ID token was issued in the future ({0}); check that this server's clock is right"
    )]
    IssuedInFuture(String),
    #[error("the ID token's signature is not valid ({0})")]
    Signature(String),
    #[error("the ID token was issued by another provider ({0})")]
    Issuer(String),
    #[error("the ID token does not answer this sign-in (its nonce differs)")]
    Nonce,
    #[error("the ID token was refused: {0}")]
    Other(String),
}

impl Refusal {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Provider(..) => "provider_unreachable",
            Refusal::ProviderError(_) => "provider_error",
            Refusal::NoIdToken => "no_id_token",
            Refusal::Audience(_) => "wrong_audience",
            Refusal::Expired(_) => "expired",
            Refusal::IssuedInFuture(_) => "issued_in_future",
            Refusal::Signature(_) => "bad_signature",
            Refusal::Issuer(_) => "wrong_issuer",
            Refusal::Nonce => "wrong_nonce",
            Refusal::Other(_) => "invalid_token",
        }
    }
}

fn from_verification(e: ClaimsVerificationError) -> Refusal {
    match e {
        // The issue-time check below reports through `Expired` too.
        ClaimsVerificationError::Expired(m) if m.starts_with(FUTURE) => Refusal::IssuedInFuture(m),
        ClaimsVerificationError::Expired(m) => Refusal::Expired(m),
        ClaimsVerificationError::InvalidAudience(m) => Refusal::Audience(m),
        ClaimsVerificationError::InvalidIssuer(m) => Refusal::Issuer(m),
        ClaimsVerificationError::InvalidNonce(_) => Refusal::Nonce,
        ClaimsVerificationError::SignatureVerification(s) => Refusal::Signature(s.to_string()),
        other => Refusal::Other(other.to_string()),
    }
}

const FUTURE: &str = "issued in the future, at";

/// Every claim, kept as JSON (the groups claim's name is configured, not known here).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct AnyClaims {
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for AnyClaims {}

struct Cached {
    issuer: String,
    metadata: ProviderMetadataWithLogout,
    fetched: Instant,
}

/// The relying party: an HTTP client and the cached provider metadata. One per server.
pub struct Oidc {
    http: reqwest::Client,
    cache: tokio::sync::Mutex<Option<Cached>>,
    last_refresh: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").finish_non_exhaustive()
    }
}

impl Default for Oidc {
    fn default() -> Self {
        Oidc::new()
    }
}

impl Oidc {
    pub fn new() -> Oidc {
        // Redirects are not followed: a provider that redirects its discovery or token
        // endpoint elsewhere is misconfigured, and following would open the server to SSRF.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .unwrap_or_default();
        Oidc {
            http,
            cache: tokio::sync::Mutex::new(None),
            last_refresh: Mutex::new(None),
        }
    }

    /// The provider's metadata, from the cache or fetched (discovery from the issuer URL).
    async fn metadata(&self, issuer: &str) -> Result<ProviderMetadataWithLogout, Refusal> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            if c.issuer == issuer && c.fetched.elapsed() < METADATA_TTL {
                return Ok(c.metadata.clone());
            }
        }
        let url = IssuerUrl::new(issuer.to_owned())
            .map_err(|e| Refusal::Provider(issuer.to_owned(), e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(url, &self.http)
            .await
            .map_err(|e| Refusal::Provider(issuer.to_owned(), chain(&e)))?;
        *cache = Some(Cached {
            issuer: issuer.to_owned(),
            metadata: metadata.clone(),
            fetched: Instant::now(),
        });
        Ok(metadata)
    }

    /// Fetches the provider's keys again (it signed with a key not in the cached set);
    /// `false` when a fetch happened too recently.
    async fn refresh_keys(&self, issuer: &str) -> Result<bool, Refusal> {
        {
            let mut last = self
                .last_refresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < JWKS_REFRESH_GAP) {
                return Ok(false);
            }
            *last = Some(Instant::now());
        }
        let mut metadata = self.metadata(issuer).await?;
        let keys = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| Refusal::Provider(issuer.to_owned(), chain(&e)))?;
        metadata = metadata.set_jwks(keys);
        let mut cache = self.cache.lock().await;
        *cache = Some(Cached {
            issuer: issuer.to_owned(),
            metadata,
            fetched: Instant::now(),
        });
        tracing::info!(issuer, "fetched the identity provider's keys again");
        Ok(true)
    }

    /// Fetches the provider's discovery document now (not from the cache): what `auth oidc
    /// set` checks before it keeps the settings. The endpoints it names.
    pub async fn check(&self, issuer: &str) -> Result<Endpoints, Refusal> {
        *self.cache.lock().await = None;
        let m = self.metadata(issuer).await?;
        Ok(Endpoints {
            authorization: m.authorization_endpoint().to_string(),
            token: m.token_endpoint().map(ToString::to_string),
            userinfo: m.userinfo_endpoint().map(ToString::to_string),
            end_session: m
                .additional_metadata()
                .end_session_endpoint
                .as_ref()
                .map(ToString::to_string),
            keys: m.jwks().keys().len(),
        })
    }

    /// Begins a sign-in: the authorization URL with a fresh `state`, `nonce` and PKCE
    /// (S256) challenge.
    pub async fn start(&self, c: &Client) -> Result<Start, Refusal> {
        let metadata = self.metadata(&c.issuer).await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(c.client_id.clone()),
            Some(ClientSecret::new(c.client_secret.clone())),
        )
        .set_redirect_uri(redirect(c)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(c.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Start {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Ends a sign-in: exchanges `code` (with the PKCE verifier), checks the ID token
    /// against `nonce`, and reads the user info.
    pub async fn finish(
        &self,
        c: &Client,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, Refusal> {
        let metadata = self.metadata(&c.issuer).await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(c.client_id.clone()),
            Some(ClientSecret::new(c.client_secret.clone())),
        )
        .set_redirect_uri(redirect(c)?);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Refusal::Provider(c.issuer.clone(), e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    Refusal::ProviderError(r.to_string())
                }
                other => Refusal::Provider(c.issuer.clone(), chain(&other)),
            })?;
        let id_token = token.extra_fields().id_token().ok_or(Refusal::NoIdToken)?;
        let nonce = Nonce::new(nonce.to_owned());
        let verify = |client: &CoreClient<_, _, _, _, _, _>| {
            let verifier = client
                .id_token_verifier()
                .set_time_fn(|| chrono::Utc::now() - LEEWAY)
                .set_issue_time_verifier_fn(|iat| {
                    if iat > chrono::Utc::now() + LEEWAY {
                        Err(format!("{FUTURE} {iat}"))
                    } else {
                        Ok(())
                    }
                });
            id_token.claims(&verifier, &nonce).cloned()
        };
        let mut keys_refreshed = false;
        let claims = match verify(&client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if self.refresh_keys(&c.issuer).await? => {
                keys_refreshed = true;
                let metadata = self.metadata(&c.issuer).await?;
                let client = CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(c.client_id.clone()),
                    Some(ClientSecret::new(c.client_secret.clone())),
                )
                .set_redirect_uri(redirect(c)?);
                verify(&client)
            }
            other => other,
        }
        .map_err(from_verification)?;
        let subject = claims.subject().clone();
        // The signature was checked on exactly this text, so its payload is the claims.
        let mut all = payload(&id_token.to_string()).unwrap_or_default();
        if let Ok(request) = client.user_info(token.access_token().clone(), Some(subject.clone())) {
            match request
                .request_async::<AnyClaims, _, CoreGenderClaim>(&self.http)
                .await
            {
                Ok(info) => {
                    tracing::debug!(claims = ?info.additional_claims().rest.keys().collect::<Vec<_>>(), "user info");
                    let standard = [
                        ("email", info.email().map(|e| serde_json::json!(e.as_str()))),
                        (
                            "email_verified",
                            info.email_verified().map(|v| serde_json::json!(v)),
                        ),
                        (
                            "name",
                            info.name()
                                .and_then(|n| n.get(None))
                                .map(|n| serde_json::json!(n.as_str())),
                        ),
                    ];
                    for (k, v) in standard {
                        if let Some(v) = v {
                            all.entry(k.to_owned()).or_insert(v);
                        }
                    }
                    for (k, v) in &info.additional_claims().rest {
                        all.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                Err(e) => tracing::warn!(issuer = %c.issuer, "user info not read: {}", chain(&e)),
            }
        }
        Ok(identity(c, subject.as_str(), all, keys_refreshed))
    }

    /// The provider's end-session URL that brings the browser back to `after`, if the
    /// provider supports RP-initiated logout.
    pub async fn logout_url(&self, c: &Client, after: &str) -> Option<String> {
        let metadata = self.metadata(&c.issuer).await.ok()?;
        let end = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request =
            LogoutRequest::from(end).set_client_id(ClientId::new(c.client_id.clone()));
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_owned()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url().to_string())
    }
}

fn redirect(c: &Client) -> Result<RedirectUrl, Refusal> {
    RedirectUrl::new(c.redirect_url.clone())
        .map_err(|e| Refusal::Other(format!("the callback URL {:?}: {e}", c.redirect_url)))
}

/// The JSON payload of a compact JWS.
fn payload(jwt: &str) -> Option<HashMap<String, serde_json::Value>> {
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn identity(
    c: &Client,
    subject: &str,
    claims: HashMap<String, serde_json::Value>,
    keys_refreshed: bool,
) -> Identity {
    let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let email_verified = match claims.get("email_verified") {
        Some(serde_json::Value::Bool(b)) => *b,
        // Some providers send the boolean as a string.
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    let groups = c
        .groups_claim
        .as_deref()
        .and_then(|g| claims.get(g))
        .map(|v| match v {
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            serde_json::Value::String(s) => s
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    Identity {
        issuer: c.issuer.clone(),
        subject: subject.to_owned(),
        email: text("email").map(|e| e.trim().to_lowercase()),
        email_verified,
        name: text("name"),
        groups,
        claims,
        keys_refreshed,
    }
}

/// An error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(groups: Option<&str>) -> Client {
        Client {
            issuer: "https://idp.example".into(),
            client_id: "flywheel".into(),
            client_secret: "secret".into(),
            scopes: vec![],
            redirect_url: "https://fw.example/auth/oidc/callback".into(),
            groups_claim: groups.map(str::to_owned),
        }
    }

    #[test]
    fn claims_are_read_whatever_shape_providers_give_them() {
        let claims: HashMap<String, serde_json::Value> = serde_json::from_str(
            r#"{"email":" Ana@Example.COM ","email_verified":"true","groups":["a","b"],"roles":"x, y"}"#,
        )
        .expect("json");
        let id = identity(&client(Some("groups")), "s", claims.clone(), false);
        assert_eq!(id.email.as_deref(), Some("ana@example.com"));
        assert!(id.email_verified);
        assert_eq!(id.groups, ["a", "b"]);
        let id = identity(&client(Some("roles")), "s", claims.clone(), false);
        assert_eq!(id.groups, ["x", "y"]);
        let id = identity(&client(None), "s", claims, false);
        assert!(id.groups.is_empty());
        let id = identity(&client(None), "s", HashMap::new(), false);
        assert!(!id.email_verified, "absent email_verified is not verified");
    }

    #[test]
    fn the_secret_never_prints() {
        assert!(!format!("{:?}", client(None)).contains("secret\""));
    }

    #[test]
    fn payloads_decode_and_garbage_does_not() {
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
        assert_eq!(
            payload(&format!("h.{p}.s")).and_then(|m| m.get("sub").cloned()),
            Some(serde_json::json!("x"))
        );
        assert!(payload("garbage").is_none());
        assert!(payload("a.!!!.c").is_none());
    }
}
