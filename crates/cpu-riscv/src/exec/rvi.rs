//! RV64I base integer instructions and Zifencei (Unprivileged spec ch. 2, 5).

use super::not_implemented;

not_implemented!(
    lui, auipc, jal, jalr, beq, bne, blt, bge, bltu, bgeu, lb, lh, lw, ld, lbu, lhu, lwu, sb, sh, sw, sd, addi, slti,
    sltiu, xori, ori, andi, slli, srli, srai, add, sub, sll, slt, sltu, xor, srl, sra, or, and, fence, addiw, slliw,
    srliw, sraiw, addw, subw, sllw, srlw, sraw, fence_i,
);
