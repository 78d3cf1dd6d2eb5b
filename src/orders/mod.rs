//! The order-entry safety core: ticket validation, precautions, the paper guard, order-code
//! classification, the order life cycle and the write-ahead order journal.
//!
//! Pure logic with no UI or broker types: the app adapts store data into the small input
//! structs here ([`MarketContext`], [`GuardContext`], [`reconcile::BrokerOrder`], …) and carries
//! out what comes back. The only type a wire order may be built from is [`OrderIntent`]
//! (reached through [`preflight()`] and [`Preflight::confirm`]).
//!
//! Building the wire order from a [`ConfirmedOrder`] (ibkr-behaviour.md §3.1):
//! `action` = [`OrderAction::code`], `total_quantity` = `quantity()`, `order_type` =
//! [`OrderType::code`], `lmt_price` = `limit_price()`, `aux_price` = `stop_price()`, `tif` =
//! [`TimeInForce::code`], `outside_rth`, `account` = `account()` (always set), `order_ref` =
//! the intent id, `transmit` = true; never set `override_percentage_constraints`.
//!
//! Write-ahead: append [`ConfirmedOrder::journal_intent`], then [`JournalBody::Submitted`] with
//! the order id from the gateway, each fsynced by [`Journal::append`]; only then place the
//! order. A journal error means: do not send, and disable entry ([`GuardContext::journal_error`]).
//!
//! A ticket with exits attached is a group ([`GroupIntent`], see [`group`]): one
//! `group_intent` line with every leg before the first leg goes, then each leg's `Submitted`
//! as it goes (entry first, `transmit=false`; exits with `parent_id`; the last leg transmits).
//! Leg intent ids are `<group id>.entry`, `.tp`, `.sl` ([`LegRole::leg_id`]). After a crash or
//! disconnect between legs, [`resolve_groups`] says what to do ([`GroupRepair`]).

pub mod codes;
pub mod group;
pub mod guard;
pub mod journal;
pub mod lifecycle;
pub mod precautions;
pub mod preflight;
pub mod reconcile;
pub mod submit;
pub mod ticket;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod ticket_props;

pub use codes::{classify, CodeClass, CodeOutcome};
pub use group::{describe, entry_price, GroupIntent, LegRole, StopKind};
pub use guard::{
    cancel_allowed, confirm_live, entry_allowed, CancelMode, EntryMode, GuardBlock, GuardContext, Link, SessionKind,
};
pub use journal::{
    BadLine, ChecksRecord, DayRead, IntentRecord, Journal, JournalBody, JournalEntry, JournalError, LegRecord,
};
pub use lifecycle::{Commission, Fill, OrderLifecycle, OrderStatus, ShownStatus, TimelineEntry, TimelineEvent};
pub use precautions::{Blocked, Precautions, RecentOrder, Rule, Violation};
pub use preflight::{preflight, ConfirmedOrder, Preflight, Refusal};
pub use reconcile::{reconcile, resolve_groups, BrokerExecution, BrokerOrder, Difference, GroupRepair, Replay};
pub use submit::{AlreadySubmitted, IntentIdGen, SubmitGate};
pub use ticket::{
    ContractInfo, FieldError, MarketContext, OrderAction, OrderIntent, OrderPrices, OrderType, Ticket, TicketField,
    TimeInForce, Trailing, GOOD_TILL_FORMAT, GOOD_TILL_WIRE_FORMAT,
};
