//! The `tern` binary's parts, as a library so that fuzz targets and tests can
//! reach them: the command line, the built-in QMP client, and the run loop
//! (machine thread, signals, exit statuses).

pub mod cli;
pub mod monitor_command;
pub mod monitor_opts;
pub mod run;
