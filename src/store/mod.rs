//! The one state store. The app task owns a [`Store`]; the only way to change it is
//! [`Store::apply`]. Broker and strategy tasks send events over bounded channels; readers
//! elsewhere get immutable snapshots from a `tokio::sync::watch` channel (see [`snapshot`]).

mod account;
mod connection;
mod event;
mod health;
mod order;
mod position;
mod quote;
mod reducer;
mod signal;
pub mod snapshot;
mod trading;

pub use account::{AccountFigure, AccountKind, AccountState, SUMMARY_TAGS};
pub use connection::{ConnectionHealth, ConnectionState, DisconnectKind, FarmState, NoticeRecord};
pub use event::{BrokerEvent, Effects, SessionEvent, StoreEvent, StrategyEvent, SubsystemEvent, TradingEvent};
pub use health::{Health, SubsystemId, SubsystemStatus};
pub use order::{ExecutionRow, OrderRow, OrderTerms, ACK_TIMEOUT};
pub use position::{PositionKey, PositionRow};
pub use quote::{MarketDataKind, Quote, TickField, BAR_HISTORY};
pub use reducer::Store;
pub use signal::{Signal, SignalSide};
pub use trading::{TicketOutcome, TradingState, WhatIf, WhatIfAnswer};
