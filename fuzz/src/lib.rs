//! What the fuzz targets share: a machine served on its own thread for the
//! monitor targets, and the checks every QMP reply must pass.

use std::sync::{Arc, OnceLock};

use machine::{BoardKind, Config, Firmware, Machine, Serial};
use serde_json::Value;

/// `addi t0, t0, 1; j .-4`: a guest that runs when a fuzz input says `cont`.
const LOOP: [u32; 2] = [0x0012_8293, 0xffdf_f06f];

/// The monitor's context over a machine that starts paused (`-S`) and is
/// served on its own thread, built once per fuzzing process.
pub fn ctx() -> &'static qmp::Ctx {
    static CTX: OnceLock<qmp::Ctx> = OnceLock::new();
    CTX.get_or_init(|| {
        let cfg = Config {
            board: BoardKind::Virt,
            ram_size: 16 << 20,
            bios: Firmware::None,
            kernel: None,
            kernel_bytes: Some(LOOP.iter().flat_map(|w| w.to_le_bytes()).collect()),
            serial: Serial::None,
            max_insns: None,
        };
        let mut m = Machine::new(cfg).expect("the fuzz machine builds");
        m.start_paused();
        let events = m.subscribe();
        let handle = m.handle();
        std::thread::spawn(move || m.run());
        qmp::Ctx { handle, hub: Arc::new(qmp::Hub::new(events)), info: Arc::new(qmp::Info::default()) }
    })
}

/// Whether the harness may run this message. Commands that write host files
/// (`memsave`, `pmemsave`) or end the machine (`quit`, HMP `quit`/`q`) are
/// left out: the first would let the fuzzer write anywhere, the second would
/// leave later inputs a dead machine.
pub fn allowed(m: &qmp::json::Message) -> bool {
    let Ok(Value::Object(o)) = m else { return true };
    for key in ["execute", "exec-oob"] {
        match o.get(key).and_then(Value::as_str) {
            Some("memsave" | "pmemsave" | "quit") => return false,
            Some("human-monitor-command") => {
                let line = o.get("arguments").and_then(|a| a.get("command-line")).and_then(Value::as_str);
                if line.is_some_and(|l| !hmp_allowed(l)) {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// An HMP line that does not end the machine.
pub fn hmp_allowed(line: &str) -> bool {
    let name = line.trim_start().split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
    !matches!(name, "quit" | "q")
}

/// A reply as QMP defines it (QMP spec, "Success" and "Error" responses):
/// an object with exactly one of `return` and `error` (an object with string
/// `class` and `desc`), and at most an `id` besides; on the wire it is one
/// line of JSON that reads back as the same value.
pub fn check_reply(v: &Value) {
    let o = v.as_object().unwrap_or_else(|| panic!("reply is not an object: {v}"));
    assert!(o.contains_key("return") != o.contains_key("error"), "{v}");
    assert!(o.keys().all(|k| matches!(k.as_str(), "return" | "error" | "id")), "{v}");
    if let Some(e) = o.get("error") {
        assert!(e["class"].is_string() && e["desc"].is_string(), "{v}");
        assert_eq!(e.as_object().map(|e| e.len()), Some(2), "{v}");
    }
    let wire = qmp::json::to_wire(v, false);
    assert!(wire.ends_with("\r\n") && !wire[..wire.len() - 2].contains('\n'), "{wire:?}");
    let back: Value = serde_json::from_str(&wire).unwrap_or_else(|e| panic!("{e}: {wire:?}"));
    assert!(same(&back, v), "{wire:?} reads back as {back}, not {v}");
}

/// JSON equality where numbers compare by value: QEMU (and Tern) print a
/// float with an integral value, such as an echoed `id` of 3.0, as `3`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}
