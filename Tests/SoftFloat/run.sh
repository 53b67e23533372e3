#!/usr/bin/env bash
# Builds Boot/softfloat.c for the host with its symbols renamed and checks it against the FPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
renames=(-D__floatdidf=sf_floatdidf -D__fixdfdi=sf_fixdfdi -D__muldf3=sf_muldf3 -D__divdf3=sf_divdf3
         -D__eqdf2=sf_eqdf2 -D__ltdf2=sf_ltdf2 -D__gtdf2=sf_gtdf2 -D__unorddf2=sf_unorddf2 -Dceil=sf_ceil)
clang -O1 -fno-builtin "${renames[@]}" -c Boot/softfloat.c -o "$out/softfloat.o"
clang -O1 -fno-builtin Tests/SoftFloat/softfloat_test.c "$out/softfloat.o" -lm -o "$out/softfloat_test"
"$out/softfloat_test"
