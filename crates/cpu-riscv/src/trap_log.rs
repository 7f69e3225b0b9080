//! The most recent traps taken, for the monitor's `x-query-traps`: when a
//! bare-metal guest ends up somewhere unexpected, the chain of traps that
//! led there (cause, where, what, from which mode) is usually the answer.

use std::fmt::Write;

use crate::hart::Priv;
use crate::trap::{EXCEPTION_NAMES, INTERRUPT_NAMES};

/// Traps kept.
pub const TRAP_LOG_LEN: usize = 32;

/// One trap entry (Privileged spec 3.1.6.1 / 4.1.1: what lands in xcause,
/// xepc and xtval).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapRecord {
    pub interrupt: bool,
    /// The exception or interrupt code (xcause without its interrupt bit).
    pub code: u64,
    pub epc: u64,
    pub tval: u64,
    pub from: Priv,
    pub to: Priv,
    /// `instret` when it was taken.
    pub instret: u64,
}

/// A ring of the last `TRAP_LOG_LEN` traps, and how many there were in all.
#[derive(Debug, Clone, Default)]
pub struct TrapLog {
    ring: Vec<TrapRecord>,
    total: u64,
}

impl TrapLog {
    pub fn push(&mut self, r: TrapRecord) {
        let i = (self.total % TRAP_LOG_LEN as u64) as usize;
        if self.ring.len() < TRAP_LOG_LEN {
            self.ring.push(r);
        } else {
            self.ring[i] = r;
        }
        self.total += 1;
    }

    /// Traps taken since the last `clear`.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The kept traps, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &TrapRecord> {
        let start = if self.ring.len() < TRAP_LOG_LEN { 0 } else { (self.total % TRAP_LOG_LEN as u64) as usize };
        self.ring[start..].iter().chain(&self.ring[..start])
    }

    pub fn clear(&mut self) {
        *self = TrapLog::default();
    }

    /// The monitor's text: one line per trap, oldest first, numbered from
    /// the first trap since reset.
    pub fn text(&self) -> String {
        if self.total == 0 {
            return "No traps taken since reset\n".into();
        }
        let kept = self.ring.len() as u64;
        let mut s = format!("Last {kept} of {} traps, oldest first:\n", self.total);
        for (n, r) in (self.total - kept + 1..).zip(self.records()) {
            let (kind, names): (_, &[&str]) =
                if r.interrupt { ("interrupt", &INTERRUPT_NAMES) } else { ("exception", &EXCEPTION_NAMES) };
            let name = names.get(r.code as usize).copied().unwrap_or("reserved");
            let _ = writeln!(
                s,
                "#{n:<5} instret={:<12} {:?}->{:?} {kind} {} ({name}) epc={:016x} tval={:016x}",
                r.instret, r.from, r.to, r.code, r.epc, r.tval
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u64) -> TrapRecord {
        TrapRecord { interrupt: false, code: 2, epc: n, tval: 0, from: Priv::U, to: Priv::M, instret: n }
    }

    #[test]
    fn keeps_the_last_ones_oldest_first() {
        let mut l = TrapLog::default();
        assert_eq!(l.text(), "No traps taken since reset\n");
        for n in 0..40 {
            l.push(rec(n));
        }
        let epcs: Vec<u64> = l.records().map(|r| r.epc).collect();
        assert_eq!(epcs, (8..40).collect::<Vec<_>>());
        let t = l.text();
        assert!(t.starts_with("Last 32 of 40 traps, oldest first:\n#9     instret=8 "), "{t}");
        assert!(t.contains("U->M exception 2 (illegal_instruction) epc=0000000000000027 "), "{t}");
        l.clear();
        assert_eq!(l.total(), 0);
    }
}
