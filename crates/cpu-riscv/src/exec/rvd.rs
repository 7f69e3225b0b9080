//! D: double-precision floating point (Unprivileged spec ch. 12).

use super::not_implemented;

not_implemented!(
    fld, fsd, fmadd_d, fmsub_d, fnmsub_d, fnmadd_d, fadd_d, fsub_d, fmul_d, fdiv_d, fsqrt_d, fsgnj_d, fsgnjn_d,
    fsgnjx_d, fmin_d, fmax_d, fcvt_s_d, fcvt_d_s, feq_d, flt_d, fle_d, fclass_d, fcvt_w_d, fcvt_wu_d, fcvt_l_d,
    fcvt_lu_d, fmv_x_d, fcvt_d_w, fcvt_d_wu, fcvt_d_l, fcvt_d_lu, fmv_d_x,
);
