//! HTTPS: with a certificate and key, Ketentafel serves TLS itself (browsers give camera and
//! microphone only to https pages).

use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn with_a_certificate_the_service_speaks_https_and_marks_its_cookies_secure() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();

    let mut config = ketentafel::config::Config::defaults();
    config.database_url =
        Some(ketentafel::config::Secret::new(format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display())));
    config.demo = true;
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = ketentafel::app::build(config, listener, shutdown.clone()).await.expect("the service starts with TLS");
    let addr = app.local_addr();
    let server = tokio::spawn(app.run());

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls =
        connector.connect("localhost".try_into().unwrap(), tcp).await.expect("a TLS handshake with our certificate");
    let body = r#"{"email":"rio@gemeente-dordrecht.example","password":"demo"}"#;
    let request = format!(
        "POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap_or_default();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let cookie =
        response.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).expect("a session cookie");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    assert!(response.to_ascii_lowercase().contains("strict-transport-security"), "HSTS once HTTPS is used");

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
