//! The one integration test crate: modules per area, all over real TCP against the simulated
//! gateway, with the real `ibapi` client underneath.

mod broker;
mod check;
mod gateway;
mod monitor;
mod orders;
mod pacing;
mod resilience;
mod session;
mod strategy;
mod support;
mod takeover;
mod tmux;
