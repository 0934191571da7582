//! The `veche` binary's exact entry point, built inside this package so that the multi-node
//! tests get it through `CARGO_BIN_EXE_veche-node`, compiled with the same features as the
//! tests (building the api package's own binary from a test would rebuild dependencies with
//! another feature set).
fn main() -> std::process::ExitCode {
    api::cli::main()
}
