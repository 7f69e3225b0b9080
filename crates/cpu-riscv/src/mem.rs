//! The hart's memory access paths: a software TLB in TinyEMU style (separate
//! read, write and fetch entries, direct-mapped, tag = virtual page, payload =
//! offset into RAM so that a hit costs one compare and one add), loads,
//! stores, AMO read-modify-write, physical access and instruction fetch.
//!
//! Only pages that lie wholly in RAM with no device overlay enter the TLB.
//! Write entries are never made for pages holding decoded blocks, so stores
//! to code take the slow path, which invalidates those blocks (SMC). Their
//! translations, and those of device pages, go to tables that only the
//! slow paths read, so that data stores next to code and MMIO accesses
//! skip the page walk.

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use crate::bus::BusError;
use crate::cpu::Cpu;
use crate::csr::{MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV};
use crate::decode::decode;
use crate::dlog::LOG_GUEST_ERRORS;
use crate::hart::Priv;
use crate::insn::Insn;
use crate::mmu::Access;
use crate::trap::{Cause, Exception};

pub(crate) const PAGE_SHIFT: u32 = 12;
pub(crate) const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
pub(crate) const PAGE_MASK: u64 = PAGE_SIZE - 1;
const TLB_SIZE: usize = 4096;
/// A tag no access can match: masked addresses have at most bits 2:0 set below the page.
const INVALID: u64 = u64::MAX;

#[derive(Clone, Copy)]
pub(crate) struct TlbEntry {
    /// Page-aligned virtual address, or `INVALID`.
    tag: u64,
    /// read/write: `vaddr + addend` is the index into RAM; fetch: the physical address.
    addend: u64,
    /// Physical page address, to drop write entries when a page becomes code.
    pa_page: u64,
    /// read/write: `vaddr + host` is the host address of the byte (the JIT's
    /// fast path: one compare and one add, as TinyEMU's).
    host: u64,
}

const EMPTY: TlbEntry = TlbEntry { tag: INVALID, addend: 0, pa_page: INVALID, host: 0 };

/// An all-zero entry is empty too everywhere but at index 0: its tag is
/// page 0's, which only index 0 is looked up for (`tlb_index`). So a bank
/// made from zeroed memory needs `EMPTY` written at index 0 alone, and its
/// other pages stay untouched until used (a bank is 640 KiB: 160 page
/// faults and their clearing per bank at start-up otherwise).
const ZERO_EMPTY_FROM: usize = 1;

/// One set of TLB entries: those of one translation regime (`Tlb`).
pub(crate) struct Bank {
    read: [TlbEntry; TLB_SIZE],
    write: [TlbEntry; TLB_SIZE],
    fetch: [TlbEntry; TLB_SIZE],
    /// Translations of pages whose accesses must take the slow path anyway:
    /// devices (MMIO), and for writes pages holding decoded code (stores
    /// there drop the code they overwrite). Only the slow paths read them
    /// (`load_slow`, `store_slow`), to skip the page walk; `addend` unused.
    read_slow: [TlbEntry; TLB_SIZE],
    write_slow: [TlbEntry; TLB_SIZE],
    /// Entries filled since the last flush (kind * TLB_SIZE + index), so
    /// that a flush clears only those.
    filled: Vec<u16>,
    /// Whether its entries were made empty (`prepare`): until then they are
    /// the zeroes it was allocated with, and it is never used.
    ready: bool,
    /// The direct-read window worked out since the last flush, if it was.
    pub(crate) direct_known: Option<Option<crate::engine::DirectReads>>,
    /// The virtual range (base, mask of the bits that vary) covering every
    /// entry made from a superpage since the last flush, as QEMU's
    /// `large_page_addr`/`mask`: a one-page `sfence.vma` inside it must
    /// drop the whole superpage's entries, so it flushes the bank.
    large: Option<(u64, u64)>,
}

/// Banks: U, S, M, and M with MPRV loading and storing at MPP's privilege.
pub(crate) const BANKS: usize = 4;

/// The software TLB, in one bank per privilege (as QEMU's MMU indexes), so
/// that a trap or an xRET switches banks instead of flushing: entries
/// depend on the privilege (MMU off in M, the U bit and SUM in S and U,
/// PMP), and everything else they depend on (satp, MPRV and MPP, SUM/MXR,
/// PMP, sfence.vma) flushes them all. It reads as the bank in use.
pub(crate) struct Tlb {
    banks: [Bank; BANKS],
    /// The bank in use, and the state it was chosen for (`Tlb::key`).
    cur: usize,
    key: u64,
    /// Flushes so far: what the JIT's virtual-pc jump caches (one per
    /// bank) are valid for.
    pub(crate) generation: u64,
}

impl Deref for Tlb {
    type Target = Bank;
    fn deref(&self) -> &Bank {
        &self.banks[self.cur]
    }
}

impl DerefMut for Tlb {
    fn deref_mut(&mut self) -> &mut Bank {
        &mut self.banks[self.cur]
    }
}

/// The TLB's one allocation, which generated code reads through the root
/// pointer (`as_ptr`) while Rust code reads and writes it through short-lived
/// references derived from that same pointer (`Deref`, `DerefMut`), never
/// through a `Box`, whose uniqueness would make the generated code's pointer
/// invalid after the first write from Rust. The two never overlap: generated
/// code runs only while the JIT holds the `Cpu` exclusively, and Rust code
/// it calls (helpers) is done with its references before it returns.
pub(crate) struct TlbRoot(NonNull<Tlb>);

// SAFETY: `TlbRoot` owns the `Tlb` exclusively, as a `Box<Tlb>` would.
unsafe impl Send for TlbRoot {}

impl TlbRoot {
    pub(crate) fn new() -> TlbRoot {
        // Built in place from zeroed memory: the banks (1.5 MiB) would not
        // fit on the stack, and fresh zero pages cost nothing until used;
        // a bank's entries are made empty when it is first chosen
        // (`Bank::ready`), so start-up prepares the M bank only.
        let mut tlb = Box::<Tlb>::new_zeroed();
        let p = tlb.as_mut_ptr();
        // SAFETY: `p` points to the zeroed allocation just made for a `Tlb`.
        // All-zero bytes are valid for every field but the `Vec`s and the
        // `Option`s, which are written through raw place projections (no
        // reference to invalid values) before `assume_init`. Zeroed entries
        // are valid values (plain integers), never used before `prepare`.
        let mut tlb = unsafe {
            for i in 0..BANKS {
                let bank = &raw mut (*p).banks[i];
                (&raw mut (*bank).filled).write(Vec::new());
                (&raw mut (*bank).direct_known).write(None);
                (&raw mut (*bank).large).write(None);
            }
            (&raw mut (*p).cur).write(2);
            (&raw mut (*p).key).write(Tlb::key(Priv::M, 0));
            tlb.assume_init()
        };
        tlb.banks[2].prepare();
        TlbRoot(NonNull::from(Box::leak(tlb)))
    }

    /// Which bank is in use (0..BANKS).
    pub(crate) fn bank(&self) -> usize {
        self.cur
    }

    /// The bank in use, for generated code (valid as long as the
    /// `TlbRoot`), derived from the root pointer.
    pub(crate) fn bank_ptr(&self) -> *const u8 {
        let off = std::mem::offset_of!(Tlb, banks) + self.cur * std::mem::size_of::<Bank>();
        self.0.as_ptr().cast_const().cast::<u8>().wrapping_add(off)
    }
}

impl Deref for TlbRoot {
    type Target = Tlb;
    fn deref(&self) -> &Tlb {
        // SAFETY: the pointer is the live allocation made in `new`; Rust
        // reaches it only through `self` (so `&self` excludes `&mut` uses),
        // and generated code does not run while this reference lives.
        unsafe { self.0.as_ref() }
    }
}

impl DerefMut for TlbRoot {
    fn deref_mut(&mut self) -> &mut Tlb {
        // SAFETY: as in `deref`, with `&mut self` excluding every other use.
        unsafe { self.0.as_mut() }
    }
}

impl Drop for TlbRoot {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::leak` in `new` and is freed
        // once, here; no generated code runs once the `Cpu` is dropping.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

impl Bank {
    /// Make every entry empty, before first use: the bank is zeroed
    /// memory, so only entries before `ZERO_EMPTY_FROM` are written.
    fn prepare(&mut self) {
        for kind in Kind::ALL {
            self.table(kind)[..ZERO_EMPTY_FROM].fill(EMPTY);
        }
        self.filled = Vec::with_capacity(TLB_SIZE);
        self.ready = true;
    }

    fn clear_all(&mut self) {
        for kind in Kind::ALL {
            *self.table(kind) = [EMPTY; TLB_SIZE];
        }
    }

    /// The table of entries of `kind`.
    fn table(&mut self, kind: Kind) -> &mut [TlbEntry; TLB_SIZE] {
        match kind {
            Kind::Read => &mut self.read,
            Kind::Write => &mut self.write,
            Kind::Fetch => &mut self.fetch,
            Kind::ReadSlow => &mut self.read_slow,
            Kind::WriteSlow => &mut self.write_slow,
        }
    }

    /// Put `e` at index `i` of `kind`'s table, listed for `flush`.
    fn fill(&mut self, kind: Kind, i: usize, e: TlbEntry) {
        self.table(kind)[i] = e;
        // Past TLB_SIZE listed entries `flush` clears everything.
        if self.filled.len() < TLB_SIZE {
            self.filled.push((kind as usize * TLB_SIZE + i) as u16);
        }
    }

    /// Entry `k` of `filled`, as (kind, index).
    fn listed(&self, k: usize) -> (Kind, usize) {
        let f = usize::from(self.filled[k]);
        (Kind::ALL[f / TLB_SIZE], f % TLB_SIZE)
    }

    fn flush(&mut self) {
        if !self.ready {
            return;
        }
        self.direct_known = None;
        self.large = None;
        if self.filled.len() >= TLB_SIZE {
            self.clear_all();
        } else {
            for k in 0..self.filled.len() {
                let (kind, i) = self.listed(k);
                self.table(kind)[i] = EMPTY;
            }
        }
        self.filled.clear();
    }
}

impl Tlb {
    /// Forget every translation, in every bank.
    pub(crate) fn flush(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        for b in &mut self.banks {
            b.flush();
        }
    }

    /// What chooses the bank: the privilege and, in M, MPRV and MPP.
    fn key(prv: Priv, mstatus: u64) -> u64 {
        let mprv = if prv == Priv::M { mstatus & (MSTATUS_MPRV | MSTATUS_MPP) } else { 0 };
        prv as u64 | mprv
    }

    /// Use the bank for privilege `prv` and `mstatus` (true if it changed): U, S and M have
    /// their own; M with MPRV set and MPP below M (loads and stores at
    /// MPP's privilege, fetches at M's) has the fourth, flushed when it is
    /// chosen, as what it holds depends on MPP (which changes the generation:
    /// engines' caches of what it said go too). Other bank changes keep the
    /// generation: each bank's translations stay true, so engines keep
    /// what they learnt from each bank (the JIT's jump cache per bank).
    #[inline(always)]
    fn select(&mut self, prv: Priv, mstatus: u64) -> bool {
        let key = Tlb::key(prv, mstatus);
        if key == self.key {
            return false;
        }
        self.switch(prv, mstatus, key);
        true
    }

    #[inline(never)]
    fn switch(&mut self, prv: Priv, mstatus: u64, key: u64) {
        self.key = key;
        self.cur = match prv {
            Priv::U => 0,
            Priv::S => 1,
            Priv::M if mstatus & MSTATUS_MPRV != 0 && (mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT != 3 => {
                self.generation = self.generation.wrapping_add(1);
                self.banks[3].flush();
                3
            }
            Priv::M => 2,
        };
        if !self.banks[self.cur].ready {
            self.banks[self.cur].prepare();
        }
    }

    /// Forget the translations of the 4 KiB virtual page holding `vaddr` in
    /// every bank, or all of a bank's if a superpage it cached covers it.
    pub(crate) fn flush_page(&mut self, vaddr: u64) {
        self.generation = self.generation.wrapping_add(1);
        let tag = vaddr & !PAGE_MASK;
        let i = tlb_index(vaddr);
        for b in self.banks.iter_mut().filter(|b| b.ready) {
            if b.large.is_some_and(|(base, mask)| vaddr & !mask == base) {
                b.flush();
                continue;
            }
            for kind in Kind::ALL {
                let e = &mut b.table(kind)[i];
                if e.tag == tag {
                    *e = EMPTY;
                }
            }
        }
    }

    /// Physical page `pa_page` now holds code: move its write entries to
    /// `write_slow`, in every bank.
    pub(crate) fn drop_writes_to(&mut self, pa_page: u64) {
        for b in self.banks.iter_mut().filter(|b| b.ready) {
            // Only entries filled since the last flush can hold it: look at
            // those, unless there were too many to list.
            let all = b.filled.len() >= TLB_SIZE;
            for k in 0..if all { TLB_SIZE } else { b.filled.len() } {
                let i = match (all, b.listed(k)) {
                    (true, _) => k,
                    (false, (Kind::Write, i)) => i,
                    (false, _) => continue,
                };
                if b.write[i].pa_page == pa_page {
                    let e = std::mem::replace(&mut b.write[i], EMPTY);
                    b.fill(Kind::WriteSlow, i, e);
                }
            }
        }
    }
}

/// Where generated code finds the TLB's read and write entries (see `engine.rs`).
pub(crate) const fn tlb_layout() -> crate::engine::TlbLayout {
    crate::engine::TlbLayout {
        entries: TLB_SIZE,
        entry_size: std::mem::size_of::<TlbEntry>(),
        tag: std::mem::offset_of!(TlbEntry, tag),
        addend: std::mem::offset_of!(TlbEntry, addend),
        host: std::mem::offset_of!(TlbEntry, host),
        read: std::mem::offset_of!(Bank, read),
        write: std::mem::offset_of!(Bank, write),
        fetch: std::mem::offset_of!(Bank, fetch),
    }
}

impl Cpu {
    /// The TLB bank for the current privilege, for generated code (stable
    /// while the privilege is: allocated once in `Cpu::new`).
    pub(crate) fn tlb_ptr(&mut self) -> *const u8 {
        self.select_tlb_bank();
        self.tlb.bank_ptr()
    }

    /// Use the TLB bank of the current privilege (and MPRV/MPP). Privilege
    /// changes made by the hart do this (`set_priv`); this also catches
    /// those written straight into `hart.prv` (tests, debuggers) before a
    /// run or an access through the slow path.
    #[inline(always)]
    pub(crate) fn select_tlb_bank(&mut self) {
        if self.tlb.select(self.hart.prv, self.hart.csr.mstatus) {
            // Fetches may translate differently: successor links too.
            self.blocks.unchain();
        }
    }
}

/// The tables of a bank, in the order of `Kind::ALL` (`Bank::filled`).
#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
    Fetch,
    ReadSlow,
    WriteSlow,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Read, Kind::Write, Kind::Fetch, Kind::ReadSlow, Kind::WriteSlow];
}

#[inline(always)]
fn tlb_index(vaddr: u64) -> usize {
    (vaddr >> PAGE_SHIFT) as usize & (TLB_SIZE - 1)
}

/// The tag an access of `size` bytes at `vaddr` must match: misaligned
/// accesses keep low bits set and so always miss (slow path splits them).
///
/// A hit's bytes therefore lie inside RAM (`Cpu::load_hit`, `store_hit`):
/// read and write entries are made only for pages wholly in RAM
/// (`fill_tlb`; RAM never shrinks, `Ram`'s contract), `addend` taking the
/// page to its offset in RAM, and a match means that the page matches and
/// the bits of `size - 1` are clear in the offset, which is then at most
/// `PAGE_SIZE - size`.
#[inline(always)]
fn access_tag(vaddr: u64, size: u8) -> u64 {
    vaddr & (!PAGE_MASK | u64::from(size).wrapping_sub(1))
}

/// Whether `size` is a power-of-two access naturally aligned at `addr`.
fn aligned(addr: u64, size: u8) -> bool {
    size.is_power_of_two() && size <= 8 && addr & (u64::from(size) - 1) == 0
}

impl Cpu {
    /// Load `size` (1, 2, 4, 8) bytes at virtual `vaddr`, zero-extended.
    /// Misaligned loads are performed, each page translated separately.
    #[inline(always)]
    pub fn load(&mut self, vaddr: u64, size: u8) -> Result<u64, Exception> {
        match self.load_hit(vaddr, size) {
            Some(v) => Ok(v),
            None => self.load_slow(vaddr, size),
        }
    }

    /// `load`'s fast path: the value if the TLB holds the page, else `None`
    /// (and nothing done: `load` then takes the slow path).
    #[inline(always)]
    pub(crate) fn load_hit(&self, vaddr: u64, size: u8) -> Option<u64> {
        let e = &self.tlb.read[tlb_index(vaddr)];
        if e.tag == access_tag(vaddr, size) {
            // SAFETY: a hit is inside RAM (see `access_tag`).
            return unsafe { self.ram.read_in(vaddr.wrapping_add(e.addend), size) };
        }
        None
    }

    /// Store the low `size` (1, 2, 4, 8) bytes of `val` at virtual `vaddr`.
    #[inline(always)]
    pub fn store(&mut self, vaddr: u64, size: u8, val: u64) -> Result<(), Exception> {
        match self.store_hit(vaddr, size, val) {
            Some(()) => Ok(()),
            None => self.store_slow(vaddr, size, val),
        }
    }

    /// `store`'s fast path: done if the TLB holds the page for writing,
    /// else `None` (and nothing written: `store` then takes the slow path).
    #[inline(always)]
    pub(crate) fn store_hit(&mut self, vaddr: u64, size: u8, val: u64) -> Option<()> {
        let e = &self.tlb.write[tlb_index(vaddr)];
        if e.tag == access_tag(vaddr, size) {
            let off = vaddr.wrapping_add(e.addend);
            // SAFETY: a hit is inside RAM (see `access_tag`).
            return unsafe { self.ram.write_in(off, size, val) };
        }
        None
    }

    /// Atomic read-modify-write of the naturally aligned `size` bytes at
    /// `vaddr`: stores `f(old)` and returns `old`. Translated for writing
    /// first, so every fault is a store/AMO fault (Unprivileged spec 8.4).
    pub(crate) fn amo(&mut self, vaddr: u64, size: u8, f: impl FnOnce(u64) -> u64) -> Result<u64, Exception> {
        let mask = u64::MAX >> (64 - 8 * u32::from(size.clamp(1, 8)));
        let f = |old| f(old) & mask;
        let e = &self.tlb.write[tlb_index(vaddr)];
        if e.tag == access_tag(vaddr, size) {
            let off = vaddr.wrapping_add(e.addend);
            if let Some(old) = self.ram.read_off(off, size) {
                self.ram.write_off(off, size, f(old));
                return Ok(old);
            }
        }
        let t = self.translate_span(vaddr, Access::Write)?;
        self.fill_tlb(Kind::Write, vaddr, t);
        let pa = t.0;
        let old = self.phys_load(pa, size).map_err(|_| self.access_fault(Cause::StoreAccessFault, vaddr, pa, size))?;
        self.phys_store(pa, size, f(old)).map_err(|_| self.access_fault(Cause::StoreAccessFault, vaddr, pa, size))?;
        Ok(old)
    }

    #[inline(never)]
    fn load_slow(&mut self, vaddr: u64, size: u8) -> Result<u64, Exception> {
        self.select_tlb_bank();
        let size = size.clamp(1, 8);
        let e = &self.tlb.read_slow[tlb_index(vaddr)];
        if e.tag == access_tag(vaddr, size) {
            // A device page, translated before (and PMP allows all of it).
            let pa = e.pa_page | (vaddr & PAGE_MASK);
            return self.phys_load(pa, size).map_err(|_| self.access_fault(Cause::LoadAccessFault, vaddr, pa, size));
        }
        let off = vaddr & PAGE_MASK;
        if off + u64::from(size) <= PAGE_SIZE {
            let t = self.translate_span(vaddr, Access::Read)?;
            self.fill_tlb(Kind::Read, vaddr, t);
            let pa = t.0;
            return self.phys_load(pa, size).map_err(|_| self.access_fault(Cause::LoadAccessFault, vaddr, pa, size));
        }
        // Crosses a page: each part is translated and faults with its own
        // address (Privileged spec 3.1.16: "the portion of the access").
        let n1 = (PAGE_SIZE - off) as u8;
        let v2 = vaddr.wrapping_add(u64::from(n1));
        let pa1 = self.translate(vaddr, Access::Read)?;
        let pa2 = self.translate(v2, Access::Read)?;
        let lo = self.phys_load(pa1, n1).map_err(|_| self.access_fault(Cause::LoadAccessFault, vaddr, pa1, n1))?;
        let hi = self
            .phys_load(pa2, size - n1)
            .map_err(|_| self.access_fault(Cause::LoadAccessFault, v2, pa2, size - n1))?;
        Ok(lo | hi << (8 * u32::from(n1)))
    }

    #[inline(never)]
    fn store_slow(&mut self, vaddr: u64, size: u8, val: u64) -> Result<(), Exception> {
        self.select_tlb_bank();
        let size = size.clamp(1, 8);
        let i = tlb_index(vaddr);
        let e = self.tlb.write_slow[i];
        if e.tag == access_tag(vaddr, size) {
            // A device or code page, translated before (and PMP allows all
            // of it): as below, without the walk.
            let pa = e.pa_page | (vaddr & PAGE_MASK);
            self.phys_store(pa, size, val).map_err(|_| self.access_fault(Cause::StoreAccessFault, vaddr, pa, size))?;
            let plain = self.ram.contains(e.pa_page, PAGE_SIZE) && !self.bus.overlaps(e.pa_page, PAGE_SIZE);
            if plain && !self.blocks.is_code_page(e.pa_page) {
                // No code left there: a fast entry again.
                self.tlb.write_slow[i] = EMPTY;
                self.fill_tlb(Kind::Write, vaddr, (pa, PAGE_MASK));
            }
            return Ok(());
        }
        let off = vaddr & PAGE_MASK;
        if off + u64::from(size) <= PAGE_SIZE {
            let t = self.translate_span(vaddr, Access::Write)?;
            self.fill_tlb(Kind::Write, vaddr, t);
            let pa = t.0;
            return self
                .phys_store(pa, size, val)
                .map_err(|_| self.access_fault(Cause::StoreAccessFault, vaddr, pa, size));
        }
        let n1 = (PAGE_SIZE - off) as u8;
        let n2 = size - n1;
        let v2 = vaddr.wrapping_add(u64::from(n1));
        let pa1 = self.translate(vaddr, Access::Write)?;
        let pa2 = self.translate(v2, Access::Write)?;
        // Check both parts are backed before writing either (precise traps).
        if !self.phys_mapped(pa1, n1) {
            return Err(self.access_fault(Cause::StoreAccessFault, vaddr, pa1, n1));
        }
        if !self.phys_mapped(pa2, n2) {
            return Err(self.access_fault(Cause::StoreAccessFault, v2, pa2, n2));
        }
        self.phys_store(pa1, n1, val).map_err(|_| self.access_fault(Cause::StoreAccessFault, vaddr, pa1, n1))?;
        let hi = val >> (8 * u32::from(n1));
        self.phys_store(pa2, n2, hi).map_err(|_| self.access_fault(Cause::StoreAccessFault, v2, pa2, n2))
    }

    /// The access fault for `vaddr` (physical `pa`), logged for `-d guest_errors`
    /// in QEMU's words.
    #[cold]
    fn access_fault(&mut self, cause: Cause, vaddr: u64, pa: u64, size: u8) -> Exception {
        if self.dlog.enabled(LOG_GUEST_ERRORS) {
            let what = if cause == Cause::LoadAccessFault { "read" } else { "write" };
            writeln!(self.dlog, "Invalid {what} at addr 0x{pa:X}, size {size}, region '(null)', reason: rejected");
        }
        Exception::new(cause, vaddr)
    }

    /// Whether every byte of `[pa, pa + n)` is RAM or a device.
    fn phys_mapped(&self, pa: u64, n: u8) -> bool {
        (0..u64::from(n)).all(|i| {
            let a = pa.wrapping_add(i);
            self.ram.contains(a, 1) || self.bus.overlaps(a, 1)
        })
    }

    /// Enter a translation into the TLB: a fast entry if its page is plain
    /// RAM (and, for writes, holds no decoded code), else a slow-path one
    /// (`read_slow`, `write_slow`; fetches get none). No entry when PMP
    /// does not decide the whole page alike.
    fn fill_tlb(&mut self, kind: Kind, vaddr: u64, (pa, span): (u64, u64)) {
        let pa_page = pa & !PAGE_MASK;
        // A PMP region smaller than the page: every access must be checked.
        let access = match kind {
            Kind::Read | Kind::ReadSlow => Access::Read,
            Kind::Write | Kind::WriteSlow => Access::Write,
            Kind::Fetch => Access::Execute,
        };
        if !self.pmp_allows_page(pa_page, access) {
            return;
        }
        // Plain RAM: fast entries. Fetch entries may cover a page that a
        // device partly overlays: blocks are decoded only up to the device.
        let in_ram = self.ram.contains(pa_page, PAGE_SIZE);
        let plain = in_ram && (matches!(kind, Kind::Fetch) || !self.bus.overlaps(pa_page, PAGE_SIZE));
        if !in_ram && matches!(kind, Kind::Fetch) {
            return;
        }
        // Noted for every entry: a one-page sfence.vma inside must flush.
        if span > PAGE_MASK {
            let large = &mut self.tlb.large;
            *large = Some(match *large {
                None => (vaddr & !span, span),
                Some((base, mut mask)) => {
                    mask |= span;
                    while base & !mask != vaddr & !mask {
                        mask = mask << 1 | 1;
                    }
                    (base & !mask, mask)
                }
            });
        }
        let tag = vaddr & !PAGE_MASK;
        let ram_off = pa_page.wrapping_sub(self.ram.base());
        let (kind, addend) = match kind {
            Kind::Read | Kind::ReadSlow if plain => (Kind::Read, ram_off.wrapping_sub(tag)),
            Kind::Read | Kind::ReadSlow => (Kind::ReadSlow, 0),
            Kind::Write | Kind::WriteSlow => {
                if plain && self.write_log.is_some() {
                    self.note_write(pa_page);
                }
                if plain && !self.blocks.is_code_page(pa_page) {
                    // No code there: guarded stores to it stop faulting.
                    if self.guard_stores && !self.ram.unprotect(pa_page) {
                        self.set_store_guard(false);
                    }
                    (Kind::Write, ram_off.wrapping_sub(tag))
                } else {
                    (Kind::WriteSlow, 0)
                }
            }
            Kind::Fetch => (kind, pa_page.wrapping_sub(tag)),
        };
        let host = self.ram.host_base().wrapping_add(addend);
        self.tlb.fill(kind, tlb_index(vaddr), TlbEntry { tag, addend, pa_page, host });
    }

    /// Physical read of `n` (1..=8) bytes at any alignment: RAM directly,
    /// devices in naturally aligned pieces or bytes.
    fn phys_load(&mut self, pa: u64, n: u8) -> Result<u64, BusError> {
        if !self.bus.overlaps(pa, u64::from(n)) {
            let mut b = [0u8; 8];
            if self.ram.read_bytes(pa, &mut b[..usize::from(n.min(8))]).is_some() {
                return Ok(u64::from_le_bytes(b));
            }
        }
        if aligned(pa, n) {
            return self.phys_read(pa, n);
        }
        let mut v = 0;
        for i in 0..n {
            v |= self.phys_read(pa.wrapping_add(u64::from(i)), 1)? << (8 * u32::from(i));
        }
        Ok(v)
    }

    /// Physical write of `n` (1..=8) bytes at any alignment.
    fn phys_store(&mut self, pa: u64, n: u8, val: u64) -> Result<(), BusError> {
        if aligned(pa, n) {
            return self.phys_write(pa, n, val);
        }
        for i in 0..n {
            self.phys_write(pa.wrapping_add(u64::from(i)), 1, val >> (8 * u32::from(i)))?;
        }
        Ok(())
    }

    /// Physical read (`size` 1, 2, 4 or 8, naturally aligned for devices):
    /// devices first where they overlay, else RAM, else `Unmapped`.
    pub fn phys_read(&mut self, pa: u64, size: u8) -> Result<u64, BusError> {
        if self.bus.overlaps(pa, u64::from(size)) {
            return self.bus.read(pa, size);
        }
        self.ram.read(pa, size).ok_or(BusError::Unmapped)
    }

    /// Physical write: devices first where they overlay, else RAM (dropping
    /// any decoded blocks the bytes belong to), else `Unmapped`.
    pub fn phys_write(&mut self, pa: u64, size: u8, val: u64) -> Result<(), BusError> {
        if self.bus.overlaps(pa, u64::from(size)) {
            return self.bus.write(pa, size, val);
        }
        if !self.ram.contains(pa, u64::from(size)) {
            return Err(BusError::Unmapped);
        }
        self.invalidate_code(pa, u64::from(size));
        if self.write_log.is_some() {
            self.note_write(pa & !PAGE_MASK);
        }
        self.ram.write(pa, size, val).ok_or(BusError::Unmapped)
    }

    /// Keep the contents of RAM page `pa_page` before its first write since
    /// `start_write_log` (see `engine.rs`).
    #[cold]
    pub(crate) fn note_write(&mut self, pa_page: u64) {
        let Some(log) = &mut self.write_log else { return };
        if log.iter().any(|(p, _)| *p == pa_page) {
            return;
        }
        if let Some(v) = self.ram.to_vec(pa_page, PAGE_SIZE as usize) {
            log.push((pa_page, v.into()));
        }
    }

    /// Page `pa_page` now holds code: stores to it must reach Rust (which
    /// drops the code they overwrite), both through the TLB and from
    /// generated code's guarded stores.
    pub(crate) fn code_page_added(&mut self, pa_page: u64) {
        self.tlb.drop_writes_to(pa_page);
        if self.guard_stores && !self.ram.protect(pa_page) {
            self.set_store_guard(false);
        }
    }

    /// Whether the direct-read window may be RAM's guarded mapping, where
    /// pages holding code are read-only so that generated code stores with
    /// no check of its own (`DirectReads::guarded`); false if RAM has no
    /// such mapping (or the host refused to protect a page: then it is off).
    /// Turning it off drops all engine code (blocks made under it store
    /// unchecked) and makes every page writable.
    pub fn set_store_guard(&mut self, on: bool) -> bool {
        let on = on && self.write_log.is_none();
        let on = on && self.ram.has_guard();
        if on == self.guard_stores {
            return on;
        }
        self.guard_stores = on;
        if on {
            for page in self.blocks.code_pages() {
                if !self.ram.protect(page) {
                    return self.set_store_guard(false);
                }
            }
        } else {
            // Even if this failed, nothing writes through the guarded
            // mapping any more: the window is RAM's own mapping again.
            let _ = self.ram.unprotect_all();
            self.blocks.flush_ext();
        }
        self.flush_tlb();
        on
    }

    /// Whether stores are guarded (`set_store_guard`).
    pub fn store_guard(&self) -> bool {
        self.guard_stores
    }

    /// Forget all cached translations, in every bank (satp, MPRV, PMP,
    /// sfence.vma; a privilege change switches banks instead: `set_priv`).
    /// The current block ends after the instruction that does this, since
    /// engines may cache what the translations said (QEMU ends its TB too).
    pub fn flush_tlb(&mut self) {
        self.tlb.flush();
        self.pmp.get_mut().invalidate();
        self.translations_changed();
    }

    /// `sfence.vma` with an address: forget the translations of its page
    /// (in every bank; those for every ASID, as ASIDs are not kept apart).
    pub fn flush_tlb_page(&mut self, vaddr: u64) {
        self.tlb.flush_page(vaddr);
        self.translations_changed();
    }

    /// After a flush: successor links may be stale and the block ends.
    fn translations_changed(&mut self) {
        self.select_tlb_bank();
        self.blocks.unchain();
        self.blocks.stop = true;
    }

    /// The direct-read window: while loads are done at M-mode privilege
    /// (no translation: Privileged spec 3.1.6.3, MPRV included), PMP lets
    /// M read all of RAM (none active, or the lowest entry matching any
    /// byte of RAM matches all of it and allows it, so that it decides
    /// every access inside: 3.7.1) and no device overlays RAM, a load of
    /// any bytes inside RAM is a plain read of RAM, so generated code may
    /// skip the TLB. Stores too (`DirectReads::guarded`) when the guard is
    /// on and PMP lets M write all of RAM likewise. Kept per TLB bank
    /// (privilege) and worked out again after each flush (MPRV and PMP
    /// changes flush).
    #[inline]
    pub fn direct_reads(&mut self) -> Option<crate::engine::DirectReads> {
        self.select_tlb_bank();
        match self.tlb.direct_known {
            Some(known) => known,
            None => self.work_out_direct_reads(),
        }
    }

    #[cold]
    fn work_out_direct_reads(&mut self) -> Option<crate::engine::DirectReads> {
        let (lo, size) = (self.ram.base(), self.ram.size());
        let m = crate::hart::Priv::M;
        let window = (self.effective_priv(Access::Read) == m
            && size > 0
            && (!self.pmp_active() || self.pmp_allows(lo, size, Access::Read, m))
            && !self.bus.overlaps(lo, size))
        .then(|| {
            // Stores too, if PMP lets M write all of RAM as it lets it read.
            let writable = self.effective_priv(Access::Write) == m
                && (!self.pmp_active() || self.pmp_allows(lo, size, Access::Write, m));
            let (host, guarded) = match self.ram.guard_base().filter(|_| self.guard_stores && writable) {
                Some(g) => (g, true),
                None => (self.ram.host_base(), false),
            };
            let addend = host.wrapping_sub(lo);
            crate::engine::DirectReads { lo, len: size.min(crate::engine::DirectReads::MAX_LEN), addend, guarded }
        });
        self.tlb.direct_known = Some(window);
        window
    }

    /// Translate `pc` for instruction fetch: the physical address and
    /// whether it lies in a plain RAM page (whose blocks may be cached).
    #[inline(always)]
    pub(crate) fn fetch_pa(&mut self, pc: u64) -> Result<(u64, bool), Exception> {
        match self.fetch_pa_cached(pc) {
            Some(pa) => Ok((pa, true)),
            None => self.fetch_pa_slow(pc),
        }
    }

    /// `fetch_pa` on a fetch TLB hit (cacheable RAM), else `None`.
    #[inline(always)]
    pub(crate) fn fetch_pa_cached(&self, pc: u64) -> Option<u64> {
        let e = &self.tlb.fetch[tlb_index(pc)];
        (e.tag == pc & !PAGE_MASK).then(|| pc.wrapping_add(e.addend))
    }

    #[inline(never)]
    fn fetch_pa_slow(&mut self, pc: u64) -> Result<(u64, bool), Exception> {
        self.select_tlb_bank();
        // The fetch TLB changes (or the page is walked every time).
        self.blocks.unchain();
        let t = self.translate_span(pc, Access::Execute)?;
        self.fill_tlb(Kind::Fetch, pc, t);
        let pa = t.0;
        let e = &self.tlb.fetch[tlb_index(pc)];
        Ok((pa, e.tag == pc & !PAGE_MASK))
    }

    /// Fetch 16 bits at physical `pa` for the instruction part at `vaddr`.
    fn fetch16(&mut self, pa: u64, vaddr: u64) -> Result<u32, Exception> {
        match self.phys_read(pa, 2) {
            Ok(v) => Ok(v as u32),
            Err(_) => Err(Exception::new(Cause::InstructionAccessFault, vaddr)),
        }
    }

    /// Fetch and decode the instruction at `pc` without the block cache: used
    /// for device memory and for a 32-bit instruction that straddles a page,
    /// whose second half is translated separately (a fault there reports
    /// `pc + 2`, Privileged spec 3.1.16).
    pub(crate) fn fetch_uncached(&mut self, pc: u64) -> Result<Insn, Exception> {
        let (pa, _) = self.fetch_pa(pc)?;
        let lo = self.fetch16(pa, pc)?;
        if lo & 3 != 3 {
            return Ok(decode(lo));
        }
        let v2 = pc.wrapping_add(2);
        let pa2 = if v2 & PAGE_MASK == 0 { self.fetch_pa(v2)?.0 } else { pa.wrapping_add(2) };
        let hi = self.fetch16(pa2, v2)?;
        Ok(decode(lo | hi << 16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::DirectReads;
    use crate::{Bus, Clock, Hart, IrqLines, Priv, Ram};

    const BASE: u64 = 0x8000_0000;
    const SIZE: usize = 0x4000;

    /// A bank prepared from zeroed memory (`ZERO_EMPTY_FROM`) matches no
    /// access, of any size, to any page at any index, page 0 included.
    #[test]
    fn a_fresh_bank_matches_no_access() {
        let mut tlb = TlbRoot::new();
        assert!(tlb.banks[2].ready && !tlb.banks[1].ready);
        tlb.banks[1].prepare();
        for b in [2, 1] {
            let bank = &mut tlb.banks[b];
            for kind in Kind::ALL {
                for i in 0..TLB_SIZE as u64 {
                    for v in [i << PAGE_SHIFT, (i + TLB_SIZE as u64) << PAGE_SHIFT, !0 << 20 | i << PAGE_SHIFT] {
                        let e = bank.table(kind)[tlb_index(v)];
                        for size in [1, 2, 4, 8] {
                            assert_ne!(e.tag, access_tag(v, size), "{} {v:#x}", kind as usize);
                        }
                        assert_ne!(e.tag, v, "{} {v:#x}", kind as usize);
                    }
                }
            }
        }
    }

    /// A page holding a block: its stores get a `write_slow` translation
    /// (no fast `write` entry), which skips the walk but still drops the
    /// code a store overwrites; once no code is left, the page gets a fast
    /// write entry again.
    #[test]
    fn stores_to_a_code_page_skip_the_walk_yet_drop_the_code() {
        const ADDI_1: u64 = 0x0015_0513; // addi a0,a0,1
        const ADDI_7: u64 = 0x0075_0513; // addi a0,a0,7
        let t = BASE + 0x1000;
        let mut c = Cpu::with_ram(Ram::new(BASE, SIZE), t);
        c.ram_write(t, 4, ADDI_1).unwrap();
        c.ram_write(t + 4, 4, 0x0000_8067).unwrap(); // ret
        assert_eq!(c.run(1), crate::Stop::Budget); // decodes the block at t
        assert!(c.blocks.contains(t));
        let idx = tlb_index(t);
        for k in 0..3 {
            c.store(t + 0x800 + 8 * k, 8, k).unwrap();
        }
        assert_eq!(c.tlb.write_slow[idx].tag, t, "a code-page translation");
        assert_ne!(c.tlb.write[idx].tag, t, "and no fast write entry");
        assert!(c.blocks.contains(t), "data stores keep the code");
        assert_eq!(c.ram.read(t + 0x810, 8), Some(2));
        c.store(t, 4, ADDI_7).unwrap();
        assert!(!c.blocks.contains(t), "a store over the code drops it");
        c.store(t + 0x808, 8, 9).unwrap();
        assert_eq!((c.tlb.write[idx].tag, c.tlb.write_slow[idx].tag), (t, INVALID), "fast again");
        assert_eq!(c.ram.read(t + 0x808, 8), Some(9));
        c.hart.pc = t;
        assert_eq!(c.run(1), crate::Stop::Budget);
        assert_eq!(c.hart.x[10], 1 + 7, "the new code runs");
        c.flush_tlb();
        assert_eq!((c.tlb.write[idx].tag, c.tlb.write_slow[idx].tag), (INVALID, INVALID));
    }

    /// A device register file outside RAM that counts its accesses.
    struct Counter(std::sync::Arc<std::sync::atomic::AtomicU64>);

    impl Bus for Counter {
        fn read(&mut self, addr: u64, _: u8) -> Result<u64, BusError> {
            Ok(self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + (addr & 0xff))
        }
        fn write(&mut self, _: u64, _: u8, v: u64) -> Result<(), BusError> {
            self.0.fetch_add(v, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
        fn overlaps(&self, addr: u64, len: u64) -> bool {
            addr < 0x1000_1000 && addr + len > 0x1000_0000
        }
    }

    /// MMIO through the slow tables: the page's translation is kept (no
    /// walk next time), every access still reaches the device, and
    /// translations change with a flush.
    #[test]
    fn device_pages_keep_their_translation_for_the_slow_path() {
        let n = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let bus = Box::new(Counter(n.clone()));
        let mut c = Cpu::new(Hart::new(0, BASE), Ram::new(BASE, SIZE), bus, IrqLines::new(), Clock::new());
        let (dev, idx) = (0x1000_0000, tlb_index(0x1000_0000));
        assert_eq!(c.load(dev + 5, 1), Ok(5));
        assert_eq!(c.tlb.read_slow[idx].tag, dev, "kept for the next load");
        assert_eq!(c.tlb.read[idx].tag, INVALID, "never a fast entry");
        assert_eq!(c.load(dev + 5, 1), Ok(6), "the device saw it");
        c.store(dev, 4, 10).unwrap();
        assert_eq!(c.tlb.write_slow[idx].tag, dev);
        c.store(dev, 4, 10).unwrap();
        assert_eq!(n.load(std::sync::atomic::Ordering::Relaxed), 22, "2 reads, 2 writes of 10");
        assert_eq!(c.load(dev + 2, 2).map_err(|e| e.cause), Ok(24));
        c.flush_tlb();
        assert_eq!((c.tlb.read_slow[idx].tag, c.tlb.write_slow[idx].tag), (INVALID, INVALID));
    }

    #[test]
    fn tlb_hits_stay_inside_ram() {
        // RAM ending mid-page: its last page never enters the TLB (hits
        // skip the bounds check), so accesses there take the slow path,
        // which checks every byte (Miri: no read or write past the end).
        let mut c = Cpu::with_ram(Ram::new(BASE, 0x1800), BASE);
        let last = BASE + 0x17f8;
        for _ in 0..2 {
            assert_eq!(c.store(last, 8, 0x1122_3344_5566_7788), Ok(()));
            assert_eq!(c.load(last, 8), Ok(0x1122_3344_5566_7788));
            assert_eq!(c.load(BASE + 0x1800, 1).map_err(|e| e.cause), Err(Cause::LoadAccessFault));
            assert_eq!(c.store(BASE + 0x1800, 8, 0).map_err(|e| e.cause), Err(Cause::StoreAccessFault));
            assert_eq!(c.load(last, 8), Ok(0x1122_3344_5566_7788));
        }
        // A whole page does enter it: the last aligned bytes hit.
        let mut c = Cpu::with_ram(Ram::new(BASE, 0x1000), BASE);
        for size in [1, 2, 4, 8] {
            let a = BASE + 0x1000 - u64::from(size);
            assert_eq!(c.store(a, size, 0xff), Ok(()));
            assert_eq!(c.load(a, size), Ok(0xff));
            assert!(c.load_hit(a, size).is_some());
        }
    }

    /// A device at 8 bytes of RAM's second page.
    struct Overlay;
    impl Bus for Overlay {
        fn read(&mut self, _: u64, _: u8) -> Result<u64, BusError> {
            Ok(0)
        }
        fn write(&mut self, _: u64, _: u8, _: u64) -> Result<(), BusError> {
            Ok(())
        }
        fn overlaps(&self, addr: u64, len: u64) -> bool {
            addr < BASE + 0x1008 && addr + len > BASE + 0x1000
        }
    }

    fn window(c: &Cpu) -> DirectReads {
        DirectReads { lo: BASE, len: SIZE as u64, addend: c.ram.host_base().wrapping_sub(BASE), guarded: false }
    }

    #[test]
    fn direct_reads_hold_for_m_mode_loads_only() {
        let mut c = Cpu::with_ram(Ram::new(BASE, SIZE), BASE);
        assert_eq!(c.direct_reads(), Some(window(&c)), "M, no PMP");
        assert_eq!(c.tlb.direct_known, Some(Some(window(&c))), "kept");
        c.flush_tlb();
        assert_eq!(c.tlb.direct_known, None, "a flush forgets it");
        c.set_priv(Priv::S);
        assert_eq!(c.direct_reads(), None, "S");
        c.set_priv(Priv::M);
        // MPRV: loads at MPP's privilege (3.1.6.3).
        c.hart.csr.mstatus = 1 << 17 | 1 << 11;
        c.flush_tlb();
        assert_eq!(c.direct_reads(), None, "MPRV, MPP = S");
        c.hart.csr.mstatus = 1 << 17 | 3 << 11;
        c.flush_tlb();
        assert_eq!(c.direct_reads(), Some(window(&c)), "MPRV, MPP = M");
    }

    #[test]
    fn direct_reads_follow_pmp_and_devices() {
        let mut c = Cpu::with_ram(Ram::new(BASE, SIZE), BASE);
        // One NAPOT entry over everything decides every access: M reads.
        c.hart.csr.pmpaddr[0] = (1 << 54) - 1;
        c.hart.csr.pmpcfg[0] = 0x1f;
        c.flush_tlb();
        assert_eq!(c.direct_reads(), Some(window(&c)));
        // A lower entry over RAM's first page only: an access across its
        // end matches it partly and fails even in M (3.7.1).
        c.hart.csr.pmpaddr[1] = c.hart.csr.pmpaddr[0];
        c.hart.csr.pmpaddr[0] = BASE >> 2 | 0x1ff;
        c.hart.csr.pmpcfg[0] = 0x1f << 8 | 0x1f;
        c.flush_tlb();
        assert_eq!(c.direct_reads(), None, "partly covered");
        assert_eq!(c.direct_reads(), None, "worked out once, kept");
        let mut d =
            Cpu::new(Hart::new(0, BASE), Ram::new(BASE, SIZE), Box::new(Overlay), IrqLines::new(), Clock::new());
        assert_eq!(d.direct_reads(), None, "a device over RAM");
    }
}
