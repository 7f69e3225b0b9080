//! SiFive test finisher (`sifive,test0`): a write to offset 0 ends or resets
//! the machine, as QEMU's `sifive_test.c`.

use cpu_riscv::BusError;

use super::{ExitSignal, GuestRequest};
use crate::bus::Device;

pub const FINISHER_SIZE: u64 = 0x1000;

/// Status values in the low 16 bits; the high 16 bits carry a failure code.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinisherStatus {
    Fail = 0x3333,
    Pass = 0x5555,
    Reset = 0x7777,
}

pub struct Finisher {
    exit: ExitSignal,
}

impl Finisher {
    pub fn new(exit: ExitSignal) -> Finisher {
        Finisher { exit }
    }
}

impl Device for Finisher {
    fn read(&mut self, _offset: u64, _size: u8) -> Result<u64, BusError> {
        Ok(0)
    }

    fn write(&mut self, offset: u64, _size: u8, val: u64) -> Result<(), BusError> {
        if offset != 0 {
            return Ok(());
        }
        let status = val & 0xffff;
        let code = ((val >> 16) & 0xffff) as u32;
        if status == FinisherStatus::Fail as u64 {
            self.exit.raise(GuestRequest::Exit(code));
        } else if status == FinisherStatus::Pass as u64 {
            self.exit.raise(GuestRequest::Exit(0));
        } else if status == FinisherStatus::Reset as u64 {
            self.exit.raise(GuestRequest::Reset);
        } else {
            log::debug!("test finisher: ignoring status {status:#x}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn finisher() -> (Finisher, ExitSignal, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        let sig = ExitSignal::new(flag.clone());
        (Finisher::new(sig.clone()), sig, flag)
    }

    #[test]
    fn pass_fail_reset() {
        let (mut f, sig, flag) = finisher();
        f.write(0, 4, 0x1234).unwrap();
        f.write(4, 4, 0x5555).unwrap();
        assert!(!flag.load(Ordering::Acquire), "other values and offsets do nothing");
        f.write(0, 4, 0x5555).unwrap();
        assert!(flag.load(Ordering::Acquire));
        assert_eq!(sig.take(), Some(GuestRequest::Exit(0)));
        f.write(0, 4, (42 << 16) | 0x3333).unwrap();
        assert_eq!(sig.take(), Some(GuestRequest::Exit(42)));
        f.write(0, 4, 0x7777).unwrap();
        assert_eq!(sig.take(), Some(GuestRequest::Reset));
        assert_eq!(f.read(0, 4), Ok(0));
    }
}
