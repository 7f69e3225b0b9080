"""Reference IEEE 754 model for the FP test generator (exact rationals).

Implements RISC-V F/D semantics: five rounding modes, tininess detected after
rounding, canonical NaN results, NV/DZ/OF/UF/NX flags."""
from fractions import Fraction as Q
import math

NV, DZ, OF, UF, NX = 0x10, 0x08, 0x04, 0x02, 0x01
RNE, RTZ, RDN, RUP, RMM = "rne", "rtz", "rdn", "rup", "rmm"


class Fmt:
    def __init__(self, ebits, mbits):
        self.e, self.m = ebits, mbits
        self.bias = (1 << (ebits - 1)) - 1
        self.emin = 1 - self.bias
        self.emax = self.bias
        self.p = mbits + 1
        self.width = 1 + ebits + mbits
        self.qnan = ((1 << ebits) - 1) << mbits | (1 << (mbits - 1))
        self.inf = ((1 << ebits) - 1) << mbits
        self.sign = 1 << (ebits + mbits)


S = Fmt(8, 23)
D = Fmt(11, 52)


def is_nan(f, b):
    return (b & ~f.sign) > f.inf


def is_snan(f, b):
    return is_nan(f, b) and not (b >> (f.m - 1)) & 1


def is_inf(f, b):
    return (b & ~f.sign) == f.inf


def neg(f, b):
    return b & f.sign != 0


def value(f, b):
    """Exact rational of a finite encoding (zero is Q(0); sign of zero via neg())."""
    e = (b >> f.m) & ((1 << f.e) - 1)
    frac = b & ((1 << f.m) - 1)
    if e == 0:
        v = Q(frac) * Q(2) ** (f.emin - f.m)
    else:
        v = Q(frac + (1 << f.m)) * Q(2) ** (e - f.bias - f.m)
    return -v if neg(f, b) else v


def round_int(x, mode, negative):
    """Round non-negative rational x to an integer under mode (sign given for directed modes)."""
    fl = x.numerator // x.denominator
    rem = x - fl
    if rem == 0:
        return fl
    if mode == RTZ:
        return fl
    if mode == RDN:
        return fl + 1 if negative else fl
    if mode == RUP:
        return fl if negative else fl + 1
    half = Q(1, 2)
    if rem > half:
        return fl + 1
    if rem < half:
        return fl
    if mode == RMM:
        return fl + 1
    return fl if fl % 2 == 0 else fl + 1


def ilog2(x):
    """floor(log2(x)) for positive rational x."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Q(2) ** e > x:
        e -= 1
    while Q(2) ** (e + 1) <= x:
        e += 1
    return e


def round_to(f, x, mode, zero_neg=False):
    """Round exact rational x into format f. Returns (bits, flags)."""
    if x == 0:
        return (f.sign if zero_neg else 0), 0
    negative = x < 0
    a = -x if negative else x
    sgn = f.sign if negative else 0
    e_unb = ilog2(a)
    # tininess after rounding: round with unbounded exponent range
    m_unb = round_int(a / Q(2) ** (e_unb - f.m), mode, negative)
    r_unb = Q(m_unb) * Q(2) ** (e_unb - f.m)
    tiny = r_unb < Q(2) ** f.emin
    e = max(e_unb, f.emin)
    m = round_int(a / Q(2) ** (e - f.m), mode, negative)
    if m == 1 << f.p:
        m >>= 1
        e += 1
    flags = 0
    inexact = Q(m) * Q(2) ** (e - f.m) != a
    if inexact:
        flags |= NX
    if e > f.emax:
        flags |= OF | NX
        to_inf = mode in (RNE, RMM) or (mode == RUP and not negative) or (mode == RDN and negative)
        if to_inf:
            return sgn | f.inf, flags
        return sgn | (f.inf - 1), flags
    if tiny and inexact:
        flags |= UF
    if m < 1 << f.m:
        return sgn | m, flags
    return sgn | ((e + f.bias) << f.m) | (m - (1 << f.m)), flags


def nan_in(f, *bs):
    return any(is_nan(f, b) for b in bs)


def snan_in(f, *bs):
    return any(is_snan(f, b) for b in bs)


def add(f, a, b, mode, sub=False):
    if sub:
        b ^= f.sign
    if nan_in(f, a, b):
        return f.qnan, NV if snan_in(f, a, b) else 0
    if is_inf(f, a) and is_inf(f, b):
        if neg(f, a) != neg(f, b):
            return f.qnan, NV
        return a, 0
    if is_inf(f, a):
        return a, 0
    if is_inf(f, b):
        return b, 0
    s = value(f, a) + value(f, b)
    if s == 0:
        if value(f, a) == 0 and value(f, b) == 0 and neg(f, a) == neg(f, b):
            return round_to(f, s, mode, neg(f, a))
        return round_to(f, s, mode, mode == RDN)
    return round_to(f, s, mode)


def mul(f, a, b, mode):
    if nan_in(f, a, b):
        return f.qnan, NV if snan_in(f, a, b) else 0
    sg = neg(f, a) != neg(f, b)
    if is_inf(f, a) or is_inf(f, b):
        if value_zero(f, a) or value_zero(f, b):
            return f.qnan, NV
        return (f.sign if sg else 0) | f.inf, 0
    return round_to(f, value(f, a) * value(f, b), mode, sg)


def value_zero(f, b):
    return not is_inf(f, b) and not is_nan(f, b) and value(f, b) == 0


def div(f, a, b, mode):
    if nan_in(f, a, b):
        return f.qnan, NV if snan_in(f, a, b) else 0
    sg = neg(f, a) != neg(f, b)
    sbit = f.sign if sg else 0
    if is_inf(f, a):
        if is_inf(f, b):
            return f.qnan, NV
        return sbit | f.inf, 0
    if is_inf(f, b):
        return sbit, 0
    if value_zero(f, b):
        if value_zero(f, a):
            return f.qnan, NV
        return sbit | f.inf, DZ
    return round_to(f, value(f, a) / value(f, b), mode, sg)


def sqrt(f, a, mode):
    if is_nan(f, a):
        return f.qnan, NV if is_snan(f, a) else 0
    if value_zero(f, a):
        return a, 0
    if neg(f, a):
        return f.qnan, NV
    if is_inf(f, a):
        return a, 0
    v = value(f, a)
    # integer square root of v scaled to ~2p+20 bits, with a sticky bit when inexact
    k = 2 * (f.p + 10) - ilog2(v)
    k += k & 1
    n = v * Q(2) ** k
    r = math.isqrt(n.numerator // n.denominator)
    exact = n.denominator == 1 and r * r == n.numerator
    root = Q(r) / Q(2) ** (k // 2)
    if not exact:
        root += Q(1) / Q(2) ** (k // 2 + 1)
    return round_to(f, root, mode)


def fma(f, a, b, c, mode, neg_prod=False, neg_add=False):
    if neg_prod:
        a ^= f.sign
    if neg_add:
        c ^= f.sign
    inf_zero = (is_inf(f, a) and value_zero(f, b)) or (is_inf(f, b) and value_zero(f, a))
    if inf_zero:
        return f.qnan, NV
    if nan_in(f, a, b, c):
        return f.qnan, NV if snan_in(f, a, b, c) else 0
    psg = neg(f, a) != neg(f, b)
    if is_inf(f, a) or is_inf(f, b):
        if is_inf(f, c) and neg(f, c) != psg:
            return f.qnan, NV
        return (f.sign if psg else 0) | f.inf, 0
    if is_inf(f, c):
        return c, 0
    p = value(f, a) * value(f, b)
    s = p + value(f, c)
    if s == 0:
        if p == 0 and value(f, c) == 0 and psg == neg(f, c):
            return round_to(f, s, mode, psg)
        return round_to(f, s, mode, mode == RDN)
    return round_to(f, s, mode)


def minmax(f, a, b, is_max):
    fl = NV if snan_in(f, a, b) else 0
    if is_nan(f, a) and is_nan(f, b):
        return f.qnan, fl
    if is_nan(f, a):
        return b, fl
    if is_nan(f, b):
        return a, fl
    va = Q(0) if value_zero(f, a) else (value(f, a) if not is_inf(f, a) else None)
    key = lambda x: (float("inf") if not neg(f, x) else float("-inf")) if is_inf(f, x) else value(f, x)
    ka, kb = key(a), key(b)
    if ka == kb:  # equal values: only zeros differ in sign
        if is_max:
            return (a if not neg(f, a) else b), fl
        return (a if neg(f, a) else b), fl
    if is_max:
        return (a if ka > kb else b), fl
    return (a if ka < kb else b), fl


def cmp(f, a, b, op):
    if nan_in(f, a, b):
        if op == "eq":
            return 0, NV if snan_in(f, a, b) else 0
        return 0, NV
    key = lambda x: (float("inf") if not neg(f, x) else float("-inf")) if is_inf(f, x) else value(f, x)
    ka, kb = key(a), key(b)
    return int({"eq": ka == kb, "lt": ka < kb, "le": ka <= kb}[op]), 0


def fclass(f, a):
    e = (a >> f.m) & ((1 << f.e) - 1)
    frac = a & ((1 << f.m) - 1)
    n = neg(f, a)
    if is_inf(f, a):
        return 1 << 0 if n else 1 << 7
    if is_nan(f, a):
        return 1 << 8 if is_snan(f, a) else 1 << 9
    if e == 0 and frac == 0:
        return 1 << 3 if n else 1 << 4
    if e == 0:
        return 1 << 2 if n else 1 << 5
    return 1 << 1 if n else 1 << 6


def to_int(f, a, mode, bits, signed):
    """fcvt.{w,wu,l,lu}: returns (64-bit register value, flags)."""
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    if is_nan(f, a):
        r, fl = hi, NV
    elif is_inf(f, a):
        r, fl = (lo if neg(f, a) else hi), NV
    else:
        v = value(f, a)
        n = v < 0
        m = round_int(-v if n else v, mode, n)
        r = -m if n else m
        fl = NX if Q(r) != v else 0
        if r < lo or r > hi:
            r, fl = (lo if r < lo else hi), NV
    # 32-bit results are sign-extended to 64 bits, for wu too
    if bits == 32:
        r &= 0xffffffff
        if r >> 31:
            r |= 0xffffffff00000000
    return r & 0xffffffffffffffff, fl


def from_int(f, v, mode):
    return round_to(f, Q(v), mode)


def convert(fsrc, fdst, a, mode):
    if is_nan(fsrc, a):
        return fdst.qnan, NV if is_snan(fsrc, a) else 0
    if is_inf(fsrc, a):
        return (fdst.sign if neg(fsrc, a) else 0) | fdst.inf, 0
    return round_to(fdst, value(fsrc, a), mode, neg(fsrc, a))
