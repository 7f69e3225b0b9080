//! What the hart sees of the machine: RAM (owned here so the interpreter and
//! the JIT reach it directly), a `Bus` for everything else, interrupt lines
//! driven by devices, and the timebase behind `time`/`mtime`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Why a device access failed; the hart turns it into an access fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusError {
    /// Nothing is mapped at the address.
    Unmapped,
    /// A device is there but refuses this access (size, offset or direction).
    Denied,
}

/// Device (MMIO) accesses by physical address. Sizes are 1, 2, 4 or 8 and the
/// access never crosses a device boundary (the hart splits misaligned ones).
pub trait Bus: Send {
    fn read(&mut self, addr: u64, size: u8) -> Result<u64, BusError>;
    fn write(&mut self, addr: u64, size: u8, val: u64) -> Result<(), BusError>;
    /// Whether any device overlaps `[addr, addr + len)`. Such RAM must take the
    /// slow path (devices overlay RAM, as HTIF's `tohost` does on `spike`).
    fn overlaps(&self, addr: u64, len: u64) -> bool;
    /// Let devices advance (timers, console input) and update interrupt lines.
    /// The run loop calls it between slices of guest execution.
    fn poll(&mut self) {}
}

/// Guest RAM: one zero-initialised block at a physical base address.
pub struct Ram {
    base: u64,
    mem: Box<[u8]>,
}

impl Ram {
    /// `size` bytes at `base`. Large sizes are cheap: the zeroed pages are only
    /// touched when the guest uses them.
    pub fn new(base: u64, size: usize) -> Ram {
        Ram { base, mem: vec![0u8; size].into_boxed_slice() }
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.mem.len() as u64
    }

    /// Whether `[addr, addr + len)` lies wholly inside RAM.
    #[inline(always)]
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= self.base && addr.wrapping_sub(self.base).checked_add(len).is_some_and(|end| end <= self.size())
    }

    /// The bytes at `[addr, addr + len)`, if inside RAM.
    pub fn slice(&self, addr: u64, len: usize) -> Option<&[u8]> {
        if !self.contains(addr, len as u64) {
            return None;
        }
        let off = (addr - self.base) as usize;
        Some(&self.mem[off..off + len])
    }

    pub fn slice_mut(&mut self, addr: u64, len: usize) -> Option<&mut [u8]> {
        if !self.contains(addr, len as u64) {
            return None;
        }
        let off = (addr - self.base) as usize;
        Some(&mut self.mem[off..off + len])
    }

    /// Little-endian read of `size` (1, 2, 4, 8) bytes, zero-extended.
    #[inline(always)]
    pub fn read(&self, addr: u64, size: u8) -> Option<u64> {
        let s = self.slice(addr, size as usize)?;
        let mut b = [0u8; 8];
        b[..size as usize].copy_from_slice(s);
        Some(u64::from_le_bytes(b))
    }

    #[inline(always)]
    pub fn write(&mut self, addr: u64, size: u8, val: u64) -> Option<()> {
        let s = self.slice_mut(addr, size as usize)?;
        s.copy_from_slice(&val.to_le_bytes()[..size as usize]);
        Some(())
    }

    /// Host pointer to the first byte, for the JIT's and TLB's fast paths.
    pub fn host_ptr(&mut self) -> *mut u8 {
        self.mem.as_mut_ptr()
    }
}

/// Interrupt lines that devices drive into one hart: bit `n` is `mip` bit `n`
/// (MSIP, MTIP, SEIP, MEIP). Cloned into each device (vm-superio style: a
/// device raises an interrupt through a handle, knowing nothing of the hart).
#[derive(Clone, Default, Debug)]
pub struct IrqLines(Arc<Lines>);

#[derive(Default, Debug)]
struct Lines {
    levels: AtomicU64,
    /// Raised whenever a line rises (`IrqLines::kick_on_raise`).
    kick: OnceLock<Arc<AtomicBool>>,
}

impl IrqLines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Raise `flag` (the hart's exit-request flag) whenever a line rises, so
    /// that a running hart leaves generated code and looks at its interrupts
    /// at once, as QEMU's `cpu_interrupt` does. Only the first call counts.
    pub fn kick_on_raise(&self, flag: Arc<AtomicBool>) {
        let _ = self.0.kick.set(flag);
    }

    /// Drive the line for `mip` bit `bit` high or low.
    pub fn set(&self, bit: u8, level: bool) {
        if level {
            let old = self.0.levels.fetch_or(1 << bit, Ordering::Release);
            if old & 1 << bit == 0 {
                if let Some(k) = self.0.kick.get() {
                    k.store(true, Ordering::Release);
                }
            }
        } else {
            self.0.levels.fetch_and(!(1 << bit), Ordering::Release);
        }
    }

    /// The current levels, as `mip` bits.
    #[inline(always)]
    pub fn pending(&self) -> u64 {
        self.0.levels.load(Ordering::Acquire)
    }
}

/// The machine timebase read by the `time` CSR and the CLINT's `mtime`:
/// 10 MHz of host time, as on QEMU's `virt` and `spike`, plus an offset the
/// guest sets by writing `mtime`.
#[derive(Debug)]
pub struct Clock {
    start: Instant,
    offset: AtomicU64,
    /// `mtime` while frozen (`u64::MAX`: running).
    frozen: AtomicU64,
}

/// Ticks per second of `mtime` (QEMU's RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ).
pub const TIMEBASE_HZ: u64 = 10_000_000;

impl Default for Clock {
    fn default() -> Self {
        Clock { start: Instant::now(), offset: AtomicU64::new(0), frozen: AtomicU64::new(u64::MAX) }
    }
}

impl Clock {
    pub fn new() -> Arc<Clock> {
        Arc::new(Clock::default())
    }

    fn host_ticks(&self) -> u64 {
        let d = self.start.elapsed();
        d.as_secs() * TIMEBASE_HZ + u64::from(d.subsec_nanos()) / (1_000_000_000 / TIMEBASE_HZ)
    }

    pub fn mtime(&self) -> u64 {
        let f = self.frozen.load(Ordering::Relaxed);
        if f != u64::MAX {
            return f;
        }
        self.host_ticks().wrapping_add(self.offset.load(Ordering::Relaxed))
    }

    /// Stop `mtime` at its current value (`true`) or let it run on from
    /// host time (`false`), so that a block run twice by `-accel lockstep`
    /// reads the same time both times.
    pub fn freeze(&self, on: bool) {
        let v = if on { self.mtime() } else { u64::MAX };
        self.frozen.store(v, Ordering::Relaxed);
    }

    pub fn set_mtime(&self, v: u64) {
        self.offset.store(v.wrapping_sub(self.host_ticks()), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_bounds() {
        let mut r = Ram::new(0x8000_0000, 0x1000);
        assert!(r.contains(0x8000_0ff8, 8));
        assert!(!r.contains(0x8000_0ffc, 8));
        assert!(!r.contains(0x7fff_ffff, 1));
        assert!(!r.contains(u64::MAX, 2));
        r.write(0x8000_0010, 4, 0xdead_beef).unwrap();
        assert_eq!(r.read(0x8000_0010, 2), Some(0xbeef));
        assert_eq!(r.read(0x8000_0ffc, 8), None);
    }

    #[test]
    fn irq_lines() {
        let l = IrqLines::new();
        let d = l.clone();
        d.set(7, true);
        d.set(11, true);
        assert_eq!(l.pending(), (1 << 7) | (1 << 11));
        d.set(7, false);
        assert_eq!(l.pending(), 1 << 11);
    }

    #[test]
    fn rising_lines_raise_the_kick_flag() {
        let l = IrqLines::new();
        let flag = Arc::new(AtomicBool::new(false));
        l.kick_on_raise(flag.clone());
        let d = l.clone();
        d.set(7, true);
        assert!(flag.swap(false, Ordering::AcqRel), "a rising line kicks");
        d.set(7, true);
        assert!(!flag.load(Ordering::Acquire), "a line already high does not");
        d.set(7, false);
        assert!(!flag.load(Ordering::Acquire), "a falling line does not");
        d.set(3, true);
        assert!(flag.load(Ordering::Acquire));
    }

    #[test]
    fn mtime_write_sets_value() {
        let c = Clock::new();
        c.set_mtime(1_000_000_000);
        let t = c.mtime();
        assert!((1_000_000_000..1_000_000_000 + TIMEBASE_HZ).contains(&t));
    }
}
