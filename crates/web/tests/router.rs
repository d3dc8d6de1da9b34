//! The authorization matrix in process: every documented API operation is sent through the
//! real router with `tower::ServiceExt::oneshot` (no socket), as nobody. Each is routed
//! (never the fallback), and answers 401 exactly when its documentation lists 401. Fast
//! enough to run on every change; the socket tests in `tests/it` cover every role.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use flywheel_store::Store;
use flywheel_web::{openapi, router, AppState};
use tower::ServiceExt;

async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url).await.expect("open");
    (AppState::new(store, None), dir)
}

/// A concrete path for a documented template (`{id}` → `1`).
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_guarded_as_documented() {
    let (st, _dir) = state().await;
    let app = router(st);
    let doc = openapi::document();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (template, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let writes = op.get("requestBody").is_some();
            let mut req = Request::builder()
                .method(method.clone())
                .uri(concrete(template));
            if writes {
                req = req.header("content-type", "application/json");
            }
            let body = if writes {
                Body::from("{}")
            } else {
                Body::empty()
            };
            let (status, text) = send(&app, req.body(body).expect("request")).await;
            assert!(
                !text.contains("no route for"),
                "{method} {template} is documented but not routed: {text}"
            );
            let guarded = op["responses"].get("401").is_some();
            if (status == StatusCode::UNAUTHORIZED) != guarded {
                wrong.push(format!(
                    "{method} {template} (documents 401: {guarded}) answered {status}: {text}"
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 40, "only {checked} operations documented");
}

#[tokio::test]
async fn pages_send_nobody_to_the_login_and_unknown_paths_get_the_api_error() {
    let (st, _dir) = state().await;
    let app = router(st);
    for path in [
        "/",
        "/wins",
        "/champions",
        "/learn",
        "/requests",
        "/admin/policies",
    ] {
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let to = res.headers()["location"].to_str().expect("location");
        assert!(to.starts_with("/login"), "{path} → {to}");
    }
    let (status, text) = send(
        &app,
        Request::get("/api/v1/no-such-thing")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["code"], "not_found");
}

#[tokio::test]
async fn a_form_posted_by_nobody_returns_to_its_page_after_the_login() {
    let (st, _dir) = state().await;
    let app = router(st);
    let post = |referer: &'static str| {
        Request::post("/wins/1/tried")
            .header("host", "flywheel.test")
            .header("referer", referer)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("csrf=x"))
            .expect("request")
    };
    for (referer, next) in [
        ("http://flywheel.test/wins/1", "/wins/1"),
        // Another site's page is never where the login sends you.
        ("https://evil.example/wins/1", "/"),
    ] {
        let res = app
            .clone()
            .oneshot(post(referer))
            .await
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{referer}");
        let to = res.headers()["location"].to_str().expect("location");
        assert!(
            to.starts_with("/login") && to.ends_with(&format!("next={next}")),
            "{referer} → {to}"
        );
    }
}

/// Query strings are typed: a parameter that does not parse is `invalid_parameter` in the
/// API's error shape, naming the parameter, and unknown parameters are ignored.
#[tokio::test]
async fn query_strings_are_parsed_into_types_and_their_errors_named() {
    let (st, _dir) = state().await;
    let user = st
        .store
        .create_user(
            "lead@example.com",
            "a long enough password",
            flywheel_store::Role::Admin,
        )
        .await
        .expect("user");
    let (token, _) = st
        .store
        .create_session(&user, chrono::Duration::hours(1))
        .await
        .expect("session");
    let app = router(st);
    let get = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header("cookie", format!("flywheel_session={token}"))
            .body(Body::empty())
            .expect("request")
    };
    for (uri, named) in [
        ("/api/v1/access-requests?state=maybe", "parameter `state`"),
        ("/api/v1/wins?page=0", "page"),
        ("/api/v1/wins?since=yesterday", "parameter `since`"),
        ("/api/v1/use-cases?q=a&q=b", "the query string"),
        (
            "/api/v1/can-i?tool=Writer",
            "parameter `purpose`, `data` is required",
        ),
    ] {
        let (status, body) = send(&app, get(uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let e: serde_json::Value = serde_json::from_str(&body).expect("the API's error shape");
        assert_eq!(e["code"], "invalid_parameter", "{uri}: {body}");
        assert!(
            e["message"].as_str().is_some_and(|m| m.contains(named)),
            "{uri}: {body}"
        );
    }
    for uri in [
        "/api/v1/access-requests?state=open&utm_source=mail",
        "/api/v1/wins?q=report&page=1&per_page=5",
        "/api/v1/champions?department=Engineering",
    ] {
        let (status, body) = send(&app, get(uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    // A page answers a malformed query with its HTML error page, not JSON.
    let (status, body) = send(&app, get("/wins?q=a&q=b")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("<html") && body.contains("invalid_parameter"),
        "{body}"
    );
}

/// The sign-in routes are the public ones: nobody is sent to the login from them. Without
/// an identity provider configured they say so (404 with the page and an audit entry),
/// never a server error.
#[tokio::test]
async fn single_sign_on_routes_are_public_and_say_when_nothing_is_configured() {
    let (st, _dir) = state().await;
    let store = st.store.clone();
    let app = router(st);
    for path in [
        "/auth/oidc/login?next=/wins",
        "/auth/oidc/callback?code=c&state=s",
    ] {
        let (status, text) = send(
            &app,
            Request::get(path).body(Body::empty()).expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {text}");
        assert!(
            text.contains("data-code=\"not_configured\""),
            "{path}: {text}"
        );
    }
    let log = store.audit_log(10).await.expect("audit");
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "session.oidc_refused" && e.subject == "not_configured")
            .count(),
        2
    );
    let (status, text) = send(
        &app,
        Request::get("/login").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !text.contains("Sign in with"),
        "no button without a provider"
    );
}
