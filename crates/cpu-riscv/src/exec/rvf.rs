//! F: single-precision floating point (Unprivileged spec ch. 11).

use super::not_implemented;

not_implemented!(
    flw, fsw, fmadd_s, fmsub_s, fnmsub_s, fnmadd_s, fadd_s, fsub_s, fmul_s, fdiv_s, fsqrt_s, fsgnj_s, fsgnjn_s,
    fsgnjx_s, fmin_s, fmax_s, fcvt_w_s, fcvt_wu_s, fcvt_l_s, fcvt_lu_s, fmv_x_w, fclass_s, feq_s, flt_s, fle_s,
    fcvt_s_w, fcvt_s_wu, fcvt_s_l, fcvt_s_lu, fmv_w_x,
);
