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

/// What `-append` and `-initrd` put in `/chosen`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chosen {
    /// `bootargs`; QEMU 7.2 sets it only for a non-empty `-append`.
    pub bootargs: Option<String>,
    /// `linux,initrd-start` and `linux,initrd-end` (one past the last byte).
    pub initrd: Option<(u64, u64)>,
}

impl Chosen {
    /// The properties in the order QEMU 7.2 sets them (bootargs in create_fdt,
    /// then the initrd after loading it).
    fn props(&self) -> Vec<(&'static str, Vec<u8>)> {
        let mut props = Vec::new();
        if let Some(args) = self.bootargs.as_deref().filter(|a| !a.is_empty()) {
            let mut v = args.as_bytes().to_vec();
            v.push(0);
            props.push(("bootargs", v));
        }
        if let Some((start, end)) = self.initrd {
            props.push(("linux,initrd-start", addr_cells(start)));
            props.push(("linux,initrd-end", addr_cells(end)));
        }
        props
    }
}

/// QEMU writes one cell (qemu_fdt_setprop_cell), which truncates addresses
/// at or above 4 GiB; Linux reads any number of cells, so those get two.
fn addr_cells(a: u64) -> Vec<u8> {
    match u32::try_from(a) {
        Ok(cell) => cell.to_be_bytes().to_vec(),
        Err(_) => a.to_be_bytes().to_vec(),
    }
}

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;
const HEADER_LEN: usize = 40;

fn be32_at(b: &[u8], at: usize) -> Result<u32, &'static str> {
    let bytes = b.get(at..at.checked_add(4).ok_or("FDT_ERR_TRUNCATED")?).ok_or("FDT_ERR_TRUNCATED")?;
    Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The NUL-terminated string at `at` in `b`, without its NUL.
fn cstr_at(b: &[u8], at: usize) -> Result<&[u8], &'static str> {
    let rest = b.get(at..).ok_or("FDT_ERR_BADOFFSET")?;
    let len = rest.iter().position(|&c| c == 0).ok_or("FDT_ERR_TRUNCATED")?;
    Ok(&rest[..len])
}

/// `[off, off + size)` of `b`, or the libfdt error for a block out of bounds.
fn block(b: &[u8], off: u32, size: u32) -> Result<&[u8], &'static str> {
    let (off, size) = (off as usize, size as usize);
    b.get(off..off.checked_add(size).ok_or("FDT_ERR_TRUNCATED")?).ok_or("FDT_ERR_TRUNCATED")
}

/// Offset of `name` NUL-terminated in the strings block, appending it if absent
/// (libfdt's fdt_find_add_string_ also reuses a tail of a longer name).
fn string_offset(strings: &mut Vec<u8>, name: &str) -> Result<u32, &'static str> {
    let mut want = name.as_bytes().to_vec();
    want.push(0);
    let at = match strings.windows(want.len()).position(|w| w == want.as_slice()) {
        Some(at) => at,
        None => {
            strings.extend_from_slice(&want);
            strings.len() - want.len()
        }
    };
    u32::try_from(at).map_err(|_| "FDT_ERR_NOSPACE")
}

fn push_prop(out: &mut Vec<u8>, nameoff: u32, value: &[u8]) -> Result<(), &'static str> {
    out.extend_from_slice(&FDT_PROP.to_be_bytes());
    out.extend_from_slice(&u32::try_from(value.len()).map_err(|_| "FDT_ERR_NOSPACE")?.to_be_bytes());
    out.extend_from_slice(&nameoff.to_be_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
    Ok(())
}

/// Set the `chosen` properties in a flattened tree (Devicetree spec 0.4,
/// ch. 5), as QEMU 7.2 does with libfdt's fdt_setprop on the board's tree or
/// a `-dtb` file: a property already in `/chosen` keeps its place, a new one
/// goes first in the node. The result is packed (QEMU's riscv_load_fdt packs
/// it too), version 17, the reservation map kept. Any malformed input is an
/// error named after libfdt's (`FDT_ERR_BADMAGIC`), never a panic; so is a
/// missing `/chosen` when there is something to set, as in QEMU.
pub fn set_chosen(blob: &[u8], chosen: &Chosen) -> Result<Vec<u8>, String> {
    set_chosen_props(blob, &chosen.props()).map_err(str::to_string)
}

fn set_chosen_props(blob: &[u8], props: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, &'static str> {
    let field = |i: usize| be32_at(blob, 4 * i);
    if field(0)? != FDT_MAGIC {
        return Err("FDT_ERR_BADMAGIC");
    }
    let total = field(1)? as usize;
    if total < HEADER_LEN || total > blob.len() {
        return Err("FDT_ERR_TRUNCATED");
    }
    let blob = &blob[..total];
    let (version, last_comp) = (field(5)?, field(6)?);
    // Version 17 carries size_dt_struct; dtc and QEMU write 17.
    if version < 17 || last_comp > 17 {
        return Err("FDT_ERR_BADVERSION");
    }
    let structs = block(blob, field(2)?, field(9)?)?;
    let strings = block(blob, field(3)?, field(8)?)?;
    let rsv_off = field(4)? as usize;
    if rsv_off < HEADER_LEN || !rsv_off.is_multiple_of(8) {
        return Err("FDT_ERR_BADOFFSET");
    }
    // The reservation map runs to its all-zero entry.
    let mut rsv_end = rsv_off;
    loop {
        let entry = blob.get(rsv_end..rsv_end + 16).ok_or("FDT_ERR_TRUNCATED")?;
        rsv_end += 16;
        if entry.iter().all(|&b| b == 0) {
            break;
        }
    }

    let mut strings_out = strings.to_vec();
    let mut out = Vec::with_capacity(structs.len() + 256);
    let mut set = vec![false; props.len()];
    let mut depth = 0usize;
    let mut found = false;
    // While inside /chosen: its depth and where its properties start.
    let mut chosen_at: Option<(usize, usize)> = None;
    let mut at = 0usize;
    loop {
        let token = be32_at(structs, at)?;
        let start = at;
        at += 4;
        match token {
            FDT_BEGIN_NODE => {
                let name = cstr_at(structs, at)?;
                at = (at + name.len() + 1).next_multiple_of(4);
                out.extend_from_slice(structs.get(start..at).ok_or("FDT_ERR_TRUNCATED")?);
                depth += 1;
                // libfdt's path lookup: "chosen" also matches "chosen@unit".
                let is_chosen = name == b"chosen" || name.starts_with(b"chosen@");
                if depth == 2 && is_chosen && !found {
                    found = true;
                    chosen_at = Some((depth, out.len()));
                }
            }
            FDT_END_NODE => {
                if depth == 0 {
                    return Err("FDT_ERR_BADSTRUCTURE");
                }
                if let Some((_, props_at)) = chosen_at.filter(|&(d, _)| d == depth) {
                    // New properties, each inserted first as libfdt does: the last set comes first.
                    let mut new = Vec::new();
                    for (i, (name, value)) in props.iter().enumerate().rev() {
                        if !set[i] {
                            push_prop(&mut new, string_offset(&mut strings_out, name)?, value)?;
                        }
                    }
                    out.splice(props_at..props_at, new);
                    chosen_at = None;
                }
                out.extend_from_slice(&FDT_END_NODE.to_be_bytes());
                depth -= 1;
            }
            FDT_PROP => {
                let len = be32_at(structs, at)? as usize;
                let nameoff = be32_at(structs, at + 4)? as usize;
                let value = structs.get(at + 8..(at + 8).checked_add(len).ok_or("FDT_ERR_TRUNCATED")?);
                let value = value.ok_or("FDT_ERR_TRUNCATED")?;
                let name = cstr_at(strings, nameoff)?;
                at = (at + 8 + len).next_multiple_of(4);
                let ours = props.iter().position(|(n, _)| n.as_bytes() == name);
                match ours.filter(|_| chosen_at.is_some_and(|(d, _)| d == depth)) {
                    // An existing property is rewritten in place (fdt_setprop).
                    Some(i) => {
                        push_prop(&mut out, nameoff as u32, &props[i].1)?;
                        set[i] = true;
                    }
                    None => push_prop(&mut out, nameoff as u32, value)?,
                }
            }
            FDT_NOP => out.extend_from_slice(&FDT_NOP.to_be_bytes()),
            FDT_END if depth == 0 => {
                out.extend_from_slice(&FDT_END.to_be_bytes());
                break;
            }
            _ => return Err("FDT_ERR_BADSTRUCTURE"),
        }
    }
    if !found && !props.is_empty() {
        return Err("Couldn't find node /chosen: FDT_ERR_NOTFOUND");
    }

    let rsv = &blob[rsv_off..rsv_end];
    let off_struct = HEADER_LEN + rsv.len();
    let off_strings = off_struct + out.len();
    let total = off_strings + strings_out.len();
    let too_big = |_| "FDT_ERR_NOSPACE";
    let header = [
        FDT_MAGIC,
        u32::try_from(total).map_err(too_big)?,
        off_struct as u32,
        off_strings as u32,
        HEADER_LEN as u32,
        17,
        16,
        be32_at(blob, 28)?,
        strings_out.len() as u32,
        out.len() as u32,
    ];
    let mut fdt = Vec::with_capacity(total);
    for h in header {
        fdt.extend_from_slice(&h.to_be_bytes());
    }
    fdt.extend_from_slice(rsv);
    fdt.extend_from_slice(&out);
    fdt.extend_from_slice(&strings_out);
    Ok(fdt)
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

    /// Run dtc on `input` (dtc is one of the packages the tests need; .ci/run installs it).
    fn dtc(from: &str, to: &str, input: &[u8]) -> Vec<u8> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("tern-fdt-{}-{n}.{from}", std::process::id()));
        std::fs::write(&path, input).unwrap();
        let out = std::process::Command::new("dtc").args(["-q", "-I", from, "-O", to]).arg(&path).output();
        let _ = std::fs::remove_file(&path);
        let out = out.expect("running dtc (Debian's device-tree-compiler)");
        assert!(out.status.success(), "dtc: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// The `chosen { ... };` block of a tree, as dtc prints it.
    fn chosen_dts(blob: &[u8]) -> String {
        let dts = String::from_utf8(dtc("dtb", "dts", blob)).unwrap();
        let start = dts.find("\tchosen {").expect("a chosen node");
        let end = start + dts[start..].find("\n\t};").unwrap() + 4;
        dts[start..end].to_string()
    }

    #[test]
    fn chosen_as_qemu_virt() {
        let map = MemMap::of(BoardKind::Virt);
        let base = build(BoardKind::Virt, &map, 256 << 20, None).unwrap();
        let chosen =
            Chosen { bootargs: Some("console=ttyS0 earlycon".into()), initrd: Some((0x8820_0000, 0x8820_0a00)) };
        let blob = set_chosen(&base, &chosen).unwrap();
        // qemu-system-riscv64 7.2 -M virt,dumpdtb=x.dtb -m 256M -kernel Image -initrd
        // (a 2560-byte cpio) -append "console=ttyS0 earlycon", through dtc, less
        // its rng-seed (Tern has no RNG seed): libfdt puts each new property first.
        let qemu = "\tchosen {\n\
                    \t\tlinux,initrd-end = <0x88200a00>;\n\
                    \t\tlinux,initrd-start = <0x88200000>;\n\
                    \t\tbootargs = \"console=ttyS0 earlycon\";\n\
                    \t\tstdout-path = \"/soc/serial@10000000\";\n\
                    \t};";
        assert_eq!(chosen_dts(&blob), qemu);
        // Everything else is as built.
        let (mut before, mut after) = (parse(&base), parse(&blob));
        before.retain(|k, _| !k.starts_with("/chosen"));
        after.retain(|k, _| !k.starts_with("/chosen"));
        assert_eq!(before, after);
        // Spike: QEMU's dump with -initrd and -append "hello".
        let base = build(BoardKind::Spike, &MemMap::of(BoardKind::Spike), 128 << 20, None).unwrap();
        let chosen = Chosen { bootargs: Some("hello".into()), initrd: Some((0x8420_0000, 0x8420_0a00)) };
        let t = parse(&set_chosen(&base, &chosen).unwrap());
        assert_eq!(t["/chosen:bootargs"], b"hello\0");
        assert_eq!(cells(&t["/chosen:linux,initrd-start"]), [0x8420_0000]);
        assert_eq!(cells(&t["/chosen:linux,initrd-end"]), [0x8420_0a00]);
        assert_eq!(t["/chosen:stdout-path"], b"/htif\0");
    }

    #[test]
    fn chosen_edge_cases() {
        let base = build(BoardKind::Virt, &MemMap::of(BoardKind::Virt), 128 << 20, None).unwrap();
        // Nothing to set: the same tree. An empty -append sets nothing, as in QEMU.
        assert_eq!(set_chosen(&base, &Chosen::default()).unwrap(), base);
        let empty = Chosen { bootargs: Some(String::new()), initrd: None };
        assert_eq!(set_chosen(&base, &empty).unwrap(), base);
        // An empty initrd: start == end, as QEMU.
        let t =
            parse(&set_chosen(&base, &Chosen { bootargs: None, initrd: Some((0x8420_0000, 0x8420_0000)) }).unwrap());
        assert_eq!(t["/chosen:linux,initrd-start"], t["/chosen:linux,initrd-end"]);
        // Past 4 GiB: two cells rather than QEMU's truncated one.
        let t =
            parse(&set_chosen(&base, &Chosen { bootargs: None, initrd: Some((0x8800_0000, 0x1_0000_1000)) }).unwrap());
        assert_eq!(cells(&t["/chosen:linux,initrd-start"]), [0x8800_0000]);
        assert_eq!(cells(&t["/chosen:linux,initrd-end"]), [1, 0x1000]);
    }

    #[test]
    fn dtb_file_patched_as_qemu() {
        let dts = "/dts-v1/;\n/memreserve/ 0x80000000 0x1000;\n\
                   / { #address-cells = <2>; #size-cells = <2>; model = \"mine\";\n\
                   chosen { bootargs = \"old\"; x = <1>; sub { bootargs = \"kept\"; }; }; };\n";
        let file = dtc("dts", "dtb", dts.as_bytes());
        let chosen = Chosen { bootargs: Some("new args".into()), initrd: Some((0x8420_0000, 0x8420_0a00)) };
        let blob = set_chosen(&file, &chosen).unwrap();
        // QEMU 7.2 -M virt,dumpdtb -dtb (this file less `sub`) -append "new args" -initrd,
        // less rng-seed: bootargs rewritten in place, the initrd's properties first.
        let out = String::from_utf8(dtc("dtb", "dts", &blob)).unwrap();
        assert!(out.contains("/memreserve/\t0x0000000080000000 0x0000000000001000;"), "{out}");
        assert!(out.contains("model = \"mine\";"), "{out}");
        let want = "\tchosen {\n\
                    \t\tlinux,initrd-end = <0x84200a00>;\n\
                    \t\tlinux,initrd-start = <0x84200000>;\n\
                    \t\tbootargs = \"new args\";\n\
                    \t\tx = <0x01>;\n\n\
                    \t\tsub {\n\
                    \t\t\tbootargs = \"kept\";\n\
                    \t\t};\n\
                    \t};";
        assert_eq!(chosen_dts(&blob), want);
    }

    #[test]
    fn broken_blobs_are_errors_never_panics() {
        let no_chosen = dtc("dts", "dtb", b"/dts-v1/;\n/ { model = \"m\"; node { }; };\n");
        let args = Chosen { bootargs: Some("x".into()), initrd: None };
        assert_eq!(set_chosen(&no_chosen, &args).unwrap_err(), "Couldn't find node /chosen: FDT_ERR_NOTFOUND");
        // Nothing to set: no /chosen needed.
        assert!(set_chosen(&no_chosen, &Chosen::default()).is_ok());
        assert_eq!(set_chosen(b"garbage\n", &args).unwrap_err(), "FDT_ERR_BADMAGIC");
        assert_eq!(set_chosen(b"", &args).unwrap_err(), "FDT_ERR_TRUNCATED");
        let good = build(BoardKind::Virt, &MemMap::of(BoardKind::Virt), 128 << 20, None).unwrap();
        let mut old = good.clone();
        old[20..24].copy_from_slice(&16u32.to_be_bytes());
        assert_eq!(set_chosen(&old, &args).unwrap_err(), "FDT_ERR_BADVERSION");
        // Every truncation fails; every byte flip fails or yields a tree that parses again.
        for n in 0..good.len() {
            assert!(set_chosen(&good[..n], &args).is_err(), "truncated to {n}");
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut b = good.clone();
            let at = (seed % b.len() as u64) as usize;
            b[at] ^= 1 << ((seed >> 32) % 8);
            if let Ok(out) = set_chosen(&b, &args) {
                assert!(set_chosen(&out, &args).is_ok());
            }
        }
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
