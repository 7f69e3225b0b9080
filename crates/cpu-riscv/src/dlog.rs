//! QEMU-style `-d` debug logging: a mask of item kinds and one sink
//! (stderr by default, a file with `-D`).

use std::io::Write;

/// The `-d` items Tern knows, named as QEMU names them.
pub const LOG_ITEMS: &[(&str, u32, &str)] = &[
    ("out_asm", LOG_OUT_ASM, "show the host code generated for each block (-accel jit)"),
    ("in_asm", LOG_IN_ASM, "show guest code as each block is first decoded"),
    ("exec", LOG_EXEC, "show each block as it is executed"),
    ("cpu", LOG_CPU, "show the registers before each block"),
    ("int", LOG_INT, "show interrupts and exceptions taken"),
    ("guest_errors", LOG_GUEST_ERRORS, "show accesses to unmapped or refused addresses"),
    ("unimp", LOG_UNIMP, "show uses of unimplemented features"),
    ("jit", LOG_JIT, "show the JIT's translation statistics at exit, as 'info jit' (-accel jit)"),
];

pub const LOG_IN_ASM: u32 = 1 << 0;
pub const LOG_EXEC: u32 = 1 << 1;
pub const LOG_CPU: u32 = 1 << 2;
pub const LOG_INT: u32 = 1 << 3;
pub const LOG_GUEST_ERRORS: u32 = 1 << 4;
pub const LOG_UNIMP: u32 = 1 << 5;
pub const LOG_JIT: u32 = 1 << 6;
pub const LOG_OUT_ASM: u32 = 1 << 7;

/// Parse a `-d` list such as `in_asm,int`. Errors name the unknown item.
pub fn parse_mask(list: &str) -> Result<u32, String> {
    let mut mask = 0;
    for item in list.split(',').filter(|s| !s.is_empty()) {
        match LOG_ITEMS.iter().find(|(name, _, _)| *name == item) {
            Some((_, bit, _)) => mask |= bit,
            None => return Err(format!("unknown -d item '{item}' (try '-d help')")),
        }
    }
    Ok(mask)
}

/// The sink. Write errors are ignored: logging must never stop the guest.
pub struct DebugLog {
    pub mask: u32,
    out: Box<dyn Write + Send>,
}

impl Default for DebugLog {
    fn default() -> Self {
        DebugLog { mask: 0, out: Box::new(std::io::stderr()) }
    }
}

impl DebugLog {
    pub fn new(mask: u32, out: Box<dyn Write + Send>) -> Self {
        DebugLog { mask, out }
    }

    #[inline(always)]
    pub fn enabled(&self, item: u32) -> bool {
        self.mask & item != 0
    }

    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.out.write_fmt(args);
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(parse_mask("in_asm,int").unwrap(), LOG_IN_ASM | LOG_INT);
        assert_eq!(parse_mask("").unwrap(), 0);
        assert!(parse_mask("in_asm,bogus").unwrap_err().contains("'bogus'"));
    }
}
