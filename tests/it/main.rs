//! The one integration test crate: modules per area, all over real TCP.

mod gateway;
