#!/usr/bin/env bash
# Scripts/run and Scripts/stop as a newcomer meets them (issue 21), inside a private network namespace
# (its own loopback, so the host ports it uses collide with nothing):
#   - every option and environment problem is refused within a second, before any build, with a
#     message saying what to do: a missing --disk (resolved from the caller's directory), a busy host
#     port, bad option values, --port with --tap;
#   - --help prints the help text and nothing of the script;
#   - an ip= in --append moves the forward to that address, or is warned about outside the subnet;
#   - --daemon starts the VM headless (console in a log file, pidfile, QMP socket), the page is fetched
#     through the user-mode forward on 127.0.0.1, and Scripts/stop ends it;
#   - in the foreground on a terminal, Ctrl-C asks for a power-down, a second Ctrl-C quits, and the
#     terminal's line wrap is restored (Tests/VM/run_foreground.py).
# Needs build/kernel.elf (run Scripts/build first) for the headless part. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
source Scripts/vm-state.sh
repo=$PWD
[ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf missing: run Scripts/build first"; exit 1; }

ns_create runscript
work=$(mktemp -d)
out=$work/out
trap 'ns_cleanup; rm -rf "$work"' EXIT

# refused_fast EXPECTED_TEXT ARGS...: Scripts/run ARGS (from $work, inside the namespace) fails within
# a second, prints EXPECTED_TEXT, and never starts a build.
refused_fast() {
    local expected=$1; shift
    local start end
    start=$(date +%s%N)
    (cd "$work" && ip netns exec "$NS" "$repo/Scripts/run" "$@") >"$out" 2>&1 && { echo "  exited 0"; return 1; }
    end=$(date +%s%N)
    echo "  $(( (end - start) / 1000000 )) ms: $(grep -v '^run: accelerator' "$out" | head -n 1)"
    [ $(( end - start )) -lt 1000000000 ] && grep -qF -- "$expected" "$out" && ! grep -q '^build:' "$out"
}

check "a missing --disk is refused at once, its path taken from the caller's directory" \
    refused_fast "no disk image at $work/missing.img; make one with: Scripts/mkdisk FOLDER $work/missing.img" \
    --disk missing.img

port=18080
ns_bg "$work/listener.log" python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 18080)); s.listen(); time.sleep(600)'
listener=$NS_PID
for _ in $(seq 50); do ns_exec ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
check "a busy host port is refused at once, naming who holds it" \
    refused_fast "host port $port is already in use by python3 (pid $listener); stop that program or choose another with --port N" \
    --port $port
check "a bad --port value is refused" refused_fast "--port takes a TCP port number 1-65535, not '99999'" --port 99999
check "a bad --accel value is refused" refused_fast "--accel takes tcg or kvm, not 'fast'" --accel fast
check "--port with --tap is refused" refused_fast "--port is for user-mode networking" --tap --port 9000
check "an option without its value is refused" refused_fast "--disk needs a value" --disk --tap
check "an unknown option is refused" refused_fast "unknown option '--dameon'" --dameon

Scripts/run --help >"$out" 2>&1
check "--help prints the help text only" \
    bash -c "head -n 1 '$out' | grep -q '^Boots the appliance' && grep -q -- '--port' '$out' && ! grep -qE 'set -e|^[a-z_]+=' '$out'"

# Headless: start, fetch through the forward, stop through the script.
port=18081
ip netns exec "$NS" Scripts/run --daemon --no-build --port $port >"$out" 2>&1
cat "$out"
pid=$(cat build/vm/port-$port/qemu.pid 2>/dev/null || echo none)
check "--daemon prints the PID, the console log and the stop command" \
    bash -c "grep -q 'pid $pid' '$out' && grep -qF 'build/vm/port-$port/console.log' '$out' && grep -qF 'Scripts/stop port-$port' '$out'"
fetched() {
    local i
    for i in $(seq 60); do
        ns_exec curl -sf -m 2 -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.5
    done
    return 1
}
check "the page is fetched through the user-mode forward on 127.0.0.1:$port" fetched
check "the console is in the log file" grep -q 'Swift unikernel appliance' build/vm/port-$port/console.log
Scripts/stop --grace 2 port-$port >"$out" 2>&1; status=$?
cat "$out"
stopped() { [ "$status" = 0 ] && grep -q 'system_powerdown' "$out" && ! vm_alive "$pid"; }
check "Scripts/stop ends it (power-down asked, then forced) and QEMU is gone" stopped
check "Scripts/stop with nothing running says so" bash -c "Scripts/stop | grep -q 'no VM from this checkout is running'"

# ip= under user-mode networking: inside 192.100.200.0/24 the forward follows it; outside, a warning.
ip netns exec "$NS" Scripts/run --daemon --no-build --port $port --append "ip=192.100.200.50/24" >"$out" 2>&1
forwarded_to_it() { grep -q "forwarded to the guest's 192.100.200.50:80" "$out" && fetched; }
check "with ip=192.100.200.50/24 the forward goes to that address and the page is fetched" forwarded_to_it
Scripts/stop --grace 0 port-$port >/dev/null 2>&1
ip netns exec "$NS" Scripts/run --daemon --no-build --port $port --append "loglevel=info ip=10.1.2.3/24" >"$out" 2>&1
Scripts/stop --grace 0 port-$port >/dev/null 2>&1
check "with ip=10.1.2.3/24 it warns that the forward cannot reach the guest" \
    grep -q "warning: ip=10.1.2.3/24 is outside QEMU's user-mode network 192.100.200.0/24" "$out"

# Foreground, on a terminal: Ctrl-C asks for the power-down, a second one quits, line wrap comes back.
ns_exec python3 Tests/VM/run_foreground.py 18082 | sed 's/^/  /'
check "the foreground run stops with Ctrl-C and restores the terminal" [ "${PIPESTATUS[0]}" = 0 ]
ns_summary run-script
