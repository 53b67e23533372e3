#!/usr/bin/env bash
# Builds libFuzzer targets from the portable modules' sources with the Swift toolchain:
#   Fuzz/build.sh OUTDIR TARGET...
# Each module is compiled once (whole-module, -O, coverage + AddressSanitizer) into OUTDIR/modules as a
# .swiftmodule plus one object file, in dependency order, and rebuilt only when its sources change. A target
# is Fuzz/Targets/<target>.swift (the LLVMFuzzerTestOneInput entry) plus Fuzz/Common, linked with the objects of the
# modules it needs. SwiftPM is not used: Package.swift has no fuzz products, and libFuzzer needs every
# module instrumented.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:?usage: Fuzz/build.sh OUTDIR TARGET...}; shift
mkdir -p "$out/modules"
# -sanitize=fuzzer,address works on this Linux toolchain (Swift 6.3); FUZZ_SANITIZE=fuzzer drops ASan.
sanitize=${FUZZ_SANITIZE:-fuzzer,address}
flags=(-O -gline-tables-only -parse-as-library -swift-version 5 -sanitize="$sanitize")

# The modules each target needs, in dependency order.
modules_for() {
    case $1 in
        net|ipv6) echo "Bytes Net" ;;
        dhcp) echo "Bytes DHCP" ;;
        ext2) echo "Bytes Ext2" ;;
        tcp)  echo "Bytes TCP" ;;
        http|hoard) echo "Bytes Services HTTP" ;;
        *) echo "unknown fuzz target: $1" >&2; return 1 ;;
    esac
}

# Sources a target shares with other targets (Fuzz/Shared) or with the unit tests, compiled into the
# target itself.
shared_test_sources() {
    case $1 in
        http|hoard) echo Sources/TestSupport/ScriptedConnection.swift ;;
        net|ipv6) echo Fuzz/Shared/FuzzNIC.swift ;;
    esac
}

build_module() {   # build_module NAME DEPENDENCY_OBJECTS...: skipped while its object is newer than its inputs
    local m=$1 obj="$out/modules/$1.o"; shift
    if [ -f "$obj" ] && [ -z "$(find "Sources/$m" "$@" -newer "$obj" -name '*.[so]*')" ] \
       && [ "$(cat "$out/modules/$m.flags" 2>/dev/null)" = "${flags[*]}" ]; then
        return
    fi
    echo "fuzz build: module $m" >&2
    swiftc "${flags[@]}" -wmo -module-name "$m" -I "$out/modules" \
        -emit-module -emit-module-path "$out/modules/$m.swiftmodule" \
        -c Sources/"$m"/*.swift -o "$obj"
    echo "${flags[*]}" > "$out/modules/$m.flags"
}

for target in "$@"; do
    mods=$(modules_for "$target")
    objs=()
    for m in $mods; do build_module "$m" "${objs[@]}"; objs+=("$out/modules/$m.o"); done
    echo "fuzz build: target $target" >&2
    # ld.gold warns about ASan's local helper symbols; the warnings are harmless.
    swiftc "${flags[@]}" -module-name "Fuzz_$target" -I "$out/modules" \
        Fuzz/Common/*.swift Fuzz/Targets/"$target".swift $(shared_test_sources "$target") "${objs[@]}" -o "$out/fuzz-$target" 2> >(grep -v "Cannot export local symbol" >&2)
done
