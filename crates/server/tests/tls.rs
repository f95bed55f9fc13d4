//! `serve` terminating TLS itself, through the real binary: HTTPS SCIM requests trusting a
//! test CA, the certificate replaced and reloaded on SIGHUP without a restart, a broken file
//! on reload keeping the old certificate, and a broken file at start refused by name.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new() -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "scimbridge test CA");
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// A server certificate for 127.0.0.1, written as PEM to cert.pem and key.pem in
    /// `dir`; its DER.
    fn issue(&self, dir: &Path, name: &str) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        cert.der().to_vec()
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn scimbridge(dir: &Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimbridge"));
    cmd.current_dir(dir)
        .env_remove("SCIMBRIDGE_DATABASE_URL")
        .env_remove("SCIMBRIDGE_CONFIG")
        .env("SCIMBRIDGE_LOG_LEVEL", "info")
        .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("SCIMBRIDGE_TLS_CERT_FILE", dir.join("cert.pem"))
        .env("SCIMBRIDGE_TLS_KEY_FILE", dir.join("key.pem"))
        .stdin(Stdio::null());
    cmd
}

/// A client trusting only the test CA, on a fresh connection each time (a pooled one would
/// keep the certificate of its handshake).
fn client(ca: &Ca) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.cert.pem().as_bytes()).unwrap())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// GETs the demo app's Users over HTTPS: the status and the certificate the server sent.
async fn users(ca: &Ca, port: u16, token: &str) -> Result<(u16, Vec<u8>), reqwest::Error> {
    let response = client(ca)
        .get(format!("https://127.0.0.1:{port}/apps/demo/scim/v2/Users"))
        .bearer_auth(token)
        .send()
        .await?;
    let peer = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok((response.status().as_u16(), peer))
}

fn hang_up(server: &Server) {
    let status = Command::new("kill")
        .args(["-HUP", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn https_serves_and_reloads_its_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let first = ca.issue(dir.path(), "first");
    let port = free_port();
    let log = dir.path().join("serve.log");
    let mut child = scimbridge(dir.path(), port)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let token = lines
        .by_ref()
        .find_map(|l| {
            l.strip_prefix("Bearer token (shown once; keep it): ")
                .map(|t| t.trim().to_owned())
        })
        .expect("the first start prints a token");
    std::thread::spawn(move || lines.for_each(drop));

    let mut answer = None;
    for _ in 0..100 {
        if let Ok(a) = users(&ca, port, &token).await {
            answer = Some(a);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, peer) = answer.expect("the server answers over HTTPS");
    assert_eq!(status, 200);
    assert_eq!(peer, first, "the configured certificate is served");
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(
        !matches!(plain, Ok(r) if r.status().is_success()),
        "no plain HTTP on a TLS listener"
    );

    // A renewed certificate is served after SIGHUP, by the same process and listener.
    let second = ca.issue(dir.path(), "second");
    hang_up(&server);
    let mut served = Vec::new();
    for _ in 0..100 {
        served = users(&ca, port, &token).await.unwrap().1;
        if served == second {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, second, "the new certificate is served after SIGHUP");

    // A broken file on reload: logged, and the last good certificate stays.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    hang_up(&server);
    let mut logged = String::new();
    for _ in 0..100 {
        logged = std::fs::read_to_string(&log).unwrap();
        if logged.contains("was not reloaded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        logged.contains("was not reloaded") && logged.contains("cert.pem"),
        "{logged}"
    );
    let (status, peer) = users(&ca, port, &token).await.unwrap();
    assert_eq!((status, peer), (200, second));
}

#[test]
fn a_broken_certificate_or_key_at_start_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    ca.issue(dir.path(), "good");
    let good_key = std::fs::read(dir.path().join("key.pem")).unwrap();
    let start = |dir: &Path| {
        let out = scimbridge(dir, free_port()).arg("serve").output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    std::fs::write(dir.path().join("cert.pem"), "garbage").unwrap();
    let (ok, err) = start(dir.path());
    assert!(
        !dir.path().join("data").exists(),
        "refused before the first start writes anything"
    );
    assert!(
        !ok && err.contains("cert.pem") && err.contains("tls.cert_file"),
        "{err}"
    );

    // A certificate with another certificate's key.
    ca.issue(dir.path(), "other");
    std::fs::write(dir.path().join("key.pem"), good_key).unwrap();
    let (ok, err) = start(dir.path());
    assert!(
        !ok && err.contains("key.pem") && err.contains("tls.key_file"),
        "{err}"
    );

    std::fs::remove_file(dir.path().join("key.pem")).unwrap();
    let (ok, err) = start(dir.path());
    assert!(!ok && err.contains("key.pem"), "{err}");
}
