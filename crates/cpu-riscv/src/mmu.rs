//! Address translation (Sv39, Sv48, Sv57; Privileged spec 4.3-4.5) and PMP (3.7).

use crate::cpu::Cpu;
use crate::csr::{self, *};
use crate::hart::Priv;
use crate::trap::{Cause, Exception};

/// The kind of access being translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

impl Access {
    fn page_fault(self, vaddr: u64) -> Exception {
        let cause = match self {
            Access::Read => Cause::LoadPageFault,
            Access::Write => Cause::StorePageFault,
            Access::Execute => Cause::InstructionPageFault,
        };
        Exception::new(cause, vaddr)
    }

    fn access_fault(self, vaddr: u64) -> Exception {
        let cause = match self {
            Access::Read => Cause::LoadAccessFault,
            Access::Write => Cause::StoreAccessFault,
            Access::Execute => Cause::InstructionAccessFault,
        };
        Exception::new(cause, vaddr)
    }
}

// PTE bits (Privileged spec 4.3.1).
pub const PTE_V: u64 = 1 << 0;
pub const PTE_R: u64 = 1 << 1;
pub const PTE_W: u64 = 1 << 2;
pub const PTE_X: u64 = 1 << 3;
pub const PTE_U: u64 = 1 << 4;
pub const PTE_A: u64 = 1 << 6;
pub const PTE_D: u64 = 1 << 7;
/// Bits 63:54: N and PBMT (Svnapot, Svpbmt are not implemented) and reserved.
const PTE_RESERVED: u64 = 0x3ff << 54;
const PTE_PPN_MASK: u64 = ((1 << 44) - 1) << 10;

const PAGE_SHIFT: u32 = 12;

impl Cpu {
    /// The privilege loads and stores run at: MPP when MPRV is set (Privileged
    /// spec 3.1.6.3); fetches always use the current privilege.
    pub fn effective_priv(&self, access: Access) -> Priv {
        let s = self.hart.csr.mstatus;
        if access != Access::Execute && s & MSTATUS_MPRV != 0 {
            Priv::from_bits(s >> MSTATUS_MPP_SHIFT).unwrap_or(Priv::U)
        } else {
            self.hart.prv
        }
    }

    /// Translate a virtual address for `access` at the current privilege and
    /// check PMP on the result. Faults carry `tval = vaddr`.
    pub fn translate(&mut self, vaddr: u64, access: Access) -> Result<u64, Exception> {
        let prv = self.effective_priv(access);
        let mode = self.hart.csr.satp >> 60;
        let pa = if prv == Priv::M || mode == SATP_MODE_BARE { vaddr } else { self.walk(vaddr, access, prv, mode)? };
        if !self.pmp_allows(pa, 1, access, prv) {
            return Err(access.access_fault(vaddr));
        }
        Ok(pa)
    }

    /// The page-table walk of Privileged spec 4.3.2, generalised to 3-5 levels.
    fn walk(&mut self, vaddr: u64, access: Access, prv: Priv, mode: u64) -> Result<u64, Exception> {
        let levels = match mode {
            SATP_MODE_SV39 => 3,
            SATP_MODE_SV48 => 4,
            _ => 5,
        };
        let va_bits = PAGE_SHIFT + 9 * levels;
        // Bits above the VA width must equal its top bit (4.3.1, 4.4.1).
        let shift = 64 - va_bits;
        if (((vaddr << shift) as i64) >> shift) as u64 != vaddr {
            return Err(access.page_fault(vaddr));
        }
        let mstatus = self.hart.csr.mstatus;
        let mut table = (self.hart.csr.satp & ((1 << 44) - 1)) << PAGE_SHIFT;
        for level in (0..levels).rev() {
            let vpn = (vaddr >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
            let pte_addr = table + vpn * 8;
            // Implicit page-table reads are checked by PMP as S-mode reads (3.7.1).
            if !self.pmp_allows(pte_addr, 8, Access::Read, Priv::S) {
                return Err(access.access_fault(vaddr));
            }
            let pte = self.phys_read(pte_addr, 8).map_err(|_| access.access_fault(vaddr))?;
            if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_RESERVED != 0 {
                return Err(access.page_fault(vaddr));
            }
            let ppn = (pte & PTE_PPN_MASK) >> 10;
            if pte & (PTE_R | PTE_X) == 0 {
                // Pointer to the next level; a pointer at level 0 is a fault.
                if level == 0 {
                    break;
                }
                table = ppn << PAGE_SHIFT;
                continue;
            }
            // Leaf (step 5): U-bit rules with SUM, then R/W/X with MXR.
            let user_page = pte & PTE_U != 0;
            let priv_ok = match prv {
                Priv::U => user_page,
                _ => !user_page || (access != Access::Execute && mstatus & MSTATUS_SUM != 0),
            };
            let perm_ok = match access {
                Access::Read => pte & PTE_R != 0 || (mstatus & MSTATUS_MXR != 0 && pte & PTE_X != 0),
                Access::Write => pte & PTE_W != 0,
                Access::Execute => pte & PTE_X != 0,
            };
            // A superpage's low PPN bits must be zero (step 6).
            let low = (1u64 << (9 * level)) - 1;
            if !priv_ok || !perm_ok || ppn & low != 0 {
                return Err(access.page_fault(vaddr));
            }
            // Step 7: hardware A/D update, as QEMU does.
            let want = PTE_A | if access == Access::Write { PTE_D } else { 0 };
            if pte & want != want {
                self.phys_write(pte_addr, 8, pte | want).map_err(|_| access.access_fault(vaddr))?;
            }
            let page = (ppn & !low) | ((vaddr >> PAGE_SHIFT) & low);
            return Ok((page << PAGE_SHIFT) | (vaddr & ((1 << PAGE_SHIFT) - 1)));
        }
        Err(access.page_fault(vaddr))
    }

    /// Whether PMP lets privilege `prv` perform `access` on `[pa, pa + size)`
    /// (Privileged spec 3.7.1): the lowest-numbered entry that matches any
    /// byte decides, and must match all of them; with no match M succeeds and
    /// S/U fail (16 entries are implemented). Locked entries bind M too.
    pub fn pmp_allows(&self, pa: u64, size: u64, access: Access, prv: Priv) -> bool {
        let last = pa.wrapping_add(size - 1);
        let mut prev_top = 0u64;
        for i in 0..16 {
            let cfg = csr::pmpcfg_byte(self, i);
            let addr = self.hart.csr.pmpaddr[i];
            let range = match (cfg >> PMP_A_SHIFT) & 3 {
                0 => None,
                PMP_A_TOR => Some((prev_top, (addr << 2).wrapping_sub(1))).filter(|_| addr << 2 > prev_top),
                2 => Some((addr << 2, (addr << 2) + 3)),
                _ => {
                    // NAPOT: trailing ones of pmpaddr give the size (3.7.1.2).
                    let ones = u64::from(addr.trailing_ones());
                    let size = 1u128 << (ones + 3).min(64);
                    let base = (addr << 2) & !((size - 1) as u64);
                    Some((base, base.wrapping_add((size - 1) as u64)))
                }
            };
            prev_top = addr << 2;
            let Some((lo, hi)) = range else { continue };
            let any = pa <= hi && last >= lo;
            if !any {
                continue;
            }
            let all = pa >= lo && last <= hi;
            if !all {
                return false;
            }
            if prv == Priv::M && cfg & PMP_L == 0 {
                return true;
            }
            let bit = match access {
                Access::Read => 1,
                Access::Write => 2,
                Access::Execute => 4,
            };
            return cfg & bit != 0;
        }
        prv == Priv::M
    }
}
