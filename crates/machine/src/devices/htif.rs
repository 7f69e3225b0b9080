//! Berkeley HTIF (host-target interface) as QEMU's `riscv/htif.c` models it
//! for `spike`: an MMIO overlay on the RAM words `tohost` and `fromhost`.
//! A command is `device << 56 | cmd << 48 | payload`; guests write `tohost`
//! as two 32-bit stores, low then high, and the high store makes it take effect.

use std::sync::mpsc::TryRecvError;
use std::sync::{Arc, Mutex};

use cpu_riscv::BusError;

use super::uart::{stdin_channel, Input};
use super::{lock, reg_merge, reg_slice, Console, ExitSignal, GuestRequest};
use crate::bus::Device;

/// Each of `tohost` and `fromhost` is one 64-bit word.
pub const HTIF_WORD: u64 = 8;

const DEV_SYSCALL: u64 = 0;
const DEV_CONSOLE: u64 = 1;
const CONSOLE_GETCHAR: u64 = 0;
const CONSOLE_PUTCHAR: u64 = 1;
const PAYLOAD_MASK: u64 = (1 << 48) - 1;

struct State {
    tohost: u64,
    fromhost: u64,
    /// The low half of `tohost` was written while it was free; the high half completes it.
    tohost_armed: bool,
    console: Console,
    input: Input,
    exit: ExitSignal,
}

impl State {
    /// A complete `tohost` command (QEMU `htif_handle_tohost_write`).
    fn command(&mut self, val: u64) {
        let dev = val >> 56;
        let cmd = (val >> 48) & 0xff;
        let payload = val & PAYLOAD_MASK;
        let resp = match (dev, cmd) {
            (DEV_SYSCALL, 0) if payload & 1 != 0 => {
                // riscv-tests' and pk's exit: code in payload >> 1.
                self.exit.raise(GuestRequest::Exit((payload >> 1) as u32));
                0
            }
            (DEV_SYSCALL, _) => {
                log::warn!("htif: syscall proxy not supported (tohost {val:#x})");
                0
            }
            (DEV_CONSOLE, CONSOLE_PUTCHAR) => {
                self.console.put(payload as u8);
                0x100 | (payload & 0xff)
            }
            (DEV_CONSOLE, CONSOLE_GETCHAR) => match self.getchar() {
                Some(b) => u64::from(b),
                // No input: -1 in the 48-bit payload.
                None => PAYLOAD_MASK,
            },
            _ => {
                log::warn!("htif: unknown device {dev} command {cmd} (tohost {val:#x}) ignored");
                0
            }
        };
        // Acknowledge: device and command echoed with the response, tohost freed.
        self.fromhost = (val & !PAYLOAD_MASK) | (resp & PAYLOAD_MASK);
        self.tohost = 0;
    }

    fn getchar(&mut self) -> Option<u8> {
        let r = match &self.input {
            Input::None => return None,
            Input::Stdin => lock(stdin_channel()).try_recv(),
            Input::Channel(rx) => rx.try_recv(),
        };
        match r {
            Ok(b) => Some(b),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.input = Input::None;
                None
            }
        }
    }

    fn write_tohost(&mut self, offset: u64, size: u8, val: u64) {
        if offset == 0 && size == 8 {
            self.write_tohost(0, 4, val & 0xffff_ffff);
            self.write_tohost(4, 4, val >> 32);
        } else if offset < 4 {
            // A new command may start only when the host has consumed the last.
            self.tohost_armed = self.tohost == 0;
            if self.tohost_armed {
                self.tohost = reg_merge(self.tohost, offset, size.min(4 - offset as u8), val);
            }
        } else if self.tohost_armed {
            self.tohost = reg_merge(self.tohost, offset, size, val);
            self.tohost_armed = false;
            self.command(self.tohost);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    ToHost,
    FromHost,
}

/// One of the two HTIF words on the bus; both share the HTIF's state.
pub struct HtifPort {
    state: Arc<Mutex<State>>,
    word: Word,
}

/// Make the `tohost` and `fromhost` ports of one HTIF.
pub fn htif(console: Console, input: Input, exit: ExitSignal) -> (HtifPort, HtifPort) {
    let state = Arc::new(Mutex::new(State { tohost: 0, fromhost: 0, tohost_armed: false, console, input, exit }));
    (HtifPort { state: state.clone(), word: Word::ToHost }, HtifPort { state, word: Word::FromHost })
}

impl Device for HtifPort {
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError> {
        let s = lock(&self.state);
        let v = if self.word == Word::ToHost { s.tohost } else { s.fromhost };
        Ok(reg_slice(v, offset, size))
    }

    fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), BusError> {
        let mut s = lock(&self.state);
        match self.word {
            Word::ToHost => s.write_tohost(offset, size, val),
            Word::FromHost => s.fromhost = reg_merge(s.fromhost, offset, size, val),
        }
        Ok(())
    }

    fn poll(&mut self) {
        if self.word == Word::ToHost {
            lock(&self.state).console.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::SharedBuf;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;

    fn setup(input: Input) -> (HtifPort, HtifPort, SharedBuf, ExitSignal) {
        let out = SharedBuf::default();
        let sig = ExitSignal::new(Arc::new(AtomicBool::new(false)));
        let (to, from) = htif(Console::new(Some(Box::new(out.clone()))), input, sig.clone());
        (to, from, out, sig)
    }

    fn two_stores(to: &mut HtifPort, v: u64) {
        to.write(0, 4, v & 0xffff_ffff).unwrap();
        to.write(4, 4, v >> 32).unwrap();
    }

    #[test]
    fn exit_needs_both_halves() {
        let (mut to, _, _, sig) = setup(Input::None);
        to.write(0, 4, (21 << 1) | 1).unwrap();
        assert_eq!(sig.take(), None, "the low half alone does nothing");
        assert_eq!(to.read(0, 8), Ok(43));
        to.write(4, 4, 0).unwrap();
        assert_eq!(sig.take(), Some(GuestRequest::Exit(21)));
        // One 64-bit store works as two 32-bit ones; 1 means pass.
        to.write(0, 8, 1).unwrap();
        assert_eq!(sig.take(), Some(GuestRequest::Exit(0)));
    }

    #[test]
    fn console_putchar_is_acknowledged() {
        let (mut to, mut from, out, sig) = setup(Input::None);
        for &b in b"hi" {
            two_stores(&mut to, (1 << 56) | (1 << 48) | u64::from(b));
            assert_eq!(to.read(0, 8), Ok(0), "tohost consumed");
            assert_eq!(from.read(0, 8), Ok((1 << 56) | (1 << 48) | 0x100 | u64::from(b)));
            from.write(0, 8, 0).unwrap();
        }
        to.poll();
        assert_eq!(out.contents(), b"hi");
        assert_eq!(sig.take(), None);
    }

    #[test]
    fn getchar_and_unknown_commands() {
        let (tx, rx) = mpsc::channel();
        let (mut to, mut from, _, sig) = setup(Input::Channel(rx));
        two_stores(&mut to, 1 << 56);
        assert_eq!(from.read(0, 8), Ok((1 << 56) | PAYLOAD_MASK), "no input: -1");
        tx.send(b'k').unwrap();
        two_stores(&mut to, 1 << 56);
        assert_eq!(from.read(0, 8), Ok((1 << 56) | u64::from(b'k')));
        from.write(0, 8, 0).unwrap();
        // Unknown device, syscall proxy: ignored, acknowledged, no exit.
        two_stores(&mut to, (9 << 56) | (3 << 48) | 5);
        two_stores(&mut to, 0x1000);
        assert_eq!(sig.take(), None);
        assert_eq!(from.read(4, 4), Ok(0));
        assert_eq!(to.read(0, 8), Ok(0));
    }

    #[test]
    fn high_half_without_low_is_ignored() {
        let (mut to, _, out, sig) = setup(Input::None);
        to.write(4, 4, 1 << 24).unwrap();
        assert_eq!(sig.take(), None);
        assert_eq!(to.read(0, 8), Ok(0));
        to.poll();
        assert!(out.contents().is_empty());
    }
}
