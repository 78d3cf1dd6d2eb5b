//! The broker task: the only module that uses `ibapi`. It connects (with a deadline, since
//! the async client has none), subscribes to account summary, positions and portfolio
//! updates, turns what arrives into [`BrokerEvent`](crate::store::BrokerEvent)s, and
//! reconnects with capped backoff when the connection goes.

mod backoff;
mod convert;
mod feeds;
pub mod orders;
pub mod pacer;
mod session;

pub use backoff::Backoff;
pub use convert::{decimal_from_f64, describe_connect_error, ConnectFailure};
pub use orders::{OrderCommand, OrderDesk, OrderDeskInbox, WireOrder};
pub use pacer::{Pacer, PacerStats};
pub use session::{run, BrokerCommand, BrokerSettings, SharedJournal};
