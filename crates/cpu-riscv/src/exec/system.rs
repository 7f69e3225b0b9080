//! ecall/ebreak and the privileged instructions (Privileged spec 3.3, 4.2.1).

use super::not_implemented;

not_implemented!(ecall, ebreak, sret, mret, wfi, sfence_vma,);
