//! The plain-text handshake: the client's `vMIN..MAX[ options]` and the server's
//! `"<version>\0<connection time>\0"` reply.

/// Highest server version the protobuf dialect answers with (ibapi 5.5.0's maximum).
pub const PROTOBUF_SERVER_VERSION: i32 = 226;
/// Lowest client maximum that speaks protobuf end to end (ibapi's floor).
pub const PROTOBUF_MIN_VERSION: i32 = 213;
/// Highest version for the classic text dialect (ib_async 2.x asks for `v157..178`).
pub const TEXT_SERVER_VERSION: i32 = 178;

/// What the client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRequest {
    pub min: i32,
    pub max: i32,
    pub options: String,
}

/// The dialect a connection speaks, chosen from the client's version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Binary message id + protobuf bodies (ibapi); the server version to announce.
    Protobuf(i32),
    /// NUL-separated text (ib_async and classic clients); the server version to announce, which
    /// the text codec keeps for version-dependent layouts.
    Text(i32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("version string {0:?} is not of the form vMIN..MAX")]
    Malformed(String),
    #[error(
        "client version range v{0}..{1} is not served: 201-212 is the partial protobuf dialect of \
         10.3x clients; text clients must top out at 200 or below, protobuf clients at 213 or above"
    )]
    Unsupported(i32, i32),
}

/// Parses `v213..226` or `v157..178 +PACEAPI`.
pub fn parse_version(body: &[u8]) -> Result<VersionRequest, HandshakeError> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_end_matches('\0');
    let malformed = || HandshakeError::Malformed(text.chars().take(64).collect());
    let rest = text.strip_prefix('v').ok_or_else(malformed)?;
    let (range, options) = match rest.split_once(' ') {
        Some((r, o)) => (r, o.trim().to_string()),
        None => (rest, String::new()),
    };
    let (min, max) = match range.split_once("..") {
        Some((a, b)) => (a.parse::<i32>().map_err(|_| malformed())?, b.parse::<i32>().map_err(|_| malformed())?),
        None => {
            let v = range.parse::<i32>().map_err(|_| malformed())?;
            (v, v)
        }
    };
    if min > max || min < 0 {
        return Err(malformed());
    }
    Ok(VersionRequest { min, max, options })
}

/// Picks the dialect and the version to announce: protobuf at `min(max, 226)` for a client
/// topping out at 213 or above, text at `min(max, 178)` for one topping out at 200 or below;
/// 201-212 (partial protobuf) is refused.
pub fn choose_dialect(req: &VersionRequest) -> Result<Dialect, HandshakeError> {
    if req.max >= PROTOBUF_MIN_VERSION {
        Ok(Dialect::Protobuf(req.max.min(PROTOBUF_SERVER_VERSION)))
    } else if req.max < 201 {
        Ok(Dialect::Text(req.max.min(TEXT_SERVER_VERSION)))
    } else {
        Err(HandshakeError::Unsupported(req.min, req.max))
    }
}

/// The handshake reply body (to be length-prefixed): `"<version>\0<time>\0"`.
pub fn reply_body(version: i32, connection_time: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(32);
    body.extend_from_slice(version.to_string().as_bytes());
    body.push(0);
    body.extend_from_slice(connection_time.as_bytes());
    body.push(0);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ibapi_and_ib_async_ranges() {
        assert_eq!(parse_version(b"v213..226"), Ok(VersionRequest { min: 213, max: 226, options: String::new() }));
        let r = parse_version(b"v157..178 +PACEAPI").expect("parses");
        assert_eq!((r.min, r.max, r.options.as_str()), (157, 178, "+PACEAPI"));
        assert!(parse_version(b"hello").is_err());
        assert!(parse_version(b"v300..200").is_err());
    }

    #[test]
    fn chooses_226_for_ibapi_text_for_old_clients_and_refuses_the_gap() {
        let p = |s: &[u8]| choose_dialect(&parse_version(s).expect("parses"));
        assert_eq!(p(b"v213..226"), Ok(Dialect::Protobuf(226)));
        assert_eq!(p(b"v213..300"), Ok(Dialect::Protobuf(226)));
        assert_eq!(p(b"v157..178"), Ok(Dialect::Text(178)));
        assert_eq!(p(b"v157..176"), Ok(Dialect::Text(176)));
        assert_eq!(p(b"v100..200"), Ok(Dialect::Text(178)));
        assert_eq!(p(b"v100..212"), Err(HandshakeError::Unsupported(100, 212)));
        assert!(p(b"v200..205").is_err());
        assert!(p(b"v201..201").is_err());
    }

    #[test]
    fn reply_matches_documented_bytes() {
        let body = reply_body(226, "20260101 12:00:00 EST");
        assert_eq!(body.len(), 0x1a);
        assert_eq!(&body[..4], b"226\0");
    }
}
