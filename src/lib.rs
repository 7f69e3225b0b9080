//! The `tern` binary's parts, as a library so that fuzz targets and tests can
//! reach them: the command line, the built-in QMP client, and the run loop
//! (machine thread, signals, exit statuses).

// Safe Rust only: unsafe code belongs in the crates that need it (jit, softfloat, cpu-riscv).
#![forbid(unsafe_code)]

pub mod cli;
pub mod monitor_command;
pub mod monitor_opts;
pub mod run;
