//! NS16550A UART (National Semiconductor PC16550D datasheet), as QEMU's
//! `serial.c` models it: transmission is instantaneous, the receive FIFO holds
//! 16 bytes, the interrupt goes to a PLIC source.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Mutex, OnceLock};

use cpu_riscv::BusError;

use super::{lock, Console};
use crate::bus::{Device, IrqLine};

pub const UART_SIZE: u64 = 0x100;
/// Input clock given in the device tree (QEMU's 3.6864 MHz).
pub const UART_CLOCK_HZ: u32 = 0x38_4000;
const FIFO_LEN: usize = 16;

/// Register offsets (datasheet table 2). With LCR.DLAB set, offsets 0 and 1
/// are the divisor latch (DLL, DLM).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UartReg {
    /// RBR (read) / THR (write) / DLL.
    Rbr = 0,
    /// IER / DLM.
    Ier = 1,
    /// IIR (read) / FCR (write).
    Iir = 2,
    Lcr = 3,
    Mcr = 4,
    Lsr = 5,
    Msr = 6,
    Scr = 7,
}

impl UartReg {
    /// The register at `offset` (0..8).
    fn at(offset: u64) -> Option<UartReg> {
        use UartReg::*;
        [Rbr, Ier, Iir, Lcr, Mcr, Lsr, Msr, Scr].get(usize::try_from(offset).ok()?).copied()
    }
}

const IER_ERBFI: u8 = 0x01; // received data available
const IER_ETBEI: u8 = 0x02; // THR empty
const IER_ELSI: u8 = 0x04; // receiver line status
const IER_EDSSI: u8 = 0x08; // modem status

const IIR_NO_INT: u8 = 0x01;
const IIR_RLS: u8 = 0x06;
const IIR_RDA: u8 = 0x04;
const IIR_THRE: u8 = 0x02;
const IIR_MS: u8 = 0x00;
const IIR_FIFO_ENABLED: u8 = 0xc0;

const FCR_FIFO_ENABLE: u8 = 0x01;
const FCR_RX_RESET: u8 = 0x02;

const LCR_DLAB: u8 = 0x80;
const MCR_LOOP: u8 = 0x10;

const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_BI: u8 = 0x10;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
const LSR_ERRORS: u8 = LSR_OE | 0x04 | 0x08 | LSR_BI;

const MSR_DELTAS: u8 = 0x0f;

/// Bytes typed on stdin, read by one thread for the whole process so that
/// the execution thread never blocks on input.
pub(crate) fn stdin_channel() -> &'static Mutex<Receiver<u8>> {
    static RX: OnceLock<Mutex<Receiver<u8>>> = OnceLock::new();
    RX.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("uart-stdin".into()).spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin();
            // Ends at EOF, on an error, or when the machine is gone.
            while let Ok(n @ 1..) = stdin.read(&mut buf) {
                if buf[..n].iter().any(|&b| tx.send(b).is_err()) {
                    break;
                }
            }
        });
        if let Err(e) = spawned {
            log::warn!("no console input: cannot start the stdin reader: {e}");
        }
        Mutex::new(rx)
    })
}

/// Where received bytes come from.
pub enum Input {
    None,
    /// The process's standard input.
    Stdin,
    /// A test's own channel.
    Channel(Receiver<u8>),
}

pub struct Uart {
    console: Console,
    input: Input,
    irq: Box<dyn IrqLine>,
    rx: VecDeque<u8>,
    ier: u8,
    iir: u8,
    fcr: u8,
    lcr: u8,
    mcr: u8,
    lsr: u8,
    msr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// A THR-empty interrupt is owed (cleared by reading IIR or writing THR).
    thr_ipending: bool,
    irq_level: bool,
}

impl Uart {
    pub fn new(console: Console, input: Input, irq: Box<dyn IrqLine>) -> Uart {
        let mut u = Uart {
            console,
            input,
            irq,
            rx: VecDeque::new(),
            ier: 0,
            iir: IIR_NO_INT,
            fcr: 0,
            lcr: 0,
            mcr: 0x08, // OUT2, as QEMU's reset value
            lsr: LSR_THRE | LSR_TEMT,
            msr: 0xb0, // DCD, DSR, CTS
            scr: 0,
            dll: 0x0c, // 9600 baud
            dlm: 0,
            thr_ipending: false,
            irq_level: false,
        };
        u.update_irq();
        u
    }

    /// Datasheet table 4: interrupt priorities.
    fn update_irq(&mut self) {
        let id = if self.ier & IER_ELSI != 0 && self.lsr & LSR_ERRORS != 0 {
            IIR_RLS
        } else if self.ier & IER_ERBFI != 0 && self.lsr & LSR_DR != 0 {
            IIR_RDA
        } else if self.ier & IER_ETBEI != 0 && self.thr_ipending {
            IIR_THRE
        } else if self.ier & IER_EDSSI != 0 && self.msr & MSR_DELTAS != 0 {
            IIR_MS
        } else {
            IIR_NO_INT
        };
        let fifo = if self.fcr & FCR_FIFO_ENABLE != 0 { IIR_FIFO_ENABLED } else { 0 };
        self.iir = id | fifo;
        let level = id != IIR_NO_INT;
        if level != self.irq_level {
            self.irq_level = level;
            self.irq.set_level(level);
        }
    }

    fn receive(&mut self, b: u8) {
        let cap = if self.fcr & FCR_FIFO_ENABLE != 0 { FIFO_LEN } else { 1 };
        if self.rx.len() >= cap {
            self.lsr |= LSR_OE;
        } else {
            self.rx.push_back(b);
        }
        self.lsr |= LSR_DR;
    }

    fn room(&self) -> bool {
        let cap = if self.fcr & FCR_FIFO_ENABLE != 0 { FIFO_LEN } else { 1 };
        self.rx.len() < cap
    }

    fn transmit(&mut self, b: u8) {
        if self.mcr & MCR_LOOP != 0 {
            self.receive(b);
        } else {
            self.console.put(b);
        }
        // Transmission is instantaneous: THR and the shift register are empty again.
        self.lsr |= LSR_THRE | LSR_TEMT;
        self.thr_ipending = true;
    }

    fn read_reg(&mut self, reg: UartReg) -> u8 {
        let dlab = self.lcr & LCR_DLAB != 0;
        match reg {
            UartReg::Rbr if dlab => self.dll,
            UartReg::Rbr => {
                let b = self.rx.pop_front().unwrap_or(0);
                if self.rx.is_empty() {
                    self.lsr &= !LSR_DR;
                }
                self.update_irq();
                b
            }
            UartReg::Ier if dlab => self.dlm,
            UartReg::Ier => self.ier,
            UartReg::Iir => {
                let v = self.iir;
                // Reading IIR while it reports THR empty acknowledges it.
                if v & 0x0f == IIR_THRE {
                    self.thr_ipending = false;
                    self.update_irq();
                }
                v
            }
            UartReg::Lcr => self.lcr,
            UartReg::Mcr => self.mcr,
            UartReg::Lsr => {
                let v = self.lsr;
                // Error bits clear on read.
                self.lsr &= !LSR_ERRORS;
                self.update_irq();
                v
            }
            UartReg::Msr => {
                let v = self.msr;
                self.msr &= !MSR_DELTAS;
                self.update_irq();
                v
            }
            UartReg::Scr => self.scr,
        }
    }

    fn write_reg(&mut self, reg: UartReg, v: u8) {
        let dlab = self.lcr & LCR_DLAB != 0;
        match reg {
            UartReg::Rbr if dlab => self.dll = v,
            UartReg::Rbr => {
                self.thr_ipending = false;
                self.transmit(v);
            }
            UartReg::Ier if dlab => self.dlm = v,
            UartReg::Ier => {
                let old = self.ier;
                self.ier = v & 0x0f;
                // Enabling ETBEI while THR is empty owes an interrupt (as QEMU).
                if old & IER_ETBEI == 0 && self.ier & IER_ETBEI != 0 && self.lsr & LSR_THRE != 0 {
                    self.thr_ipending = true;
                }
            }
            UartReg::Iir => {
                if v & FCR_RX_RESET != 0 {
                    self.rx.clear();
                    self.lsr &= !(LSR_DR | LSR_OE);
                }
                self.fcr = v & 0xc9;
            }
            UartReg::Lcr => self.lcr = v,
            UartReg::Mcr => self.mcr = v & 0x1f,
            UartReg::Lsr | UartReg::Msr => {} // read-only (factory test / status)
            UartReg::Scr => self.scr = v,
        }
        self.update_irq();
    }
}

impl Device for Uart {
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError> {
        // Wider accesses see the byte register in the low byte, as on QEMU;
        // the rest of the range reads as zero.
        let _ = size;
        Ok(UartReg::at(offset).map_or(0, |r| u64::from(self.read_reg(r))))
    }

    fn write(&mut self, offset: u64, _size: u8, val: u64) -> Result<(), BusError> {
        if let Some(r) = UartReg::at(offset) {
            self.write_reg(r, val as u8);
        }
        Ok(())
    }

    fn poll(&mut self) {
        let mut got = false;
        while self.room() {
            let b = match &self.input {
                Input::None => break,
                Input::Stdin => lock(stdin_channel()).try_recv(),
                Input::Channel(rx) => rx.try_recv(),
            };
            match b {
                Ok(b) => {
                    self.receive(b);
                    got = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.input = Input::None;
                    break;
                }
            }
        }
        if got {
            self.update_irq();
        }
        self.console.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::SharedBuf;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::Sender;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Line(Arc<AtomicBool>);
    impl IrqLine for Line {
        fn set_level(&self, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }
    impl Line {
        fn up(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn uart() -> (Uart, SharedBuf, Line, Sender<u8>) {
        let out = SharedBuf::default();
        let line = Line::default();
        let (tx, rx) = mpsc::channel();
        let u = Uart::new(Console::new(Some(Box::new(out.clone()))), Input::Channel(rx), Box::new(line.clone()));
        (u, out, line, tx)
    }

    const LSR: u64 = UartReg::Lsr as u64;

    #[test]
    fn transmit_and_line_status() {
        let (mut u, out, line, _tx) = uart();
        assert_eq!(u.read(LSR, 1), Ok(u64::from(LSR_THRE | LSR_TEMT)));
        for &b in b"ok\n" {
            u.write(UartReg::Rbr as u64, 1, u64::from(b)).unwrap();
        }
        u.poll();
        assert_eq!(out.contents(), b"ok\n");
        assert!(!line.up(), "THR interrupt not enabled");
        assert_eq!(u.read(UartReg::Iir as u64, 1), Ok(u64::from(IIR_NO_INT)));
    }

    #[test]
    fn divisor_latch_and_scratch() {
        let (mut u, out, _, _tx) = uart();
        u.write(UartReg::Lcr as u64, 1, 0x83).unwrap();
        u.write(0, 1, 0x01).unwrap();
        u.write(1, 1, 0x02).unwrap();
        assert_eq!(u.read(0, 1), Ok(1));
        assert_eq!(u.read(1, 1), Ok(2));
        u.write(UartReg::Lcr as u64, 1, 0x03).unwrap();
        assert_eq!(u.read(UartReg::Ier as u64, 1), Ok(0), "IER untouched by DLM writes");
        u.write(UartReg::Scr as u64, 1, 0x5a).unwrap();
        assert_eq!(u.read(UartReg::Scr as u64, 1), Ok(0x5a));
        u.poll();
        assert!(out.contents().is_empty(), "DLL writes are not output");
    }

    #[test]
    fn receive_interrupt_and_fifo() {
        let (mut u, _, line, tx) = uart();
        u.write(UartReg::Iir as u64, 1, u64::from(FCR_FIFO_ENABLE)).unwrap();
        u.write(UartReg::Ier as u64, 1, u64::from(IER_ERBFI)).unwrap();
        assert!(!line.up());
        for &b in b"hey" {
            tx.send(b).unwrap();
        }
        u.poll();
        assert!(line.up());
        assert_eq!(u.read(UartReg::Iir as u64, 1), Ok(u64::from(IIR_FIFO_ENABLED | IIR_RDA)));
        assert_eq!(u.read(LSR, 1).unwrap() as u8 & LSR_DR, LSR_DR);
        let got: Vec<u8> = (0..3).map(|_| u.read(0, 1).unwrap() as u8).collect();
        assert_eq!(got, b"hey");
        assert_eq!(u.read(LSR, 1).unwrap() as u8 & LSR_DR, 0);
        assert!(!line.up());
        // More than 16 bytes wait in the channel, none are lost.
        for b in 0..20u8 {
            tx.send(b).unwrap();
        }
        u.poll();
        let first: Vec<u8> = (0..16).map(|_| u.read(0, 1).unwrap() as u8).collect();
        assert_eq!(first, (0..16).collect::<Vec<u8>>());
        u.poll();
        let rest: Vec<u8> = (0..4).map(|_| u.read(0, 1).unwrap() as u8).collect();
        assert_eq!(rest, (16..20).collect::<Vec<u8>>());
    }

    #[test]
    fn thr_empty_interrupt() {
        let (mut u, _, line, _tx) = uart();
        u.write(UartReg::Ier as u64, 1, u64::from(IER_ETBEI)).unwrap();
        assert!(line.up(), "enabling ETBEI with THR empty interrupts");
        assert_eq!(u.read(UartReg::Iir as u64, 1), Ok(u64::from(IIR_THRE)));
        assert!(!line.up(), "reading IIR acknowledges");
        u.write(0, 1, u64::from(b'x')).unwrap();
        assert!(line.up(), "THR empties again after the byte is sent");
        u.write(UartReg::Ier as u64, 1, 0).unwrap();
        assert!(!line.up());
    }

    #[test]
    fn loopback() {
        let (mut u, out, _, _tx) = uart();
        u.write(UartReg::Mcr as u64, 1, u64::from(MCR_LOOP)).unwrap();
        u.write(0, 1, u64::from(b'L')).unwrap();
        assert_eq!(u.read(0, 1), Ok(u64::from(b'L')));
        u.poll();
        assert!(out.contents().is_empty());
    }

    #[test]
    fn overrun_sets_oe() {
        let (mut u, _, _, tx) = uart();
        // FIFO off: one byte of room; the channel keeps the rest.
        tx.send(1).unwrap();
        u.poll();
        u.receive(2);
        assert_eq!(u.read(LSR, 1).unwrap() as u8 & LSR_OE, LSR_OE);
        assert_eq!(u.read(LSR, 1).unwrap() as u8 & LSR_OE, 0, "cleared by reading");
    }
}
