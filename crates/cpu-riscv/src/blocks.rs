//! The decoded-block cache: straight-line runs of decoded instructions keyed
//! by the physical address of their first instruction, so that each
//! instruction is decoded once, not at every fetch.
//!
//! Storage is one direct-mapped table (a colliding block is simply dropped
//! and decoded again when next needed). Blocks run in place: the table owns
//! them through raw pointers, and a block invalidated while it runs is only
//! unlinked, then freed when it ends (`BlockCache::end`), so the `&Block`
//! the run loop holds stays valid without reference counting.
//!
//! Each block remembers its last two successors (`Link`): the virtual pc
//! the run went on at and the block found there. A link holds while
//! `BlockCache::epoch` is unchanged: it moves on at every removal from the
//! table, every fetch translation made (a TLB fill) and every TLB flush, so
//! that a valid link gives the block that translating the pc and looking it
//! up would give.
//!
//! Only blocks in plain RAM pages are cached. A block lies in one page or
//! runs on into the next virtual page (an instruction straddling the page
//! end, or code falling through it): it then also records the physical page
//! its second part was decoded from, and runs only while the second virtual
//! page still translates there (`Cpu::exec_block`). Every page holding
//! blocks is listed with the byte ranges of its blocks (a cross-page block
//! under both of its pages); a write to such a page (always on the slow
//! store path, see `mem.rs`) drops the blocks it overlaps.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::NonNull;

use crate::exec::fast::{fast_handler, At, Fast};
use crate::exec::Handler;
use crate::insn::{Format, Insn};
use crate::ops::{Op, HANDLERS};

/// Most instructions in one block.
pub(crate) const MAX_BLOCK: usize = 64;
/// Slots of the block table (a cache: any size gives the same results).
/// Fewer under Miri, which pays for every slot of every `Cpu` made.
const TABLE_BITS: u32 = if cfg!(miri) { 8 } else { 16 };
const TABLE_SIZE: usize = 1 << TABLE_BITS;
pub(crate) const NONE: u64 = u64::MAX;

/// One decoded instruction of a block, with its fast handler, which runs
/// it inside a block (`exec/fast.rs`); the contract handler is found by op
/// where it is needed (`Entry::handler`), which keeps entries smaller.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub fast: Fast,
    pub insn: Insn,
    /// `insn`'s registers, for the fast handlers.
    pub rd: Reg,
    pub rs1: Reg,
    pub rs2: Reg,
    /// Byte offset from the block's first instruction.
    pub off: u16,
    /// Position in the block.
    pub idx: u8,
    /// The run's end marker (`Entry::end`), which only `Entry::end` makes:
    /// its handler leaves the block without stepping further.
    pub(crate) end: bool,
}

/// A register number as a type with 32 values, so that indexing the
/// register file with it needs neither a mask nor a bounds check (fast
/// handlers' operands: measured 2 host instructions per guest instruction).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
#[rustfmt::skip]
pub(crate) enum Reg {
    X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
    X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, X31,
}

impl Reg {
    /// Register `r` (its low 5 bits).
    pub(crate) fn new(r: u8) -> Reg {
        use Reg::*;
        #[rustfmt::skip]
        const ALL: [Reg; 32] = [
            X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
            X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, X31,
        ];
        ALL[usize::from(r & 31)]
    }
}

impl Entry {
    /// The contract handler of its instruction.
    #[inline(always)]
    pub(crate) fn handler(&self) -> Handler {
        HANDLERS[self.insn.op as usize]
    }

    /// The instruction `insn` at `off` bytes into its block, the `idx`th.
    pub(crate) fn new(insn: Insn, off: u64, idx: usize) -> Entry {
        debug_assert!(idx < MAX_BLOCK && off < 2 * crate::mem::PAGE_SIZE);
        Entry {
            fast: fast_handler(insn.op, insn.rd),
            rd: Reg::new(insn.rd),
            rs1: Reg::new(insn.rs1),
            rs2: Reg::new(insn.rs2),
            insn,
            off: off as u16,
            idx: idx as u8,
            end: false,
        }
    }

    /// The end marker of a run whose last instruction is `last`: not an
    /// instruction, but where the run leaves when it falls through (so that
    /// handlers step to the next entry without asking whether there is one).
    pub(crate) fn end(last: &Entry) -> Entry {
        let off = u64::from(last.off) + u64::from(last.insn.len);
        let idx = usize::from(last.idx) + 1;
        Entry { fast: crate::exec::fast::fall_out, idx: idx as u8, off: off as u16, end: true, ..*last }
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
    /// At least one instruction, then the end marker (`terminate`); never
    /// changed. Exactly sized: a Linux boot decodes tens of thousands of
    /// blocks, and heap pages cost a page fault each when first touched.
    entries: Box<[Entry]>,
    /// The last two successors, most recent first.
    links: [Link; 2],
    /// Runs counted toward translation by an engine (`BlockCache::hot`).
    runs: Cell<u32>,
}

impl Block {
    /// The block's entries, to run from the first.
    #[inline(always)]
    pub(crate) fn run(&self) -> At<'_> {
        // SAFETY: `new` terminated `entries`; the field is private and never
        // changed after.
        unsafe { At::start_terminated(&self.entries) }
    }

    /// The block's instructions (without the end marker).
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries[..self.entries.len() - 1]
    }

    /// How many instructions the block has.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len() - 1
    }
}

/// A successor of a block: the block at virtual `pc`, as of `epoch`.
struct Link {
    pc: Cell<u64>,
    epoch: Cell<u64>,
    to: Cell<Option<NonNull<Block>>>,
}

impl Link {
    fn none() -> Link {
        Link { pc: Cell::new(0), epoch: Cell::new(u64::MAX), to: Cell::new(None) }
    }
}

impl Block {
    pub(crate) fn new(pa: u64, pa2: u64, entries: &[Entry]) -> Block {
        assert!(!entries.is_empty(), "empty block");
        let mut last = entries[entries.len() - 1];
        let end = Entry::end(&last);
        // A branch back to the first instruction closes a loop, which goes
        // round inside the block when it can (`Cpu::again`).
        if i64::from(last.insn.imm) == -i64::from(last.off) {
            if let Some(f) = crate::exec::fast::loop_handler(last.insn.op) {
                last.fast = f;
            }
        }
        let n = entries.len() - 1;
        // One exact allocation and a copy (a chained iterator's `collect`
        // went entry by entry: a fifth of decoding a block).
        let mut v = Vec::with_capacity(n + 2);
        v.extend_from_slice(&entries[..n]);
        v.extend([last, end]);
        let entries = v.into_boxed_slice();
        Block {
            key: if pa2 == NONE { pa } else { NONE },
            pa,
            pa2,
            entries,
            links: [Link::none(), Link::none()],
            runs: Cell::new(0),
        }
    }
}

/// End a run of instructions with its end marker (`Entry::end`).
pub(crate) fn terminate(entries: &mut Vec<Entry>) {
    if let Some(last) = entries.last() {
        entries.push(Entry::end(last));
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
        // Writes to plain fields (scratch, epc, cause, tval) change nothing
        // that translation or interrupts depend on.
        Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci
            if crate::csr::plain((insn.imm as u32 & 0xfff) as u16).is_some() =>
        {
            false
        }
        op => matches!(
            op.info().map(|i| i.format),
            Some(Format::B | Format::J | Format::Jalr | Format::Csr | Format::CsrI)
        ),
    }
}

pub(crate) struct BlockCache {
    /// An array, not a `Vec`: `slot` indexes it without a bounds check.
    /// Each block is owned by its slot (made by `Box::leak`), or, once
    /// unlinked while it runs, by `cur` until it ends.
    table: Box<[Option<NonNull<Block>>; TABLE_SIZE]>,
    /// Physical page -> byte ranges `(start, end, block)` of the blocks
    /// decoded from it, `block` being the block's key (the physical address
    /// of its first instruction, in this page or the one before), sorted by
    /// start (`window`). Entries of evicted blocks linger until the page is
    /// next pruned or written.
    pages: HashMap<u64, Vec<CodeRange>, BuildHasherDefault<PageHasher>>,
    /// The block being executed, if it is a cached one.
    cur: Option<NonNull<Block>>,
    /// The executing block was invalidated: unlinked, freed when it ends.
    cur_dead: bool,
    /// The block that ran last, still in the table if `epoch` is `last_epoch`.
    last: Option<NonNull<Block>>,
    last_epoch: u64,
    /// Moves on whenever a successor link may have gone stale (see above).
    pub(crate) epoch: u64,
    /// Set when blocks were invalidated; the run loop ends the current block.
    pub stop: bool,
    /// Byte ranges of code translated by an execution engine (the JIT), by
    /// physical page, so that writes to them are seen (see `engine.rs`);
    /// sorted by start, as `pages`.
    pub(crate) ext: HashMap<u64, Vec<CodeRange>, BuildHasherDefault<PageHasher>>,
    /// Start addresses of engine blocks dropped by writes since the engine last looked.
    pub(crate) ext_dropped: Vec<u64>,
    /// Everything was flushed (reset) since the engine last looked.
    pub(crate) ext_flushed: bool,
    /// Leave the blocks allocated when dropped (`Cpu::exiting`).
    pub(crate) leak: bool,
    /// The longest range listed in `pages` or `ext` since the last flush.
    longest: u64,
}

/// Bytes `[start, end)` of one page belonging to the block keyed `block`.
type CodeRange = (u64, u64, u64);

/// Where ranges overlapping `[pa, end)` may be in `list` (sorted by start,
/// none longer than `longest`): a store to a code page looks at the few
/// ranges near it, not all of them (a freed page of init code being
/// cleared had a scan of a hundred ranges per store).
fn window(list: &[CodeRange], pa: u64, end: u64, longest: u64) -> std::ops::Range<usize> {
    let i = list.partition_point(|r| r.0.saturating_add(longest) <= pa);
    let j = list.partition_point(|r| r.0 < end);
    i..j.max(i)
}

/// Take the ranges of `list[w]` that overlap `[pa, end)` out of it (the
/// rest keep their order), passing `f` each one's block; whether there were any.
fn drop_overlapping(
    list: &mut Vec<CodeRange>,
    w: std::ops::Range<usize>,
    pa: u64,
    end: u64,
    mut f: impl FnMut(u64),
) -> bool {
    let mut k = w.start;
    for i in w.clone() {
        let r = list[i];
        if r.0 < end && r.1 > pa {
            f(r.2);
        } else {
            list[k] = r;
            k += 1;
        }
    }
    list.drain(k..w.end);
    k < w.end
}

/// Put `r` into `list`, keeping it sorted by start.
fn insert_sorted(list: &mut Vec<CodeRange>, r: CodeRange) {
    let at = list.partition_point(|x| x.0 <= r.0);
    list.insert(at, r);
}

#[inline(always)]
fn slot(pa: u64) -> usize {
    ((pa >> 1) ^ (pa >> (TABLE_BITS + 1))) as usize & (TABLE_SIZE - 1)
}

impl BlockCache {
    pub(crate) fn new() -> BlockCache {
        BlockCache {
            // Zeroed memory (`vec!` of a zero value allocates it so): its
            // pages cost nothing until used; written one by one, the 512
            // KiB were 128 page faults at every start.
            table: vec![None; TABLE_SIZE]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("TABLE_SIZE entries")),
            pages: HashMap::default(),
            cur: None,
            cur_dead: false,
            last: None,
            last_epoch: 0,
            epoch: 1,
            stop: false,
            ext: HashMap::default(),
            ext_dropped: Vec::new(),
            ext_flushed: false,
            leak: false,
            longest: 0,
        }
    }

    /// The block in `pa`'s slot, if any.
    #[inline(always)]
    fn at(&self, pa: u64) -> Option<&Block> {
        // SAFETY: a pointer in the table is to a live block that the table
        // owns (made by `Box::leak` in `insert`, freed only once out of
        // the table) and that is never borrowed mutably (links are `Cell`s);
        // the `&self` borrow keeps it in the table while the reference lives.
        self.table[slot(pa)].map(|p| unsafe { p.as_ref() })
    }

    /// The cached block starting at `pa`, if it lies in one page (the run
    /// loop's fast path).
    #[inline(always)]
    pub(crate) fn get(&self, pa: u64) -> Option<NonNull<Block>> {
        let p = self.table[slot(pa)]?;
        (self.at(pa)?.key == pa).then_some(p)
    }

    /// The cached cross-page block starting at `pa`; the caller checks its
    /// second page (`Block::pa2`).
    pub(crate) fn get_cross_page(&self, pa: u64) -> Option<NonNull<Block>> {
        let p = self.table[slot(pa)]?;
        self.at(pa).is_some_and(|b| b.pa == pa && b.key == NONE).then_some(p)
    }

    /// Count a run of the block at `pa` toward `hot` runs: whether this
    /// is the `hot`th since it was decoded or last hot (the count starts
    /// again), `None` if no block starting there is cached.
    pub(crate) fn hot(&self, pa: u64, hot: u32) -> Option<bool> {
        let b = self.at(pa).filter(|b| b.pa == pa)?;
        let n = b.runs.get() + 1;
        b.runs.set(if n >= hot { 0 } else { n });
        Some(n >= hot)
    }

    /// Whether the block at `pa` is cached (decoded and not written since).
    pub(crate) fn contains(&self, pa: u64) -> bool {
        self.at(pa).is_some_and(|b| b.pa == pa)
    }

    /// Put a newly decoded block in its slot (dropping the one there).
    pub(crate) fn insert(&mut self, b: Box<Block>) -> NonNull<Block> {
        let s = slot(b.pa);
        let p = NonNull::from(Box::leak(b));
        if let Some(old) = self.table[s].replace(p) {
            self.unlinked(old);
        }
        p
    }

    /// Drop the block at `pa` from the table (a cross-page block whose
    /// second page no longer translates where it was decoded from).
    pub(crate) fn remove(&mut self, pa: u64) {
        if let Some(p) = self.table[slot(pa)].take() {
            self.unlinked(p);
        }
    }

    /// `p` has just left the table: free it, unless it is running (then it
    /// is freed when it ends and the block ends after this instruction).
    fn unlinked(&mut self, p: NonNull<Block>) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.cur == Some(p) {
            self.cur_dead = true;
            self.stop = true;
        } else {
            // SAFETY: `p` left the table just now and is not the running
            // block, so nothing else owns or refers to it.
            unsafe { free(p) };
        }
    }

    /// Register bytes `[start, end)` (within one page) of the block keyed
    /// `pa` (the page becomes a code page). A cross-page block registers
    /// each of its two parts. Returns whether the page was not code before.
    pub(crate) fn register(&mut self, pa: u64, start: u64, end: u64) -> bool {
        let page = start & !crate::mem::PAGE_MASK;
        let list = self.pages.entry(page).or_default();
        let new_page = list.is_empty();
        if list.len() >= 64 && list.len().is_power_of_two() {
            let table = &self.table;
            // SAFETY: as in `at` (table pointers are live blocks).
            list.retain(|&(_, _, k)| table[slot(k)].is_some_and(|b| unsafe { b.as_ref() }.pa == k));
        }
        insert_sorted(list, (start, end, pa));
        self.longest = self.longest.max(end - start);
        new_page
    }

    /// The block `p` (in the table) starts running.
    #[inline(always)]
    pub(crate) fn begin(&mut self, p: NonNull<Block>) {
        self.cur = Some(p);
        self.cur_dead = false;
    }

    /// The running block (if any: none for uncached code) has ended: free
    /// it if it was invalidated meanwhile, else remember it for `link`.
    #[inline(always)]
    pub(crate) fn end(&mut self) {
        self.last = self.cur.take();
        self.last_epoch = self.epoch;
        if self.cur_dead {
            self.cur_dead = false;
            if let Some(p) = self.last.take() {
                // SAFETY: an invalidated running block left the table
                // (`unlinked`) and only `cur` held it; the run is over, so
                // no reference to it remains.
                unsafe { free(p) };
            }
        }
    }

    /// The last block, if it is still in the table (nothing left it since).
    #[inline(always)]
    fn last(&self) -> Option<&Block> {
        if self.last_epoch != self.epoch {
            return None;
        }
        // SAFETY: with the epoch unchanged since `last` ended, no block has
        // left the table, so it is a live block the table owns; shared, as in `at`.
        self.last.map(|p| unsafe { p.as_ref() })
    }

    /// The block at virtual `pc` by a link of the last block, if one holds.
    #[inline(always)]
    pub(crate) fn chained(&self, pc: u64) -> Option<NonNull<Block>> {
        let links = &self.last()?.links;
        let l = links.iter().find(|l| l.pc.get() == pc && l.epoch.get() == self.epoch)?;
        l.to.get()
    }

    /// Note that the block at `pc` is `to` (found by translating `pc` and
    /// `get`) as the last block's most recent successor.
    #[inline(always)]
    pub(crate) fn link(&self, pc: u64, to: NonNull<Block>) {
        let Some(last) = self.last() else { return };
        let [a, b] = &last.links;
        if a.pc.get() != pc {
            b.pc.set(a.pc.get());
            b.epoch.set(a.epoch.get());
            b.to.set(a.to.get());
        }
        a.pc.set(pc);
        a.epoch.set(self.epoch);
        a.to.set(Some(to));
    }

    /// Successor links may have gone stale (translations changed).
    #[inline(always)]
    pub(crate) fn unchain(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Drop every engine block (the engine is told: `ext_flushed`); the
    /// current block ends.
    pub(crate) fn flush_ext(&mut self) {
        self.ext.clear();
        self.ext_dropped.clear();
        self.ext_flushed = true;
        self.stop = true;
    }

    /// Every page holding code (decoded or engine blocks).
    pub(crate) fn code_pages(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.pages.keys().chain(self.ext.keys()).copied().collect();
        v.sort_unstable();
        v.dedup();
        v
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
        insert_sorted(self.ext.entry(page).or_default(), (start, end, pa));
        self.longest = self.longest.max(end - start);
        !was_code
    }

    /// Drop engine blocks overlapping `[pa, end)` in `page`, noting their starts.
    fn invalidate_ext(&mut self, page: u64, pa: u64, end: u64) {
        if let Some(list) = self.ext.get_mut(&page) {
            let w = window(list, pa, end, self.longest);
            let dropped = &mut self.ext_dropped;
            let hit = drop_overlapping(list, w, pa, end, |k| dropped.push(k));
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
            // Most writes to a code page miss its code (data next to it):
            // look before taking the list out.
            let hit = self.pages.get(&page).and_then(|l| {
                let w = window(l, pa, end, self.longest);
                l[w.clone()].iter().any(|&(s, e, _)| s < end && e > pa).then_some(w)
            });
            if let Some((w, mut list)) = hit.and_then(|w| Some((w, self.pages.remove(&page)?))) {
                drop_overlapping(&mut list, w, pa, end, |k| {
                    if self.contains(k) {
                        self.remove(k);
                    }
                });
                if !list.is_empty() {
                    self.pages.insert(page, list);
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
    /// (a reset).
    pub(crate) fn flush(&mut self) {
        for (_, list) in std::mem::take(&mut self.pages) {
            for (_, _, k) in list {
                self.remove(k);
            }
        }
        self.epoch = self.epoch.wrapping_add(1);
        self.flush_ext();
        self.longest = 0;
    }
}

impl Drop for BlockCache {
    fn drop(&mut self) {
        if self.leak {
            return;
        }
        for p in self.table.iter_mut().filter_map(Option::take) {
            // SAFETY: the table owns its blocks; each is freed once, here.
            unsafe { free(p) };
        }
        if self.cur_dead {
            if let Some(p) = self.cur.take() {
                // SAFETY: an invalidated running block is owned by `cur`
                // alone (a panic left it running); it is out of the table.
                unsafe { free(p) };
            }
        }
    }
}

// SAFETY: the cache owns its blocks exclusively, as `Box`es would; the raw
// pointers (and the `Cell` links between blocks) never leave it, so moving
// the whole cache to another thread moves everything they point to with it.
unsafe impl Send for BlockCache {}

/// Free a block made by `BlockCache::insert`.
///
/// # Safety
///
/// `p` is out of the table, not the running block, referred to by nothing,
/// and freed only this once.
unsafe fn free(p: NonNull<Block>) {
    // SAFETY: `p` came from `Box::leak` in `insert` (the caller's contract).
    drop(unsafe { Box::from_raw(p.as_ptr()) });
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
    use crate::bus::Ram;
    use crate::cpu::{Cpu, Stop};
    use crate::decode::decode;
    use crate::interp_tests::{b, i, j, load_code, s, BASE};
    use crate::ops::Op;

    fn cpu() -> Cpu {
        Cpu::with_ram(Ram::new(BASE, 0x2000), BASE)
    }

    #[test]
    fn a_write_drops_exactly_the_code_ranges_it_overlaps() {
        // Against a list scanned whole: writes of every size over a page of
        // ranges of mixed lengths, engine ranges and decoded ones (fewer
        // than 64 of those: more are pruned of blocks not in the table).
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let page = 0x8000_1000u64;
        let mut c = super::BlockCache::new();
        // (start, end, key, engine's)
        let mut model: Vec<(u64, u64, u64, bool)> = Vec::new();
        for n in 0..360u64 {
            let start = page + 2 * next(2048);
            let len = 2 + 2 * next(if n % 40 == 0 { 1500 } else { 24 });
            let end = (start + len).min(page + 4096);
            let ext = n % 6 != 0;
            if ext {
                c.insert_ext(n, start, end);
            } else {
                c.register(n, start, end);
            }
            model.push((start, end, n, ext));
        }
        // First the last byte of the longest range, far from its start.
        let far = model.iter().max_by_key(|r| r.1 - r.0).map(|r| r.1 - 1);
        for w in 0..2000 {
            let pa = far.filter(|_| w == 0).unwrap_or_else(|| page - 16 + next(4096 + 32));
            let len = if w == 0 { 1 } else { [1, 2, 4, 8, 3, 300][next(6) as usize] };
            c.invalidate(pa, len);
            let end = pa + len;
            let (gone, kept): (Vec<&(u64, u64, u64, bool)>, Vec<_>) = model.iter().partition(|r| r.0 < end && r.1 > pa);
            let mut dropped = std::mem::take(&mut c.ext_dropped);
            dropped.sort_unstable();
            let want: Vec<u64> = gone.iter().filter(|r| r.3).map(|r| r.2).collect();
            assert_eq!(dropped, want, "write of {len} at {pa:#x}");
            let listed = |l: Option<&Vec<super::CodeRange>>, ext: bool| {
                let mut v: Vec<_> = l.into_iter().flatten().map(|&(s, e, k)| (s, e, k, ext)).collect();
                v.sort_unstable_by_key(|r| r.2);
                v
            };
            let mut now = listed(c.ext.get(&page), true);
            now.extend(listed(c.pages.get(&page), false));
            now.sort_unstable_by_key(|r| r.2);
            model = kept.into_iter().copied().collect();
            assert_eq!(now, model, "write of {len} at {pa:#x}");
        }
        assert!(model.len() < 40, "{} ranges never written", model.len());
    }

    #[test]
    fn block_rewriting_itself_runs_on_and_is_freed_after() {
        // The running block stores over its own first instruction: it ends
        // after the store (its entries still in use until then: Miri checks
        // they are not freed early, and that they are freed at all).
        let mut c = cpu();
        let code = [i(Op::Addi, 10, 10, 1), s(Op::Sw, 12, 11, 0), i(Op::Addi, 10, 10, 10), j(0, -12)];
        load_code(&mut c, BASE, &code);
        (c.hart.x[11], c.hart.x[12]) = (u64::from(i(Op::Addi, 10, 10, 100)), BASE);
        assert_eq!(c.run(4), Stop::Budget);
        assert_eq!((c.hart.x[10], c.hart.pc), (11, BASE));
        assert_eq!(c.run(4), Stop::Budget);
        assert_eq!((c.hart.x[10], c.hart.pc), (121, BASE));
        assert_eq!(c.hart.instret, 8);
    }

    #[test]
    fn blocks_cut_short_by_the_budget_resume_exactly() {
        // Runs stop at their marked last entry: a whole block's, or that of
        // the copy of its first part a short budget runs.
        let mut c = cpu();
        let code = [i(Op::Addi, 10, 10, 1), i(Op::Addi, 10, 10, 2), i(Op::Addi, 10, 10, 4), j(0, -12)];
        load_code(&mut c, BASE, &code);
        assert_eq!(c.run(2), Stop::Budget);
        assert_eq!((c.hart.x[10], c.hart.pc, c.hart.instret), (3, BASE + 8, 2));
        assert_eq!(c.run(1), Stop::Budget);
        assert_eq!((c.hart.x[10], c.hart.pc, c.hart.instret), (7, BASE + 12, 3));
        assert_eq!(c.run(4 + 1), Stop::Budget);
        assert_eq!((c.hart.x[10], c.hart.pc, c.hart.instret), (14, BASE, 8));
    }

    #[test]
    fn successor_link_dropped_when_its_block_is_rewritten() {
        // A loop's call to t is linked; then t is rewritten (from another
        // block) and the loop calls it again: the link must not lead to
        // the old t, which is freed (Miri: use after free).
        let mut c = cpu();
        let t = BASE + 0x40;
        load_code(&mut c, t, &[i(Op::Addi, 10, 10, 1), i(Op::Jalr, 0, 1, 0)]);
        let main = [
            j(1, 0x40),              // A: call t
            i(Op::Addi, 13, 13, -1), // B
            b(Op::Bne, 13, 15, -8),  // to A while a3 != 2
            s(Op::Sw, 12, 11, 0),    // C: rewrite t
            j(0, -16),               // to A
        ];
        load_code(&mut c, BASE, &main);
        c.hart.x[11] = u64::from(i(Op::Addi, 10, 10, 100));
        (c.hart.x[12], c.hart.x[13], c.hart.x[15]) = (t, 5, 2);
        assert_eq!(c.run(3 * 5 + 2 + 2 * 5), Stop::Budget);
        assert_eq!((c.hart.x[10], c.hart.x[13], c.hart.pc), (203, 0, BASE));
    }

    #[test]
    fn reg_is_the_register_number() {
        for r in 0..=u8::MAX {
            assert_eq!(super::Reg::new(r) as u8, r & 31);
        }
    }

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
