//! Floating-point helpers shared by the F and D handlers: rounding modes,
//! fflags, NaN-boxing, canonical NaNs (Unprivileged spec ch. 11, 12).
