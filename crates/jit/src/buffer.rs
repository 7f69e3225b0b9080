//! The code buffer: one executable mapping reserved up front and filled from
//! the start; when full, everything is flushed and filling starts again at
//! the start (as QEMU's `tb_flush`). Code never moves, so addresses handed
//! out stay valid until the next flush (growing a dynasmrt `Assembler` may
//! move its buffer, dynasm-rs issue 78, hence this).
//!
//! The mapping is read-write-execute, as QEMU's on most hosts, so that
//! adding a block costs no system call (switching protections per block
//! costs tens of microseconds). Where the host refuses such mappings, it
//! falls back to dynasmrt's buffers, made writable for each block.

use dynasmrt::mmap::{ExecutableBuffer, MutableBuffer};

enum Mapping {
    /// Read-write-execute anonymous memory of `cap` bytes.
    Rwx(*mut u8),
    /// Executable; made writable while a block is copied in. `None` only
    /// transiently, or after a failed protection change.
    Toggled(Option<ExecutableBuffer>),
}

pub(crate) struct CodeBuffer {
    map: Mapping,
    used: usize,
    cap: usize,
    base: usize,
    /// Layout randomization (`set_layout_seed`): the seed and the number
    /// of appends so far.
    layout: Option<(u64, u64)>,
}

// SAFETY: the buffer owns its mapping exclusively; the raw pointer is only
// an address of memory no one else frees or writes.
unsafe impl Send for CodeBuffer {}

impl CodeBuffer {
    pub(crate) fn new(cap: usize) -> std::io::Result<CodeBuffer> {
        // SAFETY: an anonymous private mapping at an address of the
        // kernel's choosing affects no existing memory; the result is checked.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                cap,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p != libc::MAP_FAILED {
            return Ok(CodeBuffer { map: Mapping::Rwx(p.cast()), used: 0, cap, base: p as usize, layout: None });
        }
        let mut m = MutableBuffer::new(cap)?;
        m.set_len(cap);
        let buf = m.make_exec()?;
        let base = buf.as_ptr() as usize;
        Ok(CodeBuffer { map: Mapping::Toggled(Some(buf)), used: 0, cap, base, layout: None })
    }

    /// The address the next appended code will have.
    pub(crate) fn next_addr(&self) -> usize {
        self.base + self.used
    }

    pub(crate) fn used(&self) -> usize {
        self.used
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Leave a gap of 0-63 bytes after each block, drawn from `seed`: code
    /// speed on a modern x86 depends on where each loop and branch falls
    /// (fetch windows, predictor tables) by several percent either way, so
    /// a change to generated code is judged by its mean over many layouts,
    /// not by the one that packing happens to give (`benches/layouts.sh`).
    pub(crate) fn set_layout_seed(&mut self, seed: u64) {
        self.layout = Some((seed, 0));
    }

    /// Whether `len` more bytes fit.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.cap - self.used >= len
    }

    /// Forget all code and fill from the start again (the caller drops
    /// every pointer into it).
    pub(crate) fn clear(&mut self) {
        self.used = 0;
    }

    /// Copy `code` (assembled for address `next_addr()`) in; returns its address.
    pub(crate) fn append(&mut self, code: &[u8]) -> std::io::Result<usize> {
        if !self.fits(code.len()) {
            return Err(std::io::Error::other("code buffer full"));
        }
        let addr = self.base + self.used;
        match &mut self.map {
            Mapping::Rwx(p) => {
                // SAFETY: `[used, used + len)` lies inside the mapping (checked
                // above), holds no code that can be running (appends happen
                // between runs, past all code handed out since the last flush),
                // and does not overlap `code`, a Rust allocation.
                unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), p.add(self.used), code.len()) };
            }
            Mapping::Toggled(slot) => {
                // A failed mprotect loses the mapping; later appends then fail too.
                let exec = slot.take().ok_or_else(|| std::io::Error::other("code buffer lost"))?;
                let mut m = exec.make_mut()?;
                m[self.used..self.used + code.len()].copy_from_slice(code);
                let exec = m.make_exec()?;
                debug_assert_eq!(exec.as_ptr() as usize, self.base, "an mprotect does not move the mapping");
                *slot = Some(exec);
            }
        }
        self.used += code.len();
        if let Some((seed, n)) = &mut self.layout {
            let gap = layout_gap(*seed, *n);
            *n += 1;
            if self.fits(gap) {
                self.used += gap;
            }
        }
        Ok(addr)
    }

    /// Point the `jmp rel32` whose displacement is at address `at` (in code
    /// handed out since the last flush) to address `to`.
    pub(crate) fn patch_jump(&mut self, at: usize, to: usize) -> std::io::Result<()> {
        let rel = (to as i64 - (at as i64 + 4)) as i32;
        let off = at - self.base;
        if off + 4 > self.used {
            return Err(std::io::Error::other("patch outside the code"));
        }
        match &mut self.map {
            Mapping::Rwx(p) => {
                // SAFETY: `[off, off + 4)` lies in code written by `append`
                // (checked above); no generated code runs while the `Jit`
                // patches (between runs on the one execution thread), and
                // a displacement is plain bytes.
                unsafe { std::ptr::copy_nonoverlapping(rel.to_le_bytes().as_ptr(), p.add(off), 4) };
            }
            Mapping::Toggled(slot) => {
                let exec = slot.take().ok_or_else(|| std::io::Error::other("code buffer lost"))?;
                let mut m = exec.make_mut()?;
                m[off..off + 4].copy_from_slice(&rel.to_le_bytes());
                *slot = Some(m.make_exec()?);
            }
        }
        Ok(())
    }
}

/// The gap after the `n`th block under layout seed `seed` (splitmix64).
fn layout_gap(seed: u64, n: u64) -> usize {
    let mut x = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((x ^ (x >> 31)) % 64) as usize
}

impl Drop for CodeBuffer {
    fn drop(&mut self) {
        if let Mapping::Rwx(p) = self.map {
            // SAFETY: `p` and `cap` are the mapping made in `new`, unmapped
            // once; no code in it runs after its owner (the `Jit`) is dropped.
            unsafe { libc::munmap(p.cast(), self.cap) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CodeBuffer;

    /// Start offsets of ten 5-byte appends.
    fn starts(seed: Option<u64>) -> Vec<usize> {
        let mut b = CodeBuffer::new(64 << 10).unwrap();
        if let Some(s) = seed {
            b.set_layout_seed(s);
        }
        (0..10).map(|_| b.append(&[0xc3; 5]).unwrap() - b.base).collect()
    }

    #[test]
    fn a_layout_seed_leaves_gaps_that_it_alone_decides() {
        assert_eq!(starts(None), (0..10).map(|i| 5 * i).collect::<Vec<_>>(), "packed without a seed");
        let a = starts(Some(7));
        assert_eq!(a, starts(Some(7)), "the same seed, the same layout");
        assert_ne!(a, starts(Some(8)), "another seed, another layout");
        let gaps: Vec<usize> = a.windows(2).map(|w| w[1] - w[0] - 5).collect();
        assert!(gaps.iter().all(|&g| g < 64), "{gaps:?}");
        assert!(gaps.iter().any(|&g| g > 0), "{gaps:?}");
    }
}
