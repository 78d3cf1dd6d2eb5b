//! The simulated gateway driven by the real `ibapi` client over TCP, and by ib_async (text
//! dialect) from Python.

mod account;
mod brackets;
mod cli;
mod connect;
mod faults;
mod history;
mod market;
mod orders;
mod persist;
mod portfolio;
mod props;
mod text;
mod tif;
mod trail;
mod wire;

use std::time::Duration;

use ibapi::prelude::*;
use robo_tui::gateway::{self, GatewayConfig, GatewayHandle};

/// Upper bound for anything that could hang (generous: CI machines are slow).
pub const T: Duration = Duration::from_secs(20);

pub async fn start() -> GatewayHandle {
    start_with(GatewayConfig::embedded(0)).await
}

pub async fn start_with(config: GatewayConfig) -> GatewayHandle {
    gateway::spawn(config).await.expect("gateway spawns")
}

pub fn addr(h: &GatewayHandle) -> String {
    h.local_addr().to_string()
}

/// A connected client that does not try to reconnect.
pub async fn connect(h: &GatewayHandle, client_id: i32) -> Client {
    let fut = Client::builder().address(addr(h)).client_id(client_id).max_reconnect_attempts(0).connect();
    tokio::time::timeout(T, fut).await.expect("connect did not hang").expect("connect succeeds")
}

/// Connects with `client_id` once the gateway has released it after a disconnect (or is
/// listening again after a refusal).
pub async fn reconnect(h: &GatewayHandle, client_id: i32) -> Client {
    for _ in 0..200 {
        let fut = Client::builder().address(addr(h)).client_id(client_id).max_reconnect_attempts(0).connect();
        match tokio::time::timeout(T, fut).await {
            Ok(Ok(c)) => return c,
            // The old session may still hold the id, or a listener may be coming back.
            Ok(Err(ibapi::Error::ClientIdInUse { .. } | ibapi::Error::Io(_))) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Ok(Err(e)) => panic!("reconnect failed: {e}"),
            Err(_) => panic!("reconnect hung"),
        }
    }
    panic!("client id {client_id} never released");
}

/// Awaits `fut` under the global timeout.
pub async fn within<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(T, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}
