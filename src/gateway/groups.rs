//! Order groups: `transmit=false` staging, parent/child (bracket) links and OCA groups.
//!
//! * Staging: an order sent with `transmit=false` is kept `Inactive` and never works. The next
//!   order of its family (its parent, the parent's children, or members of its named OCA group)
//!   sent with `transmit=true` transmits the whole family at once; a family left without one
//!   stays inactive, as in TWS.
//! * Children wait (`PreSubmitted`, whyHeld "child") until their parent has a fill. A child may
//!   work only as much as its parent has filled, less what the exits in its OCA group already
//!   filled, so an exit never works ahead of the position it closes.
//! * OCA: a fill of one member cancels (type 1) or reduces by the filled quantity (types 2 and
//!   3) every other open member; a member reduced to nothing is cancelled. Type 3 ("without
//!   block") applies its reductions only after the matching pass, so members crossed by the
//!   same move can all fill (IB's overfill risk); types 1 and 2 block. The children of one
//!   parent with no named group form one OCA group of type 2 (reduce with block), as IB's
//!   brackets do.
//!
//! The functions here change the order book and say what changed; the engine reports it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::orders::{SimOrder, Status};

/// (client id, order id).
pub type Key = (i32, i32);
pub type Book = BTreeMap<Key, SimOrder>;

/// What a group rule did to another order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Cancelled, with the reason for the 202 notice.
    Cancelled(Key, String),
    /// Quantity reduced (OCA reduce, or capped to a cancelled parent's fill).
    Reduced(Key),
}

/// IB's text for a child whose parent is unknown.
pub const MISSING_PARENT: (i32, &str) = (10006, "Missing parent order.");

/// The OCA group an order belongs to: the one the client named, or its bracket parent's.
pub fn oca_key(o: &SimOrder) -> Option<String> {
    if !o.oca_group.is_empty() {
        Some(o.oca_group.clone())
    } else if o.parent_id != 0 {
        Some(format!("\u{1}children of {}", o.parent_id))
    } else {
        None
    }
}

/// The group's OCA type: 1, 2 or 3 for a named group (0 or unknown = 1, TWS's default);
/// 2 for a bracket's children; 0 outside any group.
pub fn oca_type(o: &SimOrder) -> i32 {
    if !o.oca_group.is_empty() {
        match o.oca_type {
            2 | 3 => o.oca_type,
            _ => 1,
        }
    } else if o.parent_id != 0 {
        2
    } else {
        0
    }
}

fn same_oca(a: &SimOrder, b: &SimOrder) -> bool {
    a.client_id == b.client_id && oca_key(a).is_some() && oca_key(a) == oca_key(b)
}

/// Whether `client_id` may attach a child to `parent_id`: the parent exists and is open or has
/// filled something.
pub fn parent_known(book: &Book, client_id: i32, parent_id: i32) -> bool {
    book.get(&(client_id, parent_id)).is_some_and(|p| p.status.is_open() || !p.filled.is_zero())
}

/// Whether a new child of `parent_id` waits for its parent (nothing filled yet).
pub fn child_waits(book: &Book, client_id: i32, parent_id: i32) -> bool {
    book.get(&(client_id, parent_id)).is_some_and(|p| p.filled.is_zero())
}

/// `key` arrived with `transmit=true`: every staged order of its family is transmitted. Returns
/// the orders transmitted (other than `key`), oldest first.
pub fn transmit(book: &mut Book, key: Key) -> Vec<Key> {
    let Some(x) = book.get(&key).cloned() else { return Vec::new() };
    let root = if x.parent_id != 0 { x.parent_id } else { x.order_id };
    let family = |o: &SimOrder| {
        o.client_id == x.client_id
            && (o.order_id == root || o.parent_id == root || (!x.oca_group.is_empty() && o.oca_group == x.oca_group))
    };
    let mut sent = Vec::new();
    for (k, o) in book.iter_mut() {
        if *k != key && o.staged && o.status.is_open() && family(o) {
            o.staged = false;
            sent.push(*k);
        }
    }
    if let Some(o) = book.get_mut(&key) {
        o.staged = false;
    }
    sent
}

/// `parent` filled: its waiting children start working. Returns them.
pub fn release_children(book: &mut Book, parent: Key) -> Vec<Key> {
    let mut released = Vec::new();
    for (k, o) in book.iter_mut() {
        if o.client_id == parent.0 && o.parent_id == parent.1 && o.held && !o.staged && o.status.is_open() {
            o.held = false;
            o.status = o.working_status();
            released.push(*k);
        }
    }
    released
}

/// How much of `key` may fill now: for a child, what its parent filled less what its OCA group's
/// exits filled; `None` for an order without a parent.
pub fn fill_cap(book: &Book, key: Key) -> Option<Decimal> {
    let o = book.get(&key)?;
    if o.parent_id == 0 {
        return None;
    }
    if o.held || o.staged {
        return Some(Decimal::ZERO);
    }
    // A parent gone from the book (done before a restart) has nothing more to release.
    let Some(parent) = book.get(&(o.client_id, o.parent_id)) else { return Some(o.remaining()) };
    let group_filled: Decimal = book
        .values()
        .filter(|s| {
            s.client_id == o.client_id && s.parent_id == o.parent_id && (s.order_id == o.order_id || same_oca(s, o))
        })
        .map(|s| s.filled)
        .sum();
    Some(o.remaining().min(parent.filled - group_filled).max(Decimal::ZERO))
}

fn finish(o: &mut SimOrder, status: Status, completed: &str, now: &str) {
    o.status = status;
    o.completed_time = Some(now.to_string());
    o.completed_status = Some(completed.to_string());
}

/// `key` filled `qty`: its OCA group's other open members are cancelled or reduced.
pub fn after_fill(book: &mut Book, key: Key, qty: Decimal, now: &str) -> Vec<Effect> {
    let Some(x) = book.get(&key).cloned() else { return Vec::new() };
    let ty = oca_type(&x);
    if ty == 0 {
        return Vec::new();
    }
    let mut effects = Vec::new();
    for (k, o) in book.iter_mut() {
        if *k == key || !o.status.is_open() || !same_oca(o, &x) {
            continue;
        }
        if ty == 1 {
            finish(o, Status::Cancelled, "Cancelled by OCA", now);
            effects.push(Effect::Cancelled(*k, "Order Canceled - reason:OCA group member filled".into()));
            continue;
        }
        o.quantity = (o.quantity - qty).max(o.filled);
        if o.remaining() <= Decimal::ZERO {
            let status = if o.filled.is_zero() { Status::Cancelled } else { Status::Filled };
            finish(o, status, "Cancelled by OCA", now);
            effects.push(Effect::Cancelled(*k, "Order Canceled - reason:OCA group member filled".into()));
        } else {
            effects.push(Effect::Reduced(*k));
        }
    }
    effects
}

/// `parent` was cancelled or expired: children that nothing was released to are cancelled;
/// with part of the parent filled, they stay to close that part, reduced to it.
pub fn parent_done(book: &mut Book, parent: Key, now: &str) -> Vec<Effect> {
    let filled = book.get(&parent).map(|p| p.filled).unwrap_or_default();
    let mut effects = Vec::new();
    for (k, o) in book.iter_mut() {
        if o.client_id != parent.0 || o.parent_id != parent.1 || !o.status.is_open() {
            continue;
        }
        if filled.is_zero() {
            finish(o, Status::Cancelled, "Cancelled with its parent", now);
            effects.push(Effect::Cancelled(*k, "Order Canceled - reason:Parent order cancelled".into()));
            continue;
        }
        o.quantity = o.quantity.min(filled).max(o.filled);
        if o.remaining() <= Decimal::ZERO {
            let status = if o.filled.is_zero() { Status::Cancelled } else { Status::Filled };
            finish(o, status, "Cancelled with its parent", now);
            effects.push(Effect::Cancelled(*k, "Order Canceled - reason:Parent order cancelled".into()));
        } else {
            effects.push(Effect::Reduced(*k));
        }
    }
    effects
}
