//! The code buffer: one executable mapping reserved up front and filled from
//! the start; when full, everything is flushed and filling starts again (as
//! QEMU's `tb_flush`). Code never moves, so addresses handed out stay valid
//! until the next flush (growing a dynasmrt `Assembler` may move its buffer,
//! dynasm-rs issue 78, hence this).

use dynasmrt::mmap::{ExecutableBuffer, MutableBuffer};

pub(crate) struct CodeBuffer {
    /// `None` only transiently while being written.
    buf: Option<ExecutableBuffer>,
    used: usize,
    cap: usize,
    base: usize,
}

impl CodeBuffer {
    pub(crate) fn new(cap: usize) -> std::io::Result<CodeBuffer> {
        let mut m = MutableBuffer::new(cap)?;
        m.set_len(cap);
        let buf = m.make_exec()?;
        let base = buf.as_ptr() as usize;
        Ok(CodeBuffer { buf: Some(buf), used: 0, cap, base })
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

    /// Forget all code (the caller drops every pointer into it).
    pub(crate) fn clear(&mut self) {
        self.used = 0;
    }

    /// Copy `code` (assembled for address `next_addr()`) in; returns its address.
    pub(crate) fn append(&mut self, code: &[u8]) -> std::io::Result<usize> {
        assert!(self.fits(code.len()), "code buffer overflow: the caller checks `fits`");
        // A failed mprotect loses the mapping; later appends then fail too.
        let exec = self.buf.take().ok_or_else(|| std::io::Error::other("code buffer lost"))?;
        let mut m = exec.make_mut()?;
        m[self.used..self.used + code.len()].copy_from_slice(code);
        let exec = m.make_exec()?;
        let addr = self.base + self.used;
        debug_assert_eq!(exec.as_ptr() as usize, self.base, "an mprotect does not move the mapping");
        self.buf = Some(exec);
        self.used += code.len();
        Ok(addr)
    }
}
