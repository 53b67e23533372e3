#!/usr/bin/env bash
# Apps as their own appliances (issue 18), in a private namespace:
#   1. the scaffold: Scripts/new-app NAME makes an app whose generated hosted test passes
#      (swift test --filter NAMETests) and which Scripts/build --app NAME turns into build/NAME.elf;
#      that image boots and answers GET / with 200 and the scaffold's page. The app is removed again
#      (its folders, Package.swift restored, its build outputs) whatever happens;
#   2. hello (Toro's ToroHttp): a raw HTTP/1.0 request over a plain TCP connection to port 80 gets the
#      welcome page, and the appliance closes the connection.
# Prints one PASS/FAIL line per check, then 'vm-apps: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
work=$(mktemp -d)
name=vmscaffold$$
cp Package.swift "$work/Package.swift"
cleanup() {
    ns_cleanup
    rm -rf "Sources/Apps/$name" "Tests/Apps/$name" build/$name.elf build/$name.debug.elf build/obj/apps/$name.*
    cp "$work/Package.swift" Package.swift
    rm -rf "$work"
}
trap cleanup EXIT
ns_create vmapps

# boot_app NAME LOG: boots build/NAME.elf on the namespace's tap and waits until it serves.
boot_app() {
    GUEST_KERNEL=build/$1.elf ns_guest "$2" "ip=$GUEST_IP/24 gw=192.100.200.1"
    ns_wait_log "$2" "info  ready" 60 || { cat "$2"; return 1; }
}
stop_guest() { kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null; }

# ---- 1. the scaffold ------------------------------------------------------------------------------
check "Scripts/new-app $name makes the app and its test" bash -c "Scripts/new-app $name >'$work/new.log' 2>&1 \
    && [ -f Sources/Apps/$name/App.swift ] && [ -f Tests/Apps/$name/${name}Tests.swift ] && grep -q '\"$name\"' Package.swift"
check "its generated test passes (swift test --filter ${name}Tests)" bash -c "
    swift build --build-tests >'$work/swift.log' 2>&1 && swift test --skip-build --filter ${name}Tests >>'$work/swift.log' 2>&1 \
    && grep -q 'Test run with 1 test in 1 suite passed' '$work/swift.log' || { tail -20 '$work/swift.log'; false; }"
check "Scripts/build --app $name writes build/$name.elf" bash -c "Scripts/build --quiet --app $name 2>&1 | grep -v warning | tail -3 && [ -s build/$name.elf ]"
if boot_app "$name" "$work/scaffold.log"; then
    check "build/$name.elf boots and answers GET / with 200 and the scaffold's page" bash -c "
        [ \"\$(ip netns exec $NS curl -s -o '$work/page' -w '%{http_code}' --max-time 10 http://$GUEST_IP/)\" = 200 ] \
        && grep -q 'Hello from $name' '$work/page'"
    check "its console names the app" grep -q "services: app $name with http on 80" "$work/scaffold.log"
    stop_guest
else
    fail "build/$name.elf did not boot"
fi

# ---- 2. hello ---------------------------------------------------------------------------------------
check "Scripts/build --app hello writes build/hello.elf" bash -c "Scripts/build --quiet --app hello 2>&1 | grep -v warning | tail -3 && [ -s build/hello.elf ]"
if boot_app hello "$work/hello.log"; then
    check "hello answers a raw HTTP/1.0 request on port 80 with its page and closes" \
        ns_exec python3 Tests/VM/http_peer.py hello "$GUEST_IP"
    check "hello's console says port 80 is the app's own service" \
        bash -c "grep 'services: app hello' '$work/hello.log' | grep -qv 'with http'"
    stop_guest
else
    fail "build/hello.elf did not boot"
fi
ns_summary vm-apps
