//! The machine: bus, RAM, devices, the `spike` and `virt` boards, ELF loading
//! and the device tree.
