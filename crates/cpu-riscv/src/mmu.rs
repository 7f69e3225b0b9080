//! Address translation (Sv39, Sv48, Sv57; Privileged spec 4.3-4.5) and PMP (3.7).

use crate::cpu::Cpu;
use crate::csr::*;
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
        self.translate_span(vaddr, access).map(|(pa, _)| pa)
    }

    /// `translate`, with the size of the page that mapped `vaddr` as a mask
    /// of the offset bits (4 KiB unless a superpage did: what a TLB needs to
    /// know for `sfence.vma` with an address).
    pub(crate) fn translate_span(&mut self, vaddr: u64, access: Access) -> Result<(u64, u64), Exception> {
        let prv = self.effective_priv(access);
        let mode = self.hart.csr.satp >> 60;
        let (pa, level) = if prv == Priv::M || mode == SATP_MODE_BARE {
            (vaddr, 0)
        } else {
            Cpu::walk(self, vaddr, access, prv, mode)?
        };
        if !self.pmp_allows(pa, 1, access, prv) {
            return Err(access.access_fault(vaddr));
        }
        Ok((pa, (1u64 << (PAGE_SHIFT + 9 * level)) - 1))
    }

    /// The physical address a debugger sees at `vaddr` (the monitor's
    /// gva2gpa, memsave, `x`), `None` where the guest's load would fault in
    /// the walk. The hart's own walk, as QEMU 7.2's
    /// riscv_cpu_get_phys_page_debug runs get_physical_address: a load at the
    /// effective privilege (so MPRV applies), with SUM taken as set (its
    /// `is_debug`), PMP checked on the page-table reads but not on the
    /// result. A/D bits are left alone, as QEMU's later `!is_debug` fix
    /// does (7.2 still set them). `&self`: no A/D write, TLB fill, trap or
    /// other change to the hart.
    pub fn debug_translate(&self, vaddr: u64) -> Option<u64> {
        let access = Access::Read;
        let prv = self.effective_priv(access);
        let mode = self.hart.csr.satp >> 60;
        if prv == Priv::M || mode == SATP_MODE_BARE {
            return Some(vaddr);
        }
        Cpu::walk(&mut DebugView(self), vaddr, access, prv, mode).ok().map(|(pa, _)| pa)
    }

    /// The page-table walk of Privileged spec 4.3.2 (virtual address
    /// translation process), generalised to 3-5 levels, for the hart and for
    /// debuggers alike so that both see one answer. Returns the physical
    /// address and the level of the leaf (0: a 4 KiB page).
    fn walk<M: PageTables>(
        m: &mut M,
        vaddr: u64,
        access: Access,
        prv: Priv,
        mode: u64,
    ) -> Result<(u64, u32), Exception> {
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
        let (satp, mstatus) = (m.cpu().hart.csr.satp, m.cpu().hart.csr.mstatus);
        let sum = M::DEBUG || mstatus & MSTATUS_SUM != 0;
        let mut table = (satp & ((1 << 44) - 1)) << PAGE_SHIFT;
        for level in (0..levels).rev() {
            let vpn = (vaddr >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
            let pte_addr = table + vpn * 8;
            // Implicit page-table reads are checked by PMP as S-mode reads (3.7.1).
            if !m.cpu().pmp_allows(pte_addr, 8, Access::Read, Priv::S) {
                return Err(access.access_fault(vaddr));
            }
            let pte = m.read_pte(pte_addr).ok_or_else(|| access.access_fault(vaddr))?;
            if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_RESERVED != 0 {
                return Err(access.page_fault(vaddr));
            }
            let ppn = (pte & PTE_PPN_MASK) >> 10;
            if pte & (PTE_R | PTE_X) == 0 {
                // Pointer to the next level; a pointer at level 0 is a fault.
                // D, A and U are reserved in pointers (4.3.1); QEMU 7.2 faults on them.
                if level == 0 || pte & (PTE_D | PTE_A | PTE_U) != 0 {
                    break;
                }
                table = ppn << PAGE_SHIFT;
                continue;
            }
            // Leaf (step 5): U-bit rules with SUM, then R/W/X with MXR.
            let user_page = pte & PTE_U != 0;
            let priv_ok = match prv {
                Priv::U => user_page,
                _ => !user_page || (access != Access::Execute && sum),
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
                m.write_pte(pte_addr, pte | want).ok_or_else(|| access.access_fault(vaddr))?;
            }
            let page = (ppn & !low) | ((vaddr >> PAGE_SHIFT) & low);
            return Ok(((page << PAGE_SHIFT) | (vaddr & ((1 << PAGE_SHIFT) - 1)), level));
        }
        Err(access.page_fault(vaddr))
    }

    /// Whether PMP lets the effective privilege of `access` perform it on
    /// every byte of the 4 KiB page holding `pa`, so that a TLB may cache the
    /// page's translation; when false, each access must go through `translate`.
    pub fn pmp_allows_page(&self, pa: u64, access: Access) -> bool {
        self.pmp_allows(pa & !0xfff, 0x1000, access, self.effective_priv(access))
    }

    /// Whether any PMP entry has A != OFF.
    pub fn pmp_active(&self) -> bool {
        // Any A field (bits 4:3 of each pmpNcfg byte) not OFF.
        let [c0, c2] = self.hart.csr.pmpcfg;
        (c0 | c2) & 0x1818_1818_1818_1818 != 0
    }

    /// Whether PMP lets privilege `prv` perform `access` on `[pa, pa + size)`
    /// (Privileged spec 3.7.1): the lowest-numbered entry that matches any
    /// byte decides, and must match all of them; with no match M succeeds and
    /// S/U fail (16 entries are implemented). Locked entries bind M too.
    pub fn pmp_allows(&self, pa: u64, size: u64, access: Access, prv: Priv) -> bool {
        let last = pa.wrapping_add(size.max(1) - 1);
        let mut table = self.pmp.borrow_mut();
        let table = table.get(&self.hart.csr);
        for &(lo, hi, cfg) in &table.ranges[..table.n] {
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

/// The active PMP entries as address ranges, decoded from the CSRs once
/// rather than on every check (a Linux boot under OpenSBI checks PMP on each
/// page-table read). Decoded again after a TLB flush (every write to a PMP
/// CSR flushes: `csr.rs`) or when pmpcfg differs from what it was decoded
/// from; debug builds also check pmpaddr, so that code writing `hart.csr`
/// directly (tests, debuggers) is caught unless it flushes.
#[derive(Clone, Default)]
pub(crate) struct PmpTable {
    cfg: [u64; 2],
    addr: [u64; 16],
    /// `ranges[..n]`: (first byte, last byte, pmpcfg byte), in priority order.
    n: usize,
    ranges: [(u64, u64, u8); 16],
    /// Decoded since the last TLB flush (`invalidate`).
    valid: bool,
}

impl PmpTable {
    /// The table for `csr`'s PMP registers.
    #[inline(always)]
    fn get(&mut self, csr: &crate::hart::Csrs) -> &PmpTable {
        if !self.valid || self.cfg != csr.pmpcfg {
            self.decode(csr);
        }
        debug_assert!(self.addr == csr.pmpaddr, "pmpaddr written without a TLB flush");
        self
    }

    /// Decode again before the next check.
    pub(crate) fn invalidate(&mut self) {
        self.valid = false;
    }

    #[cold]
    fn decode(&mut self, csr: &crate::hart::Csrs) {
        self.cfg = csr.pmpcfg;
        self.addr = csr.pmpaddr;
        self.valid = true;
        self.n = 0;
        let mut prev_top = 0u64;
        for i in 0..16 {
            let cfg = (csr.pmpcfg[i / 8] >> (8 * (i % 8))) as u8;
            let addr = csr.pmpaddr[i];
            let range = match (cfg >> PMP_A_SHIFT) & 3 {
                0 => None,
                // TOR: [pmpaddr(i-1), pmpaddr(i)), empty unless it grows (3.7.1.2).
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
            if let Some((lo, hi)) = range {
                self.ranges[self.n] = (lo, hi, cfg);
                self.n += 1;
            }
        }
    }
}

/// What a page-table walk reads PTEs from and records A/D bits in: the hart
/// itself, or a debugger's read-only view of it (`DebugView`).
trait PageTables {
    /// A debugger's walk: SUM counts as set (QEMU's `is_debug`).
    const DEBUG: bool;
    fn cpu(&self) -> &Cpu;
    fn read_pte(&mut self, pa: u64) -> Option<u64>;
    /// Write back a PTE with A (and for stores D) set.
    fn write_pte(&mut self, pa: u64, pte: u64) -> Option<()>;
}

impl PageTables for Cpu {
    const DEBUG: bool = false;
    fn cpu(&self) -> &Cpu {
        self
    }
    fn read_pte(&mut self, pa: u64) -> Option<u64> {
        self.phys_read(pa, 8).ok()
    }
    fn write_pte(&mut self, pa: u64, pte: u64) -> Option<()> {
        self.phys_write(pa, 8, pte).ok()
    }
}

/// The hart as a debugger walks it: shared, so nothing can change.
struct DebugView<'a>(&'a Cpu);

impl PageTables for DebugView<'_> {
    const DEBUG: bool = true;
    fn cpu(&self) -> &Cpu {
        self.0
    }
    /// RAM only: reading a device register can have side effects (a UART
    /// pops its receive buffer), so a PTE under a device fails the walk.
    fn read_pte(&mut self, pa: u64) -> Option<u64> {
        if self.0.bus.overlaps(pa, 8) {
            return None;
        }
        self.0.ram.read(pa, 8)
    }
    /// A debugger's look leaves A and D as the guest left them.
    fn write_pte(&mut self, _pa: u64, _pte: u64) -> Option<()> {
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::tests::{cpu, RAM_BASE};

    const ROOT: u64 = RAM_BASE + 0x10_0000;
    const RWX: u64 = PTE_R | PTE_W | PTE_X;

    /// Page tables built in guest RAM; intermediate tables come from a bump allocator.
    struct Tables {
        levels: u32,
        next: u64,
    }

    impl Tables {
        /// A hart in S-mode with paging on (`mode` 8 or 9) and a PMP entry opening all memory.
        fn new(mode: u64) -> (Cpu, Tables) {
            let mut c = cpu();
            c.hart.csr.satp = (mode << 60) | (ROOT >> 12);
            c.hart.csr.pmpaddr[0] = (1 << 54) - 1;
            c.hart.csr.pmpcfg[0] = 0x1f; // NAPOT RWX
            c.hart.prv = Priv::S;
            let levels = (mode - 5) as u32;
            (c, Tables { levels, next: ROOT + 0x1000 })
        }

        /// Map `va` to `pa` with a leaf at `leaf_level` (0: 4 KiB page) holding `flags`;
        /// returns the leaf PTE's address.
        fn map(&mut self, c: &mut Cpu, va: u64, pa: u64, flags: u64, leaf_level: u32) -> u64 {
            let mut table = ROOT;
            for level in (leaf_level..self.levels).rev() {
                let slot = table + ((va >> (12 + 9 * level)) & 0x1ff) * 8;
                if level == leaf_level {
                    c.ram.write(slot, 8, ((pa >> 12) << 10) | flags | PTE_V).unwrap();
                    return slot;
                }
                let pte = c.ram.read(slot, 8).unwrap();
                table = if pte & PTE_V != 0 {
                    ((pte >> 10) & ((1 << 44) - 1)) << 12
                } else {
                    let t = self.next;
                    self.next += 0x1000;
                    c.ram.write(slot, 8, ((t >> 12) << 10) | PTE_V).unwrap();
                    t
                };
            }
            unreachable!("leaf level below the table depth")
        }
    }

    fn cause(r: Result<u64, Exception>) -> Option<Cause> {
        r.err().map(|e| e.cause)
    }

    /// Each privilege has its own TLB (as QEMU's MMU indexes): S's
    /// translation of a page and M's (bare) one of the same address live
    /// side by side across traps and returns, none leaking into the other;
    /// and S's entries survive a trip to M (nothing flushed them), while
    /// MPRV's bank (M loading at MPP's privilege) is flushed when chosen.
    #[test]
    fn tlb_banks_per_privilege() {
        const V: u64 = RAM_BASE + 0x20_0000; // in M, itself
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        t.map(&mut c, V, RAM_BASE + 0x30_0000, RWX | PTE_A | PTE_D, 0);
        c.ram.write(V, 8, 111).unwrap();
        c.ram.write(RAM_BASE + 0x30_0000, 8, 333).unwrap();
        c.flush_tlb();
        assert_eq!(c.load(V, 8), Ok(333), "S: through Sv39");
        c.set_priv(Priv::M);
        assert_eq!(c.load(V, 8), Ok(111), "M: bare");
        // Remap V without sfence.vma: S's entry, kept, still says 0x30_0000.
        t.map(&mut c, V, RAM_BASE + 0x38_0000, RWX | PTE_A | PTE_D, 0);
        c.set_priv(Priv::S);
        assert_eq!(c.load(V, 8), Ok(333), "S's entry survived the trip to M");
        c.set_priv(Priv::M);
        assert_eq!(c.load(V, 8), Ok(111), "M's too");
        // MPRV, MPP = S: loads walk the tables again (a fresh bank).
        c.hart.csr.mstatus = MSTATUS_MPRV | (1 << MSTATUS_MPP_SHIFT);
        c.flush_tlb();
        assert_eq!(c.load(V, 8), Ok(0), "MPRV: the new mapping (zeroed RAM)");
        // A privilege written straight into the hart is noticed before a run.
        c.hart.csr.mstatus = 0;
        c.flush_tlb();
        c.hart.prv = Priv::S;
        c.select_tlb_bank();
        assert_eq!(c.load(V, 8), Ok(0), "S after the flush: the new mapping");
    }

    /// `sfence.vma` with an address (Privileged spec 4.2.1) drops that
    /// page's translations only; when a superpage mapped it, every address
    /// of the superpage is walked again (its entries came from that one
    /// leaf PTE), and a superpage elsewhere does not widen the flush.
    #[test]
    fn sfence_vma_with_an_address() {
        const A: u64 = 0x4000_1000;
        const B: u64 = 0x4000_2000;
        const MEGA: u64 = 0x20_0000; // a 2 MiB page
        const FAR: u64 = 0x60_0000; // another 2 MiB page, away from A and B
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        let (p1, p2, p3) = (RAM_BASE + 0x30_0000, RAM_BASE + 0x31_0000, RAM_BASE + 0x32_0000);
        for (i, p) in [p1, p2, p3].into_iter().enumerate() {
            c.ram.write(p, 8, i as u64 + 1).unwrap();
            c.ram.write(p + 0x1000, 8, i as u64 + 11).unwrap();
        }
        t.map(&mut c, A, p1, RWX | PTE_A | PTE_D, 0);
        t.map(&mut c, B, p1, RWX | PTE_A | PTE_D, 0);
        t.map(&mut c, MEGA, RAM_BASE + 0x20_0000, RWX | PTE_A | PTE_D, 1);
        t.map(&mut c, FAR, RAM_BASE + 0x20_0000, RWX | PTE_A | PTE_D, 1);
        c.flush_tlb();
        assert_eq!((c.load(A, 8), c.load(B, 8)), (Ok(1), Ok(1)));
        c.ram.write(RAM_BASE + 0x21_1000, 8, 21).unwrap();
        c.ram.write(RAM_BASE + 0x1_1000, 8, 22).unwrap();
        assert_eq!(c.load(MEGA + 0x1_1000, 8), Ok(21));
        let _ = (c.load(MEGA, 8), c.load(FAR, 8));
        // Remap both pages; fence A only: B keeps its cached translation.
        t.map(&mut c, A, p2, RWX | PTE_A | PTE_D, 0);
        t.map(&mut c, B, p2, RWX | PTE_A | PTE_D, 0);
        c.flush_tlb_page(A + 0x123);
        assert_eq!((c.load(A, 8), c.load(B, 8)), (Ok(2), Ok(1)), "only A's page was fenced");
        c.flush_tlb_page(B);
        assert_eq!(c.load(B, 8), Ok(2));
        // Remap the megapage; fence one address inside it: all of it is new.
        t.map(&mut c, MEGA, RAM_BASE, RWX | PTE_A | PTE_D, 1);
        c.flush_tlb_page(MEGA);
        assert_eq!(c.load(MEGA + 0x1_1000, 8), Ok(22), "another page of the remapped superpage");
        assert_eq!((c.load(A, 8), c.load(B, 8)), (Ok(2), Ok(2)));
        // A 4 KiB page outside any superpage: the rest stays cached.
        t.map(&mut c, A, p3, RWX | PTE_A | PTE_D, 0);
        t.map(&mut c, B, p3, RWX | PTE_A | PTE_D, 0);
        c.flush_tlb_page(A);
        assert_eq!((c.load(A, 8), c.load(B, 8)), (Ok(3), Ok(2)), "the superpages did not widen this one");
    }

    #[test]
    fn bare_in_m_and_mprv() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        t.map(&mut c, 0x1000, RAM_BASE + 0x5000, RWX | PTE_A | PTE_D, 0);
        c.hart.prv = Priv::M;
        assert_eq!(c.translate(0x1000, Access::Read), Ok(0x1000), "M ignores satp");
        // MPRV with MPP = S translates loads and stores, not fetches.
        c.hart.csr.mstatus = MSTATUS_MPRV | (1 << MSTATUS_MPP_SHIFT);
        assert_eq!(c.translate(0x1234, Access::Read), Ok(RAM_BASE + 0x5234));
        assert_eq!(c.translate(0x1234, Access::Write), Ok(RAM_BASE + 0x5234));
        assert_eq!(c.translate(0x1234, Access::Execute), Ok(0x1234));
        // MPP = U: the page is not a U page.
        c.hart.csr.mstatus = MSTATUS_MPRV;
        assert_eq!(cause(c.translate(0x1234, Access::Read)), Some(Cause::LoadPageFault));
        // satp Bare in S.
        c.hart.csr.mstatus = 0;
        c.hart.prv = Priv::S;
        c.hart.csr.satp = 0;
        assert_eq!(c.translate(RAM_BASE + 8, Access::Execute), Ok(RAM_BASE + 8));
    }

    #[test]
    fn sv39_pages_and_ad_bits() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        let pte = t.map(&mut c, 0x4000_3000, RAM_BASE + 0x7000, RWX, 0);
        assert_eq!(c.translate(0x4000_3abc, Access::Execute), Ok(RAM_BASE + 0x7abc));
        let v = c.ram.read(pte, 8).unwrap();
        assert_eq!(v & (PTE_A | PTE_D), PTE_A, "fetch sets A only");
        assert_eq!(c.translate(0x4000_3008, Access::Write), Ok(RAM_BASE + 0x7008));
        assert_eq!(c.ram.read(pte, 8).unwrap(), v | PTE_D, "store sets D");
        // A 2 MiB megapage and a 1 GiB gigapage.
        t.map(&mut c, 0x20_0000, RAM_BASE + 0x20_0000, PTE_R, 1);
        assert_eq!(c.translate(0x3f_fff8, Access::Read), Ok(RAM_BASE + 0x3f_fff8));
        t.map(&mut c, 0x1_0000_0000, RAM_BASE, PTE_R, 2);
        assert_eq!(c.translate(0x1_0012_3456, Access::Read), Ok(RAM_BASE + 0x12_3456));
        // High half: sign-extended addresses.
        t.map(&mut c, 0xffff_ffff_c000_0000, RAM_BASE, PTE_R | PTE_W, 2);
        assert_eq!(c.translate(0xffff_ffff_c000_0010, Access::Write), Ok(RAM_BASE + 0x10));
    }

    #[test]
    fn sv39_page_faults() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        // Non-canonical: bit 38 not repeated above.
        assert_eq!(
            c.translate(0x0000_0040_0000_0000, Access::Read),
            Err(Exception::new(Cause::LoadPageFault, 0x40_0000_0000))
        );
        assert_eq!(cause(c.translate(0xffff_ff00_0000_0000, Access::Write)), Some(Cause::StorePageFault));
        // Nothing mapped: V = 0.
        assert_eq!(c.translate(0x5000, Access::Execute), Err(Exception::new(Cause::InstructionPageFault, 0x5000)));
        // W without R is reserved.
        t.map(&mut c, 0x6000, RAM_BASE, PTE_W, 0);
        assert_eq!(cause(c.translate(0x6000, Access::Write)), Some(Cause::StorePageFault));
        // Reserved bits 63:54 set.
        let p = t.map(&mut c, 0x7000, RAM_BASE, RWX, 0);
        c.ram.write(p, 8, c.ram.read(p, 8).unwrap() | (1 << 62)).unwrap();
        assert_eq!(cause(c.translate(0x7000, Access::Read)), Some(Cause::LoadPageFault));
        // Missing permission.
        t.map(&mut c, 0x8000, RAM_BASE, PTE_R, 0);
        assert_eq!(cause(c.translate(0x8000, Access::Write)), Some(Cause::StorePageFault));
        assert_eq!(cause(c.translate(0x8000, Access::Execute)), Some(Cause::InstructionPageFault));
        // Misaligned megapage.
        t.map(&mut c, 0x40_0000, RAM_BASE + 0x1000, RWX, 1);
        assert_eq!(cause(c.translate(0x40_0000, Access::Read)), Some(Cause::LoadPageFault));
        // A pointer PTE at level 0 (no leaf found).
        let p = t.map(&mut c, 0x9000, RAM_BASE, 0, 0);
        assert_eq!(c.ram.read(p, 8).unwrap() & RWX, 0);
        assert_eq!(cause(c.translate(0x9000, Access::Read)), Some(Cause::LoadPageFault));
        // D, A or U set in a pointer PTE.
        for bit in [PTE_D, PTE_A, PTE_U] {
            let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
            t.map(&mut c, 0x7fc0_0000, RAM_BASE, PTE_R, 0);
            assert!(c.translate(0x7fc0_0000, Access::Read).is_ok());
            let l2 = ROOT + 8;
            c.ram.write(l2, 8, c.ram.read(l2, 8).unwrap() | bit).unwrap();
            assert_eq!(cause(c.translate(0x7fc0_0000, Access::Read)), Some(Cause::LoadPageFault));
        }
        // A fault leaves A/D alone.
        let p = t.map(&mut c, 0xa000, RAM_BASE, PTE_R, 0);
        let _ = c.translate(0xa000, Access::Write);
        assert_eq!(c.ram.read(p, 8).unwrap() & (PTE_A | PTE_D), 0);
    }

    #[test]
    fn page_table_outside_memory_is_access_fault() {
        let (mut c, _) = Tables::new(SATP_MODE_SV39);
        c.hart.csr.satp = (8 << 60) | (0x1000_0000 >> 12);
        assert_eq!(c.translate(0x1000, Access::Read), Err(Exception::new(Cause::LoadAccessFault, 0x1000)));
        assert_eq!(cause(c.translate(0x1000, Access::Write)), Some(Cause::StoreAccessFault));
        assert_eq!(cause(c.translate(0x1000, Access::Execute)), Some(Cause::InstructionAccessFault));
    }

    #[test]
    fn user_pages_sum_and_mxr() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        t.map(&mut c, 0x1000, RAM_BASE + 0x1000, RWX | PTE_U, 0);
        t.map(&mut c, 0x2000, RAM_BASE + 0x2000, RWX, 0);
        t.map(&mut c, 0x3000, RAM_BASE + 0x3000, PTE_X | PTE_U, 0);
        // S on a U page: loads/stores only with SUM, fetches never.
        assert_eq!(cause(c.translate(0x1000, Access::Read)), Some(Cause::LoadPageFault));
        c.hart.csr.mstatus |= MSTATUS_SUM;
        assert!(c.translate(0x1000, Access::Read).is_ok());
        assert!(c.translate(0x1000, Access::Write).is_ok());
        assert_eq!(cause(c.translate(0x1000, Access::Execute)), Some(Cause::InstructionPageFault));
        // U: its own pages only, whatever SUM says.
        c.hart.prv = Priv::U;
        assert!(c.translate(0x1000, Access::Execute).is_ok());
        assert_eq!(cause(c.translate(0x2000, Access::Read)), Some(Cause::LoadPageFault));
        // MXR: execute-only pages become readable.
        assert_eq!(cause(c.translate(0x3000, Access::Read)), Some(Cause::LoadPageFault));
        c.hart.csr.mstatus |= MSTATUS_MXR;
        assert_eq!(c.translate(0x3008, Access::Read), Ok(RAM_BASE + 0x3008));
        assert_eq!(cause(c.translate(0x3008, Access::Write)), Some(Cause::StorePageFault));
    }

    #[test]
    fn sv48_walk() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV48);
        t.map(&mut c, 0x7f12_3456_7000, RAM_BASE + 0x9000, PTE_R | PTE_W, 0);
        assert_eq!(c.translate(0x7f12_3456_7ff0, Access::Read), Ok(RAM_BASE + 0x9ff0));
        // A 512 GiB terapage.
        t.map(&mut c, 0xffff_8000_0000_0000, 0, PTE_R, 3);
        assert_eq!(c.translate(0xffff_8000_8000_0040, Access::Read), Ok(RAM_BASE + 0x40));
        // 48-bit canonical: bit 47 set without sign extension faults; Sv39 range is fine.
        assert_eq!(cause(c.translate(0x0000_8000_0000_0000, Access::Read)), Some(Cause::LoadPageFault));
        assert_eq!(cause(c.translate(0x40_0000_0000, Access::Read)), Some(Cause::LoadPageFault), "valid VA, unmapped");
    }

    #[test]
    fn sv57_walk() {
        // QEMU 7.2 accepts Sv57 too.
        let (mut c, mut t) = Tables::new(SATP_MODE_SV57);
        t.map(&mut c, 0x00ff_1234_5678_9000, RAM_BASE + 0x2000, PTE_R, 0);
        assert_eq!(c.translate(0x00ff_1234_5678_9008, Access::Read), Ok(RAM_BASE + 0x2008));
        assert_eq!(cause(c.translate(0x0100_0000_0000_0000, Access::Read)), Some(Cause::LoadPageFault));
    }

    #[test]
    fn pmp_default_deny_below_m() {
        let mut c = cpu();
        c.hart.prv = Priv::S;
        assert_eq!(c.translate(RAM_BASE, Access::Read), Err(Exception::new(Cause::LoadAccessFault, RAM_BASE)));
        c.hart.prv = Priv::M;
        assert_eq!(c.translate(RAM_BASE, Access::Read), Ok(RAM_BASE));
    }

    #[test]
    fn pmp_modes_priority_and_lock() {
        let mut c = cpu();
        c.hart.prv = Priv::U;
        // 0: NA4 at RAM_BASE, no permissions; 1: TOR [RAM_BASE, RAM_BASE + 0x1000) R;
        // 2: NAPOT 64 KiB at RAM_BASE RWX.
        c.hart.csr.pmpaddr[0] = RAM_BASE >> 2;
        c.hart.csr.pmpaddr[1] = (RAM_BASE + 0x1000) >> 2;
        c.hart.csr.pmpaddr[2] = (RAM_BASE >> 2) | 0x1fff;
        c.hart.csr.pmpcfg[0] = (0x1f << 16) | (0x09 << 8) | 0x10;
        assert_eq!(cause(c.translate(RAM_BASE, Access::Read)), Some(Cause::LoadAccessFault), "NA4 wins");
        assert_eq!(c.translate(RAM_BASE + 4, Access::Read), Ok(RAM_BASE + 4), "TOR: read");
        assert_eq!(cause(c.translate(RAM_BASE + 4, Access::Write)), Some(Cause::StoreAccessFault));
        assert_eq!(cause(c.translate(RAM_BASE + 0xffc, Access::Execute)), Some(Cause::InstructionAccessFault));
        assert!(c.translate(RAM_BASE + 0x1000, Access::Execute).is_ok(), "NAPOT above the TOR top");
        assert!(c.translate(RAM_BASE + 0xfffc, Access::Write).is_ok());
        assert_eq!(cause(c.translate(RAM_BASE + 0x1_0000, Access::Read)), Some(Cause::LoadAccessFault), "no match");
        // M ignores unlocked entries, obeys locked ones.
        c.hart.prv = Priv::M;
        assert!(c.translate(RAM_BASE, Access::Read).is_ok());
        c.hart.csr.pmpcfg[0] |= 0x80;
        assert_eq!(cause(c.translate(RAM_BASE, Access::Read)), Some(Cause::LoadAccessFault));
        // An access straddling an entry's boundary fails.
        c.hart.prv = Priv::U;
        assert!(!c.pmp_allows(RAM_BASE + 0xffc, 8, Access::Read, Priv::U));
        assert!(c.pmp_allows(RAM_BASE + 0xff8, 8, Access::Read, Priv::U));
        // Pages: the first is split between entries, the second wholly in entry 2.
        assert!(!c.pmp_allows_page(RAM_BASE + 0x10, Access::Read));
        assert!(c.pmp_allows_page(RAM_BASE + 0x1010, Access::Write));
        c.hart.prv = Priv::M;
        assert!(c.pmp_allows_page(RAM_BASE + 0x10_0000, Access::Write), "M, no match");
    }

    #[test]
    fn pmp_checks_page_table_reads() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        t.map(&mut c, 0x1000, RAM_BASE + 0x1000, RWX, 0);
        assert!(c.translate(0x1000, Access::Read).is_ok());
        // Entry 0 now denies the root table page; the data page stays open through entry 1.
        c.hart.csr.pmpaddr[1] = c.hart.csr.pmpaddr[0];
        c.hart.csr.pmpaddr[0] = (ROOT >> 2) | 0x1ff;
        c.hart.csr.pmpcfg[0] = (0x1f << 8) | 0x18;
        assert_eq!(c.translate(0x1000, Access::Write), Err(Exception::new(Cause::StoreAccessFault, 0x1000)));
        // Data page denied: access fault after a successful walk.
        c.hart.csr.pmpaddr[0] = ((RAM_BASE + 0x1000) >> 2) | 0x1ff;
        c.flush_tlb(); // as the CSR write does
        assert_eq!(cause(c.translate(0x1000, Access::Execute)), Some(Cause::InstructionAccessFault));
    }

    /// The debugger's translation and a guest load's, debugger first (the
    /// load may set A).
    fn debug_and_load(c: &mut Cpu, va: u64) -> (Option<u64>, Option<u64>) {
        (c.debug_translate(va), c.translate(va, Access::Read).ok())
    }

    #[test]
    fn debug_walk_gives_the_harts_answer() {
        // Each case is one the monitor's own walker (issue 11) answered
        // differently from the hart: it now gets the hart's answer.
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        t.map(&mut c, 0x1000, RAM_BASE + 0x1000, PTE_R, 0);
        assert_eq!(debug_and_load(&mut c, 0x1234), (Some(RAM_BASE + 0x1234), Some(RAM_BASE + 0x1234)));
        // Reserved bits 63:54 in a leaf.
        let p = t.map(&mut c, 0x2000, RAM_BASE, PTE_R, 0);
        c.ram.write(p, 8, c.ram.read(p, 8).unwrap() | (1 << 60)).unwrap();
        assert_eq!(debug_and_load(&mut c, 0x2000), (None, None), "reserved bits");
        // D, A or U in a pointer PTE (reserved there, 4.3.1).
        for bit in [PTE_D, PTE_A, PTE_U] {
            let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
            t.map(&mut c, 0x7fc0_0000, RAM_BASE, PTE_R, 0);
            assert_eq!(c.debug_translate(0x7fc0_0000), Some(RAM_BASE));
            c.ram.write(ROOT + 8, 8, c.ram.read(ROOT + 8, 8).unwrap() | bit).unwrap();
            assert_eq!(debug_and_load(&mut c, 0x7fc0_0000), (None, None), "pointer with {bit:#x}");
        }
        // A misaligned megapage (step 6).
        t.map(&mut c, 0x40_0000, RAM_BASE + 0x1000, PTE_R, 1);
        assert_eq!(debug_and_load(&mut c, 0x40_0000), (None, None), "misaligned superpage");
        // A loads' permission rules: an S page seen from U, an execute-only page without MXR.
        t.map(&mut c, 0x3000, RAM_BASE + 0x3000, PTE_X, 0);
        assert_eq!(debug_and_load(&mut c, 0x3000), (None, None), "execute-only");
        c.hart.csr.mstatus |= MSTATUS_MXR;
        assert_eq!(debug_and_load(&mut c, 0x3000), (Some(RAM_BASE + 0x3000), Some(RAM_BASE + 0x3000)), "MXR");
        c.hart.prv = Priv::U;
        assert_eq!(debug_and_load(&mut c, 0x1000), (None, None), "S page from U");
        // MPRV in M: loads, and so the debugger, translate as MPP (3.1.6.3).
        c.hart.prv = Priv::M;
        assert_eq!(c.debug_translate(0x1000), Some(0x1000), "M: physical");
        c.hart.csr.mstatus |= MSTATUS_MPRV | (1 << MSTATUS_MPP_SHIFT);
        assert_eq!(debug_and_load(&mut c, 0x1000), (Some(RAM_BASE + 0x1000), Some(RAM_BASE + 0x1000)));
        c.hart.csr.mstatus = 0;
        c.hart.prv = Priv::S;
        // A page table PMP denies (3.7.1): the walk fails for both.
        c.hart.csr.pmpaddr[1] = c.hart.csr.pmpaddr[0];
        c.hart.csr.pmpaddr[0] = (ROOT >> 2) | 0x1ff;
        c.hart.csr.pmpcfg[0] = (0x1f << 8) | 0x18;
        assert_eq!(debug_and_load(&mut c, 0x1000), (None, None), "PMP on the walk");
    }

    #[test]
    fn debug_walk_reads_like_qemus_debugger() {
        // Where QEMU's riscv_cpu_get_phys_page_debug knowingly differs from a
        // guest load: SUM is taken as set (is_debug) and PMP is not checked
        // on the translated address, so gdb and the monitor see user pages
        // and PMP-guarded memory from S-mode.
        let (mut c, mut t) = Tables::new(SATP_MODE_SV39);
        t.map(&mut c, 0x1000, RAM_BASE + 0x1000, PTE_R | PTE_U, 0);
        assert_eq!(debug_and_load(&mut c, 0x1008), (Some(RAM_BASE + 0x1008), None), "U page, SUM clear");
        t.map(&mut c, 0x2000, RAM_BASE + 0x2000, PTE_R, 0);
        c.hart.csr.pmpaddr[1] = c.hart.csr.pmpaddr[0];
        c.hart.csr.pmpaddr[0] = ((RAM_BASE + 0x2000) >> 2) | 0x1ff;
        c.hart.csr.pmpcfg[0] = (0x1f << 8) | 0x18;
        assert_eq!(debug_and_load(&mut c, 0x2008), (Some(RAM_BASE + 0x2008), None), "data page PMP denies");
    }

    #[test]
    fn debug_walk_changes_nothing() {
        let (mut c, mut t) = Tables::new(SATP_MODE_SV48);
        // A and D clear everywhere: the hart's walk would set them.
        let leaf = t.map(&mut c, 0x4000_3000, RAM_BASE + 0x7000, RWX, 0);
        t.map(&mut c, 0x20_0000, RAM_BASE + 0x20_0000, PTE_R | PTE_W, 1);
        c.hart.csr.mstatus |= MSTATUS_SUM;
        let hart = c.hart.clone();
        let ram = c.ram.to_vec(RAM_BASE, 4 << 20).unwrap();
        let (generation, traps, executed) = (c.tlb.generation, c.traps.text(), c.executed);
        for va in [0x4000_3abc, 0x20_1234, 0x5000, 0x0000_8000_0000_0000] {
            let _ = c.debug_translate(va);
        }
        assert_eq!(c.debug_translate(0x4000_3abc), Some(RAM_BASE + 0x7abc));
        assert!(c.hart == hart, "hart state unchanged");
        assert_eq!(c.ram.equals(RAM_BASE, &ram), Some(true), "memory unchanged (A/D bits too)");
        assert_eq!((c.tlb.generation, c.traps.text(), c.executed), (generation, traps, executed));
        // No TLB fill: with the leaf made invalid behind the hart's back (no
        // sfence.vma), a load walks again and faults.
        let pte = c.ram.read(leaf, 8).unwrap();
        c.ram.write(leaf, 8, pte & !PTE_V).unwrap();
        assert_eq!(cause(c.load(0x4000_3ab8, 8)), Some(Cause::LoadPageFault), "no TLB entry left behind");
        // The same probe catches a fill: a hart load fills the TLB, and the
        // stale entry then serves the invalidated page.
        c.ram.write(leaf, 8, pte).unwrap();
        assert!(c.load(0x4000_3ab8, 8).is_ok());
        c.ram.write(leaf, 8, pte & !PTE_V).unwrap();
        assert!(c.load(0x4000_3ab8, 8).is_ok(), "the probe sees a filled entry");
    }
}
