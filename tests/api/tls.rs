//! HTTPS: with a certificate and key, Ketentafel serves TLS itself (browsers give camera and
//! microphone only to https pages).

use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn with_a_certificate_the_service_speaks_https_and_its_cookies_are_secure_host_only_cookies() {
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
    let https = |request: String| {
        let connector = connector.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut tls = connector
                .connect("localhost".try_into().unwrap(), tcp)
                .await
                .expect("a TLS handshake with our certificate");
            tls.write_all(request.as_bytes()).await.unwrap();
            let mut response = String::new();
            tls.read_to_string(&mut response).await.unwrap_or_default();
            response
        }
    };
    let body = r#"{"email":"rio@gemeente-dordrecht.example","password":"demo"}"#;
    let response = https(format!(
        "POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let cookies: Vec<&str> = response
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .map(|l| l[11..].trim())
        .collect();
    let session = cookies.iter().find(|c| c.starts_with("__Host-kt_session=")).expect("a __Host- session cookie");
    assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("Path=/"), "{session}");
    assert!(!session.to_ascii_lowercase().contains("domain"), "a __Host- cookie names no domain: {session}");
    let device = cookies.iter().find(|c| c.starts_with("__Host-kt_device=")).expect("a __Host- known-device cookie");
    assert!(device.contains("Secure") && device.contains("Path=/"), "{device}");
    assert!(response.to_ascii_lowercase().contains("strict-transport-security"), "HSTS once HTTPS is used");

    // A browser sends the cookie back under its name; the same token under the plain name (as
    // a sibling subdomain or plain-HTTP attacker could plant it) is ignored.
    let token = session.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let me = |cookie: String| {
        https(format!("GET /api/me HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"))
    };
    let answer = me(format!("__Host-kt_session={token}")).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = me(format!("kt_session={token}")).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
