//! Zicsr: CSR instructions (Unprivileged spec ch. 9).

use super::not_implemented;

not_implemented!(csrrw, csrrs, csrrc, csrrwi, csrrsi, csrrci,);
