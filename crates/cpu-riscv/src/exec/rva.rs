//! A: LR/SC and AMOs (Unprivileged spec ch. 8).

use super::not_implemented;

not_implemented!(
    lr_w, sc_w, amoswap_w, amoadd_w, amoxor_w, amoand_w, amoor_w, amomin_w, amomax_w, amominu_w, amomaxu_w, lr_d, sc_d,
    amoswap_d, amoadd_d, amoxor_d, amoand_d, amoor_d, amomin_d, amomax_d, amominu_d, amomaxu_d,
);
