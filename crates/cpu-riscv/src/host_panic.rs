//! Host failures while the hart runs: a panic (a bug in Tern, never a guest
//! event; guest traps are `trap::Exception`) travels as a `HostPanic`
//! payload with the guest pc up to whoever reports it, so that the machine
//! ends with one internal-error line under every engine. The JIT catches
//! panics in its helpers (generated code has no unwind info) and resumes
//! them as this on the Rust side.
//!
//! Also the test hook that makes a handler panic on purpose.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};

/// A panic while the hart ran, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPanic {
    /// The panic's message.
    pub message: String,
    /// The guest pc of the instruction being executed (or where the hart
    /// was, for a panic between instructions).
    pub pc: u64,
}

impl HostPanic {
    /// From a caught panic's payload at guest `pc`. A payload that is a
    /// `HostPanic` already keeps its own pc, recorded nearer the fault.
    pub fn from_payload(payload: Box<dyn Any + Send>, pc: u64) -> HostPanic {
        match payload.downcast::<HostPanic>() {
            Ok(p) => *p,
            Err(payload) => HostPanic { message: message(&*payload), pc },
        }
    }
}

/// The message of a panic payload (`panic!` makes a `&str` or a `String`).
pub fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(p) = payload.downcast_ref::<HostPanic>() {
        p.message.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".into()
    }
}

/// The test hook's threshold (`u64::MAX`: off, never reached by `instret`).
static PANIC_AFTER: AtomicU64 = AtomicU64::new(u64::MAX);

/// Test hook (`TERN_TEST_PANIC_AFTER`): the first CSR instruction executed
/// once `instret >= n` panics in its handler, as a bug in a handler would.
/// Process-wide; set once at start-up. CSR instructions run in handlers
/// under every engine (the JIT calls them from generated code), and the
/// check costs them one load.
#[doc(hidden)]
pub fn panic_after(n: u64) {
    PANIC_AFTER.store(n, Ordering::Relaxed);
}

/// The hook's check, from the CSR handlers.
#[inline]
pub(crate) fn check(instret: u64) {
    let n = PANIC_AFTER.load(Ordering::Relaxed);
    if instret >= n {
        panic!("TERN_TEST_PANIC_AFTER={n}: a handler panics on purpose");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_become_messages_and_keep_the_first_pc() {
        let p = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
        let h = HostPanic::from_payload(p, 0x8000_0010);
        assert_eq!(h, HostPanic { message: "boom 7".into(), pc: 0x8000_0010 });
        let p = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(message(&*p), "static");
        // Resumed further up, it keeps the pc it had.
        let again = HostPanic::from_payload(Box::new(h.clone()), 0x1234);
        assert_eq!(again, h);
        assert_eq!(message(&again), "boom 7");
        assert_eq!(message(&42u32), "panic with a non-text payload");
    }
}
