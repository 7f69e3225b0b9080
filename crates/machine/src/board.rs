//! The `virt` and `spike` boards: their names, memory maps of QEMU 7.2
//! (hw/riscv/virt.c, hw/riscv/spike.c) and the boot ROM's reset vector
//! (hw/riscv/boot.c). `assemble.rs` builds a machine from them.

use std::fmt;
use std::str::FromStr;

/// Which board to build (`-machine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Spike,
    Virt,
}

impl FromStr for BoardKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "spike" => Ok(BoardKind::Spike),
            "virt" => Ok(BoardKind::Virt),
            _ => Err(format!("unsupported machine '{s}' (supported: spike, virt)")),
        }
    }
}

impl fmt::Display for BoardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BoardKind::Spike => "spike",
            BoardKind::Virt => "virt",
        })
    }
}

/// Physical addresses of the board's devices. Fields a board lacks are unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemMap {
    pub mrom: u64,
    pub mrom_size: u64,
    pub test: u64,
    pub clint: u64,
    pub plic: u64,
    pub uart: u64,
    /// Fixed HTIF base on `spike` when the image has no `tohost` symbol.
    pub htif: u64,
    pub ram: u64,
}

impl MemMap {
    pub fn of(kind: BoardKind) -> MemMap {
        let common = MemMap {
            mrom: 0x1000,
            mrom_size: 0xf000,
            test: 0x10_0000,
            clint: 0x200_0000,
            plic: 0xc00_0000,
            uart: 0x1000_0000,
            htif: 0x100_0000,
            ram: 0x8000_0000,
        };
        match kind {
            BoardKind::Virt | BoardKind::Spike => common,
        }
    }
}

/// `fw_dynamic_info` handed to OpenSBI in `a2` (OpenSBI include/sbi/fw_dynamic.h).
const FW_DYNAMIC_MAGIC: u64 = 0x4942_534f; // "OSBI"
const FW_DYNAMIC_VERSION: u64 = 2;
const FW_DYNAMIC_NEXT_MODE_S: u64 = 1;

/// The ROM contents QEMU's `riscv_setup_rom_reset_vec` writes for RV64:
///
/// ```text
/// 1: auipc t0, %pcrel_hi(fw_dyn)
///    addi  a2, t0, %pcrel_lo(1b)   # a2 = &fw_dynamic_info
///    csrr  a0, mhartid
///    ld    a1, 32(t0)              # a1 = fdt address
///    ld    t0, 24(t0)              # t0 = start address
///    jr    t0
/// start: .dword start_addr
/// fdt:   .dword fdt_addr
/// fw_dyn: fw_dynamic_info { magic, version, next_addr, next_mode, options, boot_hart }
/// ```
pub fn reset_rom(start_addr: u64, fdt_addr: u64, kernel_entry: u64) -> Vec<u8> {
    let code: [u32; 6] = [0x0000_0297, 0x0282_8613, 0xf140_2573, 0x0202_b583, 0x0182_b283, 0x0002_8067];
    let mut rom: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let info = [FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, kernel_entry, FW_DYNAMIC_NEXT_MODE_S, 0, 0];
    for d in [start_addr, fdt_addr].iter().chain(info.iter()) {
        rom.extend_from_slice(&d.to_le_bytes());
    }
    rom
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_vector_layout() {
        let rom = reset_rom(0x8000_0000, 0x87e0_0000, 0x8020_0000);
        let word = |at: usize| u32::from_le_bytes(rom[at..at + 4].try_into().unwrap());
        let dword = |at: usize| u64::from_le_bytes(rom[at..at + 8].try_into().unwrap());
        // addi a2, t0, 0x28 points a2 at the fw_dynamic_info right after the vector.
        assert_eq!(word(4) >> 20, 0x28);
        // ld a1, 32(t0) and ld t0, 24(t0) read the two dwords.
        assert_eq!(word(12) >> 20, 32);
        assert_eq!(word(16) >> 20, 24);
        assert_eq!(dword(24), 0x8000_0000);
        assert_eq!(dword(32), 0x87e0_0000);
        assert_eq!(dword(0x28), FW_DYNAMIC_MAGIC);
        assert_eq!(dword(0x28 + 16), 0x8020_0000);
        assert_eq!(dword(0x28 + 24), FW_DYNAMIC_NEXT_MODE_S);
        assert_eq!(rom.len(), 0x28 + 48);
    }
}
