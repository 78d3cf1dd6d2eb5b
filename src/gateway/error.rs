//! Errors of the simulated gateway: each names what was wrong and where.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("address {0} is already in use (another gateway or TWS running?)")]
    AddrInUse(SocketAddr),
    #[error("refusing to bind non-loopback address {0}: pass --bind explicitly to allow it")]
    NonLoopback(SocketAddr),
    #[error("I/O error while {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("bad asset file {file}: {what}")]
    BadAsset { file: String, what: String },
    #[error("bad state file {}: {what}", file.display())]
    BadState { file: PathBuf, what: String },
    #[error("bad --faults spec {spec:?}: {what}")]
    BadFaultSpec { spec: String, what: String },
    #[error("bad configuration: {0}")]
    BadConfig(String),
}
