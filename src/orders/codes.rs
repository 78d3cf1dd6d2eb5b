//! Classifying IB error and notice codes that arrive for an order (ibkr-behaviour.md §5).
//!
//! Three outcomes, plus two kinds that change nothing: a known-final code rejects the order; a
//! known warning leaves it live; anything else is unknown and keeps the order in flight until
//! open/completed orders prove its state. An error code alone never kills an order otherwise.

use serde::{Deserialize, Serialize};

/// What a code on an order means for that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeClass {
    /// Known final: nothing is live at IB.
    Rejection,
    /// 202: the order was cancelled (the text may give an IB-initiated reason).
    Cancelled,
    /// The order is live; show the text.
    Warning,
    /// Informational: does not change the order's state (e.g. a cancel that came too late).
    Info,
    /// Not known: keep the order in flight and confirm it through open/completed orders.
    Unknown,
}

impl CodeClass {
    pub fn label(self) -> &'static str {
        match self {
            CodeClass::Rejection => "rejected",
            CodeClass::Cancelled => "cancelled",
            CodeClass::Warning => "warning",
            CodeClass::Info => "info",
            CodeClass::Unknown => "unknown",
        }
    }
}

/// A classified code: the class and a short label for the timeline (IB's text is shown
/// verbatim beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeOutcome {
    pub class: CodeClass,
    pub label: &'static str,
}

/// Classifies `code` with IB's `text` for an order; `acknowledged` is whether the order was
/// ever acknowledged (PreSubmitted/Submitted or a fill), which decides 110.
pub fn classify(code: i32, text: &str, acknowledged: bool) -> CodeOutcome {
    use CodeClass::*;
    let (class, label) = match code {
        103 => (Rejection, "duplicate order id"),
        110 if !acknowledged => (Rejection, "price not on the contract's tick"),
        110 => (Unknown, "price not on the contract's tick (modify?)"),
        200 => (Rejection, "no security definition"),
        201 => (Rejection, "order rejected"),
        203 => (Rejection, "security not available or allowed for this account"),
        321 if is_read_only(text) => {
            (Rejection, "API is in Read-Only mode: untick \"Read-Only API\" in the gateway's API settings")
        }
        321 => (Rejection, "request failed validation"),
        399 if text.contains("Warning:") => (Warning, "order message (order is live)"),
        399 => (Rejection, "order message"),
        451 => (Rejection, "gateway precaution"),
        202 => (Cancelled, "cancelled"),
        104 => (Info, "cannot modify a filled order"),
        161 | 10147 | 10148 => (Info, "cancel too late"),
        2102 => (Warning, "modify pending: order still being processed"),
        10349 => (Warning, "TIF set by order preset (order is live)"),
        10167 => (Warning, "delayed market data"),
        2100..=2199 => (Warning, "warning"),
        0 => (Info, "notice"),
        _ => (Unknown, "unknown code: confirming with the gateway"),
    };
    CodeOutcome { class, label }
}

fn is_read_only(text: &str) -> bool {
    text.to_ascii_lowercase().contains("read-only")
}

#[cfg(test)]
mod tests {
    use super::*;
    use CodeClass::*;

    #[test]
    fn codes_fall_into_their_classes() {
        let table: &[(i32, &str, bool, CodeClass)] = &[
            (103, "Duplicate order id", false, Rejection),
            (110, "The price does not conform to the minimum price variation", false, Rejection),
            (110, "The price does not conform to the minimum price variation", true, Unknown),
            (200, "No security definition has been found for the request", false, Rejection),
            (201, "Order rejected - reason:", true, Rejection),
            (203, "The security is not available or allowed for this account", false, Rejection),
            (321, "Error validating request:-'bN' : cause - The API interface is currently in Read-Only mode.", false, Rejection),
            (321, "Error validating request: invalid account code", false, Rejection),
            (399, "Order Message:\nBUY 10 AAPL\nWarning: your order will not be placed at the exchange until 2026-11-30 09:30:00", false, Warning),
            (399, "Order Message:\nSELL 10 AAPL\nSomething final", false, Rejection),
            (451, "The following order \"ID:7\" value estimate of 154,990 USD exceeds the Total Value Limit of 100,000 USD.", false, Rejection),
            (202, "Order Canceled - reason:", true, Cancelled),
            (104, "Can't modify a filled order", true, Info),
            (161, "Cancel attempted when order is not in a cancellable state", true, Info),
            (10147, "OrderId 7 that needs to be cancelled is not found.", true, Info),
            (10148, "OrderId 7 that needs to be cancelled cannot be cancelled, state: Filled.", true, Info),
            (2102, "Unable to modify this order as it is still being processed.", true, Warning),
            (2109, "Order Event Warning: Attribute 'Outside Regular Trading Hours' is ignored", false, Warning),
            (2150, "anything in the warning band", false, Warning),
            (10349, "Order TIF was set to DAY based on order preset.", false, Warning),
            (10167, "Requested market data is not subscribed. Displaying delayed market data.", false, Warning),
            (0, "Warning: Approaching max rate of 50 messages per second", false, Info),
            (100, "Max rate of messages per second has been exceeded", false, Unknown),
            (10289, "Something new", false, Unknown),
            (2200, "just past the warning band", false, Unknown),
            (-1, "", false, Unknown),
        ];
        for (code, text, acknowledged, expected) in table {
            assert_eq!(classify(*code, text, *acknowledged).class, *expected, "code {code} ({text})");
        }
    }

    #[test]
    fn labels_name_the_cause() {
        assert_eq!(classify(451, "exceeds the Total Value Limit", false).label, "gateway precaution");
        assert_eq!(
            classify(321, "The API interface is currently in Read-Only mode.", false).label,
            "API is in Read-Only mode: untick \"Read-Only API\" in the gateway's API settings"
        );
        assert_eq!(classify(10147, "", true).label, "cancel too late");
        assert_eq!(classify(12345, "", true).label, "unknown code: confirming with the gateway");
    }
}
