//! The flattened device tree handed to the guest in `a1`, laid out as QEMU
//! 7.2 builds it for `virt` (hw/riscv/virt.c) and `spike` (hw/riscv/spike.c),
//! minus devices Tern does not model (PCI, virtio, flash, fw-cfg, RTC).

use vm_fdt::{Error, FdtWriter};

use crate::board::MemMap;
use crate::devices::plic::NDEV;
use crate::devices::uart::UART_CLOCK_HZ;
use crate::BoardKind;

/// The ISA string of the hart, for `riscv,isa`.
pub const RISCV_ISA: &str = "rv64imafdc_zicsr_zifencei";

const PH_CPU: u32 = 1;
const PH_INTC: u32 = 2;
const PH_PLIC: u32 = 3;
const PH_TEST: u32 = 4;

const IRQ_M_SOFT: u32 = 3;
const IRQ_M_TIMER: u32 = 7;
const IRQ_S_EXT: u32 = 9;
const IRQ_M_EXT: u32 = 11;
/// The UART's PLIC source on `virt`.
pub const UART_IRQ: u32 = 10;

fn reg(base: u64, size: u64) -> [u64; 2] {
    [base, size]
}

/// Build the device tree. `htif_reg` is the HTIF's fixed base when `spike`
/// uses one (no `tohost` symbol), as QEMU then describes it with `reg`.
pub fn build(kind: BoardKind, map: &MemMap, ram_size: u64, htif_reg: Option<u64>) -> Result<Vec<u8>, Error> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    match kind {
        BoardKind::Virt => {
            f.property_string("compatible", "riscv-virtio")?;
            f.property_string("model", "riscv-virtio,qemu")?;
        }
        BoardKind::Spike => {
            f.property_string("compatible", "ucbbar,spike-bare-dev")?;
            f.property_string("model", "ucbbar,spike-bare,qemu")?;
        }
    }

    let chosen = f.begin_node("chosen")?;
    match kind {
        BoardKind::Virt => f.property_string("stdout-path", &format!("/soc/serial@{:x}", map.uart))?,
        BoardKind::Spike => f.property_string("stdout-path", "/htif")?,
    }
    f.end_node(chosen)?;

    if kind == BoardKind::Virt {
        for (name, value) in [("poweroff", 0x5555), ("reboot", 0x7777)] {
            let n = f.begin_node(name)?;
            f.property_u32("value", value)?;
            f.property_u32("offset", 0)?;
            f.property_u32("regmap", PH_TEST)?;
            f.property_string("compatible", &format!("syscon-{name}"))?;
            f.end_node(n)?;
        }
    }

    let mem = f.begin_node(&format!("memory@{:x}", map.ram))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &reg(map.ram, ram_size))?;
    f.end_node(mem)?;

    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32("timebase-frequency", cpu_riscv::bus::TIMEBASE_HZ as u32)?;
    let cpu = f.begin_node("cpu@0")?;
    f.property_phandle(PH_CPU)?;
    f.property_string("device_type", "cpu")?;
    f.property_u32("reg", 0)?;
    f.property_string("status", "okay")?;
    f.property_string("compatible", "riscv")?;
    f.property_string("riscv,isa", RISCV_ISA)?;
    f.property_string("mmu-type", "riscv,sv48")?;
    let intc = f.begin_node("interrupt-controller")?;
    f.property_u32("#interrupt-cells", 1)?;
    f.property_null("interrupt-controller")?;
    f.property_string("compatible", "riscv,cpu-intc")?;
    f.property_phandle(PH_INTC)?;
    f.end_node(intc)?;
    f.end_node(cpu)?;
    let cpu_map = f.begin_node("cpu-map")?;
    let cluster = f.begin_node("cluster0")?;
    let core = f.begin_node("core0")?;
    f.property_u32("cpu", PH_CPU)?;
    f.end_node(core)?;
    f.end_node(cluster)?;
    f.end_node(cpu_map)?;
    f.end_node(cpus)?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;
    if kind == BoardKind::Virt {
        let uart = f.begin_node(&format!("serial@{:x}", map.uart))?;
        f.property_u32("interrupts", UART_IRQ)?;
        f.property_u32("interrupt-parent", PH_PLIC)?;
        f.property_u32("clock-frequency", UART_CLOCK_HZ)?;
        f.property_array_u64("reg", &reg(map.uart, crate::devices::uart::UART_SIZE))?;
        f.property_string("compatible", "ns16550a")?;
        f.end_node(uart)?;

        let test = f.begin_node(&format!("test@{:x}", map.test))?;
        f.property_phandle(PH_TEST)?;
        f.property_array_u64("reg", &reg(map.test, crate::devices::finisher::FINISHER_SIZE))?;
        f.property_string_list("compatible", vec!["sifive,test1".into(), "sifive,test0".into(), "syscon".into()])?;
        f.end_node(test)?;

        let plic = f.begin_node(&format!("plic@{:x}", map.plic))?;
        f.property_phandle(PH_PLIC)?;
        f.property_u32("riscv,ndev", NDEV)?;
        f.property_array_u64("reg", &reg(map.plic, crate::devices::plic::PLIC_SIZE))?;
        f.property_array_u32("interrupts-extended", &[PH_INTC, IRQ_M_EXT, PH_INTC, IRQ_S_EXT])?;
        f.property_null("interrupt-controller")?;
        f.property_string_list("compatible", vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()])?;
        f.property_u32("#address-cells", 0)?;
        f.property_u32("#interrupt-cells", 1)?;
        f.end_node(plic)?;
    }
    let clint = f.begin_node(&format!("clint@{:x}", map.clint))?;
    f.property_array_u32("interrupts-extended", &[PH_INTC, IRQ_M_SOFT, PH_INTC, IRQ_M_TIMER])?;
    f.property_array_u64("reg", &reg(map.clint, crate::devices::clint::CLINT_SIZE))?;
    f.property_string_list("compatible", vec!["sifive,clint0".into(), "riscv,clint0".into()])?;
    f.end_node(clint)?;
    f.end_node(soc)?;

    if kind == BoardKind::Spike {
        let htif = f.begin_node("htif")?;
        if let Some(base) = htif_reg {
            f.property_array_u64("reg", &reg(base, 0x1000))?;
        }
        f.property_string("compatible", "ucb,htif0")?;
        f.end_node(htif)?;
    }
    f.end_node(root)?;
    f.finish()
}

/// Where QEMU puts the tree (`riscv_compute_fdt_addr`/`riscv_load_fdt`):
/// 2 MiB-aligned below the end of RAM or 3 GiB, whichever is lower, so that
/// 32-bit code can reach it and the kernel does not overwrite it.
pub fn load_addr(ram_base: u64, ram_size: u64, fdt_size: u64) -> Option<u64> {
    const MIB: u64 = 1 << 20;
    let ram_end = ram_base.checked_add(ram_size)?;
    let top = if ram_base < 3072 * MIB { ram_end.min(3072 * MIB) } else { ram_end };
    let below = top.checked_sub(fdt_size)?;
    let addr = below & !(2 * MIB - 1);
    if addr >= ram_base {
        Some(addr)
    } else if below >= ram_base {
        // RAM too small for the 2 MiB alignment: keep it 8-byte aligned at the end.
        Some(below & !7)
    } else {
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn be32(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
    }

    /// Decode a flattened tree (Devicetree spec 0.4, ch. 5) into
    /// "/path/node:property" -> value.
    pub fn parse(blob: &[u8]) -> BTreeMap<String, Vec<u8>> {
        assert_eq!(be32(blob, 0), 0xd00d_feed, "magic");
        assert_eq!(be32(blob, 4) as usize, blob.len(), "totalsize");
        let (off_struct, off_strings) = (be32(blob, 8) as usize, be32(blob, 12) as usize);
        let mut out = BTreeMap::new();
        let mut path: Vec<String> = Vec::new();
        let mut at = off_struct;
        loop {
            let token = be32(blob, at);
            at += 4;
            match token {
                1 => {
                    let end = at + blob[at..].iter().position(|&c| c == 0).unwrap();
                    path.push(String::from_utf8(blob[at..end].to_vec()).unwrap());
                    at = (end + 1).next_multiple_of(4);
                }
                2 => {
                    path.pop();
                }
                3 => {
                    let (len, nameoff) = (be32(blob, at) as usize, be32(blob, at + 4) as usize);
                    let name_at = off_strings + nameoff;
                    let name_end = name_at + blob[name_at..].iter().position(|&c| c == 0).unwrap();
                    let name = std::str::from_utf8(&blob[name_at..name_end]).unwrap();
                    let node = if path.len() <= 1 { "/".to_string() } else { path.join("/") };
                    out.insert(format!("{node}:{name}"), blob[at + 8..at + 8 + len].to_vec());
                    at = (at + 8 + len).next_multiple_of(4);
                }
                4 => {}
                9 => break,
                t => panic!("bad token {t}"),
            }
        }
        out
    }

    fn cells(v: &[u8]) -> Vec<u32> {
        v.chunks(4).map(|c| u32::from_be_bytes(c.try_into().unwrap())).collect()
    }

    #[test]
    fn virt_tree_has_qemus_nodes() {
        let map = MemMap::of(BoardKind::Virt);
        let t = parse(&build(BoardKind::Virt, &map, 128 << 20, None).unwrap());
        let s = |k: &str| t.get(k).unwrap_or_else(|| panic!("missing {k}")).clone();
        assert_eq!(s("/:compatible"), b"riscv-virtio\0");
        assert_eq!(s("/chosen:stdout-path"), b"/soc/serial@10000000\0");
        assert_eq!(cells(&s("/memory@80000000:reg")), [0, 0x8000_0000, 0, 0x800_0000]);
        assert_eq!(cells(&s("/cpus:timebase-frequency")), [10_000_000]);
        assert_eq!(s("/cpus/cpu@0:riscv,isa"), b"rv64imafdc_zicsr_zifencei\0");
        assert_eq!(s("/cpus/cpu@0:mmu-type"), b"riscv,sv48\0");
        assert_eq!(s("/cpus/cpu@0/interrupt-controller:compatible"), b"riscv,cpu-intc\0");
        assert!(t.contains_key("/cpus/cpu@0/interrupt-controller:interrupt-controller"));
        assert_eq!(s("/soc/clint@2000000:compatible"), b"sifive,clint0\0riscv,clint0\0");
        assert_eq!(cells(&s("/soc/clint@2000000:interrupts-extended")), [PH_INTC, 3, PH_INTC, 7]);
        assert_eq!(s("/soc/plic@c000000:compatible"), b"sifive,plic-1.0.0\0riscv,plic0\0");
        assert_eq!(cells(&s("/soc/plic@c000000:riscv,ndev")), [0x60]);
        assert_eq!(cells(&s("/soc/plic@c000000:reg")), [0, 0xc00_0000, 0, 0x60_0000]);
        assert_eq!(cells(&s("/soc/plic@c000000:interrupts-extended")), [PH_INTC, 11, PH_INTC, 9]);
        assert_eq!(s("/soc/serial@10000000:compatible"), b"ns16550a\0");
        assert_eq!(cells(&s("/soc/serial@10000000:clock-frequency")), [0x38_4000]);
        assert_eq!(cells(&s("/soc/serial@10000000:interrupts")), [10]);
        assert_eq!(cells(&s("/soc/serial@10000000:interrupt-parent")), cells(&s("/soc/plic@c000000:phandle")));
        assert_eq!(s("/soc/test@100000:compatible"), b"sifive,test1\0sifive,test0\0syscon\0");
        assert_eq!(cells(&s("/poweroff:regmap")), cells(&s("/soc/test@100000:phandle")));
        assert_eq!(cells(&s("/poweroff:value")), [0x5555]);
        assert_eq!(cells(&s("/reboot:value")), [0x7777]);
        assert!(!t.keys().any(|k| k.starts_with("/htif")));
    }

    #[test]
    fn spike_tree_has_htif() {
        let map = MemMap::of(BoardKind::Spike);
        let t = parse(&build(BoardKind::Spike, &map, 256 << 20, Some(0x100_0000)).unwrap());
        assert_eq!(t["/chosen:stdout-path"], b"/htif\0");
        assert_eq!(t["/htif:compatible"], b"ucb,htif0\0");
        assert_eq!(cells(&t["/htif:reg"]), [0, 0x100_0000, 0, 0x1000]);
        assert_eq!(cells(&t["/memory@80000000:reg"]), [0, 0x8000_0000, 0, 0x1000_0000]);
        assert!(t.contains_key("/soc/clint@2000000:reg"));
        assert!(!t.keys().any(|k| k.contains("serial") || k.contains("plic")));
        // With tohost from the ELF, the node has no reg (the symbol says where).
        let t = parse(&build(BoardKind::Spike, &map, 256 << 20, None).unwrap());
        assert!(!t.contains_key("/htif:reg"));
    }

    #[test]
    fn decodes_with_dtc() {
        let blob = build(BoardKind::Virt, &MemMap::of(BoardKind::Virt), 128 << 20, None).unwrap();
        let path = std::env::temp_dir().join(format!("tern-fdt-{}.dtb", std::process::id()));
        std::fs::write(&path, &blob).unwrap();
        let out = std::process::Command::new("dtc").args(["-I", "dtb", "-O", "dts"]).arg(&path).output();
        let _ = std::fs::remove_file(&path);
        // dtc is one of the packages the tests need (.ci/run installs it): a
        // missing dtc fails here rather than passing without a check.
        let out = out.expect("running dtc (Debian's device-tree-compiler)");
        assert!(out.status.success(), "dtc: {}", String::from_utf8_lossy(&out.stderr));
        let dts = String::from_utf8_lossy(&out.stdout);
        assert!(dts.contains("serial@10000000"));
    }

    #[test]
    fn load_address_as_qemu() {
        assert_eq!(load_addr(0x8000_0000, 128 << 20, 0x1000), Some(0x87e0_0000));
        // Above 3 GiB the end of RAM is not used.
        assert_eq!(load_addr(0x8000_0000, 4 << 30, 0x1000), Some(0xbfe0_0000));
        assert_eq!(load_addr(0x8000_0000, 1 << 20, 0x1000), Some(0x8000_0000));
        // No 2 MiB boundary inside RAM: just below the end.
        assert_eq!(load_addr(0x8010_0000, 1 << 20, 0x1001), Some(0x801f_eff8));
        assert_eq!(load_addr(0x8000_0000, 0x800, 0x1000), None);
    }
}
