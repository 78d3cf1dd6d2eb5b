//! The simulated IB Gateway: a loopback server that speaks the TWS API wire protocol.
