//! One broker session loop: connect, subscribe, forward, and reconnect when the link goes.

use super::backoff::Backoff;
use super::convert::{decimal_from_f64, describe_connect_error};
use crate::diagnostics::{error_chain, Reporter};
use crate::store::{BrokerEvent, StoreEvent, SUMMARY_TAGS};
use chrono::Utc;
use futures::{Stream, StreamExt};
use ibapi::accounts::types::{AccountGroup, AccountId};
use ibapi::accounts::{AccountSummaryResult, AccountUpdate, PositionUpdate};
use ibapi::subscriptions::SubscriptionItem;
use ibapi::Client;

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

/// Where and how the broker connects.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// `host:port`.
    pub address: String,
    /// "embedded (hosted here)", "embedded (hosted by another robo-tui)" or "external".
    pub origin: String,
    pub client_id: i32,
    pub connect_timeout: Duration,
    /// Silence after which a liveness probe (`reqCurrentTime`) is sent.
    pub probe_after: Duration,
    /// How long the probe may take before the connection counts as stale.
    pub probe_deadline: Duration,
    /// Reconnect forever (the cockpit) or give up after the first failure (`check`).
    pub reconnect: bool,
}

impl BrokerSettings {
    pub fn new(address: String, origin: String, client_id: i32, connect_timeout: Duration) -> Self {
        BrokerSettings {
            address,
            origin,
            client_id,
            connect_timeout,
            probe_after: Duration::from_secs(15),
            probe_deadline: Duration::from_secs(5),
            reconnect: true,
        }
    }
}

/// Requests to the broker task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerCommand {
    /// Disconnect cleanly and end the task.
    Shutdown,
}

/// How a connected session ended.
enum SessionEnd {
    Shutdown,
    Lost(String),
}

/// Run the broker task until `Shutdown` (or, with `reconnect: false`, the first failure).
pub async fn run(
    settings: BrokerSettings,
    events: mpsc::Sender<StoreEvent>,
    commands: &mut mpsc::Receiver<BrokerCommand>,
    reporter: Reporter,
) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        send(
            &events,
            BrokerEvent::Connecting {
                address: settings.address.clone(),
                gateway_origin: settings.origin.clone(),
                client_id: settings.client_id,
                attempt,
            },
        )
        .await;
        reporter.pending(format!("connecting to {} (attempt {attempt})", settings.address));
        let connect = Client::builder()
            .address(settings.address.as_str())
            .client_id(settings.client_id)
            .tcp_no_delay(true)
            // robo-tui runs its own reconnect loop (with a deadline on every attempt).
            .max_reconnect_attempts(0)
            .connect_with_notice_stream();
        let outcome = tokio::select! {
            biased;
            command = commands.recv() => {
                if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                    reporter.ok("stopped");
                    return;
                }
                continue;
            }
            outcome = timeout(settings.connect_timeout, connect) => outcome,
        };
        let failure = match outcome {
            Ok(Ok((client, notices))) => {
                backoff.reset();
                attempt = 0;
                match connected(&settings, &client, notices, &events, commands, &reporter).await {
                    SessionEnd::Shutdown => {
                        client.disconnect().await;
                        reporter.ok("disconnected cleanly");
                        return;
                    }
                    SessionEnd::Lost(reason) => {
                        client.disconnect().await;
                        super::ConnectFailure { reason, retry: true }
                    }
                }
            }
            Ok(Err(error)) => describe_connect_error(&error, settings.client_id),
            Err(_) => super::ConnectFailure {
                reason: format!(
                    "no answer within {}s: the gateway accepts connections but does not finish the handshake",
                    settings.connect_timeout.as_secs()
                ),
                retry: true,
            },
        };
        tracing::warn!(address = %settings.address, reason = %failure.reason, "broker connection failed");
        if !failure.retry || !settings.reconnect {
            reporter.failed(format!("cannot connect to {}", settings.address), vec![failure.reason.clone()]);
            send(&events, BrokerEvent::Disconnected { reason: failure.reason, next_try_at: None, attempt }).await;
            // Stay alive for commands so the app can still shut down in order.
            while let Some(command) = commands.recv().await {
                if command == BrokerCommand::Shutdown {
                    return;
                }
            }
            return;
        }
        let delay = backoff.next_delay();
        let next_try_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        reporter.degraded(format!("reconnecting in {:.1}s", delay.as_secs_f32()), vec![failure.reason.clone()]);
        send(&events, BrokerEvent::Disconnected { reason: failure.reason, next_try_at: Some(next_try_at), attempt })
            .await;
        tokio::select! {
            biased;
            command = commands.recv() => {
                if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                    return;
                }
            }
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

async fn send(events: &mpsc::Sender<StoreEvent>, event: BrokerEvent) {
    // The app going away ends everything anyway; nothing to do with the error.
    let _ = events.send(StoreEvent::Broker(event)).await;
}

/// Poll an optional stream; a `None` stream never yields.
async fn next_of<S: Stream + Unpin>(stream: &mut Option<S>) -> Option<S::Item> {
    match stream {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// Everything a live connection does, until it is lost or shut down.
async fn connected(
    settings: &BrokerSettings,
    client: &Client,
    mut notices: ibapi::subscriptions::NoticeStream,
    events: &mpsc::Sender<StoreEvent>,
    commands: &mut mpsc::Receiver<BrokerCommand>,
    reporter: &Reporter,
) -> SessionEnd {
    let accounts: Vec<String> = client.handshake_managed_accounts().to_vec();
    send(
        events,
        BrokerEvent::Connected {
            server_version: client.server_version(),
            connection_time: client.connection_time().map(|t| t.to_string()),
            managed_accounts: accounts.clone(),
        },
    )
    .await;
    reporter.ok(format!("connected to {} (server version {})", settings.address, client.server_version()));

    let summary_reporter = reporter.sibling("subscription:account_summary");
    let positions_reporter = reporter.sibling("subscription:positions");
    let portfolio_reporter = reporter.sibling("subscription:portfolio");

    let mut summary = match client.account_summary(&AccountGroup("All".into()), SUMMARY_TAGS).await {
        Ok(subscription) => Some(subscription),
        Err(error) => {
            summary_reporter.failed("account summary refused", error_chain(&error));
            None
        }
    };
    let mut positions = match client.positions().await {
        Ok(subscription) => Some(subscription),
        Err(error) => {
            positions_reporter.failed("positions refused", error_chain(&error));
            None
        }
    };
    let mut portfolio = match accounts.first() {
        Some(account) => match client.account_updates(&AccountId(account.clone())).await {
            Ok(subscription) => Some(subscription),
            Err(error) => {
                portfolio_reporter.failed("portfolio updates refused", error_chain(&error));
                None
            }
        },
        None => {
            portfolio_reporter.degraded("no managed account to subscribe to", Vec::new());
            None
        }
    };

    // Live once the first summary batch and the first position snapshot are in; if either
    // subscription was refused, what did arrive is all there is, and diagnostics says why.
    let mut summary_done = summary.is_none();
    let mut positions_done = positions.is_none();
    let mut reconciled = false;
    let mut last_message = Instant::now();

    loop {
        if !reconciled && summary_done && positions_done {
            reconciled = true;
            send(events, BrokerEvent::Reconciled).await;
        }
        let silence = settings.probe_after.saturating_sub(last_message.elapsed());
        tokio::select! {
            biased;
            command = commands.recv() => {
                if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                    return SessionEnd::Shutdown;
                }
            }
            notice = notices.next() => {
                let Some(notice) = notice else {
                    return SessionEnd::Lost("the connection's notice stream closed".into());
                };
                last_message = Instant::now();
                send(events, BrokerEvent::Notice {
                    id: notice.request_id.unwrap_or(-1),
                    code: notice.code,
                    text: notice.message.clone(),
                }).await;
            }
            item = next_of(&mut positions) => {
                last_message = Instant::now();
                match item {
                    Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(p)))) => {
                        let Some(quantity) = decimal_from_f64(p.position) else {
                            positions_reporter.degraded("a position without a quantity was skipped", vec![format!("{p:?}")]);
                            continue;
                        };
                        send(events, BrokerEvent::Position {
                            account: p.account,
                            con_id: p.contract.contract_id,
                            symbol: p.contract.symbol.0,
                            currency: p.contract.currency.0,
                            quantity,
                            average_cost: decimal_from_f64(p.average_cost),
                        }).await;
                    }
                    Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd))) => {
                        positions_done = true;
                        positions_reporter.ok("positions streaming");
                        send(events, BrokerEvent::PositionsEnd).await;
                    }
                    Some(Ok(SubscriptionItem::Notice(n))) => {
                        send(events, BrokerEvent::Notice { id: n.request_id.unwrap_or(-1), code: n.code, text: n.message }).await;
                    }
                    Some(Err(ibapi::Error::ConnectionReset)) | None => return SessionEnd::Lost("the gateway closed the connection".into()),
                    Some(Err(error)) => {
                        positions_reporter.failed("positions stream failed", error_chain(&error));
                        positions = None;
                        positions_done = true;
                    }
                }
            }
            item = next_of(&mut summary) => {
                last_message = Instant::now();
                match item {
                    Some(Ok(SubscriptionItem::Data(AccountSummaryResult::Summary(s)))) => {
                        send(events, BrokerEvent::AccountValue { account: s.account, tag: s.tag, value: s.value, currency: s.currency }).await;
                    }
                    Some(Ok(SubscriptionItem::Data(AccountSummaryResult::End))) => {
                        summary_done = true;
                        summary_reporter.ok(format!("{} tags streaming", SUMMARY_TAGS.len()));
                        send(events, BrokerEvent::AccountSummaryEnd).await;
                    }
                    Some(Ok(SubscriptionItem::Notice(n))) => {
                        send(events, BrokerEvent::Notice { id: n.request_id.unwrap_or(-1), code: n.code, text: n.message }).await;
                    }
                    Some(Err(ibapi::Error::ConnectionReset)) | None => return SessionEnd::Lost("the gateway closed the connection".into()),
                    Some(Err(error)) => {
                        summary_reporter.failed("account summary stream failed", error_chain(&error));
                        summary = None;
                        summary_done = true;
                    }
                }
            }
            item = next_of(&mut portfolio) => {
                last_message = Instant::now();
                match item {
                    Some(Ok(SubscriptionItem::Data(AccountUpdate::PortfolioValue(p)))) => {
                        let Some(quantity) = decimal_from_f64(p.position) else { continue };
                        send(events, BrokerEvent::Portfolio {
                            account: p.account.unwrap_or_else(|| accounts.first().cloned().unwrap_or_default()),
                            con_id: p.contract.contract_id,
                            symbol: p.contract.symbol.0,
                            currency: p.contract.currency.0,
                            quantity,
                            market_price: decimal_from_f64(p.market_price),
                            market_value: decimal_from_f64(p.market_value),
                            average_cost: decimal_from_f64(p.average_cost),
                            unrealized_pnl: decimal_from_f64(p.unrealized_pnl),
                            realized_pnl: decimal_from_f64(p.realized_pnl),
                        }).await;
                    }
                    Some(Ok(SubscriptionItem::Data(AccountUpdate::End))) => {
                        portfolio_reporter.ok("portfolio streaming");
                    }
                    // Account values here repeat the summary's figures; the summary owns them.
                    Some(Ok(SubscriptionItem::Data(AccountUpdate::AccountValue(_) | AccountUpdate::UpdateTime(_)))) => {
                        send(events, BrokerEvent::Heartbeat).await;
                    }
                    Some(Ok(SubscriptionItem::Notice(n))) => {
                        send(events, BrokerEvent::Notice { id: n.request_id.unwrap_or(-1), code: n.code, text: n.message }).await;
                    }
                    Some(Err(ibapi::Error::ConnectionReset)) | None => return SessionEnd::Lost("the gateway closed the connection".into()),
                    Some(Err(error)) => {
                        portfolio_reporter.failed("portfolio stream failed", error_chain(&error));
                        portfolio = None;
                    }
                }
            }
            _ = tokio::time::sleep(silence) => {
                // Nothing for a while: prove the gateway still answers.
                match timeout(settings.probe_deadline, client.server_time()).await {
                    Ok(Ok(_)) => {
                        last_message = Instant::now();
                        send(events, BrokerEvent::Heartbeat).await;
                    }
                    Ok(Err(error)) => return SessionEnd::Lost(format!("liveness probe failed: {error}")),
                    Err(_) => return SessionEnd::Lost(format!(
                        "stale: no answer to the liveness probe within {}s", settings.probe_deadline.as_secs()
                    )),
                }
            }
        }
    }
}
