//! The code buffer: one executable mapping reserved up front and filled from
//! the start; when full, everything is flushed and filling starts again (as
//! QEMU's `tb_flush`). Code never moves, so addresses handed out stay valid
//! until the next flush (growing a dynasmrt `Assembler` may move its buffer,
//! dynasm-rs issue 78, hence this).
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
    /// Code below this offset is kept by `clear` (`keep`).
    floor: usize,
    cap: usize,
    base: usize,
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
            return Ok(CodeBuffer { map: Mapping::Rwx(p.cast()), used: 0, floor: 0, cap, base: p as usize });
        }
        let mut m = MutableBuffer::new(cap)?;
        m.set_len(cap);
        let buf = m.make_exec()?;
        let base = buf.as_ptr() as usize;
        Ok(CodeBuffer { map: Mapping::Toggled(Some(buf)), used: 0, floor: 0, cap, base })
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

    /// Whether `len` more bytes fit.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.cap - self.used >= len
    }

    /// Forget all code appended since `keep` (the caller drops every
    /// pointer into it).
    pub(crate) fn clear(&mut self) {
        self.used = self.floor;
    }

    /// Forget all code, the kept too (the caller drops every pointer into it).
    pub(crate) fn clear_all(&mut self) {
        self.floor = 0;
        self.used = 0;
    }

    /// Keep the code appended so far through every `clear` (the prologue).
    pub(crate) fn keep(&mut self) {
        self.floor = self.used;
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

impl Drop for CodeBuffer {
    fn drop(&mut self) {
        if let Mapping::Rwx(p) = self.map {
            // SAFETY: `p` and `cap` are the mapping made in `new`, unmapped
            // once; no code in it runs after its owner (the `Jit`) is dropped.
            unsafe { libc::munmap(p.cast(), self.cap) };
        }
    }
}
