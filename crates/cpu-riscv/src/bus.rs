//! What the hart sees of the machine: RAM (owned here so the interpreter and
//! the JIT reach it directly), a `Bus` for everything else, interrupt lines
//! driven by devices, and the timebase behind `time`/`mtime`.

use std::alloc::{self, Layout};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Why a device access failed; the hart turns it into an access fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusError {
    /// Nothing is mapped at the address.
    Unmapped,
    /// A device is there but refuses this access (size, offset or direction).
    Denied,
}

/// Device (MMIO) accesses by physical address. Sizes are 1, 2, 4 or 8 and the
/// access never crosses a device boundary (the hart splits misaligned ones).
pub trait Bus: Send {
    fn read(&mut self, addr: u64, size: u8) -> Result<u64, BusError>;
    fn write(&mut self, addr: u64, size: u8, val: u64) -> Result<(), BusError>;
    /// Whether any device overlaps `[addr, addr + len)`. Such RAM must take the
    /// slow path (devices overlay RAM, as HTIF's `tohost` does on `spike`).
    fn overlaps(&self, addr: u64, len: u64) -> bool;
    /// Let devices advance (timers, console input) and update interrupt lines.
    /// The run loop calls it between slices of guest execution.
    fn poll(&mut self) {}
}

/// Guest RAM: one zero-initialised block of host memory at a physical base
/// address.
///
/// The contract, which lets the TLB and generated code keep host pointers
/// into it (`mem.rs`, the JIT):
/// - the allocation is made once in `new`, never moves and never changes
///   size, and is freed only when the `Ram` drops (`Cpu` owns it and never
///   hands out `&mut Ram`, so safe code cannot swap or resize it);
/// - no Rust reference to the bytes ever exists: every access copies in or
///   out through pointers derived from the one root pointer, after a bounds
///   check, so accesses by generated code (through host addresses derived
///   from the same root, see `host_base`) never overlap a live borrow;
/// - it is `Send` (it owns the allocation alone) but not `Sync`: the copies
///   are plain, non-atomic accesses, made by the thread that runs the hart
///   (like `Cell`, writing through `&self` would be sound, but writes take
///   `&mut self` so that mutation needs exclusive access, as with a slice).
pub struct Ram {
    base: u64,
    /// The root pointer of the allocation (dangling when `size` is 0).
    ptr: NonNull<u8>,
    size: usize,
    /// Mapped by `map_low` (freed with `munmap`), not by the allocator.
    low: bool,
    /// A second mapping of the same bytes for generated code's stores
    /// (`guard_base`), if the host gave one.
    guard: Option<Guard>,
}

/// The second mapping of RAM (`map_guarded`): generated code loads and
/// stores through it with no software check that a page holds no
/// translated code, because such pages are read-only here (`protect`): a
/// store to one faults, and the JIT's signal handler sends it to its slow
/// path. Rust never accesses RAM through it.
struct Guard {
    ptr: NonNull<u8>,
    /// One bit per page: read-only now.
    protected: Vec<u64>,
}

// SAFETY: `Ram` owns its allocation exclusively (as a `Box<[u8]>` would) and
// holds no thread-bound state; it is not `Sync` (see the contract above).
unsafe impl Send for Ram {}

impl Ram {
    /// `size` bytes at `base`. Large sizes are cheap: the zeroed pages are only
    /// touched when the guest uses them. Aborts, as `vec!` would, if the host
    /// cannot provide them. Placed in the host's low 2 GiB where it can be
    /// (`map_low`), so that generated code reaches it with 32-bit displacements.
    pub fn new(base: u64, size: usize) -> Ram {
        if let Some((ptr, g)) = map_guarded(size) {
            let protected = vec![0; size.div_ceil(4096).div_ceil(64)];
            return Ram { base, ptr, size, low: true, guard: Some(Guard { ptr: g, protected }) };
        }
        Ram::new_unguarded(base, size)
    }

    /// `new` without the guarded mapping (no guarded stores: `Guard`), as
    /// plain anonymous memory, which the host may back with huge pages (a
    /// memory file mapped twice gets 4 KiB pages, each a fault to fill).
    pub fn new_unguarded(base: u64, size: usize) -> Ram {
        match map_low(size, None) {
            Some(ptr) => Ram { base, ptr, size, low: true, guard: None },
            None => Ram::new_anywhere(base, size),
        }
    }

    /// `new`, wherever the allocator puts it (for tests of code that must
    /// work with RAM anywhere).
    pub fn new_anywhere(base: u64, size: usize) -> Ram {
        let ptr = match Ram::layout(size) {
            None => NonNull::dangling(),
            Some(layout) => {
                // SAFETY: the layout's size is not zero.
                let p = unsafe { alloc::alloc_zeroed(layout) };
                NonNull::new(p).unwrap_or_else(|| alloc::handle_alloc_error(layout))
            }
        };
        Ram { base, ptr, size, low: false, guard: None }
    }

    /// The allocation's layout (`None` for an empty RAM, which allocates nothing).
    fn layout(size: usize) -> Option<Layout> {
        // A small alignment: std then allocates with `calloc`, whose large
        // blocks are fresh zero pages (a larger one would memset them all).
        (size > 0).then(|| Layout::from_size_align(size, 8).unwrap_or_else(|_| capacity_overflow()))
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.size as u64
    }

    /// Whether `[addr, addr + len)` lies wholly inside RAM.
    #[inline(always)]
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= self.base && addr.wrapping_sub(self.base).checked_add(len).is_some_and(|end| end <= self.size())
    }

    /// The host pointer to the `len` bytes at guest `addr`, if inside RAM.
    #[inline(always)]
    fn at(&self, addr: u64, len: usize) -> Option<*mut u8> {
        if !self.contains(addr, len as u64) {
            return None;
        }
        // SAFETY: `[addr - base, + len)` lies inside the allocation (checked
        // just above), so the offset stays in bounds.
        Some(unsafe { self.ptr.as_ptr().add((addr - self.base) as usize) })
    }

    /// Little-endian read of `size` (1, 2, 4, 8) bytes, zero-extended.
    #[inline(always)]
    pub fn read(&self, addr: u64, size: u8) -> Option<u64> {
        self.read_off(addr.wrapping_sub(self.base), size)
    }

    /// Little-endian write of the low `size` (1, 2, 4, 8) bytes of `val`.
    #[inline(always)]
    pub fn write(&mut self, addr: u64, size: u8, val: u64) -> Option<()> {
        self.write_off(addr.wrapping_sub(self.base), size, val)
    }

    /// `read` at offset `off` from the start of RAM (the TLB's fast path).
    #[inline(always)]
    pub(crate) fn read_off(&self, off: u64, size: u8) -> Option<u64> {
        if !self.fits(off, size) {
            return None;
        }
        // SAFETY: checked just above.
        unsafe { self.read_in(off, size) }
    }

    /// Whether `[off, off + size)` lies inside RAM.
    #[inline(always)]
    fn fits(&self, off: u64, size: u8) -> bool {
        off.checked_add(u64::from(size)).is_some_and(|end| end <= self.size as u64)
    }

    /// `read_off` without the bounds check, for the TLB's hits.
    ///
    /// # Safety
    ///
    /// `[off, off + size)` lies inside RAM.
    #[inline(always)]
    pub(crate) unsafe fn read_in(&self, off: u64, size: u8) -> Option<u64> {
        // SAFETY: `[off, off + size)` lies inside the allocation (the
        // caller's contract); reads are unaligned copies of initialised
        // bytes (zeroed at allocation), and no reference to them exists.
        unsafe {
            let p = self.ptr.as_ptr().add(off as usize);
            Some(match size {
                1 => u64::from(p.read()),
                2 => u64::from(u16::from_le(p.cast::<u16>().read_unaligned())),
                4 => u64::from(u32::from_le(p.cast::<u32>().read_unaligned())),
                8 => u64::from_le(p.cast::<u64>().read_unaligned()),
                _ => return None,
            })
        }
    }

    /// `write` at offset `off` from the start of RAM (the TLB's fast path).
    #[inline(always)]
    pub(crate) fn write_off(&mut self, off: u64, size: u8, val: u64) -> Option<()> {
        if !self.fits(off, size) {
            return None;
        }
        // SAFETY: checked just above.
        unsafe { self.write_in(off, size, val) }
    }

    /// `write_off` without the bounds check, for the TLB's hits.
    ///
    /// # Safety
    ///
    /// `[off, off + size)` lies inside RAM.
    #[inline(always)]
    pub(crate) unsafe fn write_in(&mut self, off: u64, size: u8, val: u64) -> Option<()> {
        // SAFETY: as in `read_in`; `&mut self` excludes every other access
        // from Rust, and generated code runs only while its caller holds the
        // `Cpu` exclusively.
        unsafe {
            let p = self.ptr.as_ptr().add(off as usize);
            match size {
                1 => p.write(val as u8),
                2 => p.cast::<u16>().write_unaligned((val as u16).to_le()),
                4 => p.cast::<u32>().write_unaligned((val as u32).to_le()),
                8 => p.cast::<u64>().write_unaligned(val.to_le()),
                _ => return None,
            }
        }
        Some(())
    }

    /// Copy the bytes at `[addr, addr + buf.len())` into `buf`; `None`
    /// (and `buf` untouched) unless all of them are inside RAM.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Option<()> {
        let src = self.at(addr, buf.len())?;
        // SAFETY: `src` has `buf.len()` bytes inside the allocation (`at`),
        // which no Rust reference such as `buf` can overlap.
        unsafe { ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
        Some(())
    }

    /// The bytes at `[addr, addr + len)` as a new vector, if inside RAM.
    pub fn to_vec(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if !self.contains(addr, len as u64) {
            return None;
        }
        let mut v = vec![0; len];
        self.read_bytes(addr, &mut v)?;
        Some(v)
    }

    /// Copy `data` to `[addr, addr + data.len())`; `None` (and RAM
    /// untouched) unless all of it is inside RAM.
    pub fn write_bytes(&mut self, addr: u64, data: &[u8]) -> Option<()> {
        let dst = self.at(addr, data.len())?;
        // SAFETY: `dst` has `data.len()` bytes inside the allocation (`at`),
        // which no Rust reference such as `data` can overlap.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) };
        Some(())
    }

    /// Set the `len` bytes at `addr` to `byte`; `None` (and RAM untouched)
    /// unless all of them are inside RAM.
    pub fn fill(&mut self, addr: u64, len: usize, byte: u8) -> Option<()> {
        let dst = self.at(addr, len)?;
        // SAFETY: `dst` has `len` bytes inside the allocation (`at`).
        unsafe { ptr::write_bytes(dst, byte, len) };
        Some(())
    }

    /// Whether the bytes at `addr` equal `data` (`None` if not all inside
    /// RAM), compared in chunks without copying all of them out.
    pub fn equals(&self, addr: u64, data: &[u8]) -> Option<bool> {
        if !self.contains(addr, data.len() as u64) {
            return None;
        }
        let mut chunk = [0u8; 256];
        let mut a = addr;
        for want in data.chunks(chunk.len()) {
            let got = &mut chunk[..want.len()];
            self.read_bytes(a, got)?;
            if got != want {
                return Some(false);
            }
            a += want.len() as u64;
        }
        Some(true)
    }

    /// The host address of RAM's first byte, with its provenance exposed:
    /// the TLB's `host` field adds to it, and generated code accesses RAM
    /// at the resulting addresses (only while it holds the `Cpu`
    /// exclusively, and only where the TLB says the page is in RAM).
    pub(crate) fn host_base(&self) -> u64 {
        self.ptr.as_ptr().expose_provenance() as u64
    }

    /// Whether it has the guarded mapping (`new`, where the host allows).
    pub fn has_guard(&self) -> bool {
        self.guard.is_some()
    }

    /// The host address of RAM's first byte in the guarded mapping, if
    /// there is one (see `Guard`), with its provenance exposed as in
    /// `host_base`.
    pub(crate) fn guard_base(&self) -> Option<u64> {
        self.guard.as_ref().map(|g| g.ptr.as_ptr().expose_provenance() as u64)
    }

    /// Make the page at guest `pa_page` read-only in the guarded mapping (it
    /// holds translated code). False if that failed (the caller must stop
    /// relying on the guard).
    pub(crate) fn protect(&mut self, pa_page: u64) -> bool {
        self.set_protection(pa_page, true)
    }

    /// Make the page at guest `pa_page` writable in the guarded mapping
    /// again (no code left there). False if that failed.
    pub(crate) fn unprotect(&mut self, pa_page: u64) -> bool {
        self.set_protection(pa_page, false)
    }

    fn set_protection(&mut self, pa_page: u64, ro: bool) -> bool {
        let Some(g) = &mut self.guard else { return true };
        let off = pa_page.wrapping_sub(self.base);
        if off >= self.size as u64 {
            return true;
        }
        let page = (off / 4096) as usize;
        let (w, bit) = (page / 64, 1u64 << (page % 64));
        if (g.protected[w] & bit != 0) == ro {
            return true;
        }
        if !guard::protect(g.ptr, page * 4096, 4096, ro) {
            return false;
        }
        g.protected[w] ^= bit;
        true
    }

    /// Make the whole guarded mapping writable (the guard is given up).
    pub(crate) fn unprotect_all(&mut self) -> bool {
        let Some(g) = &mut self.guard else { return true };
        if g.protected.iter().all(|&w| w == 0) {
            return true;
        }
        let ok = guard::protect(g.ptr, 0, self.size.next_multiple_of(4096), false);
        if ok {
            g.protected.fill(0);
        }
        ok
    }
}

impl Drop for Ram {
    fn drop(&mut self) {
        if let Some(g) = &self.guard {
            unmap_low(g.ptr, self.size);
        }
        if self.low {
            unmap_low(self.ptr, self.size);
        } else if let Some(layout) = Ram::layout(self.size) {
            // SAFETY: `ptr` was allocated in `new` with this same layout
            // (same size) and is freed once, here.
            unsafe { alloc::dealloc(self.ptr.as_ptr(), layout) };
        }
    }
}

use low::{guard, map_guarded, map_low, unmap_low};

/// Let every thread of the process allocate from glibc's main heap, which
/// grows by `brk` in steps of 128 KiB, instead of an arena per thread,
/// which grows page by page with `mprotect`: each such call changes the
/// address space, so on a host with several threads running it also
/// interrupts every other core to flush its TLB. The machine thread's
/// allocations (decoded blocks, translation) grew its arena 1,758 times in
/// a Linux boot: a tenth of the boot's time (its task-clock median 87 ms
/// against 78 ms with one arena, 41 alternating runs). The other threads
/// allocate little, so sharing the heap costs no contention worth naming.
/// Call before starting threads; a no-op elsewhere than glibc.
pub fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
    {
        // SAFETY: `mallopt` only sets a tunable of glibc's allocator (it
        // takes the allocator's lock); no memory is touched or handed out.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) };
    }
}

/// Guest RAM in the host's low 2 GiB (`Ram::new`): on x86-64 Linux, where
/// `mmap` can place it; elsewhere, and under Miri (no `mmap`), never.
#[cfg(all(target_os = "linux", target_arch = "x86_64", not(miri)))]
mod low {
    use std::ptr::NonNull;

    /// Where `map_low` asks for RAM first: above what a PIE process has low
    /// (nothing, usually: the binary, heap and libraries are far above 4 GiB).
    const LOW_HINT: usize = 0x1000_0000;
    /// The top of the host's low 2 GiB, which RAM placed low stays under.
    pub(super) const LOW_TOP: usize = 0x8000_0000;
    /// The alignment of places `map_low` tries (huge-page sized).
    const STEP: usize = 2 << 20;

    /// `size` zeroed bytes mapped below `LOW_TOP` (at `LOW_HINT` or the
    /// first free place above, in steps of its size), or `None` if they do
    /// not fit (the caller allocates anywhere). Never replaces an existing
    /// mapping (`MAP_FIXED_NOREPLACE`). Shared memory file `fd`'s first
    /// bytes if given, else anonymous private memory.
    pub(super) fn map_low(size: usize, fd: Option<libc::c_int>) -> Option<NonNull<u8>> {
        let len = size.checked_next_multiple_of(4096)?;
        if len == 0 {
            return None;
        }
        let mut at = LOW_HINT;
        while at.checked_add(len)? <= LOW_TOP {
            let flags = match fd {
                Some(_) => libc::MAP_SHARED,
                None => libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            };
            // SAFETY: a new mapping at a fixed address that the kernel
            // refuses (EEXIST) if anything is mapped there already, so no
            // existing memory is touched; the result is checked below.
            let p = unsafe {
                libc::mmap(
                    at as *mut libc::c_void,
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    flags | libc::MAP_FIXED_NOREPLACE,
                    fd.unwrap_or(-1),
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                if p as usize == at {
                    if fd.is_none() {
                        // Huge pages where the host gives them for asking
                        // (transparent_hugepage=madvise), as QEMU asks for
                        // guest RAM: fewer faults and TLB misses. Only advice.
                        // SAFETY: advice on the mapping just made.
                        unsafe { libc::madvise(p, len, libc::MADV_HUGEPAGE) };
                    }
                    return NonNull::new(p.cast());
                }
                // An old kernel took the address as a hint only: not ours to keep.
                // SAFETY: `p` is the mapping of `len` bytes just made.
                unsafe { libc::munmap(p, len) };
                return None;
            }
            at += len.next_multiple_of(STEP);
        }
        None
    }

    /// Undo `map_low`.
    pub(super) fn unmap_low(ptr: NonNull<u8>, size: usize) {
        // SAFETY: `ptr` is a mapping of `size` rounded up to pages made by
        // `map_low` for a `Ram`, which drops it once, here.
        unsafe { libc::munmap(ptr.as_ptr().cast(), size.next_multiple_of(4096)) };
    }

    /// Two mappings of the same `size` zeroed bytes (a memory file), both
    /// below `LOW_TOP`: RAM for Rust and the guarded one (`Guard`); `None`
    /// if the host cannot (the caller maps RAM once).
    pub(super) fn map_guarded(size: usize) -> Option<(NonNull<u8>, NonNull<u8>)> {
        let len = size.checked_next_multiple_of(4096)?;
        // Both must fit between LOW_HINT and LOW_TOP (no file made in vain).
        if len == 0 || len > (LOW_TOP - LOW_HINT) / 2 {
            return None;
        }
        // SAFETY: plain system calls on a new file descriptor we own.
        let fd = unsafe { libc::memfd_create(c"tern-ram".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        // SAFETY: as above; `len` is under 2 GiB, well inside `off_t`.
        let sized = unsafe { libc::ftruncate(fd, len as libc::off_t) } == 0;
        let a = sized.then(|| map_low(size, Some(fd))).flatten();
        let b = a.and_then(|_| map_low(size, Some(fd)));
        // SAFETY: the mappings keep the file; the descriptor is ours to close.
        unsafe { libc::close(fd) };
        match (a, b) {
            (Some(a), Some(b)) => Some((a, b)),
            (Some(a), None) => {
                unmap_low(a, size);
                None
            }
            _ => None,
        }
    }

    pub(super) mod guard {
        use std::ptr::NonNull;

        /// Make `[off, off + len)` of the mapping at `ptr` read-only (`ro`)
        /// or writable; false if the kernel refused.
        pub(crate) fn protect(ptr: NonNull<u8>, off: usize, len: usize, ro: bool) -> bool {
            let prot = if ro { libc::PROT_READ } else { libc::PROT_READ | libc::PROT_WRITE };
            // SAFETY: `[off, off + len)` lies in a mapping `map_guarded` made
            // (the caller's bounds), page-aligned; only its protection
            // changes, and no Rust reference into it exists (`Ram`).
            unsafe { libc::mprotect(ptr.as_ptr().add(off).cast(), len, prot) == 0 }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64", not(miri))))]
mod low {
    use std::ptr::NonNull;

    pub(super) fn map_low(_size: usize, _fd: Option<i32>) -> Option<NonNull<u8>> {
        None
    }

    pub(super) fn map_guarded(_size: usize) -> Option<(NonNull<u8>, NonNull<u8>)> {
        None
    }

    pub(super) mod guard {
        use std::ptr::NonNull;

        pub(crate) fn protect(_ptr: NonNull<u8>, _off: usize, _len: usize, _ro: bool) -> bool {
            unreachable!("map_guarded maps nothing here");
        }
    }

    pub(super) fn unmap_low(_ptr: NonNull<u8>, _size: usize) {
        unreachable!("map_low maps nothing here");
    }
}

#[cold]
fn capacity_overflow() -> ! {
    // As `vec!` does for an impossible size: a host limit, not guest input.
    panic!("RAM size overflows the host's address space")
}

/// Interrupt lines that devices drive into one hart: bit `n` is `mip` bit `n`
/// (MSIP, MTIP, SEIP, MEIP). Cloned into each device (vm-superio style: a
/// device raises an interrupt through a handle, knowing nothing of the hart).
#[derive(Clone, Default, Debug)]
pub struct IrqLines(Arc<Lines>);

#[derive(Default, Debug)]
struct Lines {
    levels: AtomicU64,
    /// Raised whenever a line rises (`IrqLines::kick_on_raise`).
    kick: OnceLock<Arc<AtomicBool>>,
}

impl IrqLines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Raise `flag` (the hart's exit-request flag) whenever a line rises, so
    /// that a running hart leaves generated code and looks at its interrupts
    /// at once, as QEMU's `cpu_interrupt` does. Only the first call counts.
    pub fn kick_on_raise(&self, flag: Arc<AtomicBool>) {
        let _ = self.0.kick.set(flag);
    }

    /// Raise the flag `kick_on_raise` set, with no line changing: a device
    /// changed when it next needs a poll (the CLINT's `mtimecmp`), and the
    /// run loop should look again.
    pub fn kick(&self) {
        if let Some(k) = self.0.kick.get() {
            k.store(true, Ordering::Release);
        }
    }

    /// Drive the line for `mip` bit `bit` high or low.
    pub fn set(&self, bit: u8, level: bool) {
        if level {
            let old = self.0.levels.fetch_or(1 << bit, Ordering::Release);
            if old & 1 << bit == 0 {
                self.kick();
            }
        } else {
            self.0.levels.fetch_and(!(1 << bit), Ordering::Release);
        }
    }

    /// The current levels, as `mip` bits.
    #[inline(always)]
    pub fn pending(&self) -> u64 {
        self.0.levels.load(Ordering::Acquire)
    }
}

/// The machine timebase read by the `time` CSR and the CLINT's `mtime`:
/// 10 MHz of host time, as on QEMU's `virt` and `spike`, plus an offset the
/// guest sets by writing `mtime`.
#[derive(Debug)]
pub struct Clock {
    start: Instant,
    offset: AtomicU64,
    /// `mtime` while frozen (`u64::MAX`: running).
    frozen: AtomicU64,
}

/// Ticks per second of `mtime` (QEMU's RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ).
pub const TIMEBASE_HZ: u64 = 10_000_000;

impl Default for Clock {
    fn default() -> Self {
        Clock { start: Instant::now(), offset: AtomicU64::new(0), frozen: AtomicU64::new(u64::MAX) }
    }
}

impl Clock {
    pub fn new() -> Arc<Clock> {
        Arc::new(Clock::default())
    }

    fn host_ticks(&self) -> u64 {
        let d = self.start.elapsed();
        d.as_secs() * TIMEBASE_HZ + u64::from(d.subsec_nanos()) / (1_000_000_000 / TIMEBASE_HZ)
    }

    pub fn mtime(&self) -> u64 {
        let f = self.frozen.load(Ordering::Relaxed);
        if f != u64::MAX {
            return f;
        }
        self.host_ticks().wrapping_add(self.offset.load(Ordering::Relaxed))
    }

    /// Stop `mtime` at its current value (`true`) or let it run on from
    /// host time (`false`), so that a block run twice by `-accel lockstep`
    /// reads the same time both times.
    pub fn freeze(&self, on: bool) {
        let v = if on { self.mtime() } else { u64::MAX };
        self.frozen.store(v, Ordering::Relaxed);
    }

    pub fn set_mtime(&self, v: u64) {
        self.offset.store(v.wrapping_sub(self.host_ticks()), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RAM goes to the host's low 2 GiB (`map_low`), zeroed, whole pages
    /// mapped for an odd size but accesses stopping at the size, and the
    /// mapping goes with the `Ram`: 200 of 16 MiB made and dropped in turn
    /// would fill the low 2 GiB twice over if drops leaked them.
    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64", not(miri)))]
    fn ram_is_mapped_low_and_unmapped_when_dropped() {
        let size = (16 << 20) - 100;
        for k in 0..200u64 {
            let mut r = Ram::new(0x8000_0000, size);
            assert!(r.low, "round {k}: RAM not placed low");
            assert!(r.host_base() as usize + size <= low::LOW_TOP);
            let last = 0x8000_0000 + size as u64 - 8;
            assert_eq!(r.read(last, 8), Some(0), "zeroed");
            assert_eq!(r.write(last, 8, k), Some(()));
            assert_eq!(r.read(last, 8), Some(k));
            assert_eq!(r.read(last + 1, 8), None, "past the size");
        }
    }

    /// Both kinds low and usable; only `new`'s has the guarded mapping.
    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64", not(miri)))]
    fn unguarded_ram_is_plain_memory() {
        for (mut r, guarded) in
            [(Ram::new(0x8000_0000, 4 << 20), true), (Ram::new_unguarded(0x8000_0000, 4 << 20), false)]
        {
            assert!(r.low);
            assert_eq!(r.has_guard(), guarded);
            r.write(0x8020_0000, 8, 7).unwrap();
            assert_eq!(r.read(0x8020_0000, 8), Some(7));
        }
    }

    #[test]
    fn ram_bounds() {
        let mut r = Ram::new(0x8000_0000, 0x1000);
        assert!(r.contains(0x8000_0ff8, 8));
        assert!(!r.contains(0x8000_0ffc, 8));
        assert!(!r.contains(0x7fff_ffff, 1));
        assert!(!r.contains(u64::MAX, 2));
        r.write(0x8000_0010, 4, 0xdead_beef).unwrap();
        assert_eq!(r.read(0x8000_0010, 2), Some(0xbeef));
        assert_eq!(r.read(0x8000_0ffc, 8), None);
    }

    #[test]
    fn copies_in_and_out_are_bounds_checked() {
        let mut r = Ram::new(0x8000_0000, 0x2000);
        assert_eq!(r.write_bytes(0x8000_0ffe, &[1, 2, 3, 4]), Some(()), "across a page");
        let mut b = [0u8; 4];
        assert_eq!(r.read_bytes(0x8000_0ffe, &mut b), Some(()));
        assert_eq!(b, [1, 2, 3, 4]);
        assert_eq!(r.read(0x8000_0ffe, 4), Some(0x0403_0201));
        assert_eq!(r.fill(0x8000_1ff0, 0x10, 0xee), Some(()));
        assert_eq!(r.to_vec(0x8000_1ffe, 2), Some(vec![0xee, 0xee]));
        assert_eq!(r.equals(0x8000_0ffe, &[1, 2, 3, 4]), Some(true));
        assert_eq!(r.equals(0x8000_0ffe, &[1, 2, 3, 5]), Some(false));
        let big = r.to_vec(0x8000_0000, 0x2000).unwrap();
        assert_eq!(r.equals(0x8000_0000, &big), Some(true), "longer than one chunk");

        // Out of range, partly or wholly, or wrapping: refused, nothing touched.
        let mut b = [0x55u8; 8];
        for addr in [0x8000_1ffc, 0x7fff_fffc, 0, u64::MAX - 3] {
            assert_eq!(r.read_bytes(addr, &mut b), None, "{addr:#x}");
            assert_eq!(r.write_bytes(addr, &[9; 8]), None, "{addr:#x}");
            assert_eq!(r.fill(addr, 8, 9), None, "{addr:#x}");
            assert_eq!(r.equals(addr, &[0; 8]), None, "{addr:#x}");
            assert_eq!(r.to_vec(addr, 8), None, "{addr:#x}");
            assert_eq!(r.read(addr, 8), None, "{addr:#x}");
            assert_eq!(r.write(addr, 8, 9), None, "{addr:#x}");
        }
        assert_eq!(b, [0x55; 8]);
        assert_eq!(r.read(0x8000_1ff8, 8), Some(0xeeee_eeee_eeee_eeee));
        assert_eq!(r.read(0x8000_0000, 8), Some(0));
        assert_eq!(r.read_bytes(0x8000_2000, &mut []), Some(()), "empty, at the end");
        assert_eq!(r.read(0x8000_0000, 3), None, "not an access size");
        assert_eq!(r.write(0x8000_0000, 16, 1), None);
        assert_eq!(r.read_off(u64::MAX, 8), None, "offset overflow");

        let mut empty = Ram::new(0x1000, 0);
        assert_eq!((empty.size(), empty.read(0x1000, 1), empty.write(0x1000, 1, 0)), (0, None, None));
        assert_eq!(empty.write_bytes(0x1000, &[]), Some(()));
    }

    #[test]
    fn irq_lines() {
        let l = IrqLines::new();
        let d = l.clone();
        d.set(7, true);
        d.set(11, true);
        assert_eq!(l.pending(), (1 << 7) | (1 << 11));
        d.set(7, false);
        assert_eq!(l.pending(), 1 << 11);
    }

    #[test]
    fn rising_lines_raise_the_kick_flag() {
        let l = IrqLines::new();
        let flag = Arc::new(AtomicBool::new(false));
        l.kick_on_raise(flag.clone());
        let d = l.clone();
        d.set(7, true);
        assert!(flag.swap(false, Ordering::AcqRel), "a rising line kicks");
        d.set(7, true);
        assert!(!flag.load(Ordering::Acquire), "a line already high does not");
        d.set(7, false);
        assert!(!flag.load(Ordering::Acquire), "a falling line does not");
        d.set(3, true);
        assert!(flag.load(Ordering::Acquire));
    }

    #[test]
    fn mtime_write_sets_value() {
        let c = Clock::new();
        c.set_mtime(1_000_000_000);
        let t = c.mtime();
        assert!((1_000_000_000..1_000_000_000 + TIMEBASE_HZ).contains(&t));
    }
}
