//! `zaby`: the command-line client of a Zaby server (`crates/zaby-cli/README.md`). Every call goes through
//! the public API of the `zaby` crate.

mod cli;
mod client;
mod commands;
mod error;
mod output;

use clap::Parser;

fn main() {
    // clap prints usage errors itself and exits with 2.
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match runtime.block_on(commands::run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    // Dropping the runtime would wait for a blocked stdin read of an interrupted chat.
    runtime.shutdown_background();
    std::process::exit(code);
}
