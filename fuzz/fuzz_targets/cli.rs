//! The command line: arbitrary bytes, cut at NULs into arguments (not
//! necessarily UTF-8). An error is one non-empty message, never a panic.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let args: Vec<OsString> = data.split(|&b| b == 0).map(|a| OsString::from_vec(a.to_vec())).collect();
    if let Err(e) = tern::cli::parse(args) {
        assert!(!tern::run::one_line(&e.0).is_empty());
    }
});
