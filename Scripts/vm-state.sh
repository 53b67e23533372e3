# Shared by Scripts/run and Scripts/stop (sourced, from the repository's root): where a VM started by
# Scripts/run keeps its pidfile, QMP socket and console log, and how to find, test and end it.

# build/vm/NAME: NAME is port-PORT for user-mode networking, tap for --tap.
vm_state_dir() { echo "build/vm/$1"; }

# True while PID is a live process (a zombie, exited but not yet reaped, counts as gone).
vm_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    [[ "${stat##*) }" != Z* ]]
}

# Prints the PID of the QEMU running from STATE_DIR; fails when none is (a stale pidfile is removed).
vm_running_pid() {
    local pid
    pid=$(cat "$1/qemu.pid" 2>/dev/null) || return 1
    if [[ "$pid" =~ ^[0-9]+$ ]] && vm_alive "$pid" && grep -q qemu "/proc/$pid/comm" 2>/dev/null; then
        echo "$pid"; return 0
    fi
    rm -f "$1/qemu.pid"
    return 1
}

# Succeeds when something listens on TCP PORT of this host, and prints who when it can tell.
port_listener() {
    local line
    if command -v ss >/dev/null; then
        line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1)
        [ -n "$line" ] || return 1
        [[ "$line" =~ \(\(\"([^\"]+)\",pid=([0-9]+) ]] && echo "${BASH_REMATCH[1]} (pid ${BASH_REMATCH[2]})"
        return 0
    fi
    ! python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# Ends the QEMU with PID from STATE_DIR at once: QMP quit, then SIGTERM, then SIGKILL, 3 s apart.
vm_force_quit() {
    local state=$1 pid=$2 step
    python3 Scripts/qmp.py "$state/qmp.sock" quit >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for step in TERM KILL; do
        for _ in $(seq 30); do vm_alive "$pid" || return 0; sleep 0.1; done
        kill -"$step" "$pid" 2>/dev/null || true
    done
}
