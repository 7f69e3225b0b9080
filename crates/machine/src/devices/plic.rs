//! SiFive PLIC as configured on QEMU's `virt`: 96 sources, priorities 0..7,
//! two contexts for hart 0 (0 = M-mode -> MEIP, 1 = S-mode -> SEIP).
//! RISC-V PLIC specification 1.0.0, chapters 5-9 for the memory map.

use std::sync::{Arc, Mutex};

use cpu_riscv::{BusError, IrqLines};

use super::lock;
use crate::bus::{Device, IrqLine};

/// Sources 1..=NDEV (`riscv,ndev`, 0x60 in QEMU 7.2's virt DT); source 0 does not exist.
pub const NDEV: u32 = 0x60;
const WORDS: usize = (NDEV as usize + 1).div_ceil(32);
const MAX_PRIORITY: u32 = 7;
const CONTEXTS: usize = 2;
/// `mip` bit driven by each context.
const CONTEXT_MIP_BIT: [u8; CONTEXTS] = [11, 9];

/// Size of the PLIC's range on `virt` (room for QEMU's 512 harts x 2 contexts).
pub const PLIC_SIZE: u64 = 0x60_0000;

/// Register block offsets (PLIC spec 1.0.0, "Memory Map").
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlicReg {
    /// 4 bytes per source.
    Priority = 0x0,
    /// 1 bit per source.
    Pending = 0x1000,
    /// 0x80 bytes per context, 1 bit per source.
    Enable = 0x2000,
    /// 0x1000 bytes per context: threshold at +0, claim/complete at +4.
    Context = 0x20_0000,
}

const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT_STRIDE: u64 = 0x1000;

struct State {
    priority: [u32; NDEV as usize + 1],
    /// Current level of each source's line.
    level: [u32; WORDS],
    pending: [u32; WORDS],
    /// Claimed and not yet completed.
    claimed: [u32; WORDS],
    enable: [[u32; WORDS]; CONTEXTS],
    threshold: [u32; CONTEXTS],
    irq: IrqLines,
}

fn bit(src: u32) -> (usize, u32) {
    ((src / 32) as usize, 1 << (src % 32))
}

impl State {
    /// The highest-priority source pending, enabled and above the threshold
    /// for `ctx` (ties go to the lowest id), or 0.
    fn best(&self, ctx: usize) -> u32 {
        let mut best = 0;
        let mut best_prio = self.threshold[ctx];
        for src in 1..=NDEV {
            let (w, m) = bit(src);
            let ready = self.pending[w] & !self.claimed[w] & self.enable[ctx][w] & m != 0;
            if ready && self.priority[src as usize] > best_prio {
                best = src;
                best_prio = self.priority[src as usize];
            }
        }
        best
    }

    fn update(&self) {
        for (ctx, &mip_bit) in CONTEXT_MIP_BIT.iter().enumerate() {
            self.irq.set(mip_bit, self.best(ctx) != 0);
        }
    }

    fn set_level(&mut self, src: u32, level: bool) {
        let (w, m) = bit(src);
        if level {
            self.level[w] |= m;
            // The gateway forwards a request while the line is high (level
            // triggered); a claimed source is not requested again until complete.
            self.pending[w] |= m;
        } else {
            self.level[w] &= !m;
            self.pending[w] &= !m;
        }
        self.update();
    }

    fn claim(&mut self, ctx: usize) -> u32 {
        let src = self.best(ctx);
        if src != 0 {
            let (w, m) = bit(src);
            self.pending[w] &= !m;
            self.claimed[w] |= m;
        }
        self.update();
        src
    }

    fn complete(&mut self, ctx: usize, src: u32) {
        if src == 0 || src > NDEV {
            return;
        }
        let (w, m) = bit(src);
        // PLIC spec 9.2: a completion for a source not enabled for the context is ignored.
        if self.enable[ctx][w] & m == 0 {
            return;
        }
        self.claimed[w] &= !m;
        // A line still high asks again.
        if self.level[w] & m != 0 {
            self.pending[w] |= m;
        }
        self.update();
    }

    fn read32(&mut self, off: u64) -> u32 {
        let ctx_of = |base: PlicReg, stride: u64| {
            let i = (off - base as u64) / stride;
            (i < CONTEXTS as u64).then_some((i as usize, (off - base as u64) % stride))
        };
        if off >= PlicReg::Context as u64 {
            match ctx_of(PlicReg::Context, CONTEXT_STRIDE) {
                Some((ctx, 0)) => self.threshold[ctx],
                Some((ctx, 4)) => self.claim(ctx),
                _ => 0,
            }
        } else if off >= PlicReg::Enable as u64 {
            match ctx_of(PlicReg::Enable, ENABLE_STRIDE) {
                Some((ctx, r)) if ((r / 4) as usize) < WORDS => self.enable[ctx][(r / 4) as usize],
                _ => 0,
            }
        } else if off >= PlicReg::Pending as u64 {
            let w = ((off - PlicReg::Pending as u64) / 4) as usize;
            self.pending.get(w).copied().unwrap_or(0)
        } else {
            self.priority.get((off / 4) as usize).copied().unwrap_or(0)
        }
    }

    fn write32(&mut self, off: u64, val: u32) {
        let ctx_of = |base: PlicReg, stride: u64| {
            let i = (off - base as u64) / stride;
            (i < CONTEXTS as u64).then_some((i as usize, (off - base as u64) % stride))
        };
        if off >= PlicReg::Context as u64 {
            match ctx_of(PlicReg::Context, CONTEXT_STRIDE) {
                Some((ctx, 0)) => self.threshold[ctx] = val.min(MAX_PRIORITY),
                Some((ctx, 4)) => self.complete(ctx, val),
                _ => {}
            }
        } else if off >= PlicReg::Enable as u64 {
            if let Some((ctx, r)) = ctx_of(PlicReg::Enable, ENABLE_STRIDE) {
                let w = (r / 4) as usize;
                if w < WORDS {
                    // Source 0 does not exist; bits above NDEV are not wired.
                    let mut v = val;
                    if w == 0 {
                        v &= !1;
                    }
                    self.enable[ctx][w] = v;
                }
            }
        } else if off >= PlicReg::Pending as u64 {
            // Pending bits are read-only.
        } else {
            let src = (off / 4) as usize;
            if (1..=NDEV as usize).contains(&src) {
                self.priority[src] = val & MAX_PRIORITY;
            }
        }
        self.update();
    }
}

/// The PLIC's register interface; `line(src)` hands out source lines.
#[derive(Clone)]
pub struct Plic(Arc<Mutex<State>>);

impl Plic {
    pub fn new(irq: IrqLines) -> Plic {
        Plic(Arc::new(Mutex::new(State {
            priority: [0; NDEV as usize + 1],
            level: [0; WORDS],
            pending: [0; WORDS],
            claimed: [0; WORDS],
            enable: [[0; WORDS]; CONTEXTS],
            threshold: [0; CONTEXTS],
            irq,
        })))
    }

    /// The line of source `src` (1..=NDEV).
    pub fn line(&self, src: u32) -> PlicLine {
        assert!((1..=NDEV).contains(&src), "PLIC source {src} out of range");
        PlicLine { plic: self.0.clone(), src }
    }
}

impl Device for Plic {
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError> {
        let mut s = lock(&self.0);
        match size {
            4 if offset.is_multiple_of(4) => Ok(u64::from(s.read32(offset))),
            8 if offset.is_multiple_of(8) => {
                let lo = s.read32(offset);
                let hi = s.read32(offset + 4);
                Ok(u64::from(lo) | (u64::from(hi) << 32))
            }
            _ => Err(BusError::Denied),
        }
    }

    fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), BusError> {
        let mut s = lock(&self.0);
        match size {
            4 if offset.is_multiple_of(4) => s.write32(offset, val as u32),
            8 if offset.is_multiple_of(8) => {
                s.write32(offset, val as u32);
                s.write32(offset + 4, (val >> 32) as u32);
            }
            _ => return Err(BusError::Denied),
        }
        Ok(())
    }
}

/// One interrupt source's line into the PLIC.
pub struct PlicLine {
    plic: Arc<Mutex<State>>,
    src: u32,
}

impl IrqLine for PlicLine {
    fn set_level(&self, level: bool) {
        lock(&self.plic).set_level(self.src, level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEIP: u64 = 1 << 11;
    const SEIP: u64 = 1 << 9;
    const CLAIM0: u64 = PlicReg::Context as u64 + 4;
    const CLAIM1: u64 = PlicReg::Context as u64 + CONTEXT_STRIDE + 4;

    #[test]
    fn claim_complete_cycle() {
        let irq = IrqLines::new();
        let mut p = Plic::new(irq.clone());
        let uart = p.line(10);
        let other = p.line(33);
        p.write(4 * 10, 4, 1).unwrap();
        p.write(4 * 33, 4, 5).unwrap();
        assert_eq!(p.read(4 * 33, 4), Ok(5));
        uart.set_level(true);
        assert_eq!(p.read(PlicReg::Pending as u64, 4), Ok(1 << 10));
        assert_eq!(irq.pending(), 0, "not enabled yet");
        // Enable source 10 for context 0 (M) only.
        p.write(PlicReg::Enable as u64, 4, 1 << 10).unwrap();
        assert_eq!(irq.pending(), MEIP);
        // Source 33 enabled for S, higher priority.
        p.write(PlicReg::Enable as u64 + ENABLE_STRIDE + 4, 4, 1 << 1).unwrap();
        other.set_level(true);
        assert_eq!(irq.pending(), MEIP | SEIP);
        assert_eq!(p.read(CLAIM1, 4), Ok(33));
        assert_eq!(irq.pending(), MEIP, "claimed source no longer signals");
        assert_eq!(p.read(CLAIM1, 4), Ok(0), "nothing else for S");
        other.set_level(false);
        p.write(CLAIM1, 4, 33).unwrap();
        assert_eq!(irq.pending(), MEIP, "line went low before completion");
        // Level-triggered: completing while the line is still high re-requests.
        assert_eq!(p.read(CLAIM0, 4), Ok(10));
        assert_eq!(irq.pending(), 0);
        p.write(CLAIM0, 4, 10).unwrap();
        assert_eq!(irq.pending(), MEIP);
        // Threshold masks priority <= threshold.
        p.write(PlicReg::Context as u64, 4, 1).unwrap();
        assert_eq!(irq.pending(), 0);
        assert_eq!(p.read(CLAIM0, 4), Ok(0));
        p.write(PlicReg::Context as u64, 4, 0).unwrap();
        uart.set_level(false);
        assert_eq!(irq.pending(), 0);
        assert_eq!(p.read(PlicReg::Pending as u64, 4), Ok(0));
    }

    #[test]
    fn priority_order_and_ties() {
        let irq = IrqLines::new();
        let mut p = Plic::new(irq);
        for src in [3, 4, 5] {
            p.write(4 * src, 4, if src == 5 { 2 } else { 1 }).unwrap();
            p.line(src as u32).set_level(true);
        }
        p.write(PlicReg::Enable as u64, 4, 0b111000).unwrap();
        assert_eq!(p.read(CLAIM0, 4), Ok(5));
        assert_eq!(p.read(CLAIM0, 4), Ok(3), "tie goes to the lowest id");
        assert_eq!(p.read(CLAIM0, 4), Ok(4));
        assert_eq!(p.read(CLAIM0, 4), Ok(0));
    }

    #[test]
    fn odd_accesses_do_not_panic() {
        let mut p = Plic::new(IrqLines::new());
        p.write(0, 4, 7).unwrap();
        assert_eq!(p.read(0, 4), Ok(0), "source 0 has no priority");
        p.write(4 * 200, 4, 7).unwrap();
        assert_eq!(p.read(4 * 200, 4), Ok(0));
        assert_eq!(p.read(2, 4), Err(BusError::Denied));
        assert_eq!(p.read(0, 1), Err(BusError::Denied));
        p.write(PLIC_SIZE - 8, 8, u64::MAX).unwrap();
        assert_eq!(p.read(PLIC_SIZE - 4, 4), Ok(0));
        p.write(CLAIM0, 4, 0xffff_ffff).unwrap();
        p.write(PlicReg::Enable as u64 + 0x7c, 4, u64::MAX).unwrap();
        p.write(PlicReg::Enable as u64, 4, u64::MAX).unwrap();
        assert_eq!(p.read(PlicReg::Enable as u64, 4), Ok(0xffff_fffe));
    }
}
