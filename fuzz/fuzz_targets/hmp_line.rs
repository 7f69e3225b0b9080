//! The human monitor: arbitrary text, one command per line (`x/FMT`, `info`,
//! `gva2gpa`, quoted strings...), against a live (paused) machine. Output is
//! whole lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tern_fuzz::{ctx, hmp_allowed};

fuzz_target!(|data: &[u8]| {
    let ctx = ctx();
    let text = String::from_utf8_lossy(data);
    let mut hmp = qmp::hmp::Hmp::default();
    for line in text.split('\n').filter(|l| hmp_allowed(l)) {
        let out = hmp.run(ctx, line);
        assert!(out.is_empty() || out.ends_with('\n'), "{line:?} printed {out:?}");
        ctx.hub.pump();
    }
});
