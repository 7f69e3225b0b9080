//! The QMP reader and session: arbitrary bytes, cut at each NUL, with a valid
//! command fed after every piece. Every message that comes out is run through
//! a session against a live (paused) machine; every reply must be well-formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tern_fuzz::{allowed, check_reply, ctx};

const VALID: &[&[u8]] = &[
    b"{\"execute\":\"qmp_capabilities\"}",
    b"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
    b"{\"execute\":\"query-status\",\"id\":1}",
    b"{\"execute\":\"x-query-registers\"}",
    b"{\"exec-oob\":\"query-yank\",\"id\":\"o\"}",
    b"{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"x /4i $pc\"}}",
    b"{\"execute\":\"cont\"}",
    b"{\"execute\":\"stop\"}",
    b"{\"execute\":\"x-query-gva2gpa\",\"arguments\":{\"addr\":2147483648}}",
    b"\n",
];

fuzz_target!(|data: &[u8]| {
    let ctx = ctx();
    let mut streamer = qmp::json::Streamer::new();
    let mut session = qmp::session::Session::new();
    let mut msgs = Vec::new();
    for piece in data.split(|&b| b == 0) {
        streamer.feed(piece, &mut msgs);
        streamer.feed(VALID[piece.len() % VALID.len()], &mut msgs);
        for m in msgs.drain(..) {
            if allowed(&m) {
                check_reply(&session.handle(ctx, m));
            }
            // Nobody listens to events here: drop them as the monitor would send them.
            ctx.hub.pump();
        }
    }
});
