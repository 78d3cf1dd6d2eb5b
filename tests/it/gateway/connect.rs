//! Handshake, START_API, NextValidId, ManagedAccounts, farm notices, current time, reqIds,
//! several clients and error 326.

use ibapi::prelude::*;
use robo_tui::gateway::{GatewayConfig, GatewayError};

use super::{addr, connect, start, start_with, within, T};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_reports_version_226_time_and_paper_account() {
    let gw = start().await;
    let client = connect(&gw, 100).await;
    assert_eq!(client.server_version(), 226);
    assert!(client.connection_time().is_some(), "connection time in US/Eastern parses");
    assert_eq!(client.handshake_managed_accounts(), &["DU1234567".to_string()]);
    assert!(client.next_order_id() >= 1);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn farm_notices_arrive_with_id_minus_one() {
    let gw = start().await;
    let fut = Client::builder().address(addr(&gw)).client_id(7).max_reconnect_attempts(0).connect_with_notice_stream();
    let (_client, mut notices) = within("connect", fut).await.expect("connects");
    let mut codes = Vec::new();
    while codes.len() < 3 {
        let n = within("farm notice", notices.next()).await.expect("notice stream open");
        assert_eq!(n.request_id.unwrap_or(-1), -1, "global notice must not carry an id: {n:?}");
        codes.push(n.code);
    }
    codes.sort_unstable();
    assert_eq!(codes, vec![2104, 2106, 2158]);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_accounts_current_time_and_next_valid_id_requests() {
    let mut config = GatewayConfig::embedded(0);
    config.accounts = vec!["DU1234567".into(), "DU7654321".into()];
    let gw = start_with(config).await;
    let client = connect(&gw, 1).await;
    let accounts = within("managed accounts", client.managed_accounts()).await.expect("accounts");
    assert_eq!(accounts, vec!["DU1234567".to_string(), "DU7654321".to_string()]);
    let server = within("server time", client.server_time()).await.expect("server time");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    assert!((server.unix_timestamp() - now).abs() <= 5, "server time {server} far from now");
    let id = within("next valid id", client.next_valid_order_id()).await.expect("id");
    assert_eq!(id, gw.next_valid_id());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_looking_account_id_is_served_as_configured() {
    let mut config = GatewayConfig::embedded(0);
    config.accounts = vec!["U1234567".into()];
    let gw = start_with(config).await;
    let client = connect(&gw, 3).await;
    assert_eq!(client.handshake_managed_accounts(), &["U1234567".to_string()]);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_client_id_gets_326_and_others_connect() {
    let gw = start().await;
    let first = connect(&gw, 42).await;
    let fut = Client::builder().address(addr(&gw)).client_id(42).max_reconnect_attempts(0).connect();
    let second = within("second connect", fut).await;
    assert!(
        matches!(second, Err(ibapi::Error::ClientIdInUse { .. })),
        "expected ClientIdInUse, got {:?}",
        second.err()
    );
    // The first client is unaffected and other ids connect alongside it.
    let other = connect(&gw, 43).await;
    let third = connect(&gw, 44).await;
    assert!(within("first still works", first.server_time()).await.is_ok());
    assert!(within("other works", other.managed_accounts()).await.is_ok());
    assert!(within("third works", third.next_valid_order_id()).await.is_ok());
    let mut ids = gw.client_ids();
    ids.sort_unstable();
    assert_eq!(ids, vec![42, 43, 44]);
    // Once the first disconnects, its id is free again.
    first.disconnect().await;
    let mut again = None;
    for _ in 0..50 {
        let fut = Client::builder().address(addr(&gw)).client_id(42).max_reconnect_attempts(0).connect();
        match tokio::time::timeout(T, fut).await {
            Ok(Ok(c)) => {
                again = Some(c);
                break;
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    assert!(again.is_some(), "client id 42 reusable after disconnect");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_a_port_in_use_is_addr_in_use() {
    let gw = start().await;
    let mut config = GatewayConfig::embedded(gw.local_addr().port());
    config.speed = 0.0;
    let err = robo_tui::gateway::spawn(config).await.err().expect("second bind fails");
    assert!(matches!(err, GatewayError::AddrInUse(a) if a.port() == gw.local_addr().port()), "{err}");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_loopback_bind_refused_unless_explicit() {
    let mut config = GatewayConfig::embedded(0);
    config.bind = "0.0.0.0:0".parse().expect("addr");
    let err = robo_tui::gateway::spawn(config).await.err().expect("refused");
    assert!(matches!(err, GatewayError::NonLoopback(_)), "{err}");
    let _ = T;
}
