//! `-perfmap`: the file through which `perf` names JIT code,
//! `/tmp/perf-PID.map` (linux `tools/perf/Documentation/jit-interface.txt`):
//! one line per piece of code, `START SIZE NAME`, START and SIZE in hex
//! without `0x`. Names are QEMU 8's (`tcg/perf.c`): `tcg-prologue-buffer`
//! for the entry trampoline, and for a block its guest pc's symbol
//! (`main`, `main+0x14`) or, without one, `guest-0x80001234`. QEMU writes a
//! line per guest instruction; Tern one per block (its code for one guest
//! instruction is not contiguous: slow paths and exits sit at the block's end).
//!
//! Lines are buffered; they reach the file when the buffer fills, at least
//! every `FLUSH_EVERY` while the JIT runs (so that `perf top` can name code
//! of a running guest) and when the map is dropped. perf (6.1) names a
//! sample by the first line covering its address, so code is not put over
//! older code's bytes while the buffer has room (`Jit::restart`): only
//! after the buffer filled (64 MiB of code by default) do new lines name
//! reused addresses, whose samples perf then names after the old blocks.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Longest time a written line waits in the buffer while the JIT runs.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Runs of generated code between looks at the clock while lines wait.
const TICKS_PER_CLOCK: u32 = 256;
/// The entry trampoline's name (QEMU's for its prologue).
pub const PROLOGUE_NAME: &str = "tcg-prologue-buffer";
/// Symbols looked at below the nearest start for one that covers a pc
/// (nested symbols: a label inside a function).
const MAX_NESTING: usize = 16;

/// Guest code symbols: address ranges with names, looked up by guest pc.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    /// `(start, end, name)`, sorted by start; every range non-empty.
    syms: Vec<(u64, u64, String)>,
}

impl Symbols {
    /// From `(address, size, name)`; entries of size 0 or that wrap are left out.
    pub fn new(syms: impl IntoIterator<Item = (u64, u64, String)>) -> Symbols {
        let mut syms: Vec<(u64, u64, String)> = syms
            .into_iter()
            .filter_map(|(a, size, name)| Some((a, a.checked_add(size).filter(|&e| e > a)?, name)))
            .collect();
        syms.sort_by_key(|s| s.0);
        Symbols { syms }
    }

    pub fn len(&self) -> usize {
        self.syms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }

    /// The symbol covering `pc` and the offset into it: of several, the one
    /// starting nearest below `pc`.
    pub fn lookup(&self, pc: u64) -> Option<(&str, u64)> {
        let above = self.syms.partition_point(|s| s.0 <= pc);
        self.syms[..above].iter().rev().take(MAX_NESTING).find(|s| pc < s.1).map(|s| (s.2.as_str(), pc - s.0))
    }

    /// A block's name in the map, as QEMU's `pretty_symbol`.
    pub fn name(&self, pc: u64) -> String {
        match self.lookup(pc) {
            Some((sym, 0)) => sym.to_string(),
            Some((sym, off)) => format!("{sym}+0x{off:x}"),
            None => format!("guest-0x{pc:x}"),
        }
    }
}

/// An open map file.
pub struct PerfMap {
    out: Option<BufWriter<File>>,
    path: PathBuf,
    symbols: Symbols,
    last_flush: Instant,
    ticks: u32,
}

impl PerfMap {
    /// Where perf looks for the map of process `pid`.
    pub fn path_for(pid: u32) -> PathBuf {
        PathBuf::from(format!("/tmp/perf-{pid}.map"))
    }

    /// Create the map at `path`, replacing an old file there; as QEMU, the
    /// old file is removed and the new one made exclusively (owner only),
    /// so that a symlink planted in /tmp is not followed.
    pub fn create(path: &Path) -> io::Result<PerfMap> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        Ok(PerfMap {
            out: Some(BufWriter::with_capacity(64 << 10, f)),
            path: path.to_path_buf(),
            symbols: Symbols::default(),
            last_flush: Instant::now(),
            ticks: 0,
        })
    }

    /// Name blocks after these symbols (none by default).
    pub fn set_symbols(&mut self, symbols: Symbols) {
        self.symbols = symbols;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One line: `size` bytes of code at host address `start` named `name`.
    pub fn add(&mut self, start: usize, size: usize, name: &str) {
        if let Some(out) = &mut self.out {
            let r = writeln!(out, "{start:x} {size:x} {name}");
            self.check(r);
        }
    }

    /// A block's line: its code, named after its guest pc.
    pub(crate) fn add_block(&mut self, start: usize, size: usize, pc: u64) {
        if self.out.is_some() {
            let name = self.symbols.name(pc);
            self.add(start, size, &name);
        }
    }

    /// Called for each run of generated code: writes waiting lines out once
    /// they have waited `FLUSH_EVERY` (the clock is read only now and then).
    #[inline]
    pub(crate) fn tick(&mut self) {
        let Some(out) = &self.out else { return };
        if out.buffer().is_empty() {
            return;
        }
        self.ticks += 1;
        if self.ticks >= TICKS_PER_CLOCK {
            self.ticks = 0;
            if self.last_flush.elapsed() >= FLUSH_EVERY {
                self.flush();
            }
        }
    }

    /// Write the waiting lines to the file.
    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if let Some(out) = &mut self.out {
            let r = out.flush();
            self.check(r);
        }
    }

    /// After a failed write, say so once and write no more (as QEMU goes on
    /// without the map when it cannot open it).
    fn check(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.out = None;
            let _ = writeln!(
                io::stderr(),
                "tern: warning: cannot write {}: {e}, proceeding without perfmap",
                self.path.display()
            );
        }
    }
}

impl Drop for PerfMap {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syms() -> Symbols {
        Symbols::new([
            (0x8000_0116, 0x3ee, "main".to_string()),
            (0x8000_0000, 0x5c, "_start".to_string()),
            // A label inside main, ending before main does.
            (0x8000_0200, 0x10, "inner".to_string()),
            (0x8000_1000, 0, "empty".to_string()),
            (u64::MAX - 1, 4, "wraps".to_string()),
        ])
    }

    #[test]
    fn lookup_finds_the_covering_symbol() {
        let s = syms();
        assert_eq!(s.len(), 3, "empty and wrapping ranges are left out");
        assert_eq!(s.lookup(0x8000_0000), Some(("_start", 0)));
        assert_eq!(s.lookup(0x8000_005b), Some(("_start", 0x5b)));
        assert_eq!(s.lookup(0x8000_005c), None, "a gap between symbols");
        assert_eq!(s.lookup(0x8000_0116), Some(("main", 0)));
        assert_eq!(s.lookup(0x8000_0204), Some(("inner", 4)));
        assert_eq!(s.lookup(0x8000_0210), Some(("main", 0xfa)), "past the nested label, main again");
        assert_eq!(s.lookup(0x8000_0504), None);
        assert_eq!(s.lookup(0x7fff_fffe), None);
        assert_eq!(s.lookup(u64::MAX), None);
        assert_eq!(Symbols::default().lookup(0), None);
    }

    #[test]
    fn names_are_qemus() {
        let s = syms();
        assert_eq!(s.name(0x8000_0116), "main");
        assert_eq!(s.name(0x8000_012a), "main+0x14");
        assert_eq!(s.name(0x8000_0600), "guest-0x80000600");
    }

    #[test]
    fn map_lines_are_hex_start_size_name() {
        let path = std::env::temp_dir().join(format!("tern-perfmap-unit-{}.map", std::process::id()));
        std::fs::write(&path, "stale\n").unwrap();
        let mut m = PerfMap::create(&path).unwrap();
        m.set_symbols(syms());
        m.add(0x7f00_0000_1000, 0x7a, PROLOGUE_NAME);
        m.add_block(0x7f00_0010_0000, 0x1c0, 0x8000_012a);
        m.add_block(0x7f00_0010_01c0, 0x20, 0x9000_0000);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "buffered, and the old file is gone");
        drop(m);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            text,
            "7f0000001000 7a tcg-prologue-buffer\n7f0000100000 1c0 main+0x14\n7f00001001c0 20 guest-0x90000000\n"
        );
    }

    #[test]
    fn waiting_lines_are_flushed_by_ticks_after_a_while() {
        let path = std::env::temp_dir().join(format!("tern-perfmap-tick-{}.map", std::process::id()));
        let mut m = PerfMap::create(&path).unwrap();
        m.add_block(0x1000, 0x10, 0x8000_0000);
        for _ in 0..TICKS_PER_CLOCK * 2 {
            m.tick();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "not yet: written just now");
        m.last_flush -= FLUSH_EVERY;
        for _ in 0..TICKS_PER_CLOCK {
            m.tick();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1000 10 guest-0x80000000\n");
        drop(m);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_directory_in_the_way_is_an_error() {
        let dir = std::env::temp_dir().join(format!("tern-perfmap-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(PerfMap::create(&dir).is_err());
        std::fs::remove_dir(&dir).unwrap();
    }
}
