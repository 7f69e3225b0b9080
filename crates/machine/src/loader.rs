//! Loading guest images into RAM: 64-bit RISC-V ELF files at their physical
//! addresses (`p_paddr`), anything else as a raw binary at a given address.
//! Every check happens before RAM is touched, and no input can panic.

use cpu_riscv::{Cpu, Ram};
use goblin::elf::header::{EM_RISCV, ET_DYN, ET_EXEC};
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::section_header::SHF_EXECINSTR;
use goblin::elf::sym::{STB_GLOBAL, STB_WEAK, STT_FUNC, STT_NOTYPE};
use goblin::elf::Elf;

/// What was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub entry: u64,
    /// The lowest byte loaded.
    pub start: u64,
    /// One past the highest byte loaded.
    pub end: u64,
    pub is_elf: bool,
    /// Addresses of the `tohost`/`fromhost` symbols (HTIF), if the ELF has them.
    pub tohost: Option<u64>,
    pub fromhost: Option<u64>,
}

/// Where images are loaded: RAM before the hart exists, or the hart's RAM
/// (on reset), which is written only through `Cpu` methods. Bytes are copied
/// in; RAM is never lent out as a slice (see `Ram`).
pub trait LoadTarget {
    /// The RAM's base address and size.
    fn range(&self) -> (u64, u64);
    /// Copy `data` to `addr`, then zeros up to `addr + len`; `None` (nothing
    /// written) unless all of it is RAM.
    fn put(&mut self, addr: u64, data: &[u8], len: u64) -> Option<()>;
}

/// Check the whole range before writing anything.
fn put_checked(range: (u64, u64), addr: u64, data: &[u8], len: u64) -> Option<()> {
    let end = addr.checked_add(len)?;
    (addr >= range.0 && end <= range.0 + range.1 && data.len() as u64 <= len).then_some(())
}

impl LoadTarget for Ram {
    fn range(&self) -> (u64, u64) {
        (self.base(), self.size())
    }
    fn put(&mut self, addr: u64, data: &[u8], len: u64) -> Option<()> {
        put_checked(self.range(), addr, data, len)?;
        self.write_bytes(addr, data)?;
        self.fill(addr + data.len() as u64, usize::try_from(len - data.len() as u64).ok()?, 0)
    }
}

impl LoadTarget for Cpu {
    fn range(&self) -> (u64, u64) {
        (self.ram().base(), self.ram().size())
    }
    fn put(&mut self, addr: u64, data: &[u8], len: u64) -> Option<()> {
        put_checked(self.range(), addr, data, len)?;
        self.ram_write_bytes(addr, data)?;
        self.ram_fill(addr + data.len() as u64, usize::try_from(len - data.len() as u64).ok()?, 0)
    }
}

/// One piece to copy: `data` at `addr`, then zeros up to `memsz`.
struct Piece<'a> {
    addr: u64,
    data: &'a [u8],
    memsz: u64,
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

/// UTF-8 text: no control characters but white space and form feeds.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .is_ok_and(|s| s.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c')))
}

/// Load `bytes` into `ram`. An ELF goes where its program headers say; any
/// other file is raw, copied to `raw_addr`. Errors say why, without the name.
pub fn load(bytes: &[u8], ram: &mut impl LoadTarget, raw_addr: u64) -> Result<Loaded, String> {
    let (pieces, mut info) = if bytes.starts_with(ELF_MAGIC) {
        parse_elf(bytes)?
    } else {
        if bytes.is_empty() {
            return Err("empty file".into());
        }
        // QEMU would load any file as raw, but a real image that is valid
        // UTF-8 without control characters is vanishingly unlikely (code and
        // data have zero bytes): a text file here is the user's mistake, so say so.
        if is_text(bytes) {
            return Err("not an ELF file, and it is text, not a raw binary image".into());
        }
        let len = bytes.len() as u64;
        let end = raw_addr.checked_add(len).ok_or("raw image does not fit the address space")?;
        let piece = Piece { addr: raw_addr, data: bytes, memsz: len };
        (vec![piece], Loaded { entry: raw_addr, start: raw_addr, end, is_elf: false, tohost: None, fromhost: None })
    };
    let (ram_lo, ram_size) = ram.range();
    let ram_hi = ram_lo + ram_size;
    let contains = |addr: u64, len: u64| addr >= ram_lo && addr.checked_add(len).is_some_and(|e| e <= ram_hi);
    let mut placed = Vec::with_capacity(pieces.len());
    for p in pieces {
        let outside = || {
            format!(
                "{} {:#x}..{:#x} is outside RAM {ram_lo:#x}..{ram_hi:#x}",
                if info.is_elf { "segment" } else { "image" },
                p.addr,
                p.addr.saturating_add(p.memsz),
            )
        };
        let seg_end = p.addr.checked_add(p.memsz).ok_or_else(outside)?;
        if !info.is_elf && !contains(p.addr, p.memsz) {
            return Err(outside());
        }
        // QEMU drops the parts of ELF segments that fall outside memory (often the
        // ELF header, which GNU ld maps just below a `-Ttext` start); so do we,
        // but a segment with nothing in RAM is an error.
        let (lo, hi) = (p.addr.max(ram_lo), seg_end.min(ram_hi));
        if lo >= hi {
            return Err(outside());
        }
        if (lo, hi) != (p.addr, seg_end) {
            log::warn!("ELF segment {:#x}..{seg_end:#x} loaded only in part, {lo:#x}..{hi:#x} (outside RAM)", p.addr);
        }
        let filesz = p.data.len() as u64;
        let data = &p.data[(lo - p.addr).min(filesz) as usize..(hi - p.addr).min(filesz) as usize];
        placed.push(Piece { addr: lo, data, memsz: hi - lo });
    }
    let start = placed.iter().map(|p| p.addr).min().unwrap_or(0);
    let end = placed.iter().map(|p| p.addr + p.memsz).max().unwrap_or(0);
    let pieces = placed;
    for p in &pieces {
        // Bounds were checked above; `put` checks again rather than panic.
        ram.put(p.addr, p.data, p.memsz).ok_or("segment outside RAM")?;
    }
    info.start = start;
    info.end = end;
    Ok(info)
}

/// Load `bytes` as they are at `addr`, whatever they look like (QEMU's
/// load_image_targphys, used for -initrd); an empty file loads nothing.
pub fn load_raw(bytes: &[u8], ram: &mut impl LoadTarget, addr: u64) -> Result<Loaded, String> {
    let (lo, size) = ram.range();
    let len = bytes.len() as u64;
    let end = addr
        .checked_add(len)
        .filter(|&e| addr >= lo && e <= lo + size)
        .ok_or_else(|| format!("{len} bytes at {addr:#x} do not fit in RAM {lo:#x}..{:#x}", lo + size))?;
    ram.put(addr, bytes, len).ok_or("image outside RAM")?;
    Ok(Loaded { entry: addr, start: addr, end, is_elf: false, tohost: None, fromhost: None })
}

fn parse_elf(bytes: &[u8]) -> Result<(Vec<Piece<'_>>, Loaded), String> {
    // Cheap header checks first, so that foreign files get a precise message.
    if bytes.len() < 64 {
        return Err("truncated ELF header".into());
    }
    if bytes[4] != 2 {
        return Err("not a 64-bit ELF (ELFCLASS64 required)".into());
    }
    if bytes[5] != 1 {
        return Err("not a little-endian ELF".into());
    }
    let elf = Elf::parse(bytes).map_err(|e| format!("malformed ELF: {e}"))?;
    if elf.header.e_machine != EM_RISCV {
        return Err(format!("ELF for another machine (e_machine {}, RISC-V is {EM_RISCV})", elf.header.e_machine));
    }
    if elf.header.e_type != ET_EXEC && elf.header.e_type != ET_DYN {
        return Err(format!("ELF is not an executable (e_type {})", elf.header.e_type));
    }
    let mut pieces = Vec::new();
    for ph in elf.program_headers.iter().filter(|ph| ph.p_type == PT_LOAD && ph.p_memsz > 0) {
        if ph.p_filesz > ph.p_memsz {
            return Err(format!("segment at {:#x} has p_filesz > p_memsz", ph.p_paddr));
        }
        let data = usize::try_from(ph.p_offset)
            .ok()
            .zip(usize::try_from(ph.p_filesz).ok())
            .and_then(|(off, len)| bytes.get(off..off.checked_add(len)?))
            .ok_or_else(|| format!("truncated: segment at {:#x} lies past the end of the file", ph.p_paddr))?;
        pieces.push(Piece { addr: ph.p_paddr, data, memsz: ph.p_memsz });
    }
    if pieces.is_empty() {
        return Err("ELF has no loadable segment".into());
    }
    let sym = |name: &str| {
        elf.syms.iter().find(|s| elf.strtab.get_at(s.st_name) == Some(name) && s.st_shndx != 0).map(|s| s.st_value)
    };
    let (tohost, fromhost) = (sym("tohost"), sym("fromhost"));
    Ok((pieces, Loaded { entry: elf.entry, start: 0, end: 0, is_elf: true, tohost, fromhost }))
}

/// A code symbol of a guest image, for naming its code (`-perfmap`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Its address as the ELF gives it: the virtual address code runs at.
    pub addr: u64,
    /// Bytes it covers (never 0; see `symbols`).
    pub size: u64,
    pub name: String,
}

/// The code symbols of an ELF image, sorted by address, one per address:
/// functions and untyped labels (`_start`, assembly) in executable sections,
/// without the assembler's local (`.L`) and mapping (`$x`) symbols. A label
/// of size 0 covers up to the next symbol or the end of its section. Of
/// several symbols at one address, functions, then global, then weak ones
/// win, then the name with fewer leading underscores (`vfprintf` over
/// `__d_vfprintf`). Anything but a well-formed ELF has none; nothing panics.
pub fn symbols(bytes: &[u8]) -> Vec<Symbol> {
    /// A symbol kept, with the end of its section and its rank among
    /// symbols at its address (lower wins).
    struct Found<'a> {
        addr: u64,
        size: u64,
        section_end: u64,
        rank: (bool, u8, usize, &'a str),
    }
    let Ok(elf) = Elf::parse(bytes) else { return Vec::new() };
    let mut found: Vec<Found> = Vec::new();
    for s in elf.syms.iter() {
        let (kind, bind) = (s.st_type(), s.st_bind());
        if kind != STT_FUNC && kind != STT_NOTYPE {
            continue;
        }
        let Some(sh) = elf.section_headers.get(s.st_shndx) else { continue };
        let Some(name) = elf.strtab.get_at(s.st_name) else { continue };
        if sh.sh_flags & u64::from(SHF_EXECINSTR) == 0
            || name.is_empty()
            || name.starts_with('$')
            || name.starts_with(".L")
        {
            continue;
        }
        let bind_rank = match bind {
            STB_GLOBAL => 0,
            STB_WEAK => 1,
            _ => 2,
        };
        let underscores = name.len() - name.trim_start_matches('_').len();
        found.push(Found {
            addr: s.st_value,
            size: s.st_size,
            section_end: sh.sh_addr.saturating_add(sh.sh_size),
            rank: (kind != STT_FUNC, bind_rank, underscores, name),
        });
    }
    found.sort_by(|a, b| (a.addr, a.rank).cmp(&(b.addr, b.rank)));
    found.dedup_by_key(|s| s.addr);
    let mut out = Vec::with_capacity(found.len());
    for (i, f) in found.iter().enumerate() {
        let size = if f.size > 0 {
            f.size
        } else {
            let next = found.get(i + 1).map_or(u64::MAX, |n| n.addr);
            next.min(f.section_end).saturating_sub(f.addr)
        };
        if size > 0 {
            out.push(Symbol { addr: f.addr, size, name: f.rank.3.to_string() });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal RV64 ELF: one PT_LOAD of `code` at `addr` (memsz = filesz +
    /// `bss`), and a symbol table with `tohost` at `tohost` if given.
    pub fn make_elf(addr: u64, code: &[u8], bss: u64, tohost: Option<u64>) -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(ELF_MAGIC);
        f[4] = 2; // ELFCLASS64
        f[5] = 1; // little-endian
        f[6] = 1; // EV_CURRENT
        let put16 = |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 = |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let put64 = |f: &mut Vec<u8>, at: usize, v: u64| f[at..at + 8].copy_from_slice(&v.to_le_bytes());
        put16(&mut f, 16, ET_EXEC);
        put16(&mut f, 18, EM_RISCV);
        put32(&mut f, 20, 1);
        put64(&mut f, 24, addr); // e_entry
        put64(&mut f, 32, 64); // e_phoff
        put16(&mut f, 52, 64); // e_ehsize
        put16(&mut f, 54, 56); // e_phentsize
        put16(&mut f, 56, 1); // e_phnum
        put16(&mut f, 58, 64); // e_shentsize
                               // Program header.
        let code_off = 64 + 56;
        let mut ph = vec![0u8; 56];
        put32(&mut ph, 0, PT_LOAD);
        put32(&mut ph, 4, 5); // R+X
        put64(&mut ph, 8, code_off as u64);
        put64(&mut ph, 16, addr);
        put64(&mut ph, 24, addr);
        put64(&mut ph, 32, code.len() as u64);
        put64(&mut ph, 40, code.len() as u64 + bss);
        put64(&mut ph, 48, 0x1000);
        f.extend_from_slice(&ph);
        f.extend_from_slice(code);
        if let Some(th) = tohost {
            // .strtab, .symtab and the section headers (null, symtab, strtab).
            let strtab = b"\0tohost\0fromhost\0";
            let str_off = f.len();
            f.extend_from_slice(strtab);
            while !f.len().is_multiple_of(8) {
                f.push(0);
            }
            let sym_off = f.len();
            let mut syms = vec![0u8; 24 * 3];
            for (i, (name, val)) in [(1u32, th), (8, th.wrapping_add(8))].iter().enumerate() {
                let s = 24 * (i + 1);
                put32(&mut syms, s, *name);
                syms[s + 4] = 0x11; // GLOBAL OBJECT
                put16(&mut syms, s + 6, 1); // st_shndx: some section
                put64(&mut syms, s + 8, *val);
                put64(&mut syms, s + 16, 8);
            }
            f.extend_from_slice(&syms);
            let sh_off = f.len();
            let mut sh = vec![0u8; 64 * 3];
            // [1] .symtab linked to [2] .strtab
            put32(&mut sh, 64 + 4, 2); // SHT_SYMTAB
            put64(&mut sh, 64 + 24, sym_off as u64);
            put64(&mut sh, 64 + 32, syms.len() as u64);
            put32(&mut sh, 64 + 40, 2); // sh_link
            put32(&mut sh, 64 + 44, 1); // sh_info
            put64(&mut sh, 64 + 56, 24); // sh_entsize
            put32(&mut sh, 128 + 4, 3); // SHT_STRTAB
            put64(&mut sh, 128 + 24, str_off as u64);
            put64(&mut sh, 128 + 32, strtab.len() as u64);
            f.extend_from_slice(&sh);
            put64(&mut f, 40, sh_off as u64); // e_shoff
            put16(&mut f, 60, 3); // e_shnum
        }
        f
    }

    fn ram() -> Ram {
        Ram::new(0x8000_0000, 0x10_0000)
    }

    #[test]
    fn elf_segments_and_symbols() {
        let mut r = ram();
        r.write(0x8000_1008, 8, u64::MAX).unwrap();
        let elf = make_elf(0x8000_1000, &[1, 2, 3, 4, 5, 6, 7, 8], 16, Some(0x8000_2000));
        let l = load(&elf, &mut r, 0x8000_0000).unwrap();
        assert_eq!(l.entry, 0x8000_1000);
        assert_eq!((l.start, l.end), (0x8000_1000, 0x8000_1018));
        assert!(l.is_elf);
        assert_eq!(l.tohost, Some(0x8000_2000));
        assert_eq!(l.fromhost, Some(0x8000_2008));
        assert_eq!(r.read(0x8000_1000, 8), Some(0x0807_0605_0403_0201));
        assert_eq!(r.read(0x8000_1008, 8), Some(0), "bss zero-filled");
    }

    #[test]
    fn segment_parts_outside_ram_are_dropped_as_qemu_does() {
        // GNU ld with -Ttext=0x80000000 maps the ELF header in the page below.
        let mut r = ram();
        let elf = make_elf(0x7fff_fffc, &[1, 2, 3, 4, 5, 6, 7, 8], 4, None);
        let l = load(&elf, &mut r, 0x8000_0000).unwrap();
        assert_eq!((l.start, l.end), (0x8000_0000, 0x8000_0008));
        assert_eq!(r.read(0x8000_0000, 8), Some(0x0807_0605));
        let elf = make_elf(0x800f_fffe, &[1, 2, 3, 4], 0, None);
        let l = load(&elf, &mut r, 0x8000_0000).unwrap();
        assert_eq!((l.start, l.end), (0x800f_fffe, 0x8010_0000));
        assert_eq!(r.read(0x800f_fffe, 2), Some(0x0201));
    }

    #[test]
    fn raw_binary() {
        let mut r = ram();
        let l = load(b"\x13\x00\x00\x00", &mut r, 0x8000_0000).unwrap();
        assert_eq!((l.entry, l.end, l.is_elf, l.tohost), (0x8000_0000, 0x8000_0004, false, None));
        assert_eq!(r.read(0x8000_0000, 4), Some(0x13));
        assert!(load(b"", &mut r, 0x8000_0000).unwrap_err().contains("empty"));
        assert!(load(b"this is not an ELF file\n", &mut r, 0x8000_0000).unwrap_err().contains("text"));
        let utf8 = "# Tern \u{2014} a RISC-V emulator\n\n| a | b |\n\u{00e9}\u{1f980}\n";
        assert!(load(utf8.as_bytes(), &mut r, 0x8000_0000).unwrap_err().contains("text"));
        // Invalid UTF-8, or a NUL, is a raw image.
        assert!(load(b"abc\xff\xfe", &mut r, 0x8000_0000).is_ok());
        assert!(load(b"abc\0", &mut r, 0x8000_0000).is_ok());
        let big = vec![0u8; 0x10_0001];
        assert!(load(&big, &mut r, 0x8000_0000).unwrap_err().contains("outside RAM"));
        assert!(load(b"x", &mut r, u64::MAX).is_err());
    }

    #[test]
    fn rejects_foreign_and_broken_elves() {
        let good = make_elf(0x8000_0000, &[0x13, 0, 0, 0], 0, None);
        let mut r = ram();
        let mut other_machine = good.clone();
        other_machine[18] = 62; // EM_X86_64
        assert!(load(&other_machine, &mut r, 0x8000_0000).unwrap_err().contains("another machine"));
        let mut class32 = good.clone();
        class32[4] = 1;
        assert!(load(&class32, &mut r, 0x8000_0000).unwrap_err().contains("64-bit"));
        assert!(load(&good[..40], &mut r, 0x8000_0000).unwrap_err().contains("truncated"));
        assert!(load(&good[..good.len() - 2], &mut r, 0x8000_0000).is_err(), "segment data cut off");
        let outside = make_elf(0x1000, &[0x13, 0, 0, 0], 0, None);
        assert!(load(&outside, &mut r, 0x8000_0000).unwrap_err().contains("outside RAM"));
        let past_end = make_elf(0x8010_0000, &[0x13, 0, 0, 0], 0, None);
        assert!(load(&past_end, &mut r, 0x8000_0000).unwrap_err().contains("outside RAM"));
        let huge_bss = make_elf(0x8000_0000, &[0x13, 0, 0, 0], u64::MAX - 8, None);
        assert!(load(&huge_bss, &mut r, 0x8000_0000).is_err());
        let end_of_space = make_elf(u64::MAX - 2, &[0x13, 0, 0, 0], 0, None);
        assert!(load(&end_of_space, &mut r, 0x8000_0000).is_err());
        // Nothing was written by the failed loads.
        assert_eq!(r.read(0x8000_0000, 8), Some(0));
    }

    /// The symbols of a compiled bench image, as `riscv64-unknown-elf-nm` and
    /// `readelf -s` list them.
    #[test]
    fn code_symbols_of_a_real_image() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../roms/build/bench/mix.elf");
        let syms = symbols(&std::fs::read(path).unwrap());
        let get = |name: &str| syms.iter().find(|s| s.name == name).map(|s| (s.addr, s.size));
        assert_eq!(get("main"), Some((0x8000_0116, 0x3ee)));
        assert_eq!(get("list_sort"), Some((0x8000_009a, 124)), "local functions too");
        // Untyped assembly labels reach the next symbol.
        assert_eq!(get("_start"), Some((0x8000_0000, 0x5c)));
        assert_eq!(get("trap"), Some((0x8000_005c, 0xa)));
        // Aliases: one name per address.
        assert_eq!(get("vfprintf").map(|s| s.0), Some(0x8000_06ca));
        assert_eq!(get("__d_vfprintf"), None);
        assert!(syms.iter().all(|s| !s.name.starts_with('$')), "no mapping symbols");
        assert_eq!(get("__global_pointer$"), None, "data labels are not code");
        assert!(syms.windows(2).all(|w| w[0].addr < w[1].addr));
        assert!(symbols(b"not an elf").is_empty());
        assert!(symbols(&make_elf(0x8000_0000, &[0x13, 0, 0, 0], 0, Some(0x8000_0100))).is_empty(), "data only");
    }

    /// A tiny xorshift, so the fuzz cases are the same on every run.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn hostile_elves_never_panic() {
        let good = make_elf(0x8000_0000, &[0x13, 0, 0, 0, 0x6f, 0, 0, 0], 8, Some(0x8000_0100));
        let mut r = ram();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..good.len() {
            let _ = load(&good[..n], &mut r, 0x8000_0000);
        }
        for _ in 0..3000 {
            let mut m = good.clone();
            for _ in 0..1 + rng(&mut seed) % 4 {
                let at = (rng(&mut seed) as usize) % m.len();
                let v = rng(&mut seed);
                // Mostly interesting values: all-ones, small, or random bytes.
                m[at] = match v % 4 {
                    0 => 0xff,
                    1 => 0,
                    2 => (v >> 8) as u8 & 0x7,
                    _ => (v >> 16) as u8,
                };
            }
            if let Ok(l) = load(&m, &mut r, 0x8000_0000) {
                assert!(l.end <= 0x8010_0000);
            }
            assert!(symbols(&m).iter().all(|s| s.size > 0));
        }
    }
}
