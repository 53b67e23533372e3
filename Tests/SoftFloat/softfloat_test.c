/* Differential test of Boot/softfloat.c against the host's FPU: random and edge-case operands, every
   helper, bit-exact results (subnormals excluded: the kernel's helpers flush them to zero by design).
   Built and run by Tests/SoftFloat/run.sh; the helpers are renamed so they do not clash with libgcc. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

double sf_floatdidf(int64_t); int64_t sf_fixdfdi(double); double sf_muldf3(double, double);
double sf_divdf3(double, double); int sf_eqdf2(double, double); int sf_ltdf2(double, double);
int sf_gtdf2(double, double); int sf_unorddf2(double, double); double sf_ceil(double);

static uint64_t state = 0x243F6A8885A308D3ULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double from(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static int normalish(double d) { return d == 0 || isnan(d) || isinf(d) || fpclassify(d) == FP_NORMAL; }
static int same(double a, double b) { return (isnan(a) && isnan(b)) || bits(a) == bits(b); }

static double operand(void) {
    static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 7.0 / 3.0, 1e300, -1e300, 1e-300,
                                   INFINITY, -INFINITY, NAN, 9007199254740993.0, 4503599627370496.5};
    uint64_t r = next();
    if (r % 8 == 0) return edges[(r >> 8) % (sizeof edges / sizeof edges[0])];
    if (r % 8 == 1) return (double)(int64_t)(next() % 100000) * 0.75;   /* the capacity-maths range */
    return from(next());
}

int main(void) {
    long checks = 0, failures = 0;
#define CHECK(ok, ...) do { checks++; if (!(ok)) { if (failures++ < 20) printf(__VA_ARGS__); } } while (0)
    for (int i = 0; i < 2000000; i++) {
        double a = operand(), b = operand();
        if (!normalish(a) || !normalish(b)) continue;
        double p = a * b, q = a / b;
        if (normalish(p)) CHECK(same(sf_muldf3(a, b), p), "mul %a %a -> %a want %a\n", a, b, sf_muldf3(a, b), p);
        if (normalish(q)) CHECK(same(sf_divdf3(a, b), q), "div %a %a -> %a want %a\n", a, b, sf_divdf3(a, b), q);
        CHECK((sf_eqdf2(a, b) == 0) == (a == b), "eq %a %a\n", a, b);
        CHECK((sf_ltdf2(a, b) < 0) == (a < b), "lt %a %a\n", a, b);
        CHECK((sf_gtdf2(a, b) > 0) == (a > b), "gt %a %a\n", a, b);
        CHECK((sf_unorddf2(a, b) != 0) == (isnan(a) || isnan(b)), "unord %a %a\n", a, b);
        CHECK(same(sf_ceil(a), ceil(a)), "ceil %a -> %a want %a\n", a, sf_ceil(a), ceil(a));
        if (!isnan(a) && fabs(a) < 9.2e18) CHECK(sf_fixdfdi(a) == (int64_t)a, "fix %a\n", a);
        int64_t n = (int64_t)next();
        CHECK(same(sf_floatdidf(n), (double)n), "float %lld\n", (long long)n);
        n = (int64_t)(next() % 1000000) - 500000;
        CHECK(same(sf_floatdidf(n), (double)n), "float %lld\n", (long long)n);
    }
    printf("softfloat: %ld passed, %ld failed\n", checks - failures, failures);
    return failures != 0;
}
