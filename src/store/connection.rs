//! Connection health: session state, handshake facts, farm notices and the last notices.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// How many notices the health pane keeps.
pub const NOTICE_HISTORY: usize = 50;

/// The life cycle of the broker session, as shown in the health pane and status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ConnectionState {
    /// Nothing tried yet.
    Idle,
    Connecting {
        attempt: u32,
    },
    /// TCP is up, the handshake (version, START_API, ids, accounts) is running.
    Handshaking {
        attempt: u32,
    },
    /// Connected; the first account summary and positions are still arriving.
    Reconciling,
    Live,
    /// 1100: the gateway lost its link to IB; the socket is still up.
    Degraded {
        code: i32,
    },
    /// The liveness probe went unanswered: nothing from the gateway can be trusted; the
    /// connection is being dropped for a fresh one.
    Stale {
        since: DateTime<Utc>,
    },
    Reconnecting {
        attempt: u32,
        next_try_at: DateTime<Utc>,
        /// Why the last attempt failed or the connection ended, in words.
        reason: String,
    },
    /// Not connected, with the reason in words.
    Down {
        reason: String,
    },
}

impl ConnectionState {
    pub fn label(&self) -> &'static str {
        match self {
            ConnectionState::Idle => "idle",
            ConnectionState::Connecting { .. } => "connecting",
            ConnectionState::Handshaking { .. } => "handshaking",
            ConnectionState::Reconciling => "reconciling",
            ConnectionState::Live => "live",
            ConnectionState::Degraded { .. } => "degraded",
            ConnectionState::Stale { .. } => "stale",
            ConnectionState::Reconnecting { .. } => "reconnecting",
            ConnectionState::Down { .. } => "down",
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, ConnectionState::Live)
    }
}

/// Why a connection attempt failed or a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DisconnectKind {
    /// Nothing listens there, or the network is in the way.
    Unreachable,
    /// Something accepted the connection but the TWS handshake did not finish (closed, silent,
    /// client id in use, server version too old).
    Handshake,
    /// A working connection went away (closed, stale, reset).
    Lost,
}

/// The last notice a data farm sent (2103–2108, 2157/2158, 2119).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FarmState {
    pub code: i32,
    pub ok: bool,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A notice or error from the gateway, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRecord {
    pub at: DateTime<Utc>,
    /// -1 for global notices, otherwise the request or order id.
    pub id: i32,
    pub code: i32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionHealth {
    pub address: String,
    /// Whether robo-tui hosts the gateway in this process, connects to one hosted by another
    /// robo-tui, or to an external gateway.
    pub gateway_origin: String,
    pub client_id: i32,
    pub state: ConnectionState,
    pub server_version: Option<i32>,
    pub connection_time: Option<String>,
    pub connected_at: Option<DateTime<Utc>>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub managed_accounts: Vec<String>,
    /// Farm name (`usfarm`, `ushmds`, `secdefnj`, …) to its last notice.
    pub farms: BTreeMap<String, FarmState>,
    pub notices: VecDeque<NoticeRecord>,
    /// Why the last attempt failed or the last connection ended.
    pub last_failure: Option<DisconnectKind>,
    /// The latest `reqCurrentTime` round trip.
    pub round_trip: Option<std::time::Duration>,
    /// When the last working connection was lost, until the next one is made.
    pub outage_since: Option<DateTime<Utc>>,
    /// When the gateway last lost its link to IB (1100); meaningful while degraded.
    pub degraded_since: Option<DateTime<Utc>>,
}

impl Default for ConnectionHealth {
    fn default() -> Self {
        ConnectionHealth {
            address: String::new(),
            gateway_origin: String::new(),
            client_id: 0,
            state: ConnectionState::Idle,
            server_version: None,
            connection_time: None,
            connected_at: None,
            last_message_at: None,
            managed_accounts: Vec::new(),
            farms: BTreeMap::new(),
            notices: VecDeque::new(),
            last_failure: None,
            round_trip: None,
            outage_since: None,
            degraded_since: None,
        }
    }
}

/// Farm notices name their farm after the last colon: "Market data farm connection is OK:usfarm".
pub fn farm_of(code: i32, text: &str) -> Option<(String, bool)> {
    let ok = match code {
        2104 | 2106 | 2158 => true,
        2103 | 2105 | 2157 | 2107 | 2108 | 2119 => false,
        _ => return None,
    };
    let name = text
        .rsplit_once(':')
        .map(|(_, farm)| farm.trim())
        .filter(|farm| !farm.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("farm-{code}"));
    Some((name, ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn farm_notices_name_their_farm_and_state() {
        assert_eq!(farm_of(2104, "Market data farm connection is OK:usfarm"), Some(("usfarm".to_string(), true)));
        assert_eq!(farm_of(2103, "Market data farm connection is broken:usfarm"), Some(("usfarm".to_string(), false)));
        assert_eq!(farm_of(2158, "no colon"), Some(("farm-2158".to_string(), true)));
        assert_eq!(farm_of(1100, "Connectivity lost"), None);
    }
}
