//! The human monitor (HMP): each command is a thin wrapper over its QMP
//! command, printing what QEMU's HMP prints. Output uses "\n"; the QMP
//! `human-monitor-command` and the readline monitor turn it into "\r\n".

use machine::requests::ReadMem;
use serde_json::{Map, Value};

use crate::registry::{self, Args, QmpError};
use crate::Ctx;

/// An HMP command: name, argument synopsis, help, and the wrapper.
struct HmpCmd {
    name: &'static str,
    params: &'static str,
    help: &'static str,
    run: fn(&mut Hmp, &Ctx, &str) -> String,
}

/// `info` subcommands.
struct InfoCmd {
    name: &'static str,
    help: &'static str,
    qmp: &'static str,
    show: fn(&Value) -> String,
}

static COMMANDS: &[HmpCmd] = &[
    HmpCmd { name: "cont", params: "", help: "resume emulation", run: |_, c, _| simple(c, "cont") },
    HmpCmd {
        name: "gva2gpa",
        params: "addr",
        help: "print the guest physical address corresponding to a guest virtual address",
        run: gva2gpa,
    },
    HmpCmd { name: "hello-world", params: "[message]", help: "Print message to the standard output", run: hello },
    HmpCmd { name: "help", params: "[cmd]", help: "show the help", run: |_, _, a| help(a) },
    HmpCmd { name: "info", params: "[subcommand]", help: "show various information about the system state", run: info },
    HmpCmd { name: "quit", params: "", help: "quit the emulator", run: |_, c, _| simple(c, "quit") },
    HmpCmd { name: "stop", params: "", help: "stop emulation", run: |_, c, _| simple(c, "stop") },
    HmpCmd { name: "system_reset", params: "", help: "reset the system", run: |_, c, _| simple(c, "system_reset") },
    HmpCmd {
        name: "x",
        params: "/fmt addr",
        help: "virtual memory dump starting at 'addr'",
        run: |h, c, a| h.dump(c, "x", a, false),
    },
    HmpCmd {
        name: "xp",
        params: "/fmt addr",
        help: "physical memory dump starting at 'addr'",
        run: |h, c, a| h.dump(c, "xp", a, true),
    },
];

static INFO: &[InfoCmd] = &[
    InfoCmd { name: "jit", help: "show dynamic compiler info", qmp: "x-query-jit", show: hrt },
    InfoCmd {
        name: "name",
        help: "show the current VM name",
        qmp: "query-name",
        show: |v| v.get("name").and_then(Value::as_str).map(|n| format!("{n}\n")).unwrap_or_default(),
    },
    InfoCmd {
        name: "registers",
        help: "show the cpu registers",
        qmp: "x-query-registers",
        show: |v| format!("\n{}", hrt(v)),
    },
    InfoCmd { name: "roms", help: "show roms", qmp: "x-query-roms", show: hrt },
    InfoCmd {
        name: "status",
        help: "show the current VM status (running|paused)",
        qmp: "query-status",
        show: |v| {
            let s = v.get("status").and_then(Value::as_str).unwrap_or("");
            match s {
                "running" => "VM status: running\n".into(),
                "paused" => "VM status: paused\n".into(),
                other => format!("VM status: paused ({other})\n"),
            }
        },
    },
    InfoCmd { name: "traps", help: "show the last traps taken", qmp: "x-query-traps", show: hrt },
    InfoCmd {
        name: "version",
        help: "show the version of QEMU",
        qmp: "query-version",
        show: |v| {
            let q = &v["qemu"];
            format!("{}.{}.{}{}\n", q["major"], q["minor"], q["micro"], v["package"].as_str().unwrap_or(""))
        },
    },
];

fn hrt(v: &Value) -> String {
    v.get("human-readable-text").and_then(Value::as_str).unwrap_or("").to_string()
}

/// Run a QMP command by name with arguments (checked as QMP checks them).
fn qmp(c: &Ctx, name: &str, args: Map<String, Value>) -> Result<Value, QmpError> {
    let cmd = registry::find(name).ok_or_else(|| QmpError::not_found(name))?;
    registry::check_args(cmd, &args)?;
    (cmd.run)(c, &Args(&args))
}

/// HMP prints an error as "Error: ...".
fn or_error(r: Result<String, QmpError>) -> String {
    r.unwrap_or_else(|e| format!("Error: {}\n", e.desc))
}

fn simple(c: &Ctx, name: &str) -> String {
    or_error(qmp(c, name, Map::new()).map(|_| String::new()))
}

/// `hello-world [message]`, QEMU's `message:s?`: one word or a quoted string.
fn hello(_: &mut Hmp, c: &Ctx, arg: &str) -> String {
    let try_help = |msg: &str| format!("hello-world: {msg}\nTry \"help hello-world\" for more information\n");
    let mut args = Map::new();
    let rest = match hmp_str(arg) {
        Ok(None) => "",
        Ok(Some((word, rest))) => {
            args.insert("message".into(), Value::String(word));
            rest
        }
        Err(()) => return try_help("string expected"),
    };
    if !rest.trim_start().is_empty() {
        return try_help("extraneous characters at the end of line");
    }
    or_error(qmp(c, "hello-world", args).map(|_| String::new()))
}

/// An HMP string argument as QEMU's monitor reads one (monitor/hmp.c,
/// get_str): a word up to white space, or a double-quoted string with the
/// escapes \n \r \\ \' \". `None` when the line has no more words; the
/// string and the rest of the line otherwise.
fn hmp_str(line: &str) -> Result<Option<(String, &str)>, ()> {
    let line = line.trim_start();
    let Some(quoted) = line.strip_prefix('"') else {
        if line.is_empty() {
            return Ok(None);
        }
        let end = line.find(char::is_whitespace).unwrap_or(line.len());
        return Ok(Some((line[..end].to_string(), &line[end..])));
    };
    let mut out = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '"' => return Ok(Some((out, &quoted[i + 1..]))),
            '\\' => out.push(match chars.next().map(|(_, e)| e) {
                Some('n') => '\n',
                Some('r') => '\r',
                Some(e @ ('\\' | '\'' | '"')) => e,
                _ => return Err(()),
            }),
            _ => out.push(ch),
        }
    }
    Err(()) // unterminated string
}

fn gva2gpa(_: &mut Hmp, c: &Ctx, arg: &str) -> String {
    let addr = match parse_addr(arg) {
        Ok(a) => a,
        Err(e) => return format!("{e}\nTry \"help gva2gpa\" for more information\n"),
    };
    let mut args = Map::new();
    args.insert("addr".into(), Value::from(addr));
    or_error(qmp(c, "x-query-gva2gpa", args).map(|v| hrt(&v)))
}

fn info(_: &mut Hmp, c: &Ctx, arg: &str) -> String {
    let sub = arg.split_whitespace().next().unwrap_or("");
    if sub.is_empty() {
        return info_help();
    }
    match INFO.iter().find(|i| i.name == sub) {
        Some(i) => or_error(qmp(c, i.qmp, Map::new()).map(|v| (i.show)(&v))),
        None => format!("unknown command: 'info {sub}'\n"),
    }
}

fn info_help() -> String {
    INFO.iter().map(|i| format!("info {}  -- {}\n", i.name, i.help)).collect()
}

fn help(arg: &str) -> String {
    let arg = arg.trim();
    if arg == "info" {
        return info_help();
    }
    COMMANDS
        .iter()
        .filter(|c| arg.is_empty() || c.name == arg)
        .map(|c| format!("{} {} -- {}\n", c.name, c.params, c.help))
        .collect()
}

/// Per-session HMP state: `x` and `xp` remember the last format and size.
pub struct Hmp {
    last_format: u8,
    last_size: u64,
}

impl Default for Hmp {
    fn default() -> Self {
        Hmp { last_format: b'x', last_size: 4 }
    }
}

/// Tab completion of the line before the cursor (monitor_find_completion):
/// the length of the word being completed and the names it may become.
/// Command names complete the first word, `info` subcommands the second.
pub fn complete(line: &str) -> (usize, Vec<&'static str>) {
    let mut args: Vec<&str> = line.split_ascii_whitespace().collect();
    if line.ends_with(|c: char| c.is_ascii_whitespace()) {
        args.push("");
    }
    let (word, names): (&str, Vec<&'static str>) = match args.as_slice() {
        [] => ("", COMMANDS.iter().map(|k| k.name).collect()),
        [w] => (w, COMMANDS.iter().map(|k| k.name).collect()),
        ["info", w] => (w, INFO.iter().map(|i| i.name).collect()),
        _ => return (0, Vec::new()),
    };
    (word.len(), names.into_iter().filter(|n| n.starts_with(word)).collect())
}

/// Longest dump `x`/`xp` will print.
const MAX_DUMP: u64 = 1 << 20;

impl Hmp {
    /// Run one command line; the output, "\n"-terminated lines.
    pub fn run(&mut self, c: &Ctx, line: &str) -> String {
        let line = line.trim();
        if line.is_empty() {
            return String::new();
        }
        // "x/4xw" has the format glued to the name.
        let name_end = line.find(|ch: char| ch.is_whitespace() || ch == '/').unwrap_or(line.len());
        let (name, rest) = line.split_at(name_end);
        match COMMANDS.iter().find(|k| k.name == name) {
            Some(k) => (k.run)(self, c, rest),
            None => format!("unknown command: '{line}'\n"),
        }
    }

    /// `x /fmt addr` and `xp /fmt addr` (monitor/hmp-cmds.c memory_dump).
    fn dump(&mut self, c: &Ctx, cmd: &str, args: &str, phys: bool) -> String {
        let try_help = |msg: &str| format!("{msg}\nTry \"help {cmd}\" for more information\n");
        let mut rest = args.trim_start();
        let (mut count, mut format, mut size) = (1u64, self.last_format, self.last_size);
        if let Some(f) = rest.strip_prefix('/') {
            let end = f.find(char::is_whitespace).unwrap_or(f.len());
            let spec = &f[..end];
            rest = &f[end..];
            let digits = spec.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                count = spec[..digits].parse().unwrap_or(u64::MAX);
            }
            let mut size_given = false;
            for ch in spec[digits..].bytes() {
                match ch {
                    b'x' | b'd' | b'u' | b'o' | b'c' | b'i' => format = ch,
                    b'b' => (size, size_given) = (1, true),
                    b'h' => (size, size_given) = (2, true),
                    b'w' => (size, size_given) = (4, true),
                    b'g' => (size, size_given) = (8, true),
                    _ => return try_help(&format!("invalid char in format: '{}'", ch as char)),
                }
            }
            if format == b'c' && !size_given {
                size = self.last_size;
            }
        }
        let addr = match parse_addr(rest) {
            Ok(a) => a,
            Err(e) => return try_help(&e),
        };
        self.last_format = format;
        self.last_size = size;
        if format == b'i' {
            return disassemble(c, addr, count, phys);
        }
        let wsize = if format == b'c' { 1 } else { size };
        let len = size.saturating_mul(count);
        if len > MAX_DUMP {
            return format!("Error: dumps are limited to {MAX_DUMP} bytes\n");
        }
        // Bytes up to the first unreadable address; the dump says where it stopped.
        let bytes = match registry::guest_ok(c, ReadMem { addr, len, phys }) {
            Ok(r) => r.bytes,
            Err(e) => return format!("Error: {}\n", e.desc),
        };
        // As QEMU's memory_dump: the line length follows the size before 'c' makes it 1.
        let line_size = if size == 1 { 8 } else { 16 };
        let digits = match format {
            b'o' => (wsize * 8).div_ceil(3),
            b'u' | b'd' => (wsize * 80).div_ceil(33),
            _ => wsize * 2,
        } as usize;
        let mut out = String::new();
        let mut off = 0u64;
        while off < len {
            out.push_str(&format!("{:016x}:", addr.wrapping_add(off)));
            let l = line_size.min(len - off);
            let Some(chunk) = bytes.get(off as usize..(off + l) as usize) else {
                out.push_str(" Cannot access memory\n");
                break;
            };
            for w in chunk.chunks(wsize as usize) {
                let v = w.iter().rev().fold(0u64, |acc, b| (acc << 8) | *b as u64);
                out.push(' ');
                match format {
                    b'o' => out.push_str(&format!("{:>digits$}", format!("0{v:o}"))),
                    b'u' => out.push_str(&format!("{v:>digits$}")),
                    b'd' => out.push_str(&format!("{:>digits$}", v as i64)),
                    b'c' => out.push_str(&printc(v as u8)),
                    _ => out.push_str(&format!("0x{v:0digits$x}")),
                }
            }
            out.push('\n');
            off += l;
        }
        out
    }
}

/// `x/Ni`: N instructions from `addr`, one per line as QEMU's monitor prints
/// them (address, encoding, then the disassembly in QEMU's style).
fn disassemble(c: &Ctx, addr: u64, count: u64, phys: bool) -> String {
    if count > MAX_DUMP / 4 {
        return format!("Error: dumps are limited to {} instructions\n", MAX_DUMP / 4);
    }
    let bytes = match registry::guest_ok(c, ReadMem { addr, len: count * 4, phys }) {
        Ok(r) => r.bytes,
        Err(e) => return format!("Error: {}\n", e.desc),
    };
    let mut out = String::new();
    let mut off = 0usize;
    for _ in 0..count {
        let pc = addr.wrapping_add(off as u64);
        let half = |i: usize| bytes.get(off + i..off + i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as u32);
        let Some(lo) = half(0) else {
            out.push_str(&format!("{pc:#018x}:  Cannot access memory\n"));
            break;
        };
        let raw = if lo & 3 == 3 {
            match half(2) {
                Some(hi) => lo | (hi << 16),
                None => {
                    out.push_str(&format!("{pc:#018x}:  Cannot access memory\n"));
                    break;
                }
            }
        } else {
            lo
        };
        let insn = cpu_riscv::decode::decode(raw);
        let text = cpu_riscv::disasm::disasm_qemu(&insn, pc);
        let hex = if insn.len == 2 { format!("{raw:04x}") } else { format!("{raw:08x}") };
        // Trailing blanks included, as QEMU prints them.
        out.push_str(&format!("{pc:#018x}:  {hex:<18}{text}"));
        out.push('\n');
        off += insn.len as usize;
    }
    out
}

/// monitor_printc.
fn printc(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'\\' => "'\\\\'".into(),
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        32..=126 => format!("'{}'", c as char),
        _ => format!("'\\x{c:02x}'"),
    }
}

/// A number as HMP expressions write them: 0x hex, 0 octal, or decimal.
fn parse_addr(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("unexpected end of expression".into());
    }
    // QEMU 7.2 has no monitor register definitions for RISC-V: `$pc` and
    // every other `$name` fail this way there too.
    if s.starts_with('$') {
        return Err("unknown register".into());
    }
    if let Some(bad) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(format!("invalid char '{bad}' in expression"));
    }
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None if s.len() > 1 && s.starts_with('0') => (&s[1..], 8),
        None => (s, 10),
    };
    if let Some(bad) = digits.chars().find(|c| !c.is_digit(radix)) {
        return Err(format!("invalid char '{bad}' in expression"));
    }
    u64::from_str_radix(digits, radix).map_err(|_| "number too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_arguments_as_qemu_reads_them() {
        assert_eq!(hmp_str("  "), Ok(None));
        assert_eq!(hmp_str(" hi there"), Ok(Some(("hi".into(), " there"))));
        assert_eq!(hmp_str(r#" "hi there" x"#), Ok(Some(("hi there".into(), " x"))));
        assert_eq!(hmp_str(r#""a\"b\\c\nd\'""#), Ok(Some(("a\"b\\c\nd'".into(), ""))));
        assert_eq!(hmp_str(r#""unterminated"#), Err(()));
        assert_eq!(hmp_str(r#""bad \q escape""#), Err(()));
        assert_eq!(hmp_str(r#""ends in \"#), Err(()));
    }

    #[test]
    fn addresses_and_chars() {
        assert_eq!(parse_addr("0x1000"), Ok(0x1000));
        assert_eq!(parse_addr(" 4096 "), Ok(4096));
        assert_eq!(parse_addr("010"), Ok(8));
        assert_eq!(parse_addr("zzz"), Err("invalid char 'z' in expression".into()));
        assert_eq!(parse_addr(""), Err("unexpected end of expression".into()));
        // As qemu-system-riscv64 7.2 answers `x/2i $pc`.
        assert_eq!(parse_addr("$pc"), Err("unknown register".into()));
        assert!(parse_addr("0x1ffffffffffffffff").is_err());
        assert_eq!(printc(0x97), "'\\x97'");
        assert_eq!(printc(b'A'), "'A'");
    }
}
