//! HTTPS with rustls: the certificate and key named by `ZABY_TLS_CERT`/`ZABY_TLS_KEY`,
//! read at start (a bad file stops start-up, naming it) and again on SIGHUP (a bad file
//! then keeps the previous certificate, with an error logged), so a renewed certificate
//! is served without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::watch;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The TLS configuration connections are accepted with; swapped whole on reload, read
/// once per connection.
pub(crate) type TlsConfig = Arc<ArcSwap<ServerConfig>>;

/// Reads both PEM files into a server configuration offering HTTP/2 and HTTP/1.1.
pub(crate) fn load(cert: &Path, key: &Path) -> anyhow::Result<ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("ZABY_TLS_CERT {}: {e}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("ZABY_TLS_CERT {}: no CERTIFICATE block in the file", cert.display());
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("ZABY_TLS_KEY {}: {e}", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            anyhow::anyhow!("ZABY_TLS_KEY {} does not fit ZABY_TLS_CERT {}: {e}", key.display(), cert.display())
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Reloads the files on each SIGHUP into `config` until `stop` turns true.
pub(crate) async fn reload_on_sighup(config: TlsConfig, files: (PathBuf, PathBuf), mut stop: watch::Receiver<bool>) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; the TLS certificate is reloaded only by a restart");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = hangups.recv() => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        match load(&files.0, &files.1) {
            Ok(fresh) => {
                config.store(Arc::new(fresh));
                tracing::info!(cert = %files.0.display(), "TLS certificate reloaded");
            }
            Err(e) => tracing::error!(error = %e, "TLS certificate not reloaded; the previous one stays in use"),
        }
    }
}
