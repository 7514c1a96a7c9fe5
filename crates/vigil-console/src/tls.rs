//! The console's certificate: the one the configuration names, or a self-signed one made on the first
//! start and kept beside the store (the key readable by its owner only), so that its fingerprint stays
//! the same across restarts and can be checked once by the people who use the console.

use crate::error::ConsoleError;
use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File names of the self-signed pair in the store's folder.
pub const SELF_SIGNED_CERT: &str = "console-cert.pem";
pub const SELF_SIGNED_KEY: &str = "console-key.pem";

/// The TLS configuration served, and the certificate's SHA-256 fingerprint.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub config: Arc<ServerConfig>,
    /// `AB:CD:…`, as browsers show it.
    pub fingerprint: String,
    /// Where the certificate is.
    pub cert_path: PathBuf,
    /// Whether it was made now (first start).
    pub created: bool,
}

fn tls_err(path: &Path, reason: impl ToString) -> ConsoleError {
    ConsoleError::Tls {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The configured pair, or the self-signed pair in `dir` (made if missing) for `ip`.
pub fn certificate(
    configured: Option<(&Path, &Path)>,
    dir: &Path,
    ip: IpAddr,
) -> Result<Certificate, ConsoleError> {
    let (cert, key, created) = match configured {
        Some((cert, key)) => (cert.to_path_buf(), key.to_path_buf(), false),
        None => {
            let cert = dir.join(SELF_SIGNED_CERT);
            let key = dir.join(SELF_SIGNED_KEY);
            let created = if cert.exists() && key.exists() {
                false
            } else {
                make_self_signed(&cert, &key, ip)?;
                true
            };
            (cert, key, created)
        }
    };
    let config = vigil_ingest::tls_config(&cert, &key).map_err(|e| ConsoleError::Tls {
        path: cert.display().to_string(),
        reason: e.to_string(),
    })?;
    let first = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| tls_err(&cert, e))?
        .next()
        .ok_or_else(|| tls_err(&cert, "no certificate in the file"))?
        .map_err(|e| tls_err(&cert, e))?;
    Ok(Certificate {
        config,
        fingerprint: fingerprint(first.as_ref()),
        cert_path: cert,
        created,
    })
}

/// SHA-256 of a DER certificate as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn make_self_signed(cert: &Path, key: &Path, ip: IpAddr) -> Result<(), ConsoleError> {
    let mut names = vec!["localhost".to_string()];
    let ip = if ip.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        ip
    };
    names.push(ip.to_string());
    if let Ok(host) = hostname_of_this_machine() {
        names.push(host);
    }
    let pair = rcgen::generate_simple_self_signed(names).map_err(|e| tls_err(cert, e))?;
    if let Some(dir) = cert.parent() {
        std::fs::create_dir_all(dir).map_err(|e| tls_err(dir, e))?;
    }
    write_private(key, pair.signing_key.serialize_pem().as_bytes())?;
    write_private(cert, pair.cert.pem().as_bytes())?;
    Ok(())
}

fn hostname_of_this_machine() -> Result<String, ()> {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| {
            !h.is_empty()
                && h.len() < 254
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .ok_or(())
}

/// Writes a new file readable and writable by its owner only (0600), never over an existing one.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ConsoleError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| tls_err(path, e))?;
    file.write_all(bytes).map_err(|e| tls_err(path, e))?;
    file.sync_all().map_err(|e| tls_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pair_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let ip = IpAddr::from([127, 0, 0, 1]);
        let first = certificate(None, dir.path(), ip).unwrap();
        assert!(first.created);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let again = certificate(None, dir.path(), ip).unwrap();
        assert!(!again.created);
        assert_eq!(first.fingerprint, again.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SELF_SIGNED_KEY))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
