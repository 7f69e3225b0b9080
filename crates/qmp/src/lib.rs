//! QMP, the QEMU Machine Protocol, for Tern: QEMU's JSON dialect, the
//! command registry, sessions and the monitor's transports.

pub mod json;

/// Stack for the monitor's threads: parsing and writing recurse once per
/// nesting level, up to `json::MAX_NESTING`.
pub const STACK_SIZE: usize = 16 << 20;
