fn main() -> std::process::ExitCode {
    zaby_server::main()
}
