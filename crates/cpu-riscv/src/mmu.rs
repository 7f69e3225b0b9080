//! Address translation (Sv39, Sv48; Privileged spec 4.3-4.5) and PMP (3.7).
