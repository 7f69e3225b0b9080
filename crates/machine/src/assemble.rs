//! Building a machine from a `Config`: firmware and kernel loaded into RAM
//! as QEMU's hw/riscv/boot.c places them, the device tree, the boot ROM and
//! the board's devices on the bus; and system reset, which loads the images
//! and the device tree again.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cpu_riscv::{Clock, Cpu, Hart, IrqLines, Ram};

use crate::board::{self, BoardKind, MemMap};
use crate::bus::{self, DeviceBus};
use crate::config::{err, Config, Firmware, LinuxBoot, MachineError, Serial, MAX_RAM};
use crate::control::{Control, RunState};
use crate::devices::clint::{Clint, CLINT_SIZE};
use crate::devices::finisher::{Finisher, FINISHER_SIZE};
use crate::devices::htif::{htif, HTIF_WORD};
use crate::devices::plic::{Plic, PLIC_SIZE};
use crate::devices::rom::Rom;
use crate::devices::uart::{Input, Uart, UART_SIZE};
use crate::devices::{Console, ExitSignal};
use crate::{fdt, loader, Machine};

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
pub(crate) struct Image {
    pub(crate) bytes: Arc<[u8]>,
    raw_addr: u64,
    /// Loaded as it is (the initrd), never parsed as an ELF.
    pub(crate) raw: bool,
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
        Machine::with_linux_boot(cfg, &LinuxBoot::default())
    }

    /// A machine booting Linux as QEMU's -initrd, -append and -dtb ask.
    pub fn with_linux_boot(cfg: Config, boot: &LinuxBoot) -> Result<Machine, MachineError> {
        // QEMU's vl.c (qemu_validate_options) refuses these before building the board.
        if cfg.kernel.is_none() && cfg.kernel_bytes.is_none() {
            if boot.append.is_some() {
                return Err(err("-append only allowed with -kernel option"));
            }
            if boot.initrd.is_some() {
                return Err(err("-initrd only allowed with -kernel option"));
            }
        }
        let map = MemMap::of(cfg.board);
        if cfg.ram_size < 2 * MIB || cfg.ram_size > MAX_RAM || !cfg.ram_size.is_multiple_of(4096) {
            return Err(err(format!(
                "RAM size {:#x} is not supported (between 2 MiB and {} GiB, in whole pages)",
                cfg.ram_size,
                MAX_RAM >> 30
            )));
        }
        let mut ram = ram_for(&cfg.bios, map.ram, cfg.ram_size as usize);

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
                images.push(Image { bytes: bytes.into(), raw_addr: map.ram, raw: false });
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
            images.push(Image { bytes: bytes.into(), raw_addr: kernel_raw_addr, raw: false });
        } else if fw_path.is_none() {
            return Err(err("no kernel given (-kernel) and -bios none: nothing to run"));
        }
        let mut chosen = fdt::Chosen { bootargs: boot.append.clone(), initrd: None };
        if let Some(p) = &boot.initrd {
            let name = p.display().to_string();
            let fail = |why: String| err(format!("could not load ramdisk '{name}': {why}"));
            let bytes = std::fs::read(p).map_err(|e| fail(e.to_string()))?;
            // riscv_load_initrd (hw/riscv/boot.c, QEMU 7.2): above the kernel's
            // entry by half of RAM, at most 128 MiB, so that the kernel does not
            // clobber it and it stays in the kernel's low memory.
            let start = kernel_entry.saturating_add((cfg.ram_size / 2).min(128 * MIB));
            let l = loader::load_raw(&bytes, &mut ram, start).map_err(fail)?;
            // Over the kernel's end (a kernel bigger than the gap): QEMU's ROM overlap error.
            check_overlap(&used, l.start, l.end, &format!("ramdisk '{name}'"))?;
            if l.end > l.start {
                used.push((l.start, l.end, format!("ramdisk '{name}'")));
                roms.push((l.start, l.end - l.start, "ram", name));
            }
            images.push(Image { bytes: bytes.into(), raw_addr: start, raw: true });
            chosen.initrd = Some((l.start, l.end));
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

        let fdt = match (&boot.dtb, cfg.board) {
            (Some(p), BoardKind::Virt) => {
                let name = p.display();
                let blob = std::fs::read(p).map_err(|e| err(format!("could not load device tree '{name}': {e}")))?;
                // QEMU 7.2's virt still sets /chosen in a -dtb tree.
                fdt::set_chosen(&blob, &chosen).map_err(|e| err(format!("device tree '{name}': {e}")))?
            }
            _ => {
                let blob = fdt::build(cfg.board, &map, cfg.ram_size, htif_fixed)
                    .map_err(|e| err(format!("cannot build the device tree: {e}")))?;
                fdt::set_chosen(&blob, &chosen).map_err(|e| err(format!("cannot build the device tree: {e}")))?
            }
        };
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
            ending: None,
        })
    }

    /// System reset (test finisher 0x7777): the hart restarts at the boot ROM
    /// with the images and device tree loaded again, as QEMU reloads its ROM blobs.
    pub(crate) fn reset(&mut self) {
        let hartid = self.cpu.hart.hartid;
        self.cpu.hart = Hart::new(hartid, self.reset_pc);
        self.cpu.traps.clear();
        for img in &self.images {
            // These loaded before; the RAM has not changed size, so they load again.
            let loaded = if img.raw {
                loader::load_raw(&img.bytes, &mut self.cpu, img.raw_addr)
            } else {
                loader::load(&img.bytes, &mut self.cpu, img.raw_addr)
            };
            if let Err(e) = loaded {
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

/// RAM for a machine booting `bios`. Guarded stores (`Ram::new`) pay where
/// M-mode code runs for long: bare-metal images, with or without firmware
/// of their own. Under the default firmware (OpenSBI) M-mode runs little
/// besides SBI calls, and an operating system's boot gains more from RAM
/// that may take huge pages (Linux 6.1 boots 5-7% faster).
pub(crate) fn ram_for(bios: &Firmware, base: u64, size: usize) -> Ram {
    match bios {
        Firmware::Default => Ram::new_unguarded(base, size),
        Firmware::None | Firmware::File(_) => Ram::new(base, size),
    }
}
