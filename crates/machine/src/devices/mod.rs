//! Devices of the `spike` and `virt` boards, each addressed by offset.

pub mod clint;
pub mod finisher;
pub mod htif;
pub mod plic;
pub mod rom;
pub mod uart;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Read `size` bytes at `offset` of a little-endian register of `width` bytes
/// (narrower accesses see a slice of it).
pub(crate) fn reg_slice(val: u64, offset: u64, size: u8) -> u64 {
    let v = val >> (8 * (offset & 7));
    if size >= 8 {
        v
    } else {
        v & ((1u64 << (8 * size)) - 1)
    }
}

/// Merge a write of `size` bytes at byte `offset` into the 64-bit register `old`.
pub(crate) fn reg_merge(old: u64, offset: u64, size: u8, val: u64) -> u64 {
    let shift = 8 * (offset & 7);
    let mask = if size >= 8 { u64::MAX } else { (1u64 << (8 * size)) - 1 } << shift;
    (old & !mask) | ((val << shift) & mask)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not silence the console or the exit path.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the guest asked of the machine through a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestRequest {
    Exit(u32),
    Reset,
}

/// Lets devices (test finisher, HTIF) end or reset the machine: the request is
/// stored for the run loop and the hart's exit flag raised so it stops soon.
#[derive(Clone)]
pub struct ExitSignal {
    request: Arc<Mutex<Option<GuestRequest>>>,
    flag: Arc<AtomicBool>,
}

impl ExitSignal {
    pub fn new(flag: Arc<AtomicBool>) -> ExitSignal {
        ExitSignal { request: Arc::default(), flag }
    }

    pub fn raise(&self, r: GuestRequest) {
        let mut q = lock(&self.request);
        // The first exit wins; a later reset must not undo it.
        if !matches!(*q, Some(GuestRequest::Exit(_))) {
            *q = Some(r);
        }
        self.flag.store(true, Ordering::Release);
    }

    /// Take the pending request, if any.
    pub fn take(&self) -> Option<GuestRequest> {
        lock(&self.request).take()
    }
}

/// The console output sink shared by the UART and HTIF. Bytes are buffered and
/// written out at every `flush` (the run loop flushes between slices and on
/// every exit path), so no output is lost and the guest is not slowed by a
/// system call per character.
#[derive(Clone)]
pub struct Console(Arc<Mutex<ConsoleInner>>);

struct ConsoleInner {
    out: Option<Box<dyn Write + Send>>,
    buf: Vec<u8>,
}

impl Console {
    /// `None` discards the output.
    pub fn new(out: Option<Box<dyn Write + Send>>) -> Console {
        Console(Arc::new(Mutex::new(ConsoleInner { out, buf: Vec::new() })))
    }

    pub fn put(&self, b: u8) {
        let mut c = lock(&self.0);
        if c.out.is_some() {
            c.buf.push(b);
            if c.buf.len() >= 4096 {
                flush_inner(&mut c);
            }
        }
    }

    pub fn flush(&self) {
        flush_inner(&mut lock(&self.0));
    }
}

fn flush_inner(c: &mut ConsoleInner) {
    let ConsoleInner { out, buf } = c;
    if let Some(out) = out {
        if !buf.is_empty() {
            // A closed stdout (e.g. `| head`) must not stop the guest.
            let _ = out.write_all(buf);
            let _ = out.flush();
        }
    }
    buf.clear();
}

impl Drop for ConsoleInner {
    fn drop(&mut self) {
        flush_inner(self);
    }
}

/// A console writer for tests: everything written lands in a shared buffer.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    pub fn contents(&self) -> Vec<u8> {
        lock(&self.0).clone()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_slices() {
        assert_eq!(reg_slice(0x1122_3344_5566_7788, 4, 4), 0x1122_3344);
        assert_eq!(reg_slice(0x1122_3344_5566_7788, 1, 1), 0x77);
        assert_eq!(reg_merge(0x1122_3344_5566_7788, 4, 4, 0xaabb_ccdd), 0xaabb_ccdd_5566_7788);
        assert_eq!(reg_merge(0x1122_3344_5566_7788, 0, 8, 7), 7);
        assert_eq!(reg_merge(0xffff, 1, 1, 0x1234), 0x34ff);
    }

    #[test]
    fn console_buffers_until_flush() {
        let sink = SharedBuf::default();
        let c = Console::new(Some(Box::new(sink.clone())));
        c.put(b'h');
        c.put(b'i');
        assert!(sink.contents().is_empty());
        c.flush();
        assert_eq!(sink.contents(), b"hi");
    }

    #[test]
    fn first_exit_wins() {
        let flag = Arc::new(AtomicBool::new(false));
        let s = ExitSignal::new(flag.clone());
        s.raise(GuestRequest::Exit(3));
        s.raise(GuestRequest::Reset);
        assert!(flag.load(Ordering::Acquire));
        assert_eq!(s.take(), Some(GuestRequest::Exit(3)));
        assert_eq!(s.take(), None);
    }
}
