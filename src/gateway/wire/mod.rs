//! The TWS API wire: framing, the handshake, the protobuf messages and the per-connection codecs
//! (protobuf for ibapi, text for classic clients).

pub mod codec;
pub mod frame;
pub mod handshake;
pub mod ids;
pub mod messages;
pub mod proto;
pub mod text;
