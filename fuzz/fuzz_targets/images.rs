//! Arbitrary bytes as `-kernel` and `-bios` (ELF or raw, on either board),
//! then a bounded run under the interpreter or the JIT: load errors are
//! messages, and whatever the image does the guest gets architected traps.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use machine::{BoardKind, Config, Firmware, Machine, Serial};

fn bios_file(bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("tern-fuzz-bios-{}", std::process::id()));
    std::fs::write(&p, bytes).expect("temp file");
    p
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    // Flag bit 2: the image is the firmware, not the kernel.
    let (bios, kernel_bytes) =
        if flags & 4 != 0 { (Firmware::File(bios_file(rest)), None) } else { (Firmware::None, Some(rest.to_vec())) };
    let cfg = Config {
        board: if flags & 1 != 0 { BoardKind::Virt } else { BoardKind::Spike },
        ram_size: 8 << 20,
        bios,
        kernel: None,
        kernel_bytes,
        serial: Serial::None,
        max_insns: Some(20_000),
    };
    match Machine::new(cfg) {
        Ok(mut m) => {
            if flags & 2 != 0 {
                m.cpu().set_engine(Some(Box::new(jit::Jit::new().expect("JIT"))));
            }
            m.run();
        }
        Err(e) => assert!(!e.0.is_empty() && !e.0.contains('\n'), "{e:?}"),
    }
});
