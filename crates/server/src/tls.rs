//! HTTPS served by scimbridge itself: a certificate and key from PEM files, swapped in place
//! on SIGHUP so that a renewed certificate is served without dropping the listener or the
//! open connections.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate or key could not be loaded; names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot use the TLS certificate file {path} (tls.cert_file): {why}")]
    Cert { path: PathBuf, why: String },
    #[error("cannot use the TLS key file {path} (tls.key_file): {why}")]
    Key { path: PathBuf, why: String },
    #[error("cannot set up TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The certificate being served, and the files it is reloaded from.
#[derive(Debug)]
pub struct Certificates {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: ArcSwap<CertifiedKey>,
    provider: Arc<CryptoProvider>,
}

impl Certificates {
    /// Loads the certificate chain and key, checking that they belong together.
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Arc<Certificates>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pair = load_pair(cert_file, key_file, &provider)?;
        Ok(Arc::new(Certificates {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            current: ArcSwap::from_pointee(pair),
            provider,
        }))
    }

    /// Reads the files again; on an error the certificate served so far stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let pair = load_pair(&self.cert_file, &self.key_file, &self.provider)?;
        self.current.store(Arc::new(pair));
        Ok(())
    }

    /// A rustls server configuration that always serves the current certificate.
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, TlsError> {
        Ok(
            rustls::ServerConfig::builder_with_provider(self.provider.clone())
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_cert_resolver(self.clone()),
        )
    }

    /// Reloads on every SIGHUP, logging the outcome, for as long as the process runs.
    #[cfg(unix)]
    pub fn reload_on_sighup(self: &Arc<Self>) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        let certs = self.clone();
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                let reloading = certs.clone();
                let reloaded = tokio::task::spawn_blocking(move || reloading.reload()).await;
                match reloaded {
                    Ok(Ok(())) => tracing::info!(
                        cert_file = %certs.cert_file.display(),
                        "SIGHUP: reloaded the TLS certificate"
                    ),
                    Ok(Err(e)) => tracing::error!(
                        error = %e,
                        "SIGHUP: the TLS certificate was not reloaded; still serving the previous one"
                    ),
                    Err(e) => tracing::error!(error = %e, "SIGHUP: the TLS reload task failed"),
                }
            }
        });
        Ok(())
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

fn load_pair(
    cert_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let cert_error = |why: String| TlsError::Cert {
        path: cert_file.to_owned(),
        why,
    };
    let key_error = |why: String| TlsError::Key {
        path: key_file.to_owned(),
        why,
    };
    let chain = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("it holds no PEM 'CERTIFICATE' block".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        key_error(format!(
            "{e} (expected a PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY' block)"
        ))
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        key_error(format!(
            "{e} (is it the key of the certificate in tls.cert_file?)"
        ))
    })
}
