fn main() -> std::process::ExitCode {
    veche_api::cli::main()
}
