//! The paper guard: order entry is allowed only when everything is known to be right, and
//! otherwise disabled with the reason in words (fail closed).

use serde::Serialize;
use std::fmt;

/// An outage longer than this disarms order entry until the trader re-arms it: the market,
/// the orders and the trader's intentions may all have moved meanwhile.
pub const REARM_AFTER_OUTAGE: chrono::Duration = chrono::Duration::minutes(5);

/// Whether an account id looks like an IBKR paper account: `DU` or `DF` followed by digits.
pub fn is_paper_account(account: &str) -> bool {
    let b = account.as_bytes();
    b.len() > 2 && b[0] == b'D' && (b[1] == b'U' || b[1] == b'F') && b[2..].iter().all(u8::is_ascii_digit)
}

/// The connection as the guard needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Connected and the gateway's link to IB is up.
    Live,
    /// The socket is up but the session is not live (handshaking, reconciling, 1100 degraded):
    /// cancels can still be sent, marked uncertain. `state` is the word shown, e.g. "degraded".
    SocketUp { state: String },
    /// No socket (down, connecting, reconnecting). `state` is the word shown.
    Down { state: String },
}

/// The interactive session, or a read-only `robo-tui monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Trading,
    Monitor,
}

/// Everything the guard looks at; the lead fills it from the store and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardContext<'a> {
    /// The accounts the gateway reported, as last received.
    pub managed_accounts: &'a [String],
    /// The ticket's account; `None` to ask whether entry is enabled at all (the status bar).
    pub ticket_account: Option<&'a str>,
    pub link: Link,
    /// The last reconciliation succeeded and nothing has invalidated it since.
    pub reconciled: bool,
    /// The trader halted trading.
    pub halted: bool,
    /// `Some(minutes)` after the gateway was away that long (over [`REARM_AFTER_OUTAGE`]):
    /// the trader must re-arm order entry once they have looked at the orders and positions.
    pub rearm_after_outage: Option<i64>,
    /// `Some(reason)` when the journal cannot be written.
    pub journal_error: Option<&'a str>,
    /// `trading.allow_live` from the config.
    pub allow_live: bool,
    pub session: SessionKind,
}

/// Why order entry is disabled; its text is what the banner says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum GuardBlock {
    #[error("read-only monitor: this session never sends orders")]
    Monitor,
    #[error("journal unwritable: {0}")]
    Journal(String),
    #[error("the gateway reported no managed accounts")]
    NoAccounts,
    #[error("LIVE account {0} reported by the gateway; trading.allow_live is off")]
    LiveAccount(String),
    #[error("account {account} is not one of the managed accounts ({managed})")]
    AccountNotManaged { account: String, managed: String },
    #[error("connection is {0}")]
    NotConnected(String),
    #[error("reconciling: orders are blocked until the broker's state is loaded")]
    Reconciling,
    #[error("halted by the trader: cancels only")]
    Halted,
    #[error("disarmed after a {0}-minute outage: check orders and positions, then press H to re-arm")]
    Rearm(i64),
}

/// What entry is allowed for the ticket's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryMode {
    /// Every account is paper.
    Paper,
    /// The ticket's account is live (allowed by config): each order's confirmation must type
    /// the account id ([`confirm_live`]).
    Live { account: String },
    /// No ticket account given and the managed accounts include live ones (allowed by config).
    LiveAccountsPresent,
}

/// Whether a cancel goes out as a normal request or one whose outcome is uncertain (the
/// connection is not live or the state not reconciled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelMode {
    Normal,
    Uncertain,
}

/// Whether new orders and modifications may be entered. The first reason found is returned,
/// the most fundamental first.
pub fn entry_allowed(ctx: &GuardContext<'_>) -> Result<EntryMode, GuardBlock> {
    if ctx.session == SessionKind::Monitor {
        return Err(GuardBlock::Monitor);
    }
    if let Some(reason) = ctx.journal_error {
        return Err(GuardBlock::Journal(reason.to_string()));
    }
    if ctx.managed_accounts.is_empty() {
        return Err(GuardBlock::NoAccounts);
    }
    let live: Vec<&String> = ctx.managed_accounts.iter().filter(|a| !is_paper_account(a)).collect();
    if let (Some(first), false) = (live.first(), ctx.allow_live) {
        return Err(GuardBlock::LiveAccount((*first).clone()));
    }
    if let Some(account) = ctx.ticket_account {
        if !ctx.managed_accounts.iter().any(|a| a == account) {
            return Err(GuardBlock::AccountNotManaged {
                account: account.to_string(),
                managed: ctx.managed_accounts.join(", "),
            });
        }
    }
    match &ctx.link {
        Link::Live => {}
        Link::SocketUp { state } | Link::Down { state } => return Err(GuardBlock::NotConnected(state.clone())),
    }
    if !ctx.reconciled {
        return Err(GuardBlock::Reconciling);
    }
    if ctx.halted {
        return Err(GuardBlock::Halted);
    }
    if let Some(minutes) = ctx.rearm_after_outage {
        return Err(GuardBlock::Rearm(minutes));
    }
    Ok(match ctx.ticket_account {
        Some(account) if !is_paper_account(account) => EntryMode::Live { account: account.to_string() },
        None if !live.is_empty() => EntryMode::LiveAccountsPresent,
        _ => EntryMode::Paper,
    })
}

/// For a live account, the confirmation must be the account id typed exactly (surrounding
/// spaces ignored). An empty account never confirms.
pub fn confirm_live(account: &str, typed: &str) -> bool {
    !account.is_empty() && typed.trim() == account
}

/// Whether a cancel may be sent: allowed while halted, reconciling or degraded (then marked
/// uncertain), refused in a monitor session or without a socket. Cancels reduce risk, so an
/// unwritable journal does not stop them (the lead still reports the journal error).
pub fn cancel_allowed(ctx: &GuardContext<'_>) -> Result<CancelMode, GuardBlock> {
    if ctx.session == SessionKind::Monitor {
        return Err(GuardBlock::Monitor);
    }
    match &ctx.link {
        Link::Down { state } => Err(GuardBlock::NotConnected(state.clone())),
        Link::SocketUp { .. } => Ok(CancelMode::Uncertain),
        Link::Live if !ctx.reconciled => Ok(CancelMode::Uncertain),
        Link::Live => Ok(CancelMode::Normal),
    }
}

impl fmt::Display for EntryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryMode::Paper => f.write_str("PAPER"),
            EntryMode::Live { account } => write!(f, "LIVE {account}: type the account id to confirm each order"),
            EntryMode::LiveAccountsPresent => f.write_str("LIVE accounts present (trading.allow_live is on)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn ok_ctx(managed: &[String]) -> GuardContext<'_> {
        GuardContext {
            managed_accounts: managed,
            ticket_account: Some("DU1234567"),
            link: Link::Live,
            reconciled: true,
            halted: false,
            rearm_after_outage: None,
            journal_error: None,
            allow_live: false,
            session: SessionKind::Trading,
        }
    }

    #[test]
    fn paper_ids_are_d_u_or_d_f_followed_by_digits() {
        for id in ["DU1234567", "DF1", "DU0"] {
            assert!(is_paper_account(id), "{id}");
        }
        for id in ["U1234567", "DU", "DF", "du123", "DU12a", "DX123", " DU123", "DU123 ", "F123", ""] {
            assert!(!is_paper_account(id), "{id}");
        }
    }

    #[test]
    fn a_paper_session_in_good_order_may_trade() {
        let managed = accounts(&["DU1234567", "DU7654321"]);
        assert_eq!(entry_allowed(&ok_ctx(&managed)), Ok(EntryMode::Paper));
        assert_eq!(entry_allowed(&GuardContext { ticket_account: None, ..ok_ctx(&managed) }), Ok(EntryMode::Paper));
    }

    #[test]
    fn each_doubt_blocks_with_its_reason() {
        let managed = accounts(&["DU1234567"]);
        let mixed = accounts(&["DU1234567", "U7654321"]);
        let none: Vec<String> = Vec::new();
        let base = ok_ctx(&managed);
        let cases: Vec<(GuardContext<'_>, &str)> = vec![
            (
                GuardContext { session: SessionKind::Monitor, ..base.clone() },
                "read-only monitor: this session never sends orders",
            ),
            (GuardContext { journal_error: Some("disk full"), ..base.clone() }, "journal unwritable: disk full"),
            (GuardContext { managed_accounts: &none, ..base.clone() }, "the gateway reported no managed accounts"),
            (
                GuardContext { managed_accounts: &mixed, ..base.clone() },
                "LIVE account U7654321 reported by the gateway; trading.allow_live is off",
            ),
            (
                GuardContext { ticket_account: Some("DU999"), ..base.clone() },
                "account DU999 is not one of the managed accounts (DU1234567)",
            ),
            (
                GuardContext { link: Link::Down { state: "reconnecting".into() }, ..base.clone() },
                "connection is reconnecting",
            ),
            (
                GuardContext { link: Link::SocketUp { state: "degraded".into() }, ..base.clone() },
                "connection is degraded",
            ),
            (
                GuardContext { reconciled: false, ..base.clone() },
                "reconciling: orders are blocked until the broker's state is loaded",
            ),
            (GuardContext { halted: true, ..base.clone() }, "halted by the trader: cancels only"),
            (
                GuardContext { rearm_after_outage: Some(12), ..base.clone() },
                "disarmed after a 12-minute outage: check orders and positions, then press H to re-arm",
            ),
        ];
        for (ctx, reason) in cases {
            assert_eq!(entry_allowed(&ctx).map_err(|e| e.to_string()), Err(reason.to_string()), "{ctx:?}");
        }
    }

    #[test]
    fn a_live_account_among_paper_ones_blocks_even_a_paper_ticket() {
        let mixed = accounts(&["DU1", "U2"]);
        let ctx = ok_ctx(&mixed);
        assert_eq!(
            entry_allowed(&GuardContext { ticket_account: Some("DU1"), ..ctx }),
            Err(GuardBlock::LiveAccount("U2".into()))
        );
    }

    #[test]
    fn allow_live_permits_a_live_account_with_typed_confirmation() {
        let managed = accounts(&["U7654321"]);
        let ctx = GuardContext { allow_live: true, ticket_account: Some("U7654321"), ..ok_ctx(&managed) };
        assert_eq!(entry_allowed(&ctx), Ok(EntryMode::Live { account: "U7654321".into() }));
        assert_eq!(
            entry_allowed(&GuardContext { ticket_account: None, ..ctx.clone() }),
            Ok(EntryMode::LiveAccountsPresent)
        );
        assert!(confirm_live("U7654321", "U7654321"));
        assert!(confirm_live("U7654321", " U7654321\n"));
        assert!(!confirm_live("U7654321", "u7654321"));
        assert!(!confirm_live("U7654321", "U765432"));
        assert!(!confirm_live("U7654321", "yes"));
        assert!(!confirm_live("", ""));
        // allow_live does not lift the other checks.
        assert_eq!(entry_allowed(&GuardContext { halted: true, ..ctx }), Err(GuardBlock::Halted));
    }

    #[test]
    fn cancels_go_while_halted_but_never_from_a_monitor() {
        let managed = accounts(&["DU1234567"]);
        let base = ok_ctx(&managed);
        assert_eq!(cancel_allowed(&GuardContext { halted: true, ..base.clone() }), Ok(CancelMode::Normal));
        assert_eq!(cancel_allowed(&GuardContext { journal_error: Some("x"), ..base.clone() }), Ok(CancelMode::Normal));
        assert_eq!(cancel_allowed(&GuardContext { reconciled: false, ..base.clone() }), Ok(CancelMode::Uncertain));
        assert_eq!(
            cancel_allowed(&GuardContext { link: Link::SocketUp { state: "degraded".into() }, ..base.clone() }),
            Ok(CancelMode::Uncertain)
        );
        assert_eq!(
            cancel_allowed(&GuardContext { link: Link::Down { state: "down".into() }, ..base.clone() }),
            Err(GuardBlock::NotConnected("down".into()))
        );
        assert_eq!(cancel_allowed(&GuardContext { session: SessionKind::Monitor, ..base }), Err(GuardBlock::Monitor));
    }
}
