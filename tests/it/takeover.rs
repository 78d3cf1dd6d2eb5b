//! Several robo-tui on one machine share one embedded gateway; when its host exits, another
//! takes over hosting from the same state and everyone reconnects to the same paper account.

use chrono::Utc;
use robo_tui::app::core::{Core, CoreOptions, SessionKind};
use robo_tui::config::{CliOverrides, Paths};
use robo_tui::store::Store;
use std::time::Duration;

fn options(root: &std::path::Path, port: u16, session: SessionKind) -> CoreOptions {
    let paths = Paths {
        config_file: root.join("config/config.toml"),
        theme_dir: root.join("config/themes"),
        data_dir: root.join("data"),
        log_dir: root.join("log"),
    };
    CoreOptions {
        config_path: None,
        overrides: CliOverrides::default(),
        embedded_port: Some(port),
        session,
        reconnect: true,
        paths: Some(paths),
    }
}

async fn until(core: &mut Core, store: &mut Store, what: &str, done: impl Fn(&Store) -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while !done(store) {
            let Some(event) = core.events.recv().await else { break };
            store.apply(Utc::now(), event);
        }
    })
    .await;
    assert!(waited.is_ok(), "never got {what}: {:#?}", store.connection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_host_exits_the_other_robo_tui_takes_over_the_same_account() {
    let root = tempfile::tempdir().expect("temp dir");
    let port = crate::support::closed_port();
    let mut host = Core::start(options(root.path(), port, SessionKind::Trader)).await;
    assert!(host.gateway.lock().await.is_some(), "the first robo-tui hosts the gateway");
    let mut host_store = Store::new();
    until(&mut host, &mut host_store, "the host live", |s| s.connection.state.is_live()).await;

    let mut other = Core::start(options(root.path(), port, SessionKind::Monitor)).await;
    assert!(other.gateway.lock().await.is_none(), "the second one joins instead of hosting");
    let mut store = Store::new();
    until(&mut other, &mut store, "the joiner live", |s| s.connection.state.is_live()).await;
    assert_eq!(store.connection.gateway_origin, "embedded (hosted by another robo-tui)");
    let cash = store.accounts["DU1234567"].value("TotalCashValue");
    assert!(cash.is_some());

    host.shutdown().await;
    until(&mut other, &mut store, "the drop", |s| !s.connection.state.is_live()).await;
    until(&mut other, &mut store, "live again after the takeover", |s| s.connection.state.is_live()).await;
    assert!(other.gateway.lock().await.is_some(), "the survivor hosts the gateway now");
    let detail = &store.subsystems["gateway"].detail;
    assert!(detail.contains("took over hosting"), "{detail}");
    // The same paper account, from the same state.
    until(&mut other, &mut store, "the account again", |s| {
        s.accounts.get("DU1234567").and_then(|a| a.value("TotalCashValue")) == cash
    })
    .await;
    other.shutdown().await;
}
