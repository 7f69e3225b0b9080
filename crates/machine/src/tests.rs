//! Whole-machine tests: boards built from configs, images in memory.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;

fn machine_is_send<T: Send>() {}

#[test]
fn machine_is_send_and_names_parse() {
    machine_is_send::<Machine>();
    assert_eq!("virt".parse::<BoardKind>(), Ok(BoardKind::Virt));
    assert_eq!("spike".parse::<BoardKind>(), Ok(BoardKind::Spike));
    assert!("sifive_u".parse::<BoardKind>().is_err());
    assert_eq!(BoardKind::Spike.to_string(), "spike");
}

fn cfg(board: BoardKind, kernel: &[u8]) -> Config {
    Config {
        board,
        ram_size: 128 << 20,
        bios: Firmware::None,
        kernel: None,
        kernel_bytes: Some(kernel.to_vec()),
        serial: Serial::None,
        max_insns: None,
    }
}

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tern-machine-{}-{tag}", std::process::id()))
}

fn rom_dword(m: &mut Machine, off: u64) -> u64 {
    m.cpu().bus.read(0x1000 + off, 8).unwrap()
}

#[test]
fn virt_raw_kernel_boot_layout() {
    let mut m = Machine::new(cfg(BoardKind::Virt, &[0x13, 0, 0, 0])).unwrap();
    assert_eq!(m.cpu().hart.pc, 0x1000, "reset at the boot ROM");
    assert_eq!(m.cpu().ram().read(0x8000_0000, 4), Some(0x13), "raw image at the RAM base");
    // The reset vector jumps to the kernel with a1 = the device tree.
    assert_eq!(m.cpu().bus.read(0x1000, 4), Ok(0x0000_0297));
    assert_eq!(rom_dword(&mut m, 24), 0x8000_0000);
    assert_eq!(rom_dword(&mut m, 32), 0x87e0_0000);
    let (fdt, addr) = m.fdt();
    let fdt = fdt.to_vec();
    assert_eq!(m.cpu().ram().equals(addr, &fdt), Some(true));
    assert_eq!(u32::from_be_bytes(fdt[..4].try_into().unwrap()), 0xd00d_feed);
    // The devices are where QEMU's virt has them.
    for (addr, what) in [(0x200_bff8u64, "CLINT mtime"), (0xc00_0004, "PLIC"), (0x1000_0005, "UART LSR")] {
        assert!(m.cpu().bus.overlaps(addr, 1), "{what}");
    }
    assert_eq!(m.cpu().bus.read(0x1000_0005, 1), Ok(0x60), "LSR: THR and transmitter empty");
    assert!(!m.cpu().bus.overlaps(0x8000_0000, 128 << 20), "nothing overlays RAM on virt");
}

#[test]
fn bios_none_starts_at_ram_base_like_qemu() {
    // QEMU 7.2 (virt and spike) jumps to the RAM base with -bios none, even
    // when the ELF entry is elsewhere.
    let elf = crate::loader::tests::make_elf(0x8000_4000, &[0x6f, 0, 0, 0], 0, None);
    let mut m = Machine::new(cfg(BoardKind::Virt, &elf)).unwrap();
    assert_eq!(rom_dword(&mut m, 24), 0x8000_0000);
    assert_eq!(m.cpu().ram().read(0x8000_4000, 4), Some(0x6f));
}

#[test]
fn firmware_then_kernel_at_next_2mib() {
    let fw = temp_path("fw.bin");
    std::fs::write(&fw, vec![0x13u8; 0x1234]).unwrap();
    let mut c = cfg(BoardKind::Virt, &[0x6f, 0, 0, 0]);
    c.bios = Firmware::File(fw.clone());
    let mut m = Machine::new(c).unwrap();
    let _ = std::fs::remove_file(&fw);
    assert_eq!(rom_dword(&mut m, 24), 0x8000_0000, "the firmware runs first");
    assert_eq!(m.cpu().ram().read(0x8020_0000, 4), Some(0x6f), "RV64 kernel 2 MiB above");
    // fw_dynamic_info at 0x1028: magic, version, next_addr = kernel, next_mode = S.
    assert_eq!(rom_dword(&mut m, 0x28), 0x4942_534f);
    assert_eq!(rom_dword(&mut m, 0x38), 0x8020_0000);
    assert_eq!(rom_dword(&mut m, 0x40), 1);

    // A kernel ELF placed on top of the firmware is refused.
    std::fs::write(&fw, vec![0x13u8; 0x1234]).unwrap();
    let elf = crate::loader::tests::make_elf(0x8000_1000, &[0x6f, 0, 0, 0], 0, None);
    let mut c = cfg(BoardKind::Virt, &elf);
    c.bios = Firmware::File(fw.clone());
    let e = Machine::new(c).err().unwrap().to_string();
    let _ = std::fs::remove_file(&fw);
    assert!(e.contains("overlaps firmware"), "{e}");
}

#[test]
fn errors_name_the_file_and_why() {
    let missing = temp_path("no-such-kernel");
    let mut c = cfg(BoardKind::Virt, &[]);
    c.kernel = Some(missing.clone());
    let e = Machine::new(c).err().unwrap().to_string();
    assert!(e.contains(&missing.display().to_string()) && e.contains("No such file"), "{e}");

    let bad = temp_path("x86.elf");
    let mut elf = crate::loader::tests::make_elf(0x8000_0000, &[0x13, 0, 0, 0], 0, None);
    elf[18] = 62;
    std::fs::write(&bad, &elf).unwrap();
    let mut c = cfg(BoardKind::Virt, &[]);
    c.kernel = Some(bad.clone());
    let e = Machine::new(c).err().unwrap().to_string();
    let _ = std::fs::remove_file(&bad);
    assert!(e.contains(&bad.display().to_string()) && e.contains("another machine"), "{e}");
    assert!(!e.contains('\n'));

    let mut c = cfg(BoardKind::Virt, &[]);
    c.kernel_bytes = None;
    assert!(Machine::new(c).err().unwrap().to_string().contains("nothing to run"));
    let mut c = cfg(BoardKind::Virt, &[0x13, 0, 0, 0]);
    c.ram_size = 1 << 50;
    assert!(Machine::new(c).err().unwrap().to_string().contains("RAM size"));
    let mut c = cfg(BoardKind::Virt, &[0x13, 0, 0, 0]);
    c.bios = Firmware::File(missing.clone());
    assert!(Machine::new(c).err().unwrap().to_string().starts_with("firmware '"));
    let mut c = cfg(BoardKind::Virt, &[0x13, 0, 0, 0]);
    c.serial = Serial::File(missing.join("sub/dir"));
    assert!(Machine::new(c).err().unwrap().to_string().starts_with("serial file"));
    // An ELF whose tohost lands on a device is refused, not a panic.
    let clash = crate::loader::tests::make_elf(0x8000_0000, &[0x13, 0, 0, 0], 0, Some(0x200_0000));
    let e = Machine::new(cfg(BoardKind::Spike, &clash)).err().unwrap().to_string();
    assert!(e.contains("HTIF"), "{e}");
    let wraps = crate::loader::tests::make_elf(0x8000_0000, &[0x13, 0, 0, 0], 0, Some(u64::MAX - 3));
    let e = Machine::new(cfg(BoardKind::Spike, &wraps)).err().unwrap().to_string();
    assert!(e.contains("HTIF"), "{e}");
}

#[test]
fn spike_htif_from_symbols_or_fixed_base() {
    let elf = crate::loader::tests::make_elf(0x8000_0000, &[0x6f, 0, 0, 0], 0x1000, Some(0x8000_0800));
    let mut m = Machine::new(cfg(BoardKind::Spike, &elf)).unwrap();
    assert!(m.cpu().bus.overlaps(0x8000_0800, 8), "tohost overlays RAM");
    assert!(m.cpu().bus.overlaps(0x8000_0808, 8), "fromhost too");
    assert!(!m.cpu().bus.overlaps(0x8000_0810, 8));
    assert!(!m.cpu().bus.overlaps(0x1000_0000, 8), "no UART on spike");
    // The guest's two 32-bit stores, low then high: exit code 5.
    m.cpu().bus.write(0x8000_0800, 4, (5 << 1) | 1).unwrap();
    m.cpu().bus.write(0x8000_0804, 4, 0).unwrap();
    assert_eq!(m.run(), RunExit::Guest { code: 5 });

    let mut m = Machine::new(cfg(BoardKind::Spike, &[0x6f, 0, 0, 0])).unwrap();
    assert!(m.cpu().bus.overlaps(0x100_0000, 16), "raw image: HTIF at QEMU's fixed base");
    // There fromhost comes first and tohost follows it.
    m.cpu().bus.write(0x100_0008, 4, 1).unwrap();
    m.cpu().bus.write(0x100_000c, 4, 0).unwrap();
    assert_eq!(m.run(), RunExit::Guest { code: 0 });
    assert!(crate::fdt::tests::parse(m.fdt().0).contains_key("/htif:reg"));
}

#[test]
fn finisher_ends_the_run() {
    let mut m = Machine::new(cfg(BoardKind::Virt, &[0x6f, 0, 0, 0])).unwrap();
    m.cpu().bus.write(0x10_0000, 4, (3 << 16) | 0x3333).unwrap();
    assert_eq!(m.run(), RunExit::Guest { code: 3 });
    assert!(!m.exit_request().load(Ordering::Acquire), "flag consumed");
}

#[test]
fn finisher_reset_restarts_at_the_rom() {
    let mut m = Machine::new(cfg(BoardKind::Virt, &[0x6f, 0, 0, 0])).unwrap();
    m.cpu().hart.pc = 0x8000_0000;
    m.cpu().hart.x[7] = 77;
    m.cpu().ram_write(0x8000_0000, 4, 0xdead).unwrap();
    m.cpu().bus.write(0x10_0000, 4, 0x7777).unwrap();
    // After the reset an outside request ends the run.
    let h = m.handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        h.request_exit();
    });
    assert_eq!(m.run(), RunExit::ExitRequested);
    stopper.join().unwrap();
    assert_eq!(m.cpu().hart.x[7], 0, "registers reset (the ROM uses only t0, a0-a2)");
    assert_eq!(m.cpu().ram().read(0x8000_0000, 4), Some(0x6f), "image reloaded");
}

#[test]
fn devices_are_polled_at_the_timer_deadline_or_within_a_millisecond() {
    let mut m = Machine::new(cfg(BoardKind::Virt, &[0x6f, 0, 0, 0])).unwrap();
    use std::time::Instant;
    const MTIME: u64 = 0x200_bff8;
    const MTIMECMP: u64 = 0x200_4000;
    // `mtimecmp` = `mtime` + `ticks` (10 MHz), then the next poll, which
    // must lie `want` after that moment: bounded by clocks read before
    // and after, so a preempted test cannot fail (one tick of slack).
    let check = |m: &mut Machine, ticks: Option<u64>, want: Duration| {
        let before = Instant::now();
        if let Some(t) = ticks {
            let now = m.cpu().bus.read(MTIME, 8).unwrap();
            m.cpu().bus.write(MTIMECMP, 8, now + t).unwrap();
        }
        let at = m.next_poll();
        let after = Instant::now();
        let tick = Duration::from_nanos(100);
        assert!(at + tick >= before + want && at <= after + want, "{:?} after the call", at - after);
    };
    // Out of reset mtimecmp is 0: due already (the line is up), so no
    // deadline but the periodic poll.
    check(&mut m, None, Duration::from_millis(1));
    // A deadline 200 us ahead wins.
    check(&mut m, Some(2_000), Duration::from_micros(200));
    // One far ahead: the periodic poll.
    check(&mut m, Some(10_000_000), Duration::from_millis(1));
}

#[test]
fn outside_exit_request_stops_run() {
    let mut m = Machine::new(cfg(BoardKind::Virt, &[0x6f, 0, 0, 0])).unwrap();
    m.cpu().hart.pc = 0x8000_0000;
    let h = m.handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        h.request_exit();
    });
    assert_eq!(m.run(), RunExit::ExitRequested);
    stopper.join().unwrap();
}

// ---- Guest programs, run by the interpreter. ----

fn lui(rd: u32, imm20: u32) -> u32 {
    (imm20 << 12) | (rd << 7) | 0x37
}
fn auipc(rd: u32, imm20: u32) -> u32 {
    (imm20 << 12) | (rd << 7) | 0x17
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13
}
fn store(funct3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    let imm = imm as u32 & 0xfff;
    ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 0x1f) << 7) | 0x23
}
const J_SELF: u32 = 0x0000_006f;
const T0: u32 = 5;
const T1: u32 = 6;

fn program(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Run with a watchdog so that a guest that never exits fails instead of hanging.
fn run_guarded(m: &mut Machine) -> RunExit {
    let h = m.handle();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let dog = std::thread::spawn(move || {
        for _ in 0..500 {
            if d.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        h.request_exit();
    });
    let r = m.run();
    done.store(true, Ordering::Release);
    dog.join().unwrap();
    r
}

#[test]
fn guest_prints_on_uart_and_passes() {
    let mut words = vec![lui(T0, 0x10000)];
    for &b in b"Hi!\n" {
        words.push(addi(T1, 0, i32::from(b)));
        words.push(store(0, T1, T0, 0)); // sb t1, 0(t0)
    }
    words.extend([lui(T0, 0x100), lui(T1, 0x5), addi(T1, T1, 0x555), store(2, T1, T0, 0), J_SELF]);
    let out = temp_path("uart.out");
    let mut c = cfg(BoardKind::Virt, &program(&words));
    c.serial = Serial::File(out.clone());
    let mut m = Machine::new(c).unwrap();
    m.cpu().hart.pc = 0x8000_0000; // straight to the program, past the boot ROM
    let r = run_guarded(&mut m);
    let text = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    assert_eq!(r, RunExit::Guest { code: 0 });
    assert_eq!(text, b"Hi!\n");
}

#[test]
fn max_insns_stops_exactly() {
    // addi t0, t0, 1; j -4: a loop whose iterations count the instructions.
    let mut c = cfg(BoardKind::Virt, &program(&[addi(T0, T0, 1), 0xffdf_f06f]));
    c.max_insns = Some(200_001);
    let mut m = Machine::new(c).unwrap();
    m.cpu().hart.pc = 0x8000_0000;
    assert_eq!(run_guarded(&mut m), RunExit::InsnLimit);
    assert_eq!(m.cpu().hart.instret, 200_001);
    assert_eq!(m.cpu().hart.x[T0 as usize], 100_001);
}

#[test]
fn spike_guest_exits_through_htif() {
    // auipc t0, 1 -> tohost at entry + 0x1000; sw 11 then 0: exit code 5.
    let code = program(&[auipc(T0, 1), addi(T1, 0, 11), store(2, T1, T0, 0), store(2, 0, T0, 4), J_SELF]);
    let elf = crate::loader::tests::make_elf(0x8000_0000, &code, 0x1010, Some(0x8000_1000));
    let mut m = Machine::new(cfg(BoardKind::Spike, &elf)).unwrap();
    m.cpu().hart.pc = 0x8000_0000;
    assert_eq!(run_guarded(&mut m), RunExit::Guest { code: 5 });
}

// ---- Through the boot ROM (`csrr a0, mhartid`). ----

#[test]
fn boot_rom_passes_hartid_and_fdt() {
    // Store a1 (the FDT address) at tohost's neighbour, then exit with a0 + 1 -> code a0.
    let code = program(&[
        auipc(T0, 1),
        store(3, 11, T0, 0x10), // sd a1, 16(t0)
        addi(T1, 10, 0),        // t1 = a0 = hartid
        0x0013_1313,            // slli t1, t1, 1
        addi(T1, T1, 1),
        store(2, T1, T0, 0),
        store(2, 0, T0, 4),
        J_SELF,
    ]);
    let elf = crate::loader::tests::make_elf(0x8000_0000, &code, 0x1020, Some(0x8000_1000));
    let mut m = Machine::new(cfg(BoardKind::Spike, &elf)).unwrap();
    // Not 0, so that a `csrr` reading 0 cannot pass.
    m.cpu().hart.hartid = 3;
    assert_eq!(run_guarded(&mut m), RunExit::Guest { code: 3 });
    let fdt_addr = m.fdt().1;
    assert_eq!(m.cpu().ram().read(0x8000_1010, 8), Some(fdt_addr));
}

fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (3 << 12) | (rd << 7) | 0x03
}
fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33
}
const T2: u32 = 7;
const T3: u32 = 28;

#[test]
fn wfi_sleeps_until_the_timer() {
    // mtimecmp = mtime + 20480 ticks (~2 ms); mie.MTIE = 1 (mstatus.MIE stays 0,
    // so wfi just resumes); wfi; then the finisher's pass.
    let code = program(&[
        lui(T0, 0x2004),
        lui(T2, 0x200c),
        addi(T2, T2, -8),
        ld(T1, T2, 0),
        lui(T3, 5),
        add(T1, T1, T3),
        store(3, T1, T0, 0),
        addi(T1, 0, 0x80),
        0x3043_1073, // csrw mie, t1
        0x1050_0073, // wfi
        lui(T0, 0x100),
        lui(T1, 0x5),
        addi(T1, T1, 0x555),
        store(2, T1, T0, 0),
        J_SELF,
    ]);
    let mut m = Machine::new(cfg(BoardKind::Virt, &code)).unwrap();
    m.cpu().hart.pc = 0x8000_0000;
    let t = std::time::Instant::now();
    assert_eq!(run_guarded(&mut m), RunExit::Guest { code: 0 });
    assert!(t.elapsed() >= Duration::from_micros(2000), "woke after {:?}", t.elapsed());
    // 14 up to the finisher store, then at most a few turns of `j .` before the stop.
    let n = m.cpu().hart.instret;
    assert!((14..=64).contains(&n), "wfi retired once, no spinning in the guest: {n}");
}

#[test]
fn hostile_images_never_panic_the_board() {
    let good = crate::loader::tests::make_elf(0x8000_0000, &[0x13, 0, 0, 0, 0x6f, 0, 0, 0], 16, Some(0x8000_0100));
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut built = 0;
    for i in 0..400 {
        let mut m = good.clone();
        for _ in 0..1 + next() % 3 {
            let at = (next() as usize) % m.len();
            m[at] = next() as u8;
        }
        let mut c = cfg(if i % 2 == 0 { BoardKind::Spike } else { BoardKind::Virt }, &m);
        c.ram_size = 4 << 20;
        if let Ok(mut mach) = Machine::new(c) {
            built += 1;
            assert_eq!(mach.cpu().hart.pc, 0x1000);
        }
    }
    assert!(built > 0, "some mutations are harmless and must still load");
}

fn boot(initrd: Option<&PathBuf>, append: Option<&str>, dtb: Option<&PathBuf>) -> LinuxBoot {
    LinuxBoot { initrd: initrd.cloned(), append: append.map(str::to_string), dtb: dtb.cloned() }
}

/// `/chosen`'s initrd range in the machine's device tree, and that tree
/// being the one in RAM where a1 points.
fn initrd_range(m: &mut Machine) -> (u32, u32) {
    let (fdt, addr) = m.fdt();
    let fdt = fdt.to_vec();
    assert_eq!(m.cpu().ram().equals(addr, &fdt), Some(true), "the patched tree is the one loaded");
    let t = crate::fdt::tests::parse(&fdt);
    let cell = |k: &str| u32::from_be_bytes(t[k][..].try_into().unwrap());
    (cell("/chosen:linux,initrd-start"), cell("/chosen:linux,initrd-end"))
}

#[test]
fn initrd_lands_where_qemu_puts_it() {
    // A newc cpio of text files can be all text: the initrd is loaded as it
    // is, never judged as an image (the kernel loader refuses text).
    let mut data = b"070701000000000000000000000000000000000000000000000000000000000000000000000b".to_vec();
    data.resize(0xa00, b'\n');
    let rd = temp_path("initrd.cpio");
    std::fs::write(&rd, &data).unwrap();
    // -bios none, 128 MiB: the kernel's entry (RAM base) + 64 MiB, as QEMU's dump shows.
    let mut m = Machine::with_linux_boot(cfg(BoardKind::Virt, &[0x13, 0, 0, 0]), &boot(Some(&rd), None, None)).unwrap();
    assert_eq!(initrd_range(&mut m), (0x8400_0000, 0x8400_0a00));
    assert_eq!(m.cpu().ram().equals(0x8400_0000, &data), Some(true));
    assert!(m.roms.iter().any(|r| r.0 == 0x8400_0000 && r.1 == 0xa00 && r.3 == rd.display().to_string()));
    // System reset loads it again.
    m.cpu().ram_fill(0x8400_0000, 0xa00, 0).unwrap();
    m.reset();
    assert_eq!(m.cpu().ram().equals(0x8400_0000, &data), Some(true), "reloaded at reset");
    // Firmware first, 256 MiB or more: kernel at 0x80200000, initrd 128 MiB
    // above it (QEMU: linux,initrd-start = <0x88200000>), with the command line.
    let fw = temp_path("initrd-fw.bin");
    std::fs::write(&fw, vec![0x13u8; 0x1234]).unwrap();
    let mut c = cfg(BoardKind::Virt, &[0x6f, 0, 0, 0]);
    (c.bios, c.ram_size) = (Firmware::File(fw.clone()), 1 << 30);
    let mut m = Machine::with_linux_boot(c, &boot(Some(&rd), Some("console=ttyS0"), None)).unwrap();
    assert_eq!(initrd_range(&mut m), (0x8820_0000, 0x8820_0a00));
    assert_eq!(m.cpu().ram().equals(0x8820_0000, &data), Some(true));
    assert_eq!(crate::fdt::tests::parse(m.fdt().0)["/chosen:bootargs"], b"console=ttyS0\0");
    // Spike, 64 MiB: entry + 32 MiB.
    let mut c = cfg(BoardKind::Spike, &[0x6f, 0, 0, 0]);
    c.ram_size = 64 << 20;
    let mut m = Machine::with_linux_boot(c, &boot(Some(&rd), None, None)).unwrap();
    assert_eq!(initrd_range(&mut m), (0x8200_0000, 0x8200_0a00));
    assert_eq!(m.cpu().ram().equals(0x8200_0000, &data), Some(true));
    let _ = std::fs::remove_file(&fw);
    let _ = std::fs::remove_file(&rd);
}

#[test]
fn initrd_errors() {
    let err = |c: Config, b: LinuxBoot| Machine::with_linux_boot(c, &b).err().expect("an error").to_string();
    let kernel = || cfg(BoardKind::Virt, &[0x13, 0, 0, 0]);
    let missing = temp_path("no-such-initrd");
    let e = err(kernel(), boot(Some(&missing), None, None));
    assert!(e.starts_with(&format!("could not load ramdisk '{}': No such file", missing.display())), "{e}");
    let dir = std::env::temp_dir();
    assert!(err(kernel(), boot(Some(&dir), None, None)).starts_with("could not load ramdisk"));
    // Without a kernel, as QEMU's vl.c says.
    let mut c = kernel();
    (c.kernel_bytes, c.bios) = (None, Firmware::File(temp_path("unused-fw")));
    assert_eq!(err(c.clone(), boot(Some(&missing), None, None)), "-initrd only allowed with -kernel option");
    assert_eq!(err(c, boot(Some(&missing), Some("x"), None)), "-append only allowed with -kernel option");
    // 8 MiB RAM: the initrd at +4 MiB. 3 MiB of it reaches the device tree
    // (QEMU: "Some ROM regions are overlapping"); 5 MiB leaves RAM.
    let big = temp_path("big-initrd");
    for (size, want) in [(3 << 20, "overlaps ramdisk"), (5 << 20, "do not fit in RAM")] {
        std::fs::write(&big, vec![1u8; size]).unwrap();
        let mut c = kernel();
        c.ram_size = 8 << 20;
        let e = err(c, boot(Some(&big), None, None));
        assert!(e.contains(want), "{size}: {e}");
    }
    // A kernel reaching past the initrd's start: overlap, as in QEMU.
    std::fs::write(&big, [1u8; 16]).unwrap();
    let mut c = cfg(BoardKind::Virt, &vec![0x13; 5 << 20]);
    c.ram_size = 8 << 20;
    let e = err(c, boot(Some(&big), None, None));
    assert!(e.contains("ramdisk") && e.contains("overlaps kernel"), "{e}");
    let _ = std::fs::remove_file(&big);
}

#[test]
fn dtb_file_replaces_the_tree_on_virt_only() {
    let dts = "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; model = \"mine\"; chosen { }; };\n";
    let dtb = temp_path("mine.dtb");
    let out = std::process::Command::new("dtc")
        .args(["-I", "dts", "-O", "dtb", "-o"])
        .arg(&dtb)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .spawn();
    let mut child = out.expect("running dtc (Debian's device-tree-compiler)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), dts.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let b = boot(None, Some("root=/dev/ram"), Some(&dtb));
    let mut m = Machine::with_linux_boot(cfg(BoardKind::Virt, &[0x13, 0, 0, 0]), &b).unwrap();
    let t = crate::fdt::tests::parse(m.fdt().0);
    assert_eq!(t["/:model"], b"mine\0");
    assert_eq!(t["/chosen:bootargs"], b"root=/dev/ram\0");
    let (fdt, addr) = m.fdt();
    let fdt = fdt.to_vec();
    assert_eq!(m.cpu().ram().equals(addr, &fdt), Some(true));
    // QEMU 7.2's spike builds its own tree whatever -dtb says.
    let m = Machine::with_linux_boot(cfg(BoardKind::Spike, &[0x13, 0, 0, 0]), &b).unwrap();
    let t = crate::fdt::tests::parse(m.fdt().0);
    assert_eq!(t["/:model"], b"ucbbar,spike-bare,qemu\0");
    assert_eq!(t["/chosen:bootargs"], b"root=/dev/ram\0");
    // Broken or missing blobs are one-line errors naming the file.
    std::fs::write(&dtb, b"not a tree").unwrap();
    let e = Machine::with_linux_boot(cfg(BoardKind::Virt, &[0x13, 0, 0, 0]), &b).err().unwrap().to_string();
    assert_eq!(e, format!("device tree '{}': FDT_ERR_BADMAGIC", dtb.display()));
    let _ = std::fs::remove_file(&dtb);
    let e = Machine::with_linux_boot(cfg(BoardKind::Virt, &[0x13, 0, 0, 0]), &b).err().unwrap().to_string();
    assert!(e.starts_with(&format!("could not load device tree '{}': No such file", dtb.display())), "{e}");
}

/// Bare-metal guests (no firmware, or their own) get guarded stores; the
/// default firmware's operating systems get plain RAM (huge pages).
#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn ram_is_guarded_for_bare_metal_only() {
    use crate::assemble::ram_for;
    assert!(ram_for(&Firmware::None, 0x8000_0000, 4 << 20).has_guard());
    assert!(ram_for(&Firmware::File("fw.bin".into()), 0x8000_0000, 4 << 20).has_guard());
    assert!(!ram_for(&Firmware::Default, 0x8000_0000, 4 << 20).has_guard());
}
