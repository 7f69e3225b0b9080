//! The device bus: an ordered map of half-open physical ranges to devices
//! (after Firecracker's `bus.rs`). Devices see offsets, never addresses.

use std::collections::BTreeMap;
use std::fmt;

use cpu_riscv::BusError;

/// A memory-mapped device. `offset` is relative to where the device is mapped;
/// `size` is 1, 2, 4 or 8 and the access lies inside the device's range.
pub trait Device: Send {
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError>;
    fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), BusError>;
    /// Advance time-driven state (timers, input) and update interrupt lines.
    fn poll(&mut self) {}
}

/// A level-triggered interrupt line from a device to an interrupt controller.
pub trait IrqLine: Send {
    fn set_level(&self, level: bool);
}

/// An insertion that would overlap a range already on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlapError {
    pub base: u64,
    pub len: u64,
}

impl fmt::Display for OverlapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device range {:#x}+{:#x} overlaps another device or is empty", self.base, self.len)
    }
}

impl std::error::Error for OverlapError {}

struct Entry {
    /// Exclusive end; ranges never wrap.
    end: u64,
    dev: Box<dyn Device>,
}

#[derive(Default)]
pub struct DeviceBus {
    /// Keyed by base address.
    map: BTreeMap<u64, Entry>,
    /// `[lowest base, highest end)` of all devices (empty: `(0, 0)`), so
    /// that RAM addresses, outside it on most machines, are answered
    /// without a search: the page walk, TLB fills and decoding ask for each.
    span: (u64, u64),
}

impl DeviceBus {
    pub fn new() -> DeviceBus {
        DeviceBus::default()
    }

    /// Map `dev` at `[base, base + len)`. Empty, wrapping or overlapping ranges are refused.
    pub fn insert(&mut self, base: u64, len: u64, dev: Box<dyn Device>) -> Result<(), OverlapError> {
        let err = OverlapError { base, len };
        let end = base.checked_add(len).filter(|_| len > 0).ok_or(err.clone())?;
        if self.overlaps_range(base, end) {
            return Err(err);
        }
        self.span = if self.map.is_empty() { (base, end) } else { (self.span.0.min(base), self.span.1.max(end)) };
        self.map.insert(base, Entry { end, dev });
        Ok(())
    }

    #[inline]
    fn overlaps_range(&self, start: u64, end: u64) -> bool {
        if end <= self.span.0 || start >= self.span.1 {
            return false;
        }
        // The last range starting before `end` is the only one that can overlap.
        self.map.range(..end).next_back().is_some_and(|(_, e)| e.end > start)
    }

    /// The device holding all of `[addr, addr + size)` and the offset into it.
    fn find(&mut self, addr: u64, size: u8) -> Option<(&mut Entry, u64)> {
        let end = addr.checked_add(u64::from(size))?;
        let (base, e) = self.map.range_mut(..=addr).next_back()?;
        if end > e.end {
            return None;
        }
        let off = addr - *base;
        Some((e, off))
    }
}

impl cpu_riscv::Bus for DeviceBus {
    fn read(&mut self, addr: u64, size: u8) -> Result<u64, BusError> {
        let (e, off) = self.find(addr, size).ok_or(BusError::Unmapped)?;
        e.dev.read(off, size)
    }

    fn write(&mut self, addr: u64, size: u8, val: u64) -> Result<(), BusError> {
        let (e, off) = self.find(addr, size).ok_or(BusError::Unmapped)?;
        e.dev.write(off, size, val)
    }

    fn overlaps(&self, addr: u64, len: u64) -> bool {
        len > 0 && self.overlaps_range(addr, addr.saturating_add(len))
    }

    fn poll(&mut self) {
        for e in self.map.values_mut() {
            e.dev.poll();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu_riscv::Bus;

    /// Remembers the last access and answers reads with the offset.
    struct Probe;
    impl Device for Probe {
        fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError> {
            Ok(offset * 16 + u64::from(size))
        }
        fn write(&mut self, _offset: u64, _size: u8, _val: u64) -> Result<(), BusError> {
            Err(BusError::Denied)
        }
    }

    #[test]
    fn overlapping_inserts_are_refused() {
        let mut b = DeviceBus::new();
        b.insert(0x1000, 0x1000, Box::new(Probe)).unwrap();
        assert!(b.insert(0x1fff, 1, Box::new(Probe)).is_err());
        assert!(b.insert(0x0800, 0x801, Box::new(Probe)).is_err());
        assert!(b.insert(0x0000, 0x10000, Box::new(Probe)).is_err());
        assert!(b.insert(0x1800, 0x10, Box::new(Probe)).is_err());
        assert!(b.insert(0x3000, 0, Box::new(Probe)).is_err());
        assert!(b.insert(u64::MAX - 4, 8, Box::new(Probe)).is_err());
        // Adjacent on both sides is fine (half-open ranges).
        b.insert(0x0800, 0x800, Box::new(Probe)).unwrap();
        b.insert(0x2000, 0x10, Box::new(Probe)).unwrap();
    }

    #[test]
    fn routing_by_offset() {
        let mut b = DeviceBus::new();
        b.insert(0x1000, 0x100, Box::new(Probe)).unwrap();
        b.insert(0x2000, 0x100, Box::new(Probe)).unwrap();
        assert_eq!(b.read(0x1010, 4), Ok(0x10 * 16 + 4));
        assert_eq!(b.read(0x2000, 8), Ok(8));
        assert_eq!(b.read(0x10fc, 8), Err(BusError::Unmapped), "crosses the end");
        assert_eq!(b.read(0x1100, 1), Err(BusError::Unmapped));
        assert_eq!(b.read(0xfff, 1), Err(BusError::Unmapped));
        assert_eq!(b.read(u64::MAX, 8), Err(BusError::Unmapped));
        assert_eq!(b.write(0x1000, 4, 0), Err(BusError::Denied));
        assert!(b.overlaps(0xff8, 9));
        assert!(!b.overlaps(0xff8, 8));
        assert!(b.overlaps(0x10ff, 0x100));
        assert!(!b.overlaps(0x1100, 0xf00));
        assert!(!b.overlaps(0x1050, 0));
    }

    /// `overlaps` answers from the devices' span outside it and searches
    /// inside it, whatever the order of insertion.
    #[test]
    fn overlaps_outside_and_inside_the_span() {
        let mut b = DeviceBus::new();
        assert!(!b.overlaps(0, u64::MAX), "no devices");
        b.insert(0x10_0000, 0x1000, Box::new(Probe)).unwrap();
        b.insert(0x1000, 0x100, Box::new(Probe)).unwrap(); // below the first
        b.insert(0x8000_0000, 8, Box::new(Probe)).unwrap(); // a RAM overlay
        assert!(!b.overlaps(0, 0x1000), "below the span");
        assert!(!b.overlaps(0x8000_0008, 0x1000), "above the span");
        assert!(!b.overlaps(0x2000, 0x1000), "a gap inside it");
        assert!(b.overlaps(0xfff, 2));
        assert!(b.overlaps(0x10_0fff, 1));
        assert!(b.overlaps(0x7fff_f000, 0x1000 + 1), "the overlay, from the page below");
        assert!(b.overlaps(0x8000_0007, 1));
    }
}
