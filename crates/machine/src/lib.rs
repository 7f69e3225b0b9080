//! The machine: bus, RAM, devices, the `spike` and `virt` boards, ELF loading
//! and the device tree.

// Safe Rust only: unsafe code belongs in the crates that need it (jit, softfloat, cpu-riscv).
#![forbid(unsafe_code)]

pub mod board;
pub mod bus;
pub mod control;
pub mod devices;
pub mod fdt;
pub mod loader;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpu_riscv::{Clock, Cpu, Hart, HostPanic, IrqLines, Ram, Stop};

use board::MemMap;
use bus::DeviceBus;
use control::{Control, Envelope, EventKind, Handle, Reply, Request, RunState};
use devices::clint::{Clint, CLINT_SIZE};
use devices::finisher::{Finisher, FINISHER_SIZE};
use devices::htif::{htif, HTIF_WORD};
use devices::plic::{Plic, PLIC_SIZE};
use devices::rom::Rom;
use devices::uart::{Input, Uart, UART_SIZE};
use devices::{Console, ExitSignal, GuestRequest};

/// Which board to build (`-machine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Spike,
    Virt,
}

impl FromStr for BoardKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "spike" => Ok(BoardKind::Spike),
            "virt" => Ok(BoardKind::Virt),
            _ => Err(format!("unsupported machine '{s}' (supported: spike, virt)")),
        }
    }
}

impl fmt::Display for BoardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BoardKind::Spike => "spike",
            BoardKind::Virt => "virt",
        })
    }
}

/// `-bios none` | (absent) | `-bios FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Firmware {
    None,
    Default,
    File(PathBuf),
}

/// Where the console goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serial {
    Stdio,
    None,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub board: BoardKind,
    pub ram_size: u64,
    pub bios: Firmware,
    pub kernel: Option<PathBuf>,
    /// An image given in memory (the bundled demo); used when `kernel` is `None`.
    pub kernel_bytes: Option<Vec<u8>>,
    pub serial: Serial,
    pub max_insns: Option<u64>,
}

/// Why a machine could not be built: one line naming the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineError(pub String);

impl fmt::Display for MachineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MachineError {}

/// How `Machine::run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunExit {
    /// The guest asked to end (test finisher, HTIF) with this exit code.
    Guest { code: u32 },
    /// `max_insns` instructions executed (retired or trapped).
    InsnLimit,
    /// Another thread raised the exit-request flag.
    ExitRequested,
}

/// Instructions per slice of guest execution between device polls.
const SLICE: u64 = 64 * 1024;
/// Longest idle sleep while the hart waits for an interrupt.
const MAX_IDLE: Duration = Duration::from_millis(1);
/// The most RAM Tern will allocate.
pub const MAX_RAM: u64 = 16 << 30;
const MIB: u64 = 1 << 20;

/// Where Debian installs OpenSBI's generic `fw_dynamic` (own package, then QEMU's copy).
const DEFAULT_FIRMWARE_BIN: &[&str] = &[
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
    "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
];
/// On `spike` QEMU uses the ELF, whose `tohost` symbol places the HTIF.
const DEFAULT_FIRMWARE_ELF: &[&str] = &[
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf",
    "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.elf",
];

/// An image to (re)load at reset.
struct Image {
    bytes: Arc<[u8]>,
    raw_addr: u64,
}

/// A whole machine: one hart, its RAM and bus, the board's devices.
pub struct Machine {
    cpu: Cpu,
    exit: ExitSignal,
    console: Console,
    /// The CLINT's `mtimecmp`, to bound idle sleeps.
    mtimecmp: Arc<AtomicU64>,
    max_insns: Option<u64>,
    /// Instructions executed under `run` so far, retired or trapped (across resets).
    executed: u64,
    images: Vec<Image>,
    fdt: Vec<u8>,
    fdt_addr: u64,
    reset_pc: u64,
    /// Requests from the monitor, run state and events.
    ctl: Control,
    /// `-no-shutdown`: a guest power-off leaves the machine in `shutdown`.
    no_shutdown: bool,
    /// What was loaded where: (address, size, memory kind, name), for `x-query-roms`.
    roms: Vec<(u64, u64, &'static str, String)>,
}

fn err(msg: impl Into<String>) -> MachineError {
    MachineError(msg.into())
}

fn read_file(what: &str, path: &Path) -> Result<Vec<u8>, MachineError> {
    std::fs::read(path).map_err(|e| err(format!("{what} '{}': {e}", path.display())))
}

fn find_default_firmware(kind: BoardKind) -> Result<PathBuf, MachineError> {
    let list = if kind == BoardKind::Spike { DEFAULT_FIRMWARE_ELF } else { DEFAULT_FIRMWARE_BIN };
    list.iter().map(PathBuf::from).find(|p| p.is_file()).ok_or_else(|| {
        err(format!(
            "default firmware not found (looked for {}); install Debian's 'opensbi' package or use -bios none",
            list.join(", ")
        ))
    })
}

/// Refuse `what` at `[start, end)` if it overlaps something loaded before.
fn check_overlap(used: &[(u64, u64, String)], start: u64, end: u64, what: &str) -> Result<(), MachineError> {
    match used.iter().find(|(s, e, _)| start < *e && *s < end) {
        Some((s, e, other)) => {
            Err(err(format!("{what} ({start:#x}..{end:#x}) overlaps {other} ({s:#x}..{e:#x}) in RAM")))
        }
        None => Ok(()),
    }
}

impl Machine {
    pub fn new(cfg: Config) -> Result<Machine, MachineError> {
        let map = MemMap::of(cfg.board);
        if cfg.ram_size < 2 * MIB || cfg.ram_size > MAX_RAM || !cfg.ram_size.is_multiple_of(4096) {
            return Err(err(format!(
                "RAM size {:#x} is not supported (between 2 MiB and {} GiB, in whole pages)",
                cfg.ram_size,
                MAX_RAM >> 30
            )));
        }
        let mut ram = Ram::new(map.ram, cfg.ram_size as usize);

        let console = match &cfg.serial {
            Serial::Stdio => Console::new(Some(Box::new(std::io::stdout()))),
            Serial::None => Console::new(None),
            Serial::File(p) => {
                let f = std::fs::File::create(p).map_err(|e| err(format!("serial file '{}': {e}", p.display())))?;
                Console::new(Some(Box::new(f)))
            }
        };

        // Firmware at the start of RAM, then the kernel (hw/riscv/boot.c).
        let fw_path = match &cfg.bios {
            Firmware::None => None,
            Firmware::Default => Some(find_default_firmware(cfg.board)?),
            Firmware::File(p) => Some(p.clone()),
        };
        let mut images = Vec::new();
        let mut htif_syms = None;
        // What occupies RAM so far, to refuse overlaps as QEMU does ("rom: requested regions overlap").
        let mut used: Vec<(u64, u64, String)> = Vec::new();
        let mut roms: Vec<(u64, u64, &'static str, String)> = Vec::new();
        let kernel_raw_addr = match &fw_path {
            None => map.ram,
            Some(p) => {
                let bytes = read_file("firmware", p)?;
                let l = loader::load(&bytes, &mut ram, map.ram)
                    .map_err(|e| err(format!("firmware '{}': {e}", p.display())))?;
                htif_syms = l.tohost.map(|t| (t, l.fromhost));
                used.push((l.start, l.end, format!("firmware '{}'", p.display())));
                roms.push((l.start, l.end - l.start, "ram", p.display().to_string()));
                images.push(Image { bytes: bytes.into(), raw_addr: map.ram });
                // RV64 kernels go at the next 2 MiB boundary (riscv_calc_kernel_start_addr).
                l.end.next_multiple_of(2 * MIB)
            }
        };
        let kernel = match (&cfg.kernel, &cfg.kernel_bytes) {
            (Some(p), _) => Some((p.display().to_string(), read_file("kernel", p)?)),
            (None, Some(b)) => Some(("<built-in image>".to_string(), b.clone())),
            (None, None) => None,
        };
        let mut kernel_entry = 0;
        if let Some((name, bytes)) = kernel {
            if fw_path.is_some() && kernel_raw_addr >= map.ram + cfg.ram_size {
                return Err(err(format!("kernel '{name}': no room in RAM after the firmware")));
            }
            let l =
                loader::load(&bytes, &mut ram, kernel_raw_addr).map_err(|e| err(format!("kernel '{name}': {e}")))?;
            check_overlap(&used, l.start, l.end, &format!("kernel '{name}'"))?;
            used.push((l.start, l.end, format!("kernel '{name}'")));
            roms.push((l.start, l.end - l.start, "ram", name.clone()));
            if let Some(t) = l.tohost {
                htif_syms = Some((t, l.fromhost));
            }
            kernel_entry = l.entry;
            images.push(Image { bytes: bytes.into(), raw_addr: kernel_raw_addr });
        } else if fw_path.is_none() {
            return Err(err("no kernel given (-kernel) and -bios none: nothing to run"));
        }
        // QEMU 7.2's reset vector jumps to the start of RAM whatever the ELF
        // entry: to the firmware, or with -bios none to the kernel loaded there.
        let start_addr = map.ram;
        if fw_path.is_none() && kernel_entry != start_addr {
            log::warn!(
                "kernel entry {kernel_entry:#x} is not the start of RAM; as QEMU, execution starts at {start_addr:#x}"
            );
        }

        // HTIF at the ELF's tohost, else at the fixed base QEMU uses.
        let htif_fixed = (cfg.board == BoardKind::Spike && htif_syms.is_none()).then_some(map.htif);

        let fdt = fdt::build(cfg.board, &map, cfg.ram_size, htif_fixed)
            .map_err(|e| err(format!("cannot build the device tree: {e}")))?;
        let fdt_addr = fdt::load_addr(map.ram, cfg.ram_size, fdt.len() as u64)
            .ok_or_else(|| err("RAM too small for the device tree"))?;
        check_overlap(&used, fdt_addr, fdt_addr + fdt.len() as u64, &format!("the device tree at {fdt_addr:#x}"))?;
        ram.write_bytes(fdt_addr, &fdt).ok_or_else(|| err("device tree outside RAM"))?;

        let irq = IrqLines::new();
        let clock = Clock::new();
        let flag = Arc::new(AtomicBool::new(false));
        // A rising interrupt line makes the hart look at once (generated
        // code polls only this flag).
        irq.kick_on_raise(flag.clone());
        let exit = ExitSignal::new(flag.clone());
        let input = || if cfg.serial == Serial::Stdio { Input::Stdin } else { Input::None };

        let mut bus = DeviceBus::new();
        let overlap = |what: &'static str| move |e: bus::OverlapError| err(format!("{what}: {e}"));
        let rom_code = board::reset_rom(start_addr, fdt_addr, kernel_entry);
        // As QEMU names them: the reset code with its two addresses, then fw_dynamic_info.
        const RESET_LEN: u64 = 0x28;
        roms.insert(0, (map.mrom, RESET_LEN, "rom", "mrom.reset".into()));
        roms.insert(1, (map.mrom + RESET_LEN, rom_code.len() as u64 - RESET_LEN, "rom", "mrom.finfo".into()));
        roms.push((fdt_addr, fdt.len() as u64, "ram", "fdt".into()));
        let rom = Rom::new(&rom_code, map.mrom_size as usize);
        bus.insert(map.mrom, map.mrom_size, Box::new(rom)).map_err(overlap("boot ROM"))?;
        let clint = Clint::new(clock.clone(), irq.clone());
        let mtimecmp = clint.deadline();
        bus.insert(map.clint, CLINT_SIZE, Box::new(clint)).map_err(overlap("CLINT"))?;
        match cfg.board {
            BoardKind::Virt => {
                bus.insert(map.test, FINISHER_SIZE, Box::new(Finisher::new(exit.clone())))
                    .map_err(overlap("test finisher"))?;
                let plic = Plic::new(irq.clone());
                let uart = Uart::new(console.clone(), input(), Box::new(plic.line(fdt::UART_IRQ)));
                bus.insert(map.plic, PLIC_SIZE, Box::new(plic)).map_err(overlap("PLIC"))?;
                bus.insert(map.uart, UART_SIZE, Box::new(uart)).map_err(overlap("UART"))?;
            }
            BoardKind::Spike => {
                let (tohost, fromhost) = match htif_syms {
                    Some((t, f)) => (t, f.unwrap_or(t.wrapping_add(HTIF_WORD))),
                    // QEMU's htif_mm_init and OpenSBI's htif driver: fromhost first.
                    None => (map.htif + HTIF_WORD, map.htif),
                };
                let (to, from) = htif(console.clone(), input(), exit.clone());
                bus.insert(tohost, HTIF_WORD, Box::new(to)).map_err(overlap("HTIF tohost"))?;
                bus.insert(fromhost, HTIF_WORD, Box::new(from)).map_err(overlap("HTIF fromhost"))?;
            }
        }

        let mut cpu = Cpu::new(Hart::new(0, map.mrom), ram, Box::new(bus), irq, clock);
        let ctl = Control::new(flag.clone(), RunState::Running);
        cpu.exit_request = flag;
        Ok(Machine {
            cpu,
            exit,
            console,
            mtimecmp,
            max_insns: cfg.max_insns,
            executed: 0,
            images,
            fdt,
            fdt_addr,
            reset_pc: map.mrom,
            ctl,
            no_shutdown: false,
            roms,
        })
    }

    pub fn cpu(&mut self) -> &mut Cpu {
        &mut self.cpu
    }

    /// The code symbols of the firmware and kernel ELF images
    /// (`loader::symbols`), for `-perfmap`: parsed on demand, as only it needs them.
    pub fn guest_symbols(&self) -> Vec<loader::Symbol> {
        self.images.iter().flat_map(|img| loader::symbols(&img.bytes)).collect()
    }

    /// The hart's exit-request flag: raising it makes `run` look at requests,
    /// device signals and `Handle::request_exit` at the next block boundary.
    pub fn exit_request(&self) -> Arc<AtomicBool> {
        self.cpu.exit_request.clone()
    }

    /// A handle for other threads: requests, run state, `request_exit`.
    pub fn handle(&self) -> Handle {
        self.ctl.handle.clone()
    }

    /// Where the machine's events go from now on (one subscriber: the monitor).
    pub fn subscribe(&mut self) -> crossbeam_channel::Receiver<control::Event> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.ctl.events = Some(tx);
        rx
    }

    /// `-S`: `run` waits in `prelaunch` until a `cont` request.
    pub fn start_paused(&mut self) {
        self.ctl.set_state(RunState::Prelaunch);
    }

    /// `-no-shutdown`: a guest power-off stops the machine (`shutdown`) instead of ending the run.
    pub fn set_no_shutdown(&mut self, on: bool) {
        self.no_shutdown = on;
    }

    /// The device tree given to the guest and its address.
    pub fn fdt(&self) -> (&[u8], u64) {
        (&self.fdt, self.fdt_addr)
    }

    /// Run the guest on this thread until it ends, `max_insns` instructions
    /// have executed, or an exit is requested. Console output is flushed on
    /// every way out, a panic too (a bug in Tern, under any engine): it then
    /// goes on as a `cpu_riscv::HostPanic` payload with the guest pc, for
    /// the caller to report.
    pub fn run(&mut self) -> RunExit {
        // The machine is not run again after a panic: only pc and console are used.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_loop()));
        let r = r.map_err(|p| HostPanic::from_payload(p, self.cpu.hart.pc));
        if r.is_ok() {
            self.cpu.bus.poll();
        }
        self.console.flush();
        r.unwrap_or_else(|p| std::panic::resume_unwind(Box::new(p)))
    }

    fn run_loop(&mut self) -> RunExit {
        loop {
            if let Some(r) = self.check_exit() {
                return r;
            }
            if self.ctl.state() != RunState::Running {
                if let Some(r) = self.wait_stopped() {
                    return r;
                }
                continue;
            }
            let budget = match self.max_insns {
                Some(max) if self.executed >= max => return RunExit::InsnLimit,
                Some(max) => SLICE.min(max - self.executed),
                None => SLICE,
            };
            let before = self.cpu.executed;
            let stop = self.cpu.run(budget);
            self.executed += self.cpu.executed - before;
            self.cpu.bus.poll();
            if stop == Stop::Wfi {
                self.idle();
            }
        }
    }

    /// Act on a raised exit flag: serve the monitor's requests, then a
    /// device's request, then an outside exit request.
    fn check_exit(&mut self) -> Option<RunExit> {
        if !self.cpu.exit_request.load(Ordering::Acquire) {
            return None;
        }
        self.cpu.exit_request.store(false, Ordering::Release);
        while let Ok(env) = self.ctl.rx.try_recv() {
            if let Some(r) = self.serve(env) {
                return Some(r);
            }
        }
        if self.ctl.quit_requested() {
            return Some(self.host_exit());
        }
        match self.exit.take() {
            Some(GuestRequest::Exit(code)) => {
                self.ctl.emit(EventKind::Shutdown { guest: true, reason: "guest-shutdown" });
                if self.no_shutdown {
                    self.ctl.set_state(RunState::Shutdown);
                    self.ctl.emit(EventKind::Stop);
                    None
                } else {
                    Some(RunExit::Guest { code })
                }
            }
            Some(GuestRequest::Reset) => {
                self.reset();
                self.ctl.emit(EventKind::Reset { guest: true, reason: "guest-reset" });
                None
            }
            None => None,
        }
    }

    /// `Handle::request_exit` (a signal): QEMU reports it as a host-signal shutdown.
    fn host_exit(&mut self) -> RunExit {
        self.ctl.emit(EventKind::Shutdown { guest: false, reason: "host-signal" });
        RunExit::ExitRequested
    }

    /// Stopped (prelaunch, paused, shutdown): serve requests until running again.
    fn wait_stopped(&mut self) -> Option<RunExit> {
        self.console.flush();
        while self.ctl.state() != RunState::Running {
            if self.ctl.quit_requested() {
                return Some(self.host_exit());
            }
            // The timeout bounds how late a `request_exit` is seen.
            if let Ok(env) = self.ctl.rx.recv_timeout(Duration::from_millis(20)) {
                if let Some(r) = self.serve(env) {
                    return Some(r);
                }
            }
        }
        None
    }

    /// Serve one request on the execution thread, at an instruction boundary.
    fn serve(&mut self, env: Envelope) -> Option<RunExit> {
        let state = self.ctl.state();
        let reply = match &env.req {
            Request::Stop => {
                if state == RunState::Running {
                    self.ctl.set_state(RunState::Paused);
                    self.ctl.emit(EventKind::Stop);
                } else if state == RunState::Prelaunch {
                    self.ctl.set_state(RunState::Paused);
                }
                Reply::Done
            }
            Request::Cont => match state {
                RunState::Running => Reply::Done,
                RunState::Shutdown => Reply::Error("Resetting the Virtual Machine is required".into()),
                _ => {
                    self.ctl.set_state(RunState::Running);
                    self.ctl.emit(EventKind::Resume);
                    Reply::Done
                }
            },
            Request::Reset => {
                self.reset();
                self.ctl.emit(EventKind::Reset { guest: false, reason: "host-qmp-system-reset" });
                // As QEMU's main loop: a machine not running after a reset is in prelaunch.
                if state != RunState::Running {
                    self.ctl.set_state(RunState::Prelaunch);
                }
                Reply::Done
            }
            Request::Powerdown => {
                self.ctl.emit(EventKind::Powerdown);
                Reply::Done
            }
            Request::Quit => {
                self.ctl.emit(EventKind::Shutdown { guest: false, reason: "host-qmp-quit" });
                self.ctl.answer(env, Reply::Done);
                return Some(RunExit::ExitRequested);
            }
            Request::Registers => {
                // A copy of the plain hart struct; formatting happens on the asking thread.
                let mut h = self.cpu.hart.clone();
                h.csr.mip |= self.cpu.irq.pending();
                Reply::Registers(Box::new(h))
            }
            Request::Translate { addr } => Reply::Text(match self.cpu.debug_translate(*addr) {
                Some(pa) => format!("gpa: {pa:#x}\n"),
                None => "Unmapped\n".into(),
            }),
            Request::ReadMem { addr, len, phys } => self.read_mem(*addr, *len, *phys),
            // As QEMU 7.2's qmp_x_query_jit answers without TCG.
            Request::JitInfo => match self.cpu.engine_info() {
                Some(text) => Reply::Text(text),
                None => Reply::Error("JIT information is only available with accel=tcg".into()),
            },
            Request::Traps => Reply::Text(self.cpu.traps.text()),
            Request::Roms => Reply::Text(
                self.roms
                    .iter()
                    .map(|(a, n, mem, name)| format!("addr={a:016x} size={n:#08x} mem={mem} name=\"{name}\"\n"))
                    .collect(),
            ),
        };
        self.ctl.answer(env, reply);
        None
    }

    /// Read guest memory for the monitor: physical, or virtual through the
    /// MMU as the hart's current privilege sees it (`Cpu::debug_translate`).
    fn read_mem(&mut self, addr: u64, len: u64, phys: bool) -> Reply {
        const MAX_READ: u64 = 1 << 30;
        if len > MAX_READ {
            return Reply::Error(format!("cannot read more than {MAX_READ} bytes at once"));
        }
        let mut out = Vec::with_capacity(len.min(1 << 20) as usize);
        let mut done = 0u64;
        // Page by page: RAM is copied directly, anything else read byte by byte.
        while done < len {
            let va = addr.wrapping_add(done);
            let n = (0x1000 - (va & 0xfff)).min(len - done);
            let pa = if phys { Some(va) } else { self.cpu.debug_translate(va) };
            let Some(pa) = pa else {
                return Reply::Bytes(out, Some(format!("{va:#x}: Cannot access memory")));
            };
            let at = out.len();
            out.resize(at + n as usize, 0);
            if self.cpu.ram().read_bytes(pa, &mut out[at..]).is_none() {
                out.truncate(at);
                for i in 0..n {
                    match self.cpu.phys_read(pa.wrapping_add(i), 1) {
                        Ok(b) => out.push(b as u8),
                        Err(_) => {
                            let at = pa.wrapping_add(i);
                            return Reply::Bytes(out, Some(format!("{at:#x}: Cannot access memory")));
                        }
                    }
                }
            }
            done += n;
        }
        Reply::Bytes(out, None)
    }

    /// The hart waits for an interrupt (Privileged spec 3.3.3): sleep in
    /// short steps until one is pending and enabled in `mie`, or until an
    /// exit is requested. Devices are polled between steps.
    fn idle(&mut self) {
        loop {
            if self.cpu.exit_request.load(Ordering::Acquire) {
                return;
            }
            let pending = (self.cpu.hart.csr.mip | self.cpu.irq.pending()) & self.cpu.hart.csr.mie;
            if pending != 0 {
                self.cpu.hart.wfi = false;
                return;
            }
            self.console.flush();
            let ticks = self.mtimecmp.load(Ordering::Relaxed).saturating_sub(self.cpu.clock.mtime());
            let until_timer = Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / cpu_riscv::bus::TIMEBASE_HZ));
            std::thread::sleep(until_timer.clamp(Duration::from_micros(50), MAX_IDLE));
            self.cpu.bus.poll();
        }
    }

    /// System reset (test finisher 0x7777): the hart restarts at the boot ROM
    /// with the images and device tree loaded again, as QEMU reloads its ROM blobs.
    fn reset(&mut self) {
        let hartid = self.cpu.hart.hartid;
        self.cpu.hart = Hart::new(hartid, self.reset_pc);
        self.cpu.traps.clear();
        for img in &self.images {
            // These loaded before; the RAM has not changed size, so they load again.
            if let Err(e) = loader::load(&img.bytes, &mut self.cpu, img.raw_addr) {
                log::error!("reset: reloading an image failed: {e}");
            }
        }
        if self.cpu.ram_write_bytes(self.fdt_addr, &self.fdt).is_none() {
            log::error!("reset: the device tree no longer fits RAM");
        }
        self.cpu.flush_tlb();
        self.cpu.flush_decode_cache();
    }
}

/// QEMU's riscv_cpu_dump_state with CPU_DUMP_FPU for a hart without the
/// H extension, after `info registers`' "CPU#n" line; fcsr precedes the FP registers.
pub fn registers_text(h: &Hart) -> String {
    use std::fmt::Write as _;
    let c = &h.csr;
    let mut s = format!("CPU#{}\n", h.hartid);
    let csrs = [
        ("pc", h.pc),
        ("mhartid", h.hartid),
        ("mstatus", c.mstatus),
        ("mip", c.mip),
        ("mie", c.mie),
        ("mideleg", c.mideleg),
        ("medeleg", c.medeleg),
        ("mtvec", c.mtvec),
        ("stvec", c.stvec),
        ("mepc", c.mepc),
        ("sepc", c.sepc),
        ("mcause", c.mcause),
        ("scause", c.scause),
        ("mtval", c.mtval),
        ("stval", c.stval),
        ("mscratch", c.mscratch),
        ("sscratch", c.sscratch),
        ("satp", c.satp),
    ];
    for (name, v) in csrs {
        let _ = writeln!(s, " {name:<8} {v:016x}");
    }
    for i in 0..32 {
        let _ = write!(s, " {:<8} {:016x}", format!("x{i}/{}", cpu_riscv::hart::XREG_NAMES[i]), h.x[i]);
        if i & 3 == 3 {
            s.push('\n');
        }
    }
    let _ = writeln!(s, " {:<8} {:016x}", "fcsr", c.fcsr);
    for i in 0..32 {
        let _ = write!(s, " {:<8} {:016x}", format!("f{i}/{}", cpu_riscv::hart::FREG_NAMES[i]), h.f[i]);
        if i & 3 == 3 {
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests;
