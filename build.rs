//! Link the robo-tui binary as a position-dependent executable: a PIE of this size carries
//! about 60 000 dynamic relocations that the loader applies on every start (~1 ms, measured
//! in benches/vs_ib_async.sh); a non-PIE binary needs none of them.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
