/* IEEE-754 double helpers for a soft-float kernel: the only floating point in the kernel is the Swift
   standard library's hash-table capacity maths (Dictionary/Set), compiled to calls to these.
   Round to nearest, ties to even. Subnormal inputs and results are flushed to zero (none of the values
   involved is anywhere near 1e-308). NaN and infinity are handled. */
#include <stdint.h>

#define SIGN_BIT 0x8000000000000000ULL
#define FRAC_MASK 0x000FFFFFFFFFFFFFULL
#define HIDDEN_BIT 0x0010000000000000ULL
#define QUIET_NAN 0x7FF8000000000000ULL
#define INFINITY_BITS 0x7FF0000000000000ULL

typedef union { double d; uint64_t u; } double_bits;

/* The empty asm hides the value from the optimiser; without it, integer tests on the bits can be
   folded back into floating-point compares, which compile to calls to these very functions. */
static inline uint64_t bits_of(double d) { double_bits b; b.d = d; __asm__("" : "+r"(b.u)); return b.u; }
static inline double double_of(uint64_t u) { double_bits b; b.u = u; return b.d; }

static inline int exponent_of(uint64_t u) { return (int)((u >> 52) & 0x7FF); }
static inline int is_nan(uint64_t u) { return exponent_of(u) == 0x7FF && (u & FRAC_MASK); }
static inline int is_infinite(uint64_t u) { return exponent_of(u) == 0x7FF && !(u & FRAC_MASK); }
static inline int is_zero(uint64_t u) { return exponent_of(u) == 0; }   /* subnormals count as zero */
static inline uint64_t significand(uint64_t u) { return (u & FRAC_MASK) | HIDDEN_BIT; }

/* Packs sign * mantissa * 2^power (mantissa != 0, `sticky` = nonzero bits already shifted out). */
static uint64_t pack(uint64_t sign, int power, uint64_t mantissa, int sticky) {
    int lead = 63 - __builtin_clzll(mantissa);
    if (lead < 63) { mantissa <<= (63 - lead); power -= (63 - lead); }   /* leading one to bit 63 */
    int biased = power + 63 + 1023;
    uint64_t kept = mantissa >> 11, rest = mantissa & 0x7FF;
    if (sticky) rest |= 1;
    if (rest > 0x400 || (rest == 0x400 && (kept & 1))) {
        kept++;
        if (kept == (HIDDEN_BIT << 1)) { kept >>= 1; biased++; }
    }
    if (biased >= 0x7FF) return sign | INFINITY_BITS;
    if (biased <= 0) return sign;                        /* flush to zero */
    return sign | ((uint64_t)biased << 52) | (kept & FRAC_MASK);
}

double __floatdidf(int64_t a) {
    if (a == 0) return 0.0;
    uint64_t sign = a < 0 ? SIGN_BIT : 0;
    uint64_t magnitude = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    return double_of(pack(sign, 0, magnitude, 0));
}

/* Truncates toward zero; out-of-range values saturate and NaN gives 0 (as on most targets' libgcc). */
int64_t __fixdfdi(double a) {
    uint64_t u = bits_of(a);
    if (is_nan(u)) return 0;
    int power = exponent_of(u) - 1075;                   /* value = significand * 2^power */
    if (exponent_of(u) < 1023) return 0;                 /* |a| < 1 */
    if (power >= 11) return (u & SIGN_BIT) ? INT64_MIN : INT64_MAX;
    uint64_t m = significand(u);
    m = power >= 0 ? m << power : m >> -power;
    return (u & SIGN_BIT) ? -(int64_t)m : (int64_t)m;
}

double __muldf3(double a, double b) {
    uint64_t x = bits_of(a), y = bits_of(b), sign = (x ^ y) & SIGN_BIT;
    if (is_nan(x) || is_nan(y)) return double_of(QUIET_NAN);
    if (is_infinite(x) || is_infinite(y))
        return double_of((is_zero(x) || is_zero(y)) ? QUIET_NAN : sign | INFINITY_BITS);
    if (is_zero(x) || is_zero(y)) return double_of(sign);
    unsigned __int128 product = (unsigned __int128)significand(x) * significand(y);   /* < 2^106 */
    uint64_t high = (uint64_t)(product >> 42), low = (uint64_t)product & ((1ULL << 42) - 1);
    int power = (exponent_of(x) - 1075) + (exponent_of(y) - 1075) + 42;
    return double_of(pack(sign, power, high, low != 0));
}

double __divdf3(double a, double b) {
    uint64_t x = bits_of(a), y = bits_of(b), sign = (x ^ y) & SIGN_BIT;
    if (is_nan(x) || is_nan(y)) return double_of(QUIET_NAN);
    if (is_infinite(x)) return double_of(is_infinite(y) ? QUIET_NAN : sign | INFINITY_BITS);
    if (is_infinite(y)) return double_of(sign);
    if (is_zero(y)) return double_of(is_zero(x) ? QUIET_NAN : sign | INFINITY_BITS);
    if (is_zero(x)) return double_of(sign);
    /* Long division: quotient = floor(mx / my * 2^63), remainder kept as the sticky bit. */
    uint64_t remainder = significand(x), divisor = significand(y), quotient = 0;
    for (int i = 0; i < 64; i++) {
        quotient <<= 1;
        if (remainder >= divisor) { remainder -= divisor; quotient |= 1; }
        remainder <<= 1;
    }
    int power = exponent_of(x) - exponent_of(y) - 63;
    return double_of(pack(sign, power, quotient, remainder != 0));
}

/* Total order on non-NaN doubles, as signed integers; +0 == -0. `unordered` is returned for NaN. */
static int compare(double a, double b, int unordered) {
    uint64_t x = bits_of(a), y = bits_of(b);
    if (is_nan(x) || is_nan(y)) return unordered;
    if (((x | y) & ~SIGN_BIT) == 0) return 0;
    int64_t sx = (x & SIGN_BIT) ? -(int64_t)(x & ~SIGN_BIT) : (int64_t)x;
    int64_t sy = (y & SIGN_BIT) ? -(int64_t)(y & ~SIGN_BIT) : (int64_t)y;
    return sx < sy ? -1 : sx > sy ? 1 : 0;
}
/* The libgcc contract: eq/ne/lt/le return nonzero / positive for NaN, gt/ge negative. */
int __eqdf2(double a, double b) { return compare(a, b, 1); }
int __ltdf2(double a, double b) { return compare(a, b, 1); }
int __gtdf2(double a, double b) { return compare(a, b, -1); }
int __unorddf2(double a, double b) { return is_nan(bits_of(a)) || is_nan(bits_of(b)); }

double ceil(double a) {
    uint64_t u = bits_of(a);
    int e = exponent_of(u) - 1023;
    if (e >= 52) return a;                               /* already integral, or inf/NaN */
    if (e < 0) {                                         /* |a| < 1 */
        if ((u & ~SIGN_BIT) == 0 || (u & SIGN_BIT)) return double_of(u & SIGN_BIT);
        return 1.0;
    }
    uint64_t fraction = FRAC_MASK >> e;
    if ((u & fraction) == 0) return a;
    if (!(u & SIGN_BIT)) u += fraction + 1;              /* a carry into the exponent is correct */
    return double_of(u & ~fraction);
}
