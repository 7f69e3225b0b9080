//! `tern`: a RISC-V RV64GC system emulator with a QEMU-compatible command line.
//! This binary is a thin layer: parse the options, build the machine, run it.

mod cli;
mod run;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    env_logger::init();
    let status = match cli::parse(std::env::args_os().skip(1)) {
        Ok(cli::Action::Print(text)) => {
            print!("{text}");
            0
        }
        Ok(cli::Action::Run(opts)) => match run::run(opts) {
            Ok(code) => code,
            Err(msg) => {
                eprintln!("tern: {}", run::one_line(&msg));
                run::EXIT_ERROR
            }
        },
        Err(e) => {
            eprintln!("tern: {}", run::one_line(&e.0));
            run::EXIT_ERROR
        }
    };
    let _ = std::io::stdout().flush();
    ExitCode::from(status)
}
