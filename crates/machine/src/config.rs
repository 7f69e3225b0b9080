//! What a machine is built from (`Config`, from the command line) and why
//! building one may fail.

use std::fmt;
use std::path::PathBuf;

use crate::board::BoardKind;

/// `-bios none` | (absent) | `-bios FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Firmware {
    None,
    Default,
    File(PathBuf),
}

/// Where the console goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serial {
    Stdio,
    None,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub board: BoardKind,
    pub ram_size: u64,
    pub bios: Firmware,
    pub kernel: Option<PathBuf>,
    /// An image given in memory (the bundled demo); used when `kernel` is `None`.
    pub kernel_bytes: Option<Vec<u8>>,
    pub serial: Serial,
    pub max_insns: Option<u64>,
}

/// QEMU's Linux boot options, beside `Config` (whose users build it field
/// by field): `-initrd`, `-append`, `-dtb`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinuxBoot {
    /// Loaded raw above the kernel, its range in `/chosen` (hw/riscv/boot.c).
    pub initrd: Option<PathBuf>,
    /// `/chosen/bootargs`.
    pub append: Option<String>,
    /// A device tree blob used instead of the generated one (`virt` only:
    /// QEMU 7.2's `spike` ignores -dtb, and so does Tern's).
    pub dtb: Option<PathBuf>,
}

/// The most RAM Tern will allocate.
pub const MAX_RAM: u64 = 16 << 30;

/// Why a machine could not be built: one line naming the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineError(pub String);

impl fmt::Display for MachineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MachineError {}

pub(crate) fn err(msg: impl Into<String>) -> MachineError {
    MachineError(msg.into())
}
