//! Command-line parsing, following `qemu-system-riscv64` where the two overlap
//! so that QEMU users' scripts carry over.
//!
//! QEMU's options are single-dash long options (`-machine`, `-m`) that also
//! accept two dashes, take their argument as the next word (never `=`), and
//! consume that next word even if it starts with a dash. A CLI crate cannot do
//! this cleanly, so this is a small table-driven parser.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text on stdout and exit 0 (`-help`, `-version`, `-machine help`, `-d help`, ...).
    Print(String),
    /// Run a machine.
    /// Run a machine (boxed: the options are large beside the text).
    Run(Box<Options>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    Spike,
    Virt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bios {
    /// `-bios` absent: the board's default firmware.
    Default,
    None,
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialOpt {
    Stdio,
    None,
    File(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Interp,
    Jit,
    /// The JIT checked block by block against the interpreter.
    Lockstep,
}

/// Where the kernel comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kernel {
    None,
    File(PathBuf),
    /// The demo image built into the binary (no arguments at all).
    Demo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub board: Board,
    pub ram_size: u64,
    pub bios: Bios,
    pub kernel: Kernel,
    pub serial: SerialOpt,
    pub paused: bool,
    pub log_mask: u32,
    pub log_file: Option<PathBuf>,
    pub accel: Accel,
    pub max_insns: Option<u64>,
    /// `-qmp`, `-monitor`, `-mon`: the monitors to start.
    pub monitors: Vec<qmp::MonitorSpec>,
    /// `-no-shutdown`.
    pub no_shutdown: bool,
    /// `-name`.
    pub name: Option<String>,
    /// `-perfmap`: write /tmp/perf-PID.map for perf.
    pub perfmap: bool,
    /// `-initrd FILE`.
    pub initrd: Option<PathBuf>,
    /// `-append CMDLINE`.
    pub append: Option<String>,
    /// `-dtb FILE`.
    pub dtb: Option<PathBuf>,
}

/// QEMU's default board for qemu-system-riscv64.
pub const DEFAULT_BOARD: Board = Board::Spike;
/// QEMU's default RAM size for the RISC-V boards.
pub const DEFAULT_RAM: u64 = 128 << 20;
/// Largest `-m` accepted: the machine's limit (RAM is allocated up front).
pub const MAX_RAM: u64 = machine::MAX_RAM;
/// Smallest `-m` accepted: firmware, device tree and a kernel must fit (the machine's limit).
pub const MIN_RAM: u64 = 2 << 20;

impl Default for Options {
    fn default() -> Self {
        Options {
            board: DEFAULT_BOARD,
            ram_size: DEFAULT_RAM,
            bios: Bios::Default,
            kernel: Kernel::None,
            serial: SerialOpt::Stdio,
            paused: false,
            log_mask: 0,
            log_file: None,
            accel: Accel::Jit,
            max_insns: None,
            monitors: Vec::new(),
            no_shutdown: false,
            name: None,
            perfmap: false,
            initrd: None,
            append: None,
            dtb: None,
        }
    }
}

impl Options {
    /// What Tern runs with no arguments: `-machine virt -bios none -nographic -kernel <demo>`.
    pub fn demo() -> Options {
        Options { board: Board::Virt, bios: Bios::None, kernel: Kernel::Demo, ..Options::default() }
    }
}

/// The boards, as `-machine help` lists them (QEMU's descriptions).
pub const BOARDS: &[(&str, Board, &str)] =
    &[("spike", Board::Spike, "RISC-V Spike board (default)"), ("virt", Board::Virt, "RISC-V VirtIO board")];

/// The accelerators, as `-accel help` lists them.
const ACCELS: &[(&str, Option<Accel>, &str)] = &[
    ("jit", Some(Accel::Jit), "just-in-time compiler to x86-64 host code (default)"),
    ("tcg", Some(Accel::Jit), "alias of jit, QEMU's name for its JIT, for QEMU scripts"),
    ("interp", Some(Accel::Interp), "interpreter (the reference semantics)"),
    ("lockstep", Some(Accel::Lockstep), "the JIT checked against the interpreter after every block"),
];

/// One option: its names (without dashes), whether it takes an argument, and help text.
struct Opt {
    names: &'static [&'static str],
    arg: Option<&'static str>,
    help: &'static str,
    id: Id,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Id {
    Help,
    Version,
    Machine,
    Memory,
    Bios,
    Kernel,
    Initrd,
    Append,
    Dtb,
    NoGraphic,
    Serial,
    Paused,
    DebugItems,
    DebugFile,
    Accel,
    MaxInsns,
    Smp,
    Display,
    Qmp,
    QmpPretty,
    Monitor,
    Chardev,
    Mon,
    NoShutdown,
    Name,
    Perfmap,
}

const OPTS: &[Opt] = &[
    Opt { names: &["h", "help"], arg: None, help: "display this help and exit", id: Id::Help },
    Opt { names: &["version"], arg: None, help: "display version information and exit", id: Id::Version },
    Opt {
        names: &["machine", "M"],
        arg: Some("[type=]name"),
        help: "select the board: spike (default) or virt ('-machine help' for a list)",
        id: Id::Machine,
    },
    Opt {
        names: &["m"],
        arg: Some("[size=]megs[M|G]"),
        help: "RAM size; a bare number is MiB, suffixes k, M, G, T (default: 128M)",
        id: Id::Memory,
    },
    Opt {
        names: &["bios"],
        arg: Some("file|none|default"),
        help: "firmware at the reset vector; 'none' starts at the kernel (default: OpenSBI, as QEMU)",
        id: Id::Bios,
    },
    Opt { names: &["kernel"], arg: Some("file"), help: "ELF image to load", id: Id::Kernel },
    Opt { names: &["initrd"], arg: Some("file"), help: "use 'file' as initial ram disk", id: Id::Initrd },
    Opt { names: &["append"], arg: Some("cmdline"), help: "use 'cmdline' as kernel command line", id: Id::Append },
    Opt {
        names: &["dtb"],
        arg: Some("file"),
        help: "use 'file' as device tree image (virt; spike ignores it, as in QEMU)",
        id: Id::Dtb,
    },
    Opt {
        names: &["nographic"],
        arg: None,
        help: "no display; the serial port goes to stdio (Tern never has a display)",
        id: Id::NoGraphic,
    },
    Opt {
        names: &["serial"],
        arg: Some("dev"),
        help: "serial port backend: stdio (default), mon:stdio, none, null, file:PATH",
        id: Id::Serial,
    },
    Opt { names: &["S"], arg: None, help: "do not start the CPU (until the monitor's 'cont')", id: Id::Paused },
    Opt {
        names: &["qmp"],
        arg: Some("dev"),
        help: "QMP monitor on dev: unix:PATH,server=on[,wait=off], tcp:HOST:PORT,server=on[,wait=off], stdio",
        id: Id::Qmp,
    },
    Opt { names: &["qmp-pretty"], arg: Some("dev"), help: "like -qmp, with pretty-printed JSON", id: Id::QmpPretty },
    Opt { names: &["monitor"], arg: Some("dev"), help: "human monitor (HMP) on dev (as for -qmp)", id: Id::Monitor },
    Opt {
        names: &["chardev"],
        arg: Some("backend,id=ID,..."),
        help: "socket,id=ID,path=P|host=H,port=N,server=on[,wait=off] or stdio,id=ID",
        id: Id::Chardev,
    },
    Opt {
        names: &["mon"],
        arg: Some("chardev=ID,..."),
        help: "monitor on a -chardev: [mode=control|readline][,pretty=on]",
        id: Id::Mon,
    },
    Opt {
        names: &["no-shutdown"],
        arg: None,
        help: "when the guest powers off, stop (status shutdown) instead of exiting",
        id: Id::NoShutdown,
    },
    Opt { names: &["name"], arg: Some("name"), help: "the guest's name (query-name)", id: Id::Name },
    Opt {
        names: &["d"],
        arg: Some("item1,..."),
        help: "enable logging of items ('-d help' for a list)",
        id: Id::DebugItems,
    },
    Opt {
        names: &["D"],
        arg: Some("logfile"),
        help: "write the -d log to logfile instead of stderr",
        id: Id::DebugFile,
    },
    Opt {
        names: &["accel"],
        arg: Some("name"),
        help: "execution engine: jit (default; 'tcg' is an alias), interp or lockstep ('-accel help')",
        id: Id::Accel,
    },
    Opt {
        names: &["max-insns"],
        arg: Some("N"),
        help: "stop after N guest instructions with exit status 124 (Tern only)",
        id: Id::MaxInsns,
    },
    Opt {
        names: &["perfmap"],
        arg: None,
        help: "write /tmp/perf-PID.map naming the JIT's code after guest functions, for perf",
        id: Id::Perfmap,
    },
    Opt { names: &["smp"], arg: Some("1"), help: "number of harts (only 1)", id: Id::Smp },
    Opt { names: &["display"], arg: Some("none"), help: "display backend (only none)", id: Id::Display },
];

/// A command-line error: printed as `tern: <message>` on one line, exit status 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `opt arg: message`, the shape of QEMU's errors about one option.
fn err_at(opt: &str, arg: &str, msg: impl std::fmt::Display) -> CliError {
    CliError(format!("{opt} {arg}: {msg}"))
}

/// Parse the arguments after the program name.
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Action, CliError> {
    let args: Vec<OsString> = args.into_iter().collect();
    if args.is_empty() {
        return Ok(Action::Run(Box::new(Options::demo())));
    }
    let mut o = Options::default();
    let mut serial_set = false;
    let mut chardevs = Vec::new();
    let mut mons = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let word = utf8(&args[i])?;
        i += 1;
        let Some(name) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            // QEMU takes a bare word as a disk image; Tern has no disks.
            return Err(CliError(format!("{word}: disk images are not supported (use -kernel)")));
        };
        let Some(opt) = OPTS.iter().find(|o| o.names.contains(&name)) else {
            return Err(CliError(format!("{word}: invalid option")));
        };
        let mut value: Option<&OsStr> = None;
        if opt.arg.is_some() {
            // Like QEMU, the next word is the argument even if it starts with '-'.
            let Some(v) = args.get(i) else {
                return Err(CliError(format!("{word}: requires an argument")));
            };
            value = Some(v.as_os_str());
            i += 1;
        }
        let raw = value.unwrap_or_default();
        match opt.id {
            Id::Help => return Ok(Action::Print(help_text())),
            Id::Version => return Ok(Action::Print(version_text())),
            Id::Machine => {
                let v = utf8_arg(word, raw)?;
                match parse_machine(v).map_err(|m| err_at(word, v, m))? {
                    Some(b) => o.board = b,
                    None => return Ok(Action::Print(machine_help())),
                }
            }
            Id::Memory => {
                let v = utf8_arg(word, raw)?;
                o.ram_size = parse_ram(v).map_err(|m| err_at(word, v, m))?;
            }
            Id::Bios => {
                // QEMU's RISC-V boards also take `default` for the built-in choice.
                o.bios = match raw.to_str() {
                    Some("none") => Bios::None,
                    Some("default") => Bios::Default,
                    _ => Bios::File(nonempty_path(word, raw)?),
                };
            }
            Id::Kernel => o.kernel = Kernel::File(nonempty_path(word, raw)?),
            Id::Initrd => o.initrd = Some(nonempty_path(word, raw)?),
            Id::Append => o.append = Some(utf8_arg(word, raw)?.to_string()),
            Id::Dtb => o.dtb = Some(nonempty_path(word, raw)?),
            Id::NoGraphic => {}
            Id::Serial => {
                if serial_set {
                    return Err(err_at(word, &raw.to_string_lossy(), "only one serial port is supported"));
                }
                serial_set = true;
                o.serial = parse_serial(raw).map_err(|m| err_at(word, &raw.to_string_lossy(), m))?;
            }
            Id::Paused => o.paused = true,
            Id::DebugItems => {
                let v = utf8_arg(word, raw)?;
                if v == "help" {
                    return Ok(Action::Print(log_help()));
                }
                o.log_mask = cpu_riscv::dlog::parse_mask(v).map_err(|m| err_at(word, v, m))?;
            }
            Id::DebugFile => o.log_file = Some(nonempty_path(word, raw)?),
            Id::Accel => {
                let v = utf8_arg(word, raw)?;
                match parse_accel(v).map_err(|m| err_at(word, v, m))? {
                    Some(a) => o.accel = a,
                    None => return Ok(Action::Print(accel_help())),
                }
            }
            Id::MaxInsns => {
                let v = utf8_arg(word, raw)?;
                o.max_insns = Some(parse_count(v).map_err(|m| err_at(word, v, m))?);
            }
            Id::Smp => {
                let v = utf8_arg(word, raw)?;
                let n = v.strip_prefix("cpus=").unwrap_or(v);
                if n != "1" {
                    return Err(err_at(word, v, "only one hart is supported"));
                }
            }
            Id::Display => {
                let v = utf8_arg(word, raw)?;
                if v != "none" {
                    return Err(err_at(word, v, "Tern has no display; only 'none' is accepted"));
                }
            }
            Id::Qmp | Id::QmpPretty | Id::Monitor => {
                let v = utf8_arg(word, raw)?;
                if let Some(chardev) = crate::monitor_opts::parse_dev(v).map_err(|m| err_at(word, v, m))? {
                    let (pretty, readline) = (opt.id == Id::QmpPretty, opt.id == Id::Monitor);
                    // QEMU names these chardevs compat_monitor0, 1, ... in order.
                    let id = format!("compat_monitor{}", o.monitors.len());
                    o.monitors.push(qmp::MonitorSpec { id, chardev, pretty, readline });
                }
            }
            Id::Chardev => {
                let v = utf8_arg(word, raw)?;
                chardevs.push(crate::monitor_opts::parse_chardev(v).map_err(|m| err_at(word, v, m))?);
            }
            Id::Mon => {
                let v = utf8_arg(word, raw)?;
                mons.push(crate::monitor_opts::parse_mon(v).map_err(|m| err_at(word, v, m))?);
            }
            Id::NoShutdown => o.no_shutdown = true,
            Id::Name => o.name = Some(utf8_arg(word, raw)?.to_string()),
            Id::Perfmap => o.perfmap = true,
        }
    }
    // QEMU's qemu_validate_options, in its order.
    if o.kernel == Kernel::None {
        if o.append.is_some() {
            return Err(CliError("-append only allowed with -kernel option".into()));
        }
        if o.initrd.is_some() {
            return Err(CliError("-initrd only allowed with -kernel option".into()));
        }
    }
    o.monitors.extend(crate::monitor_opts::resolve(&chardevs, &mons).map_err(CliError)?);
    let stdio_users = o.monitors.iter().filter(|m| m.chardev == qmp::Chardev::Stdio).count()
        + usize::from(o.serial == SerialOpt::Stdio && o.monitors.iter().any(|m| m.chardev == qmp::Chardev::Stdio));
    if stdio_users > 1 {
        return Err(CliError("cannot use stdio by multiple character devices (add -serial none)".into()));
    }
    Ok(Action::Run(Box::new(o)))
}

fn utf8(s: &OsStr) -> Result<&str, CliError> {
    s.to_str().ok_or_else(|| CliError(format!("{}: invalid option (not UTF-8)", s.to_string_lossy())))
}

fn utf8_arg<'a>(opt: &str, s: &'a OsStr) -> Result<&'a str, CliError> {
    s.to_str().ok_or_else(|| err_at(opt, &s.to_string_lossy(), "argument is not valid UTF-8"))
}

fn nonempty_path(opt: &str, s: &OsStr) -> Result<PathBuf, CliError> {
    if s.is_empty() {
        return Err(CliError(format!("{opt} '': empty file name")));
    }
    Ok(PathBuf::from(s))
}

/// `-machine [type=]name[,prop=value...]`. `Ok(None)` means `help`.
fn parse_machine(v: &str) -> Result<Option<Board>, String> {
    let mut parts = v.split(',');
    let first = parts.next().unwrap_or_default();
    let name = first.strip_prefix("type=").unwrap_or(first);
    if name == "help" {
        return Ok(None);
    }
    let Some(&(_, board, _)) = BOARDS.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!("unsupported machine type '{name}' (use -machine help to list supported machines)"));
    };
    if let Some(prop) = parts.next() {
        let key = prop.split('=').next().unwrap_or_default();
        return Err(format!("property '{name}-machine.{key}' is not supported by Tern"));
    }
    Ok(Some(board))
}

/// `-m [size=]N[suffix]`: QEMU's rules, a bare number is MiB; k, M, G, T, P, E suffixes
/// (either case, optional trailing B), fractions allowed ("1.5G").
pub fn parse_ram(v: &str) -> Result<u64, String> {
    const EXPECT: &str = "Parameter 'size' expects a non-negative number below 2^64";
    let mut size_str = "";
    for (i, part) in v.split(',').enumerate() {
        if let Some(s) = part.strip_prefix("size=") {
            size_str = s;
        } else if i == 0 && !part.contains('=') {
            size_str = part;
        } else {
            // QEMU's -m also knows slots= and maxmem= (memory hotplug); Tern has none.
            let key = part.split('=').next().unwrap_or_default();
            return Err(format!("property '{key}' is not supported by Tern"));
        }
    }
    let bytes = parse_size(size_str, 1 << 20).ok_or(EXPECT)?;
    if bytes == 0 {
        return Err("RAM size must be greater than zero".into());
    }
    if bytes < MIN_RAM {
        return Err(format!("RAM size below the minimum of {} MiB", MIN_RAM >> 20));
    }
    if bytes > MAX_RAM {
        return Err(format!("RAM size above the maximum of {} GiB", MAX_RAM >> 30));
    }
    // QEMU rounds RAM up to whole target pages.
    Ok(bytes.div_ceil(4096) * 4096)
}

/// A size with an optional binary suffix; `unit` applies to a bare number.
/// `None` for garbage, negative numbers and anything at or above 2^64.
fn parse_size(s: &str, unit: u64) -> Option<u64> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let suffix = suffix.strip_suffix(['b', 'B']).unwrap_or(suffix);
    let mult: u64 = match suffix {
        "" => unit,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        "t" | "T" => 1 << 40,
        "p" | "P" => 1 << 50,
        "e" | "E" => 1 << 60,
        _ => return None,
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = int.parse::<u64>().ok()?.checked_mul(mult)?;
    // The fraction in exact integer arithmetic (at most 18 digits kept: finer than a byte anyway).
    let digits = &frac[..frac.len().min(18)];
    let part = if digits.is_empty() {
        0
    } else {
        let scale = 10u128.pow(digits.len() as u32);
        (digits.parse::<u128>().ok()? * u128::from(mult) / scale) as u64
    };
    whole.checked_add(part)
}

/// `-serial dev`.
fn parse_serial(v: &OsStr) -> Result<SerialOpt, String> {
    // Paths are bytes on Linux (Tern's only host), so any suffix is a valid OsStr.
    use std::os::unix::ffi::OsStrExt;
    if let Some(path) = v.as_bytes().strip_prefix(b"file:") {
        if path.is_empty() {
            return Err("file: needs a path".into());
        }
        return Ok(SerialOpt::File(PathBuf::from(OsStr::from_bytes(path))));
    }
    match v.to_str() {
        Some("stdio") | Some("mon:stdio") => Ok(SerialOpt::Stdio),
        Some("none") | Some("null") => Ok(SerialOpt::None),
        _ => Err(format!(
            "'{}' is not a valid char driver (stdio, mon:stdio, none, null, file:PATH)",
            v.to_string_lossy()
        )),
    }
}

/// `-accel [accel=]name`. `Ok(None)` means `help`.
fn parse_accel(v: &str) -> Result<Option<Accel>, String> {
    let mut parts = v.split(',');
    let first = parts.next().unwrap_or_default();
    let name = first.strip_prefix("accel=").unwrap_or(first);
    if name == "help" {
        return Ok(None);
    }
    let Some(&(_, accel, _)) = ACCELS.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!("invalid accelerator {name}"));
    };
    if let Some(prop) = parts.next() {
        let key = prop.split('=').next().unwrap_or_default();
        return Err(format!("property '{name}-accel.{key}' is not supported by Tern"));
    }
    Ok(accel)
}

/// `-max-insns N`: a positive decimal count.
fn parse_count(v: &str) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(0) => Err("the instruction limit must be at least 1".into()),
        Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err("expects a decimal number of instructions between 1 and 2^64-1".into()),
    }
}

pub fn version_text() -> String {
    format!(
        "Tern emulator version {}\nCommand-line compatible with a subset of QEMU's qemu-system-riscv64\n",
        env!("CARGO_PKG_VERSION")
    )
}

pub fn help_text() -> String {
    let mut s = version_text();
    s.push_str("usage: tern [options]\n\nWith no options, runs the built-in demo on the virt board.\n");
    s.push_str("Options take one or two leading dashes; an option's argument is the next word.\n\n");
    for o in OPTS {
        let mut left = o.names.iter().map(|n| format!("-{n}")).collect::<Vec<_>>().join(", ");
        if let Some(a) = o.arg {
            left = format!("{left} {a}");
        }
        if left.len() < 24 {
            s.push_str(&format!("{left:<24}{}\n", o.help));
        } else {
            s.push_str(&format!("{left}\n{:<24}{}\n", "", o.help));
        }
    }
    s.push_str("\nExit status: the guest's exit code (HTIF or test finisher), 124 when -max-insns\n");
    s.push_str("is reached, 130 when interrupted (Ctrl-C, SIGTERM), 3 when -accel lockstep finds\n");
    s.push_str("a divergence, 1 for command-line, load and internal errors.\n");
    s.push_str("\nA QMP client is built in: tern monitor-command SOCKET [--pretty] [--hmp] COMMAND\n");
    s.push_str("(as virsh qemu-monitor-command; 'tern monitor-command --help' for more).\n");
    s
}

fn machine_help() -> String {
    let mut s = String::from("Supported machines are:\n");
    for (name, _, desc) in BOARDS {
        s.push_str(&format!("{name:<20} {desc}\n"));
    }
    s
}

fn accel_help() -> String {
    let mut s = String::from("Accelerators supported in Tern binary:\n");
    for (name, _, desc) in ACCELS {
        s.push_str(&format!("{name:<8} {desc}\n"));
    }
    s
}

fn log_help() -> String {
    let mut s = String::from("Log items (comma separated):\n");
    for (name, _, desc) in cpu_riscv::dlog::LOG_ITEMS {
        s.push_str(&format!("{name:<15} {desc}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(OsString::from)) {
            Ok(Action::Run(o)) => Ok(*o),
            Ok(Action::Print(p)) => Err(format!("PRINT {p}")),
            Err(e) => Err(e.0),
        }
    }

    fn print(args: &[&str]) -> String {
        match parse(args.iter().map(OsString::from)) {
            Ok(Action::Print(p)) => p,
            other => panic!("expected text for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn no_args_is_demo_on_virt() {
        let o = run(&[]).unwrap();
        assert_eq!(o, Options::demo());
        assert_eq!((o.board, &o.bios, &o.kernel), (Board::Virt, &Bios::None, &Kernel::Demo));
    }

    #[test]
    fn qemu_style_command_line() {
        let o = run(&["-machine", "virt", "-bios", "none", "-nographic", "-kernel", "x.elf"]).unwrap();
        assert_eq!(o.board, Board::Virt);
        assert_eq!(o.bios, Bios::None);
        assert_eq!(o.kernel, Kernel::File("x.elf".into()));
        assert_eq!(o.serial, SerialOpt::Stdio);
        assert_eq!(o.ram_size, DEFAULT_RAM);
        // Two dashes and the short alias, with QEMU's [type=] form.
        let o = run(&["--M", "type=virt", "--kernel", "y", "--bios", "fw.bin"]).unwrap();
        assert_eq!((o.board, o.bios), (Board::Virt, Bios::File("fw.bin".into())));
        assert_eq!(run(&["-bios", "none", "-bios", "default"]).unwrap().bios, Bios::Default);
        // Board default as in QEMU; later options override earlier ones.
        assert_eq!(run(&["-kernel", "k"]).unwrap().board, Board::Spike);
        assert_eq!(run(&["-M", "virt", "-M", "spike"]).unwrap().board, Board::Spike);
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_ram("512"), Ok(512 << 20));
        assert_eq!(parse_ram("128M"), Ok(128 << 20));
        assert_eq!(parse_ram("2G"), Ok(2 << 30));
        assert_eq!(parse_ram("2g"), Ok(2 << 30));
        assert_eq!(parse_ram("size=64M"), Ok(64 << 20));
        assert_eq!(parse_ram("1.5G"), Ok(3 << 29));
        assert_eq!(parse_ram("4096k"), Ok(4 << 20));
        assert_eq!(parse_ram("3000001k"), Ok(3000004 << 10), "rounded up to 4 KiB");
        for bad in ["foo", "", "-1", "1Q", "1.2.3", ".5G", "size=", "18446744073709551616", "99999999999T", "16E"] {
            let e = parse_ram(bad).unwrap_err();
            assert!(e.contains("expects a non-negative number"), "{bad}: {e}");
        }
        assert!(parse_ram("0").unwrap_err().contains("greater than zero"));
        assert!(parse_ram("0M").unwrap_err().contains("greater than zero"));
        assert!(parse_ram("1k").unwrap_err().contains("minimum"));
        assert!(parse_ram("1").unwrap_err().contains("minimum"));
        assert_eq!(parse_ram("2"), Ok(2 << 20));
        assert!(parse_ram("17G").unwrap_err().contains("maximum"));
        assert!(parse_ram("1T").unwrap_err().contains("maximum"));
        assert!(parse_ram("64M,slots=2").unwrap_err().contains("'slots'"));
        assert_eq!(run(&["-m", "2G"]).unwrap().ram_size, 2 << 30);
        assert_eq!(
            run(&["-m", "foo"]).unwrap_err(),
            "-m foo: Parameter 'size' expects a non-negative number below 2^64"
        );
    }

    #[test]
    fn machine_option() {
        assert!(print(&["-machine", "help"]).contains("virt"));
        assert!(print(&["-M", "help"]).starts_with("Supported machines are:\n"));
        assert!(run(&["-machine", "foo"]).unwrap_err().starts_with("-machine foo: unsupported machine type 'foo'"));
        let e = run(&["-machine", "virt,aclint=on"]).unwrap_err();
        assert_eq!(e, "-machine virt,aclint=on: property 'virt-machine.aclint' is not supported by Tern");
    }

    #[test]
    fn linux_boot_options() {
        let o = run(&["-kernel", "Image", "-initrd", "rd.cpio", "-append", "console=ttyS0 earlycon", "-dtb", "x.dtb"]);
        let o = o.unwrap();
        assert_eq!(o.initrd, Some(PathBuf::from("rd.cpio")));
        assert_eq!(o.append.as_deref(), Some("console=ttyS0 earlycon"));
        assert_eq!(o.dtb, Some(PathBuf::from("x.dtb")));
        assert_eq!(Options::default().initrd, None);
        // As any QEMU argument, -append takes the next word even if it starts with '-'.
        assert_eq!(run(&["-append", "-v", "-kernel", "k"]).unwrap().append.as_deref(), Some("-v"));
        // The last one wins, as in QEMU.
        assert_eq!(run(&["-kernel", "k", "-initrd", "a", "-initrd", "b"]).unwrap().initrd, Some("b".into()));
        // QEMU's vl.c: without -kernel (-append first); an empty -append counts.
        assert_eq!(run(&["-initrd", "rd"]).unwrap_err(), "-initrd only allowed with -kernel option");
        assert_eq!(run(&["-append", ""]).unwrap_err(), "-append only allowed with -kernel option");
        assert_eq!(run(&["-initrd", "rd", "-append", "x"]).unwrap_err(), "-append only allowed with -kernel option");
        // -dtb alone is fine (QEMU loads it without a kernel).
        assert_eq!(run(&["-M", "virt", "-dtb", "x.dtb"]).unwrap().dtb, Some("x.dtb".into()));
        assert_eq!(run(&["-kernel", "k", "-initrd", ""]).unwrap_err(), "-initrd '': empty file name");
        assert_eq!(run(&["-dtb", ""]).unwrap_err(), "-dtb '': empty file name");
        for opt in ["-initrd", "-append", "-dtb"] {
            assert_eq!(run(&[opt]).unwrap_err(), format!("{opt}: requires an argument"));
        }
        let help = print(&["-h"]);
        for line in ["-initrd file", "-append cmdline", "-dtb file"] {
            assert!(help.contains(line), "{line}");
        }
    }

    #[test]
    fn missing_argument_and_unknown_options() {
        for opt in ["-m", "-kernel", "--bios", "-machine", "-d", "-D", "-serial", "-accel", "-max-insns"] {
            assert_eq!(run(&[opt]).unwrap_err(), format!("{opt}: requires an argument"));
        }
        assert_eq!(run(&["-bogus"]).unwrap_err(), "-bogus: invalid option");
        assert_eq!(run(&["-"]).unwrap_err(), "-: invalid option");
        assert_eq!(run(&["--"]).unwrap_err(), "--: invalid option");
        assert_eq!(run(&["---m", "5"]).unwrap_err(), "---m: invalid option");
        assert!(run(&["disk.img"]).unwrap_err().starts_with("disk.img: disk images"));
        // QEMU takes the next word as the argument even when it looks like an option.
        assert!(run(&["-m", "-nographic"]).unwrap_err().starts_with("-m -nographic: Parameter 'size'"));
        assert_eq!(run(&["-kernel", "-S"]).unwrap().kernel, Kernel::File("-S".into()));
        assert!(run(&["-kernel", ""]).unwrap_err().contains("empty file name"));
    }

    #[test]
    fn serial_backends() {
        assert_eq!(run(&["-serial", "none"]).unwrap().serial, SerialOpt::None);
        assert_eq!(run(&["-serial", "null"]).unwrap().serial, SerialOpt::None);
        assert_eq!(run(&["-serial", "mon:stdio"]).unwrap().serial, SerialOpt::Stdio);
        assert_eq!(run(&["-serial", "file:/tmp/x"]).unwrap().serial, SerialOpt::File("/tmp/x".into()));
        assert!(run(&["-serial", "file:"]).unwrap_err().contains("needs a path"));
        assert!(run(&["-serial", "pty"]).unwrap_err().starts_with("-serial pty: 'pty' is not a valid char driver"));
        assert!(run(&["-serial", "stdio", "-serial", "none"]).unwrap_err().contains("only one serial port"));
    }

    #[test]
    fn logging_accel_limits_and_misc() {
        use cpu_riscv::dlog::{LOG_INT, LOG_IN_ASM};
        assert_eq!(run(&["-d", "in_asm,int"]).unwrap().log_mask, LOG_IN_ASM | LOG_INT);
        assert!(run(&["-d", "in_asm,bogus"]).unwrap_err().starts_with("-d in_asm,bogus: unknown -d item 'bogus'"));
        assert!(print(&["-d", "help"]).contains("in_asm"));
        assert_eq!(run(&["-D", "log.txt"]).unwrap().log_file, Some("log.txt".into()));
        assert_eq!(run(&["-accel", "interp"]).unwrap().accel, Accel::Interp);
        assert_eq!(run(&["-accel", "tcg"]).unwrap().accel, Accel::Jit);
        assert_eq!(run(&[]).unwrap().accel, Accel::Jit, "the JIT is the default");
        assert_eq!(run(&["-accel", "jit"]).unwrap().accel, Accel::Jit);
        assert_eq!(run(&["-accel", "lockstep"]).unwrap().accel, Accel::Lockstep);
        assert_eq!(run(&["-accel", "kvm"]).unwrap_err(), "-accel kvm: invalid accelerator kvm");
        assert!(run(&["-accel", "tcg,thread=multi"]).unwrap_err().contains("'tcg-accel.thread'"));
        assert!(print(&["-accel", "help"]).contains("interp"));
        assert!(run(&["-perfmap"]).unwrap().perfmap && !run(&["-m", "64"]).unwrap().perfmap);
        assert!(print(&["-h"]).contains("-perfmap "));
        assert_eq!(run(&["-jitdump"]).unwrap_err(), "-jitdump: invalid option", "QEMU's -jitdump is not supported");
        assert_eq!(run(&["-max-insns", "1000"]).unwrap().max_insns, Some(1000));
        assert_eq!(run(&["--max-insns", "18446744073709551615"]).unwrap().max_insns, Some(u64::MAX));
        for bad in ["0", "-5", "+5", "1e6", "18446744073709551616", "x"] {
            assert!(run(&["-max-insns", bad]).is_err(), "{bad}");
        }
        assert!(run(&["-S"]).unwrap().paused);
        assert!(run(&["-smp", "1", "-display", "none"]).is_ok());
        assert!(run(&["-smp", "2"]).unwrap_err().contains("only one hart"));
        assert!(print(&["-version"]).starts_with("Tern emulator version "));
        assert!(print(&["-kernel", "k", "--help"]).contains("-max-insns"));
        assert!(print(&["-h"]).contains("-machine, -M [type=]name"));
    }

    #[test]
    fn non_utf8_arguments() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'-', 0xff]);
        assert!(parse([bad.clone()]).unwrap_err().0.contains("not UTF-8"));
        assert!(parse([OsString::from("-m"), bad.clone()]).unwrap_err().0.contains("not valid UTF-8"));
        // Paths may be any bytes, as on Unix.
        let Ok(Action::Run(o)) = parse([OsString::from("-kernel"), bad.clone()]) else { panic!() };
        assert_eq!(o.kernel, Kernel::File(PathBuf::from(bad)));
        let serial = OsString::from_vec(b"file:\xfe".to_vec());
        let Ok(Action::Run(o)) = parse([OsString::from("-serial"), serial]) else { panic!() };
        assert_eq!(o.serial, SerialOpt::File(PathBuf::from(OsString::from_vec(vec![0xfe]))));
    }

    /// Random command lines from a vocabulary of options and hostile values: never a panic,
    /// and every error is one line.
    #[test]
    fn random_command_lines_never_panic() {
        use std::os::unix::ffi::OsStringExt;
        let mut words: Vec<OsString> = OPTS
            .iter()
            .flat_map(|o| o.names.iter().flat_map(|n| [format!("-{n}"), format!("--{n}")]))
            .map(OsString::from)
            .collect();
        for v in [
            "",
            "-",
            "--",
            "help",
            "virt",
            "spike",
            "virt,x=1",
            "type=",
            ",",
            "=",
            "0",
            "1",
            "2G",
            "1.5",
            ".",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999E",
            "size=",
            "size=,",
            "file:",
            "file:x",
            "none",
            "default",
            "in_asm,,int",
            "jit",
            "tcg,",
            "accel=",
            "\n",
            "é",
            "1\n2",
        ] {
            words.push(OsString::from(v));
        }
        words.push(OsString::from_vec(vec![0xff, b'-']));
        words.push(OsString::from_vec(b"-m\x80".to_vec()));
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let n = (next() % 6) as usize;
            let args: Vec<OsString> = (0..n).map(|_| words[(next() % words.len() as u64) as usize].clone()).collect();
            if let Err(e) = parse(args.clone()) {
                assert!(!e.0.is_empty(), "{args:?}");
            }
        }
    }
}
