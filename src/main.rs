//! `tern`: a RISC-V RV64GC system emulator with a QEMU-compatible command line.
//! This binary is a thin layer: parse the options, build the machine, run it.

// Safe Rust only: unsafe code belongs in the crates that need it (jit, softfloat, cpu-riscv).
#![forbid(unsafe_code)]

use tern::{cli, monitor_command, run};

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    cpu_riscv::bus::one_malloc_arena();
    env_logger::init();
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    if args.first().map(String::as_str) == Some("monitor-command") {
        return ExitCode::from(monitor_command::main(&args[1..]));
    }
    let status = match cli::parse(std::env::args_os().skip(1)) {
        Ok(cli::Action::Print(text)) => {
            // Not print!: it panics when stdout is full or a closed pipe.
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        Ok(cli::Action::Run(opts)) => match run::run(*opts) {
            Ok(code) => code,
            Err(msg) => error(&msg),
        },
        Err(e) => error(&e.0),
    };
    let _ = std::io::stdout().flush();
    ExitCode::from(status)
}

/// Print `tern: <message>` as one line on stderr (ignoring write errors) and give the status.
fn error(msg: &str) -> u8 {
    let _ = writeln!(std::io::stderr(), "tern: {}", run::one_line(msg));
    run::EXIT_ERROR
}
