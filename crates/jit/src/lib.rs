//! The dynasmrt x86-64 block translator (issue: the JIT). Empty until then.
