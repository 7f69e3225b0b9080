//! SiFive CLINT (core-local interruptor) for one hart: `msip`, `mtimecmp`,
//! `mtime`, as on QEMU's `virt` and `spike` (SiFive FU540 manual, ch. 9).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cpu_riscv::{BusError, Clock, IrqLines};

use super::{reg_merge, reg_slice};
use crate::bus::Device;

/// Size of the CLINT's address range.
pub const CLINT_SIZE: u64 = 0x10000;

/// Register offsets (hart 0).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClintReg {
    Msip = 0x0,
    Mtimecmp = 0x4000,
    Mtime = 0xbff8,
}

const MIP_MSIP: u8 = 3;
const MIP_MTIP: u8 = 7;

pub struct Clint {
    clock: Arc<Clock>,
    irq: IrqLines,
    msip: bool,
    /// Shared so the run loop can sleep until the next deadline.
    mtimecmp: Arc<AtomicU64>,
}

impl Clint {
    pub fn new(clock: Arc<Clock>, irq: IrqLines) -> Clint {
        // The privileged spec leaves mtimecmp's reset value open; QEMU's
        // and Spike's CLINTs reset it to 0, so MTIP is pending out of reset
        // until software writes it, and a guest that enables the timer
        // interrupt first takes it at once there. Do as they do.
        let c = Clint { clock, irq, msip: false, mtimecmp: Arc::new(AtomicU64::new(0)) };
        c.update_timer();
        c
    }

    /// The `mtimecmp` value, for the run loop's idle sleep.
    pub fn deadline(&self) -> Arc<AtomicU64> {
        self.mtimecmp.clone()
    }

    fn update_timer(&self) {
        // MTIP is the level mtime >= mtimecmp (Privileged spec 3.2.1).
        let pending = self.clock.mtime() >= self.mtimecmp.load(Ordering::Relaxed);
        self.irq.set(MIP_MTIP, pending);
    }

    /// Which register holds `[offset, offset + size)`, and its base.
    fn decode(offset: u64, size: u8) -> Option<(ClintReg, u64)> {
        let end = offset + u64::from(size);
        let within = |reg: ClintReg, width: u64| {
            let base = reg as u64;
            (offset >= base && end <= base + width).then_some((reg, base))
        };
        within(ClintReg::Msip, 4).or_else(|| within(ClintReg::Mtimecmp, 8)).or_else(|| within(ClintReg::Mtime, 8))
    }
}

impl Device for Clint {
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError> {
        let Some((reg, base)) = Self::decode(offset, size) else {
            // Other harts' registers and holes read as zero, as in QEMU.
            return Ok(0);
        };
        let val = match reg {
            ClintReg::Msip => u64::from(self.msip),
            ClintReg::Mtimecmp => self.mtimecmp.load(Ordering::Relaxed),
            ClintReg::Mtime => self.clock.mtime(),
        };
        Ok(reg_slice(val, offset - base, size))
    }

    fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), BusError> {
        let Some((reg, base)) = Self::decode(offset, size) else {
            return Ok(());
        };
        let off = offset - base;
        match reg {
            ClintReg::Msip => {
                // Only bit 0 is writable.
                if off == 0 {
                    self.msip = val & 1 != 0;
                    self.irq.set(MIP_MSIP, self.msip);
                }
            }
            ClintReg::Mtimecmp => {
                let old = self.mtimecmp.load(Ordering::Relaxed);
                self.mtimecmp.store(reg_merge(old, off, size, val), Ordering::Relaxed);
                self.update_timer();
                // The run loop's next poll moves with the deadline.
                self.irq.kick();
            }
            ClintReg::Mtime => {
                let old = self.clock.mtime();
                self.clock.set_mtime(reg_merge(old, off, size, val));
                self.update_timer();
                self.irq.kick();
            }
        }
        Ok(())
    }

    fn poll(&mut self) {
        self.update_timer();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clint() -> (Clint, IrqLines, Arc<Clock>) {
        let irq = IrqLines::new();
        let clock = Clock::new();
        (Clint::new(clock.clone(), irq.clone()), irq, clock)
    }

    #[test]
    fn msip_drives_bit3() {
        let (mut c, irq, _) = clint();
        c.write(ClintReg::Mtimecmp as u64, 8, u64::MAX).unwrap(); // MTIP out of the way
        c.write(ClintReg::Msip as u64, 4, 0xffff_ffff).unwrap();
        assert_eq!(irq.pending(), 1 << 3);
        assert_eq!(c.read(0, 4), Ok(1));
        c.write(0, 4, 0).unwrap();
        assert_eq!(irq.pending(), 0);
        assert_eq!(c.read(4, 4), Ok(0), "hart 1's msip does not exist");
    }

    #[test]
    fn timer_level_follows_mtimecmp() {
        let (mut c, irq, clock) = clint();
        assert_eq!(irq.pending(), 1 << 7, "mtimecmp is 0 out of reset, as in QEMU: MTIP pending");
        c.write(ClintReg::Mtime as u64, 8, 1_000_000).unwrap();
        let now = c.read(ClintReg::Mtime as u64, 8).unwrap();
        assert!((1_000_000..1_000_000 + 10_000_000).contains(&now));
        // A deadline far ahead: no interrupt.
        c.write(ClintReg::Mtimecmp as u64, 8, 1 << 40).unwrap();
        assert_eq!(irq.pending(), 0);
        // Written as two 32-bit halves, the deadline passes: MTIP rises.
        c.write(0x4004, 4, 0).unwrap();
        c.write(0x4000, 4, 5).unwrap();
        assert_eq!(c.read(0x4000, 8), Ok(5));
        assert_eq!(irq.pending(), 1 << 7);
        // Moving the deadline ahead lowers it again.
        c.write(0x4000, 8, clock.mtime() + 1_000_000_000).unwrap();
        assert_eq!(irq.pending(), 0);
        // And time reaching it (mtime written forward) raises it on poll.
        // (Far from a carry into the high word, so the two reads below agree.)
        clock.set_mtime(clock.mtime() + (1 << 40));
        c.poll();
        assert_eq!(irq.pending(), 1 << 7);
        assert_eq!(c.read(0xbffc, 4), Ok(clock.mtime() >> 32));
    }

    #[test]
    fn writing_the_deadline_or_the_time_kicks_the_hart() {
        use std::sync::atomic::AtomicBool;
        let (mut c, irq, clock) = clint();
        let flag = Arc::new(AtomicBool::new(false));
        irq.kick_on_raise(flag.clone());
        let kicked = || flag.swap(false, Ordering::AcqRel);
        // A deadline far ahead: no line rises, but the run loop must look
        // again at when to poll.
        c.write(ClintReg::Mtimecmp as u64, 8, clock.mtime() + (1 << 40)).unwrap();
        assert_eq!(irq.pending(), 0);
        assert!(kicked());
        c.write(ClintReg::Mtime as u64, 8, 1234).unwrap();
        assert!(kicked());
        // Neither msip nor reads do.
        c.write(ClintReg::Msip as u64, 4, 0).unwrap();
        c.read(ClintReg::Mtimecmp as u64, 8).unwrap();
        assert!(!kicked());
    }
}
