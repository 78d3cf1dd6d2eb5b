//! The wire's f64 becomes `Decimal` here, once; and ibapi errors become words.

use crate::store::DisconnectKind;
use rust_decimal::Decimal;

/// IB's "no value" sentinel is `f64::MAX`; NaN and infinities are no value either.
pub fn decimal_from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() || value >= f64::MAX / 2.0 || value <= f64::MIN / 2.0 {
        return None;
    }
    // Round-trip through the shortest text form so 150.1 stays 150.1, not 150.099999…
    Decimal::from_str_exact(&format!("{value}"))
        .ok()
        .or_else(|| Decimal::from_f64_retain(value).map(|d| d.round_dp(8)))
        .map(|d| d.normalize())
}

/// Why a connect attempt failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub kind: DisconnectKind,
    pub reason: String,
    pub retry: bool,
}

/// Put an ibapi connect error in words a trader understands.
pub fn describe_connect_error(error: &ibapi::Error, client_id: i32) -> ConnectFailure {
    use std::io::ErrorKind;
    use DisconnectKind::{Handshake, Unreachable};
    let (kind, reason, retry) = match error {
        ibapi::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => {
            (Unreachable, "connection refused: no gateway is listening there".to_string(), true)
        }
        ibapi::Error::Io(io) if matches!(io.kind(), ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset) => {
            (Handshake, format!("gateway closed the connection during the handshake ({io})"), true)
        }
        ibapi::Error::Io(io) => (Unreachable, format!("network error: {io}"), true),
        ibapi::Error::ClientIdInUse { .. } => {
            (Handshake, format!("client id {client_id} is already in use on this gateway (error 326)"), true)
        }
        ibapi::Error::ServerVersion(want, have, _) => (
            Handshake,
            format!("server version {have} is too old (robo-tui needs {want} or later): upgrade IB Gateway"),
            false,
        ),
        // ibapi refuses the connection with this text when NextValidId is in its request range.
        ibapi::Error::ConnectionRejected(text) if text.contains("reserved for request ids") => {
            let id = text.split_whitespace().find(|w| w.len() >= 10 && w.bytes().all(|b| b.is_ascii_digit()));
            (Handshake, order_ids_too_high(id.unwrap_or("≥ 1500000000")), true)
        }
        ibapi::Error::ConnectionRejected(text) => {
            (Handshake, format!("gateway closed the connection during the handshake: {text}"), true)
        }
        ibapi::Error::ConnectionFailed | ibapi::Error::ConnectionReset => {
            (Handshake, "gateway closed the connection during the handshake".to_string(), true)
        }
        ibapi::Error::OrderIdInRequestRange { order_id } => {
            (Handshake, order_ids_too_high(&order_id.to_string()), true)
        }
        other => (Handshake, other.to_string(), true),
    };
    ConnectFailure { kind, reason, retry }
}

fn order_ids_too_high(order_id: &str) -> String {
    format!(
        "the gateway's next order id {order_id} is at or above 1,500,000,000, the range ibapi keeps for request \
         ids: reset the API order id sequence in TWS / IB Gateway (API settings)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn sentinels_and_non_finite_values_are_no_value() {
        assert_eq!(decimal_from_f64(f64::MAX), None);
        assert_eq!(decimal_from_f64(f64::NAN), None);
        assert_eq!(decimal_from_f64(f64::INFINITY), None);
    }

    #[test]
    fn prices_keep_their_written_digits() {
        assert_eq!(decimal_from_f64(150.1), Some(Decimal::from_str("150.1").expect("literal")));
        assert_eq!(decimal_from_f64(0.0), Some(Decimal::ZERO));
        assert_eq!(decimal_from_f64(-12.5), Some(Decimal::from_str("-12.5").expect("literal")));
        assert_eq!(decimal_from_f64(1e-7), Some(Decimal::from_str("0.0000001").expect("literal")));
    }

    #[test]
    fn refused_and_old_server_are_told_apart() {
        let refused = ibapi::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let failure = describe_connect_error(&refused, 17);
        assert!(failure.retry);
        assert!(failure.reason.starts_with("connection refused"));
        assert_eq!(failure.kind, DisconnectKind::Unreachable);
        let in_use = describe_connect_error(&ibapi::Error::ClientIdInUse { client_id: 17 }, 17);
        assert_eq!(in_use.kind, DisconnectKind::Handshake);
        assert!(in_use.reason.contains("client id 17 is already in use"), "{}", in_use.reason);
        // ibapi's fields: (required, actual, feature).
        let old = ibapi::Error::ServerVersion(213, 200, "protobuf".into());
        let failure = describe_connect_error(&old, 17);
        assert!(!failure.retry);
        assert!(failure.reason.starts_with("server version 200 is too old (robo-tui needs 213"), "{}", failure.reason);
    }
}
