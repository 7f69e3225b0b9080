/*
 * Virtual-memory test body shared by rv64vm-sv39 and rv64vm-sv48 (define SV
 * as 39 or 48 before including). The test builds its page tables at run time:
 *
 *   VA 0x40000000 + 4K*i   4 KiB pages (L0 table), one per permission case
 *   VA 0x40200000          2 MiB megapage -> PA 0x80200000
 *   VA 0x40400000          misaligned megapage (PPN[0] != 0) -> page fault
 *   VA 0x80000000          1 GiB identity gigapage (S code and data, RWX)
 *   VA 0xC0000000          1 GiB alias of 0x80000000 with U=1 (U code)
 *   Sv48 only: VA 0x80_0000_0000 512 GiB terapage -> PA 0
 *
 * Snippets run in S or U with RUN_IN_MODE and end with ecall; faults are not
 * delegated, so the M handler records cause/tval/epc and resumes in M.
 */
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80
#define LEAF_RW (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

#define VA_PAGES 0x40000000
#define VA_PAGE(i) (VA_PAGES + (i) * 0x1000)
#define VA_MEGA 0x40200000
#define VA_MEGA_BAD 0x40400000
#define PA_MEGA 0x80200000
#define U_ALIAS 0x40000000 /* add to a code address to get its U-mode alias */

#if SV == 39
#define SATP_MODE (8 << 60)
#define TOP l2_table
#else
#define SATP_MODE (9 << 60)
#define TOP l3_table
#endif

/* table[idx] = PTE(pa in t0, flags); clobbers t0, t1 */
#define PTE_STORE(table, idx, flags) \
  srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags; la t1, table; li t2, (idx) * 8; add t1, t1, t2; sd t0, 0(t1)
#define MAP_SYM(table, idx, sym, flags) la t0, sym; PTE_STORE(table, idx, flags)
#define MAP_PA(table, idx, pa, flags) li t0, pa; PTE_STORE(table, idx, flags)
#define PTR(table, idx, next) la t0, next; PTE_STORE(table, idx, PTE_V)
#define LOAD_PTE(reg, table, idx) la t1, table; ld reg, ((idx) * 8)(t1)
#define FLUSH sfence.vma

/* S runs `ld a0, 0(a2); ecall`; check it traps with `cause` and tval == a2 */
#define S_FAULT(n, snippet, va, cause) \
  CASE(n) CLEAR_TRAP_RECORD; li a2, va; RUN_IN_MODE(PRV_S, snippet); EXPECT_MEM(trap_cause, cause); \
  ld t0, trap_tval; EXPECT_EQ(t0, a2)
#define S_OK(n, snippet, va) \
  CASE(n) CLEAR_TRAP_RECORD; li a2, va; RUN_IN_MODE(PRV_S, snippet); EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
#define U_RUN(n, snippet, va) \
  CASE(n) CLEAR_TRAP_RECORD; li a2, va; EXPECT_TRAP_AT(9301f); li a0, PRV_U; la a1, snippet; \
  li t0, U_ALIAS; add a1, a1, t0; j enter_mode; 9301:

TESTS_BEGIN
  /* ---------------- build the page tables ---------------- */
#if SV == 48
  PTR(l3_table, 0, l2_table)
  MAP_PA(l3_table, 1, 0, LEAF_RW | PTE_X)          /* terapage VA 512G -> PA 0 */
  MAP_PA(l3_table, 2, 0x40000000, LEAF_RW)         /* misaligned terapage */
#endif
  PTR(l2_table, 1, l1_table)
  MAP_PA(l2_table, 2, 0x80000000, LEAF_RW | PTE_X)
  MAP_PA(l2_table, 3, 0x80000000, LEAF_RW | PTE_X | PTE_U)
  MAP_PA(l2_table, 5, 0x80200000, LEAF_RW)          /* misaligned gigapage */
  PTR(l1_table, 0, l0_table)
  MAP_PA(l1_table, 1, PA_MEGA, LEAF_RW)
  MAP_PA(l1_table, 2, PA_MEGA + 0x1000, LEAF_RW)   /* misaligned megapage */
  MAP_SYM(l0_table, 0, page_a, LEAF_RW)
  MAP_SYM(l0_table, 1, page_b, PTE_V | PTE_R | PTE_A)
  MAP_SYM(l0_table, 2, page_u, LEAF_RW | PTE_U)
  MAP_SYM(l0_table, 3, xpage, PTE_V | PTE_X | PTE_A)
  MAP_SYM(l0_table, 4, page_b, PTE_V | PTE_W | PTE_A | PTE_D)   /* W without R: reserved */
  MAP_SYM(l0_table, 5, page_b, LEAF_RW & ~PTE_V)                /* invalid */
  MAP_SYM(l0_table, 6, page_ad, PTE_V | PTE_R | PTE_W)          /* A = D = 0 */
  MAP_SYM(l0_table, 7, page_a, LEAF_RW)                          /* alias of page_a, not executable */
  MAP_SYM(l0_table, 8, xpage, PTE_V | PTE_R | PTE_X | PTE_A | PTE_U)  /* user code page */
  MAP_SYM(l0_table, 9, page_b, PTE_V | PTE_X | PTE_W | PTE_A | PTE_D)   /* X+W without R: reserved */
  MAP_SYM(l0_table, 10, page_code, PTE_V | PTE_R | PTE_X | PTE_A)       /* executable view ... */
  MAP_SYM(l0_table, 11, page_code, LEAF_RW)                             /* ... and writable view */
  /* physical contents */
  la t0, page_a
  li t1, 0x1111111111111111
  sd t1, 0(t0)
  la t0, page_b
  li t1, 0x2222222222222222
  sd t1, 8(t0)
  la t0, page_u
  li t1, 0x3333333333333333
  sd t1, 16(t0)
  li t0, PA_MEGA + 0x1238
  li t1, 0x4444444444444444
  sd t1, 0(t0)
  la t0, TOP
  srli t0, t0, 12
  li t1, SATP_MODE
  or t0, t0, t1
  csrw satp, t0
  FLUSH
  /* satp reads back with the selected mode */
  CASE(2)
  csrr a0, satp
  srli a0, a0, 60
  EXPECT(a0, SATP_MODE >> 60)

  /* a write with an unsupported MODE has no effect at all (Privileged 4.1.11) */
  CASE(56)
  csrr a3, satp
  li t0, (7 << 60) | 0x1234
  csrw satp, t0
  csrr a0, satp
  EXPECT_EQ(a0, a3)

  /* ---------------- translation ---------------- */
  S_OK(3, s_load, VA_PAGE(0))
  EXPECT(a0, 0x1111111111111111)
  S_OK(4, s_load, VA_PAGE(1) + 8)
  EXPECT(a0, 0x2222222222222222)
  /* store through a VA lands at the PA; the alias VA sees it */
  CASE(5)
  li a3, 0x5555aaaa5555aaaa
  S_OK(6, s_store, VA_PAGE(0) + 0x100)
  la t0, page_a
  ld a0, 0x100(t0)
  EXPECT(a0, 0x5555aaaa5555aaaa)
  S_OK(7, s_load, VA_PAGE(7) + 0x100)
  EXPECT(a0, 0x5555aaaa5555aaaa)
  /* megapage and gigapage alias */
  S_OK(8, s_load, VA_MEGA + 0x1238)
  EXPECT(a0, 0x4444444444444444)
  CASE(9)
  la a4, page_a
  li t0, U_ALIAS
  add a4, a4, t0
  CLEAR_TRAP_RECORD
  mv a2, a4
  RUN_IN_MODE(PRV_S, s_load_sum)        /* the U alias needs SUM from S */
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x1111111111111111)
#if SV == 48
  /* terapage: VA 0x80_0000_0000 + PA */
  CASE(10)
  la a2, page_u
  li t0, 0x8000000000
  add a2, a2, t0
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_S, s_load_off16)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x3333333333333333)
#endif

  /* ---------------- page faults ---------------- */
  S_FAULT(11, s_load, VA_PAGE(5), CAUSE_LOAD_PAGE)              /* invalid PTE */
  EXPECT_MEM_ADDR(trap_epc, s_load)
  S_FAULT(12, s_store, VA_PAGE(5) + 8, CAUSE_STORE_PAGE)
  S_FAULT(13, s_store, VA_PAGE(1) + 16, CAUSE_STORE_PAGE)       /* read-only page */
  EXPECT_MEM_ADDR(trap_epc, s_store)
  S_FAULT(14, s_load, VA_PAGE(4), CAUSE_LOAD_PAGE)              /* W without R */
  S_FAULT(15, s_store, VA_PAGE(4), CAUSE_STORE_PAGE)
  S_FAULT(16, s_load, VA_PAGE(9), CAUSE_LOAD_PAGE)              /* X+W without R */
  S_FAULT(17, s_load, VA_MEGA_BAD + 8, CAUSE_LOAD_PAGE)         /* misaligned superpage */
  S_FAULT(18, s_amo, VA_PAGE(1), CAUSE_STORE_PAGE)              /* AMO to read-only: store fault */
  S_FAULT(19, s_load, 0x100000000, CAUSE_LOAD_PAGE)             /* L2 entry 4: not mapped */
  S_FAULT(53, s_load, 0x140000000 + 0x200000, CAUSE_LOAD_PAGE)  /* misaligned gigapage */
  S_FAULT(54, s_store, 0x140000008, CAUSE_STORE_PAGE)
#if SV == 48
  S_FAULT(55, s_load, 0x10000000000 + 0x80000000, CAUSE_LOAD_PAGE)  /* misaligned terapage */
#endif
  /* fault address is the exact byte address, not the page */
  S_FAULT(20, s_load, VA_PAGE(5) + 0x7f8, CAUSE_LOAD_PAGE)
  /* non-canonical addresses */
#if SV == 39
  S_FAULT(21, s_load, 0x0000008000000000, CAUSE_LOAD_PAGE)
  S_FAULT(22, s_store, 0x8000000040000000, CAUSE_STORE_PAGE)
#else
  S_FAULT(21, s_load, 0x0000800000000000, CAUSE_LOAD_PAGE)
  S_FAULT(22, s_store, 0x8000000040000000, CAUSE_STORE_PAGE)
#endif
  /* rd is not written by a faulting load */
  CASE(23)
  li a4, 0x99
  S_FAULT(24, s_load_a4, VA_PAGE(5), CAUSE_LOAD_PAGE)
  EXPECT(a4, 0x99)

  /* ---------------- execute permission ---------------- */
  /* X-only page: executable from S */
  CASE(25)
  CLEAR_TRAP_RECORD
  li a2, VA_PAGE(3)
  RUN_IN_MODE(PRV_S, s_call)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x77)
  /* fetch from a non-executable page: cause 12, epc = tval = target */
  S_FAULT(26, s_call, VA_PAGE(7), CAUSE_FETCH_PAGE)
  EXPECT_MEM(trap_epc, VA_PAGE(7))
  S_FAULT(27, s_call, VA_PAGE(5), CAUSE_FETCH_PAGE)             /* invalid */
  EXPECT_MEM(trap_epc, VA_PAGE(5))
  /* X-only page is not readable ... */
  S_FAULT(28, s_load, VA_PAGE(3), CAUSE_LOAD_PAGE)
  /* ... unless MXR */
  li t0, MSTATUS_MXR
  csrs mstatus, t0
  S_OK(29, s_lwu, VA_PAGE(3))
  EXPECT(a0, 0x07700513)             /* li a0, 0x77 */
  li t0, MSTATUS_MXR
  csrc mstatus, t0

  /* ---------------- U bit and SUM ---------------- */
  S_FAULT(30, s_load, VA_PAGE(2) + 16, CAUSE_LOAD_PAGE)         /* S load of U page, SUM = 0 */
  S_FAULT(31, s_store, VA_PAGE(2) + 16, CAUSE_STORE_PAGE)
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  S_OK(32, s_load, VA_PAGE(2) + 16)
  EXPECT(a0, 0x3333333333333333)
  S_FAULT(33, s_call, VA_PAGE(8), CAUSE_FETCH_PAGE)             /* S never executes U pages */
  li t0, MSTATUS_SUM
  csrc mstatus, t0
  /* U mode: code at the U alias, can touch U pages, not S pages */
  U_RUN(34, u_load, VA_PAGE(2) + 16)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  EXPECT(a0, 0x3333333333333333)
  U_RUN(35, u_load, VA_PAGE(0))
  EXPECT_MEM(trap_cause, CAUSE_LOAD_PAGE)
  EXPECT_MEM(trap_tval, VA_PAGE(0))
  EXPECT_MEM(trap_prv, PRV_U)
  U_RUN(36, u_call, VA_PAGE(8))                                 /* U executes a U|X page */
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  EXPECT(a0, 0x77)
  U_RUN(37, u_call, VA_PAGE(3))                                 /* but not an S page */
  EXPECT_MEM(trap_cause, CAUSE_FETCH_PAGE)
  EXPECT_MEM(trap_tval, VA_PAGE(3))
  /* U code at the identity (non-U) mapping faults on fetch */
  CASE(38)
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_U, u_load)
  EXPECT_MEM(trap_cause, CAUSE_FETCH_PAGE)
  EXPECT_MEM_ADDR(trap_tval, u_load)

  /* ---------------- A and D set by the implementation ---------------- */
  CASE(39)
  LOAD_PTE(a5, l0_table, 6)
  andi a5, a5, PTE_A | PTE_D
  EXPECT(a5, 0)
  S_OK(40, s_load, VA_PAGE(6))
  LOAD_PTE(a5, l0_table, 6)
  andi a5, a5, PTE_A | PTE_D
  EXPECT(a5, PTE_A)
  li a3, 0x1234
  S_OK(41, s_store, VA_PAGE(6) + 8)
  LOAD_PTE(a5, l0_table, 6)
  andi a5, a5, PTE_A | PTE_D
  EXPECT(a5, PTE_A | PTE_D)
  CASE(42)
  la t0, page_ad
  ld a0, 8(t0)
  EXPECT(a0, 0x1234)

  /* ---------------- sfence.vma: remapping takes effect ---------------- */
  S_OK(43, s_load, VA_PAGE(0))          /* warm any TLB */
  EXPECT(a0, 0x1111111111111111)
  MAP_SYM(l0_table, 0, page_b, LEAF_RW)
  CASE(44)
  CLEAR_TRAP_RECORD
  li a2, VA_PAGE(0) + 8
  RUN_IN_MODE(PRV_S, s_sfence_load)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x2222222222222222)
  /* invalidate the mapping, sfence by address, then the access faults */
  MAP_SYM(l0_table, 0, page_b, 0)
  CASE(45)
  CLEAR_TRAP_RECORD
  li a2, VA_PAGE(0) + 8
  RUN_IN_MODE(PRV_S, s_sfence_addr_load)
  EXPECT_MEM(trap_cause, CAUSE_LOAD_PAGE)
  MAP_SYM(l0_table, 0, page_a, LEAF_RW)
  FLUSH

  /* ---------------- self-modifying code through a virtual alias ---------------- */
  CASE(49)
  CLEAR_TRAP_RECORD
  li a2, VA_PAGE(11)
  li a3, VA_PAGE(10)
  RUN_IN_MODE(PRV_S, s_smc)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a4, 11)
  EXPECT(a5, 22)

  /* ---------------- page faults delegated to S: scause/stval/sepc ---------------- */
  CASE(50)
  CLEAR_TRAP_RECORD
  li t0, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE) | (1 << CAUSE_FETCH_PAGE)
  csrw medeleg, t0
  la t0, s_ecall
  la t1, strap_resume
  sd t0, 0(t1)
  li a2, VA_PAGE(5) + 0x10
  RUN_IN_MODE(PRV_S, s_load)
  EXPECT_MEM(strap_cause, CAUSE_LOAD_PAGE)
  EXPECT_MEM(strap_tval, VA_PAGE(5) + 0x10)
  EXPECT_MEM_ADDR(strap_epc, s_load)
  EXPECT_MEM(strap_prv, PRV_S)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT_MEM(trap_count, 1)
  CASE(51)
  CLEAR_TRAP_RECORD
  la t0, s_ecall
  la t1, strap_resume
  sd t0, 0(t1)
  li a2, VA_PAGE(2)
  U_RUN(52, u_call, VA_PAGE(3))
  EXPECT_MEM(strap_cause, CAUSE_FETCH_PAGE)
  EXPECT_MEM(strap_tval, VA_PAGE(3))
  EXPECT_MEM(strap_epc, VA_PAGE(3))
  EXPECT_MEM(strap_prv, PRV_U)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  csrw medeleg, zero

  /* ---------------- MPRV: M loads/stores with MPP's translation ---------------- */
  CASE(46)
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (PRV_S << 11) | MSTATUS_MPRV
  csrs mstatus, t0
  li a2, VA_MEGA + 0x1238
  ld a0, 0(a2)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  EXPECT(a0, 0x4444444444444444)
  /* M fetches are never translated: we kept running at identity addresses with MPRV set */
  CASE(47)
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a2, VA_MEGA + 0x1238                  /* MPP = M: no translation, PA 0x40201238 is unmapped */
  EXPECT_TRAP_AT(1f)
  ld a0, 0(a2)
  j fail
1: li t0, MSTATUS_MPRV
  csrc mstatus, t0
  EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)

  /* ---------------- bare mode again ---------------- */
  CASE(48)
  csrw satp, zero
  FLUSH
  CLEAR_TRAP_RECORD
  la a2, page_a
  RUN_IN_MODE(PRV_S, s_load)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x1111111111111111)
  j pass

  /* ---------------- snippets ---------------- */
s_load: ld a0, 0(a2); ecall
s_lwu: lwu a0, 0(a2); ecall
s_ecall: ecall
s_load_a4: ld a4, 0(a2); ecall
s_load_off16: ld a0, 16(a2); ecall
s_store: sd a3, 0(a2); ecall
s_amo: amoadd.d a0, a3, (a2); ecall
s_call: jalr ra, 0(a2); ecall
s_load_sum: li t0, MSTATUS_SUM; csrs sstatus, t0; ld a0, 0(a2); csrc sstatus, t0; ecall
s_sfence_load: sfence.vma; ld a0, 0(a2); ecall
s_sfence_addr_load: sfence.vma a2, zero; ld a0, 0(a2); ecall
u_load: ld a0, 0(a2); ecall
  /* write "li a0, 11; ret" via the RW view, run it via the X view, patch to 22, run again */
s_smc:
  li t0, 0x00b00513
  sw t0, 0(a2)
  li t0, 0x00008067
  sw t0, 4(a2)
  fence.i
  jalr ra, 0(a3)
  mv a4, a0
  li t0, 0x01600513
  sw t0, 0(a2)
  fence.i
  jalr ra, 0(a3)
  mv a5, a0
  ecall
u_call: jalr ra, 0(a2); ecall

  .align 12
xpage:
  li a0, 0x77
  ret
  .align 12
TESTS_END

DATA_BEGIN
  .align 12
l3_table: .skip 4096
l2_table: .skip 4096
l1_table: .skip 4096
l0_table: .skip 4096
page_a: .skip 4096
page_b: .skip 4096
page_u: .skip 4096
page_ad: .skip 4096
page_code: .skip 4096
DATA_END
