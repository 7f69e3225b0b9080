//! The translation statistics report: the text of QEMU's `info jit` /
//! `x-query-jit` (7.2, `dump_exec_info` in accel/tcg/translate-all.c), which
//! the monitor shows and `-d jit` prints at exit. Its "Translation buffer
//! state" counts the blocks now in the code buffer (since the last flush),
//! as QEMU's counts the TBs in its region trees; the "Statistics" lines
//! count over the whole run. QEMU's hash-table and TLB-flush lines have no
//! counterpart; Tern's own lines (translation time and rate, interpreted
//! blocks, chained jumps) stand where QEMU's profiler would print, in its
//! style.

use std::fmt::Write;

use crate::Jit;

/// The blocks in the code buffer (reset by a flush).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BufferTbs {
    pub blocks: u64,
    pub guest_bytes: u64,
    pub host_bytes: u64,
    pub max_guest_bytes: u64,
    /// Blocks whose guest code spans two pages.
    pub cross_page: u64,
    /// Blocks with at least one direct (chainable) jump, and with two.
    pub jumps: u64,
    pub jumps2: u64,
}

impl BufferTbs {
    /// Count a block of `guest` bytes at physical `pa`, `host` bytes of code
    /// and `slots` chain slots.
    pub(crate) fn add(&mut self, pa: u64, guest: u64, host: u64, slots: usize) {
        self.blocks += 1;
        self.guest_bytes += guest;
        self.host_bytes += host;
        self.max_guest_bytes = self.max_guest_bytes.max(guest);
        self.cross_page += u64::from(pa >> 12 != (pa + guest.max(1) - 1) >> 12);
        self.jumps += u64::from(slots >= 1);
        self.jumps2 += u64::from(slots >= 2);
    }
}

/// `part * 100 / whole`, 0 for an empty whole (QEMU's integer percentages).
fn pct(part: u64, whole: u64) -> u64 {
    (part * 100).checked_div(whole).unwrap_or(0)
}

/// The report for `jit`.
pub(crate) fn report(jit: &Jit) -> String {
    let b = &jit.tbs;
    let s = &jit.stats;
    let (used, cap) = jit.code_usage();
    let mut t = String::from("Translation buffer state:\n");
    let _ = writeln!(t, "gen code size       {used}/{cap}");
    let _ = writeln!(t, "TB count            {}", b.blocks);
    let _ = writeln!(
        t,
        "TB avg target size  {} max={} bytes",
        b.guest_bytes.checked_div(b.blocks).unwrap_or(0),
        b.max_guest_bytes
    );
    let ratio = if b.guest_bytes == 0 { 0.0 } else { b.host_bytes as f64 / b.guest_bytes as f64 };
    let _ = writeln!(
        t,
        "TB avg host size    {} bytes (expansion ratio: {ratio:.1})",
        b.host_bytes.checked_div(b.blocks).unwrap_or(0)
    );
    let _ = writeln!(t, "cross page TB count {} ({}%)", b.cross_page, pct(b.cross_page, b.blocks));
    let _ = writeln!(
        t,
        "direct jump count   {} ({}%) (2 jumps={} {}%)",
        b.jumps,
        pct(b.jumps, b.blocks),
        b.jumps2,
        pct(b.jumps2, b.blocks)
    );
    t.push_str("\nStatistics:\n");
    let _ = writeln!(t, "TB flush count      {}", s.buffer_flushes);
    let _ = writeln!(t, "TB invalidate count {}", s.invalidated);
    let avg_insns = if s.translated == 0 { 0.0 } else { s.guest_insns as f64 / s.translated as f64 };
    let _ = writeln!(t, "translated TBs      {} (interpreted blocks={})", s.translated, s.interpreted);
    let _ = writeln!(t, "avg guest insns/TB  {avg_insns:.1} max={}", s.max_block_insns);
    let _ = writeln!(t, "chained jumps       {}", s.chained);
    let _ = writeln!(t, "branches as selects {}", s.selects);
    let _ = writeln!(t, "loops going round   {}", s.self_loops);
    let _ = writeln!(t, "loops left unextended {} (entered unextended {})", s.round_loops, s.round_unextended);
    let _ = writeln!(t, "side exits threaded {}", s.threaded);
    let _ = writeln!(t, "loops pinned apart {}", s.loop_pinned);
    let _ = writeln!(t, "loops checked at entry {} ({} base registers)", s.hoisting_loops, s.hoisted_bases);
    let pinned: Vec<&str> =
        jit.pinning().guest().iter().map(|&g| cpu_riscv::hart::XREG_NAMES[usize::from(g)]).collect();
    let _ = writeln!(t, "pinned registers    {} (changed {} times)", pinned.join(" "), s.repinned);
    let on = if s.store_guard { "on" } else { "off" };
    let _ = writeln!(t, "store guard         {on} ({} faults to slow paths)", s.guard_faults);
    let secs = s.translate_ns as f64 / 1e9;
    let _ = writeln!(
        t,
        "translation time    {:.3} ms ({} ns/TB)",
        secs * 1e3,
        s.translate_ns.checked_div(s.translated).unwrap_or(0)
    );
    let rate = if s.translate_ns == 0 { 0.0 } else { s.guest_insns as f64 / secs };
    let _ = writeln!(t, "translation rate    {rate:.0} guest insns/s");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_counts_follow_qemus_definitions() {
        let mut b = BufferTbs::default();
        b.add(0x8000_0000, 12, 100, 0);
        b.add(0x8000_0ffc, 8, 60, 2); // its last 4 bytes are in the next page
        b.add(0x8000_2000, 4, 40, 1);
        assert_eq!((b.blocks, b.guest_bytes, b.host_bytes, b.max_guest_bytes), (3, 24, 200, 12));
        assert_eq!((b.cross_page, b.jumps, b.jumps2), (1, 2, 1));
        b.add(0x8000_0ff8, 8, 60, 0); // ends at the page's last byte
        assert_eq!(b.cross_page, 1);
        assert_eq!((pct(1, 3), pct(2, 3), pct(5, 0)), (33, 66, 0));
    }

    #[test]
    fn a_fresh_jit_reports_an_empty_buffer() {
        let jit = Jit::with_code_size(1 << 20).unwrap();
        let r = report(&jit);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], "Translation buffer state:");
        // The buffer's capacity for blocks: all but the prologue
        // (trampoline, helper thunk), as QEMU's.
        let cap = jit.code_usage().1;
        assert!(cap < 1 << 20 && cap > (1 << 20) - 1024, "{cap}");
        assert_eq!(lines[1], format!("gen code size       0/{cap}"));
        assert_eq!(lines[2], "TB count            0");
        assert_eq!(lines[3], "TB avg target size  0 max=0 bytes");
        assert_eq!(lines[4], "TB avg host size    0 bytes (expansion ratio: 0.0)");
        assert_eq!(lines[5], "cross page TB count 0 (0%)");
        assert_eq!(lines[6], "direct jump count   0 (0%) (2 jumps=0 0%)");
        assert_eq!(&lines[7..10], ["", "Statistics:", "TB flush count      0"]);
        assert!(r.contains("translation rate    0 guest insns/s\n"), "{r}");
        assert!(r.contains("\nbranches as selects 0\n"), "{r}");
        assert!(r.contains("\npinned registers    sp a0 a5 ra a1 a2 a3 a4 s0 (changed 0 times)\n"), "{r}");
    }
}
