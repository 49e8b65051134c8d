//! The browser client in `web/`: embedded in release builds (the binary alone is enough), read
//! from disk in debug builds. Paths without a file extension are client-side routes and get
//! `index.html`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// Only our own scripts, styles and media; WebSocket to ourselves; no framing by others.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'self'; \
    base-uri 'none'; form-action 'self'; object-src 'none'";

/// Serves a file of the client, or `index.html` for a client route.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (path, asset) = match Assets::get(path) {
        Some(asset) if !path.is_empty() => (path, asset),
        _ if path.rsplit('/').next().is_some_and(|last| last.contains('.')) => {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
        _ => match Assets::get("index.html") {
            Some(asset) => ("index.html", asset),
            None => {
                return (StatusCode::NOT_FOUND, "the browser client is missing from this build").into_response();
            }
        },
    };
    let etag = format!("\"{}\"", hex(&asset.metadata.sha256_hash()[..12]));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = asset.data.into_owned().into_response();
    let set = response.headers_mut();
    set.insert(header::CONTENT_TYPE, HeaderValue::from_str(mime.as_ref()).expect("a MIME type is valid header text"));
    set.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is valid header text"));
    // Always revalidate: without a build step file names carry no hashes.
    set.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    set.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
