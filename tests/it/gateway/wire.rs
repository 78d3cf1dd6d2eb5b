//! Raw-socket checks of the wire: bad frames, unknown requests, other dialects, and a fuzz
//! test of the frame and message decoder over random bytes.

use std::time::Duration;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use prost::Message;
use robo_tui::gateway::wire::codec::Codec;
use robo_tui::gateway::wire::frame::{FrameDecoder, MAX_CLIENT_FRAME};
use robo_tui::gateway::wire::messages as m;
use robo_tui::gateway::wire::proto::ProtoCodec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{connect, start, within};

/// `[len][body]`.
pub(super) fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn proto(id: i32, msg: &impl Message) -> Vec<u8> {
    let mut body = (id + 200).to_be_bytes().to_vec();
    msg.encode(&mut body).expect("encodes");
    frame(&body)
}

/// One frame body, `None` once the connection is closed.
pub(super) async fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).await.ok()?;
    Some(body)
}

fn msg_id(body: &[u8]) -> i32 {
    i32::from_be_bytes([body[0], body[1], body[2], body[3]]) - 200
}

/// A raw protobuf client past the handshake (ManagedAccounts and the farm notices received).
async fn raw_client(addr: std::net::SocketAddr, client_id: i32) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(b"API\0").await.expect("prefix");
    s.write_all(&frame(b"v213..226")).await.expect("version");
    let reply = within("handshake reply", read_frame(&mut s)).await.expect("reply");
    assert!(reply.starts_with(b"226\0"), "{reply:?}");
    s.write_all(&proto(71, &m::StartApiRequest { client_id: Some(client_id), optional_capabilities: None }))
        .await
        .expect("start");
    loop {
        let body = within("startup frame", read_frame(&mut s)).await.expect("frame");
        if msg_id(&body) == 4 && m::ErrorMessage::decode(&body[4..]).ok().and_then(|e| e.error_code) == Some(2158) {
            return s;
        }
    }
}

/// Reads frames until one with message id `id` arrives.
async fn expect_msg(s: &mut TcpStream, id: i32) -> Vec<u8> {
    loop {
        let body = within("frame", read_frame(s)).await.expect("connection open");
        if msg_id(&body) == id {
            return body[4..].to_vec();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frame_closes_only_that_connection() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let mut raw = raw_client(gw.local_addr(), 2).await;
    raw.write_all(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]).await.expect("write");
    let mut rest = Vec::new();
    let closed = within("close", raw.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "connection closed after a bad length");
    assert!(within("other client fine", client.server_time()).await.is_ok());
    let _again = raw_client(gw.local_addr(), 2).await;
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_undecodable_requests_get_errors_not_crashes() {
    let gw = start().await;
    let mut raw = raw_client(gw.local_addr(), 3).await;
    // An id the gateway does not serve, carrying a request id.
    raw.write_all(&proto(150, &m::CancelByReqId { req_id: Some(77) })).await.expect("write");
    let err = m::ErrorMessage::decode(expect_msg(&mut raw, 4).await.as_slice()).expect("error decodes");
    assert_eq!((err.id, err.error_code), (Some(77), Some(321)));
    // A known id whose body is not valid protobuf.
    raw.write_all(&frame(&[0, 0, 1, 6, 0x12, 0xff])).await.expect("write");
    let err = m::ErrorMessage::decode(expect_msg(&mut raw, 4).await.as_slice()).expect("error decodes");
    assert_eq!(err.error_code, Some(321));
    // The connection still answers.
    raw.write_all(&proto(49, &m::Empty {})).await.expect("write");
    let t = m::CurrentTime::decode(expect_msg(&mut raw, 49).await.as_slice()).expect("time");
    assert!(t.current_time.unwrap_or(0) > 1_700_000_000);
    // Through ibapi: an unsupported request fails, the client stays usable.
    let client = connect(&gw, 4).await;
    assert!(within("scanner parameters", client.scanner_parameters()).await.is_err());
    // ibapi also fails shared one-shots that were waiting when a global error arrived, so a
    // stale failure may come first; the connection itself stays usable.
    let mut ok = false;
    for _ in 0..3 {
        if within("still works", client.managed_accounts()).await.is_ok() {
            ok = true;
            break;
        }
    }
    assert!(ok, "client usable after the unsupported request");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_dialects_are_closed_cleanly() {
    let gw = start().await;
    // v157..178 is the text dialect (text.rs); 201-212 is the partial protobuf nobody serves.
    for version in [&b"v201..205"[..], b"v201..212", b"v157..205", b"hello"] {
        let mut s = TcpStream::connect(gw.local_addr()).await.expect("connects");
        s.write_all(b"API\0").await.expect("prefix");
        s.write_all(&frame(version)).await.expect("version");
        let mut rest = Vec::new();
        within("closed", s.read_to_end(&mut rest)).await.expect("read");
        assert!(rest.is_empty(), "no reply for {:?}", String::from_utf8_lossy(version));
    }
    let _ok = connect(&gw, 1).await;
    gw.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No input makes the frame decoder or the message decoder panic, and no frame exceeds
    /// the bound however the bytes are chunked.
    #[test]
    fn decoder_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048), split in 1usize..64) {
        let mut dec = FrameDecoder::new(4);
        let codec = ProtoCodec;
        'outer: for chunk in bytes.chunks(split) {
            dec.extend(chunk);
            loop {
                match dec.next_frame() {
                    Ok(Some(f)) => {
                        prop_assert!(f.len() <= MAX_CLIENT_FRAME);
                        let _ = codec.decode(&f);
                    }
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
        }
        let _ = codec.decode(&bytes);
    }

    /// Valid frames with random protobuf bodies for every message id decode or fail cleanly.
    #[test]
    fn random_bodies_for_every_id(id in 0i32..400, body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut frame = (id + 200).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        let _ = ProtoCodec.decode(&frame);
    }
}

#[test]
fn random_bytes_after_the_handshake_never_take_the_gateway_down() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let gw = start().await;
        let mut runner =
            proptest::test_runner::TestRunner::new(ProptestConfig { cases: 24, ..ProptestConfig::default() });
        let strategy = proptest::collection::vec(any::<u8>(), 1..512);
        for case in 0..24 {
            let bytes = strategy.new_tree(&mut runner).expect("value").current();
            let mut raw = raw_client(gw.local_addr(), 100 + case).await;
            let _ = raw.write_all(&bytes).await;
            drop(raw);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let client = connect(&gw, 1).await;
        assert!(within("alive", client.server_time()).await.is_ok());
        gw.shutdown().await;
    });
}

fn contract(symbol: &str) -> Option<m::Contract> {
    Some(m::Contract {
        symbol: Some(symbol.into()),
        sec_type: Some("STK".into()),
        exchange: Some("SMART".into()),
        currency: Some("USD".into()),
        ..Default::default()
    })
}

fn req_id_of(body: &[u8]) -> Option<i32> {
    m::CancelByReqId::decode(&body[4..]).ok().and_then(|c| c.req_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_stop_their_subscriptions() {
    let mut config = robo_tui::gateway::GatewayConfig::embedded(0);
    config.speed = 50.0;
    let gw = super::start_with(config).await;
    let mut raw = raw_client(gw.local_addr(), 5).await;
    let acct = Some("DU1234567".to_string());
    let mut out = Vec::new();
    out.extend(proto(1, &m::MarketDataRequest { req_id: Some(11), contract: contract("AAPL"), ..Default::default() }));
    out.extend(proto(
        50,
        &m::RealTimeBarsRequest {
            req_id: Some(12),
            contract: contract("AAPL"),
            what_to_show: Some("TRADES".into()),
            ..Default::default()
        },
    ));
    out.extend(proto(
        97,
        &m::TickByTickRequest {
            req_id: Some(13),
            contract: contract("AAPL"),
            tick_type: Some("BidAsk".into()),
            ..Default::default()
        },
    ));
    out.extend(proto(
        62,
        &m::AccountSummaryRequest {
            req_id: Some(14),
            group: Some("All".into()),
            tags: Some("NetLiquidation,TotalCashValue".into()),
        },
    ));
    out.extend(proto(61, &m::Empty {}));
    out.extend(proto(92, &m::PnLRequest { req_id: Some(15), account: acct.clone(), model_code: None }));
    out.extend(proto(
        94,
        &m::PnLSingleRequest { req_id: Some(16), account: acct, model_code: None, con_id: Some(265598) },
    ));
    raw.write_all(&out).await.expect("requests");
    let mut seen = std::collections::HashSet::new();
    let mut position_end = false;
    while !(position_end && (11..=16).all(|id| seen.contains(&id))) {
        let body = within("subscription data", read_frame(&mut raw)).await.expect("open");
        match msg_id(&body) {
            62 => position_end = true,
            61 => {}
            _ => {
                if let Some(id) = req_id_of(&body) {
                    seen.insert(id);
                }
            }
        }
    }
    let mut cancels = Vec::new();
    cancels.extend(proto(2, &m::CancelByReqId { req_id: Some(11) }));
    cancels.extend(proto(51, &m::CancelByReqId { req_id: Some(12) }));
    cancels.extend(proto(98, &m::CancelByReqId { req_id: Some(13) }));
    cancels.extend(proto(63, &m::CancelByReqId { req_id: Some(14) }));
    cancels.extend(proto(64, &m::Empty {}));
    cancels.extend(proto(93, &m::CancelByReqId { req_id: Some(15) }));
    cancels.extend(proto(95, &m::CancelByReqId { req_id: Some(16) }));
    cancels.extend(proto(49, &m::Empty {}));
    raw.write_all(&cancels).await.expect("cancels");
    expect_msg(&mut raw, 49).await;
    // A trade changes the account; no pushes may reach the cancelled subscriptions.
    let client = connect(&gw, 6).await;
    let order = ibapi::orders::Order {
        action: ibapi::orders::Action::Buy,
        total_quantity: 10.0,
        order_type: "MKT".into(),
        transmit: true,
        ..Default::default()
    };
    super::orders::place_raw_checked(&client, "AAPL", &order).await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(600);
    while let Ok(Some(body)) = tokio::time::timeout_at(deadline, read_frame(&mut raw)).await {
        let id = msg_id(&body);
        assert_ne!(id, 61, "position pushed after CancelPositions");
        if let Some(r) = req_id_of(&body) {
            assert!(!(11..=16).contains(&r), "message {id} for cancelled request {r}");
        }
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_of_unserved_requests_get_no_reply_and_millis_time_works() {
    let gw = start().await;
    let mut raw = raw_client(gw.local_addr(), 8).await;
    let mut out = Vec::new();
    for id in [11, 13, 23, 53, 89, 106, 107] {
        out.extend(proto(id, &m::CancelByReqId { req_id: Some(5) }));
    }
    out.extend(proto(49, &m::Empty {}));
    raw.write_all(&out).await.expect("write");
    let first = within("reply", read_frame(&mut raw)).await.expect("open");
    assert_eq!(msg_id(&first), 49, "the first reply is the time: cancels are silent");
    let client = connect(&gw, 9).await;
    let t = within("millis", client.server_time_millis()).await.expect("millis");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    assert!((t.unix_timestamp() - now).abs() <= 5);
    gw.shutdown().await;
}
