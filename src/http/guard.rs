//! Request and response rules for the whole service: no cross-site writes, no caching of API
//! answers, HTTPS only once HTTPS is used.

use crate::core::Context;
use crate::error::Error;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Middleware: refuses state-changing requests that a browser says come from another site, and
/// sets the caching and transport headers of every answer.
pub async fn guard(State(cx): State<Context>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if api && writes && cross_site(request.headers()) {
        return Error::Forbidden("cross-site requests are refused").into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        // Case data must not linger in browser or proxy caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if cx.settings.secure_cookies {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// Whether a browser marked the request as coming from another site. SameSite cookies already
/// stop other sites; this also stops sibling subdomains and any browser that ignores SameSite.
/// Clients that are not browsers send neither header and pass.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or_default();
            origin.split_once("://").map(|(_, rest)| rest) != host.to_str().ok()
        }
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn a_write_from_another_site_or_subdomain_is_cross_site() {
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])), "a sibling subdomain is not us");
        assert!(cross_site(&headers(&[("origin", "https://evil.example"), ("host", "ketentafel.example")])));
    }

    #[test]
    fn our_own_pages_and_non_browser_clients_pass() {
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!cross_site(&headers(&[("origin", "https://ketentafel.example"), ("host", "ketentafel.example")])));
        assert!(!cross_site(&headers(&[])));
    }
}
