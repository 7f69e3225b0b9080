//! How the execution thread serves the monitor's requests (run control,
//! registers, memory reads, translations, traps, engine info, ROMs), and the
//! register text `info registers` prints.

use cpu_riscv::Hart;

use crate::control::{Envelope, EventKind, Reply, Request, RunState};
use crate::{Machine, RunExit};

impl Machine {
    /// Serve one request on the execution thread, at an instruction boundary.
    pub(crate) fn serve(&mut self, env: Envelope) -> Option<RunExit> {
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
