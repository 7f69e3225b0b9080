//! The CSR table: name, access predicate, read and write for every CSR
//! (Privileged spec ch. 2 and 3, Unprivileged spec ch. 9 and 11.2).
