//! M: multiply and divide (Unprivileged spec ch. 7).

use super::not_implemented;

not_implemented!(mul, mulh, mulhsu, mulhu, div, divu, rem, remu, mulw, divw, divuw, remw, remuw,);
