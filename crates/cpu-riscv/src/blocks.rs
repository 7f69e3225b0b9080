//! The decoded-block cache: straight-line runs of decoded instructions keyed
//! by the physical address of their first instruction, so that each
//! instruction is decoded once, not at every fetch.
//!
//! Storage is one direct-mapped table (a colliding block is simply dropped
//! and decoded again when next needed). The run loop takes the block out of
//! its slot while executing it and puts it back afterwards, so no reference
//! counting is needed and the `Cpu` stays `Send`.
//!
//! Only blocks in plain RAM pages are cached. A block lies in one page or
//! runs on into the next virtual page (an instruction straddling the page
//! end, or code falling through it): it then also records the physical page
//! its second part was decoded from, and runs only while the second virtual
//! page still translates there (`Cpu::exec_block`). Every page holding
//! blocks is listed with the byte ranges of its blocks (a cross-page block
//! under both of its pages); a write to such a page (always on the slow
//! store path, see `mem.rs`) drops the blocks it overlaps.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::exec::fast::{fast_handler, Fast};
use crate::exec::Handler;
use crate::insn::{Format, Insn};
use crate::ops::{Op, HANDLERS};

/// Most instructions in one block.
pub(crate) const MAX_BLOCK: usize = 64;
const TABLE_BITS: u32 = 16;
const TABLE_SIZE: usize = 1 << TABLE_BITS;
pub(crate) const NONE: u64 = u64::MAX;

/// One decoded instruction of a block, with both its handlers: `fast`
/// runs it inside a block (`exec/fast.rs`), `handler` under the contract.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub fast: Fast,
    pub handler: Handler,
    pub insn: Insn,
    /// Byte offset from the block's first instruction.
    pub off: u16,
    /// Position in the block.
    pub idx: u8,
}

impl Entry {
    /// The instruction `insn` at `off` bytes into its block, the `idx`th.
    pub(crate) fn new(insn: Insn, off: u64, idx: usize) -> Entry {
        debug_assert!(idx < MAX_BLOCK && off < 2 * crate::mem::PAGE_SIZE);
        Entry {
            fast: fast_handler(insn.op, insn.rd),
            handler: HANDLERS[insn.op as usize],
            insn,
            off: off as u16,
            idx: idx as u8,
        }
    }
}

pub(crate) struct Block {
    /// What `BlockCache::take` matches: `pa` for a block in one page,
    /// `NONE` for a cross-page block, which `take_cross_page` finds.
    key: u64,
    /// Physical address of the first instruction.
    pub pa: u64,
    /// Physical page of the block's part in the next virtual page, or
    /// `NONE` if it lies in one page.
    pub pa2: u64,
    pub entries: Vec<Entry>,
}

impl Block {
    pub(crate) fn new(pa: u64, pa2: u64, entries: Vec<Entry>) -> Block {
        Block { key: if pa2 == NONE { pa } else { NONE }, pa, pa2, entries }
    }
}

/// Whether `insn` must be the last of its block: control transfers, and
/// instructions that may change privilege, translation, interrupt enables or
/// the code itself, or that trap. CSR writes do; CSR reads (csrrs/csrrc
/// with x0 or 0, Unprivileged spec 9.1) change nothing and do not, as in
/// QEMU (compilers bracket quiet FP compares with `frflags`/`fsflags`, trap
/// handlers read mcause and mepc).
pub(crate) fn ends_block(insn: &Insn) -> bool {
    match insn.op {
        Op::FenceI | Op::Ecall | Op::Ebreak | Op::Mret | Op::Sret | Op::Wfi | Op::SfenceVma | Op::Illegal => true,
        Op::Csrrs | Op::Csrrc | Op::Csrrsi | Op::Csrrci if insn.rs1 == 0 => false,
        op => matches!(
            op.info().map(|i| i.format),
            Some(Format::B | Format::J | Format::Jalr | Format::Csr | Format::CsrI)
        ),
    }
}

pub(crate) struct BlockCache {
    /// An array, not a `Vec`: `slot` indexes it without a bounds check.
    table: Box<[Option<Box<Block>>; TABLE_SIZE]>,
    /// Physical page -> byte ranges `(start, end, block)` of the blocks
    /// decoded from it, `block` being the block's key (the physical address
    /// of its first instruction, in this page or the one before). Entries
    /// of evicted blocks linger until the page is next pruned or written.
    pages: HashMap<u64, Vec<CodeRange>, BuildHasherDefault<PageHasher>>,
    /// The block being executed (taken out of `table`), or `NONE`.
    cur_pa: u64,
    /// The executing block was invalidated: do not put it back.
    cur_dead: bool,
    /// Set when blocks were invalidated; the run loop ends the current block.
    pub stop: bool,
    /// Byte ranges of code translated by an execution engine (the JIT), by
    /// physical page, so that writes to them are seen (see `engine.rs`).
    pub(crate) ext: HashMap<u64, Vec<CodeRange>, BuildHasherDefault<PageHasher>>,
    /// Start addresses of engine blocks dropped by writes since the engine last looked.
    pub(crate) ext_dropped: Vec<u64>,
    /// Everything was flushed (fence.i, reset) since the engine last looked.
    pub(crate) ext_flushed: bool,
}

/// Bytes `[start, end)` of one page belonging to the block keyed `block`.
type CodeRange = (u64, u64, u64);

#[inline(always)]
fn slot(pa: u64) -> usize {
    ((pa >> 1) ^ (pa >> (TABLE_BITS + 1))) as usize & (TABLE_SIZE - 1)
}

impl BlockCache {
    pub(crate) fn new() -> BlockCache {
        BlockCache {
            table: std::iter::repeat_with(|| None)
                .take(TABLE_SIZE)
                .collect::<Box<[_]>>()
                .try_into()
                .unwrap_or_else(|_| unreachable!("TABLE_SIZE entries")),
            pages: HashMap::default(),
            cur_pa: NONE,
            cur_dead: false,
            stop: false,
            ext: HashMap::default(),
            ext_dropped: Vec::new(),
            ext_flushed: false,
        }
    }

    /// Take the cached block starting at `pa` out for execution, if it lies
    /// in one page (the run loop's fast path).
    #[inline(always)]
    pub(crate) fn take(&mut self, pa: u64) -> Option<Box<Block>> {
        let s = &mut self.table[slot(pa)];
        if s.as_ref().is_some_and(|b| b.key == pa) {
            self.cur_pa = pa;
            self.cur_dead = false;
            return s.take();
        }
        None
    }

    /// Take the cached cross-page block starting at `pa` out for
    /// execution; the caller checks its second page (`Block::pa2`).
    pub(crate) fn take_cross_page(&mut self, pa: u64) -> Option<Box<Block>> {
        let s = &mut self.table[slot(pa)];
        if s.as_ref().is_some_and(|b| b.pa == pa && b.key == NONE) {
            self.cur_pa = pa;
            self.cur_dead = false;
            return s.take();
        }
        None
    }

    /// Whether the block at `pa` is cached (decoded and not written since).
    pub(crate) fn contains(&self, pa: u64) -> bool {
        self.table[slot(pa)].as_ref().is_some_and(|b| b.pa == pa)
    }

    /// Register bytes `[start, end)` (within one page) of the newly decoded
    /// block keyed `pa` (the page becomes a code page) and mark the block as
    /// the executing one. A cross-page block registers each of its two
    /// parts. Returns whether the page was not code before.
    pub(crate) fn insert_executing(&mut self, pa: u64, start: u64, end: u64) -> bool {
        let page = start & !crate::mem::PAGE_MASK;
        let table = &self.table;
        let cur = self.cur_pa;
        let list = self.pages.entry(page).or_default();
        let new_page = list.is_empty();
        if list.len() >= 64 && list.len().is_power_of_two() {
            list.retain(|&(_, _, k)| k == cur || table[slot(k)].as_ref().is_some_and(|b| b.pa == k));
        }
        list.push((start, end, pa));
        self.cur_pa = pa;
        self.cur_dead = false;
        new_page
    }

    /// The block taken out for execution is not run and not put back (its
    /// second page no longer translates where it was decoded from).
    pub(crate) fn discard_taken(&mut self) {
        self.cur_pa = NONE;
    }

    /// Give the executed block back to the table unless it was invalidated.
    #[inline(always)]
    pub(crate) fn put_back(&mut self, b: Box<Block>) {
        if !self.cur_dead {
            let s = slot(b.pa);
            self.table[s] = Some(b);
        }
        self.cur_pa = NONE;
    }

    #[inline(always)]
    pub(crate) fn is_code_page(&self, pa_page: u64) -> bool {
        (!self.pages.is_empty() && self.pages.contains_key(&pa_page))
            || (!self.ext.is_empty() && self.ext.contains_key(&pa_page))
    }

    /// Register physical bytes `[start, end)` (within one page) of the
    /// engine block keyed `pa`. Returns whether the page was not code before.
    pub(crate) fn insert_ext(&mut self, pa: u64, start: u64, end: u64) -> bool {
        let page = start & !crate::mem::PAGE_MASK;
        let was_code = self.is_code_page(page);
        self.ext.entry(page).or_default().push((start, end, pa));
        !was_code
    }

    /// Drop engine blocks overlapping `[pa, end)` in `page`, noting their starts.
    fn invalidate_ext(&mut self, page: u64, pa: u64, end: u64) {
        if let Some(list) = self.ext.get_mut(&page) {
            let dropped = &mut self.ext_dropped;
            let mut hit = false;
            list.retain(|&(s, e, k)| {
                if s >= end || e <= pa {
                    return true;
                }
                dropped.push(k);
                hit = true;
                false
            });
            if list.is_empty() {
                self.ext.remove(&page);
            }
            if hit {
                self.stop = true;
            }
        }
    }

    /// Drop every block overlapping physical `[pa, pa + len)`.
    pub(crate) fn invalidate(&mut self, pa: u64, len: u64) {
        if (self.pages.is_empty() && self.ext.is_empty()) || len == 0 {
            return;
        }
        let end = pa.saturating_add(len);
        let first = pa & !crate::mem::PAGE_MASK;
        let last = (end - 1) & !crate::mem::PAGE_MASK;
        let mut page = first;
        loop {
            if !self.ext.is_empty() {
                self.invalidate_ext(page, pa, end);
            }
            if let Some(list) = self.pages.get_mut(&page) {
                let table = &mut self.table;
                let (cur, cur_dead, stop) = (self.cur_pa, &mut self.cur_dead, &mut self.stop);
                list.retain(|&(s, e, k)| {
                    if s >= end || e <= pa {
                        return true;
                    }
                    if k == cur {
                        *cur_dead = true;
                        *stop = true;
                    } else if table[slot(k)].as_ref().is_some_and(|b| b.pa == k) {
                        table[slot(k)] = None;
                    }
                    false
                });
                if list.is_empty() {
                    self.pages.remove(&page);
                }
            }
            if page >= last {
                break;
            }
            page += crate::mem::PAGE_SIZE;
        }
    }

    /// Drop every block. Every cached block is listed under its page, so
    /// this costs in proportion to the number of blocks, not the table size
    /// (fence.i is frequent: Linux issues one whenever it maps fresh code).
    pub(crate) fn flush(&mut self) {
        for (_, list) in self.pages.drain() {
            for (_, _, k) in list {
                self.table[slot(k)] = None;
            }
        }
        if self.cur_pa != NONE {
            self.cur_dead = true;
        }
        self.ext.clear();
        self.ext_dropped.clear();
        self.ext_flushed = true;
        self.stop = true;
    }
}

/// Page numbers are already well spread: one multiply is hash enough.
#[derive(Default)]
pub(crate) struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v >> 12).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[cfg(test)]
mod tests {
    use super::ends_block;
    use crate::decode::decode;

    #[test]
    fn csr_writes_end_blocks_and_reads_do_not() {
        // frflags a4, frcsr a4, csrrci a4, fflags, 0, csrr a4, mstatus, rdcycle a4.
        for raw in [0x0010_2773, 0x0030_2773, 0x0010_7773, 0x3000_2773, 0xc000_2773] {
            assert!(!ends_block(&decode(raw)), "{raw:#x}");
        }
        // fsflags a4, csrrs a4, fflags, a5, csrw mstatus, a5, csrrsi a4, mstatus, 8.
        for raw in [0x0017_1073, 0x0017_a773, 0x3007_9073, 0x3004_6773] {
            assert!(ends_block(&decode(raw)), "{raw:#x}");
        }
    }
}
