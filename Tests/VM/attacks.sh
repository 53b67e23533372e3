# Sourced by Tests/VM/vm_attack_test.sh (short) and Scripts/stress (long): attacks from the test
# namespace against the VM, each bounded in time and count by the variables below, each followed by
# checks that the appliance still serves and that connections and heap return to their baseline, and
# the counters that show what was refused. Needs Tests/VM/netns.sh sourced and a namespace created.
#
#   SYN_SECONDS SYN_RATE        SYN flood length; hping3 interval (u1000 = 1000/s) or "flood"
#   SYN_BURST                   clients connecting at once while the flood's backlog is full
#   SLOW_COUNT SLOW_SECONDS     slowloris connections and how long they are watched (> request timeout)
#   IDLE_COUNT IDLE_SECONDS     concurrent idle connection attempts and how long they are held
#   IDLE_SOURCES                source addresses they come from (192.100.200.10 ...)
#   GARBAGE_COUNT               hostile frames (fragments count as one)
#   PING_COUNT                  ping -f packets per size
#   MALFORMED_ROUNDS            rounds of every malformed request
#   SYN_CLIENT_PCT              share of the legitimate client's requests served during the SYN flood
#   PING_ANSWERED_PCT           share of the flood pings answered
#   SETTLE_SECONDS              longest wait for connections and heap to return to baseline

ATTACK_PY=Tests/VM/attack.py
SYN_BURST=${SYN_BURST:-8}           # under the per-address burst of new connections (32), legit's included
HEAP_SLACK=${HEAP_SLACK:-262144}    # caches (ARP entries, disk blocks) may keep this much more after an attack
ETC_FILE=$(mktemp)

# Snapshot /factory/etc into ETC_FILE (a few tries: a full connection table refuses us too);
# `val KEY` reads from the last snapshot, empty if absent (or if the snapshot failed), so a check on a
# missing counter fails (`[ "" -gt 0 ]` is an error) instead of reading as 0.
snap() {
    local i
    for i in 1 2 3 4 5; do
        ns_exec python3 "$ATTACK_PY" etc "$GUEST_IP" >"$ETC_FILE" 2>/dev/null && return 0
        sleep 1
    done
    echo "    (no /factory/etc snapshot)"; : >"$ETC_FILE"; return 1
}
val() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$ETC_FILE"; }
show() {    # show KEY...: one line of the current values
    local k line=""
    for k in "$@"; do line+="$k=$(val "$k") "; done
    echo "    $line"
}

serves() { ns_exec curl -s -f -m 5 -o /dev/null "http://$GUEST_IP/"; }

# The baseline the aftermath is compared with, taken after a few requests have warmed the caches.
take_baseline() {
    local i
    for i in 1 2 3; do serves; done
    snap
    BASE_TCP=$(val tcp.connections_open); BASE_REG=$(val services.connections_open)
    BASE_HEAP=$(val memory.heap_in_use_bytes); HEAP_CAPACITY=$(val memory.heap_capacity_bytes)
    TCP_BUFFER_LIMIT=$(val tcp.limit.buffer_bytes) CONN_BUFFER=$(val tcp.limit.connection_buffer_bytes)
    local initial_buffer=$(val tcp.limit.initial_connection_buffer_bytes)
    # The TCP connection limit in force: the table size or what the buffer budget pays for at the
    # initial buffer sizes (buffers grow only while a connection moves data), the smaller.
    CONN_LIMIT=$(( $(val tcp.limit.connections) < TCP_BUFFER_LIMIT / initial_buffer \
        ? $(val tcp.limit.connections) : TCP_BUFFER_LIMIT / initial_buffer ))
    echo "    baseline: tcp.connections_open=$BASE_TCP services.connections_open=$BASE_REG" \
         "memory.heap_in_use_bytes=$BASE_HEAP of $HEAP_CAPACITY; TCP limit $CONN_LIMIT connections," \
         "pressure below $(val memory.pressure_reserve_bytes) bytes free"
}

# Waits (bounded) until connections and heap are back at the baseline; prints what it saw.
settled() {
    local i
    for ((i = 0; i < SETTLE_SECONDS; i += 2)); do
        if snap && [ "$(val tcp.connections_open)" -le "$BASE_TCP" ] \
            && [ "$(val services.connections_open)" -le "$BASE_REG" ] \
            && [ "$(val memory.heap_in_use_bytes)" -le $((BASE_HEAP + HEAP_SLACK)) ]; then
            echo "    settled after ${i} s: heap $(val memory.heap_in_use_bytes) (baseline $BASE_HEAP)," \
                 "time_wait $(val tcp.time_wait_entries)"
            return 0
        fi
        sleep 2
    done
    echo "    not settled after $SETTLE_SECONDS s:"
    show tcp.connections_open services.connections_open memory.heap_in_use_bytes tcp.time_wait_entries
    return 1
}

# The console has no panic or fatal line, and the last snapshot counts no failed allocation.
no_panic_or_failed_allocation() { ! grep -qE 'PANIC|fatal' "$GUEST_LOG" && [ "$(val memory.failed_allocations)" = 0 ]; }

# The checks every attack ends with.
aftermath() {   # aftermath NAME
    check "$1: the appliance still serves" serves
    check "$1: connections and heap return to baseline" settled
    check "$1: no panic, no failed allocation" no_panic_or_failed_allocation
}

# sum KEY...: the counters added up; empty (so the check using it fails) if any is missing.
sum() {
    local k v total=0
    for k in "$@"; do v=$(val "$k"); [ -n "$v" ] || { echo ""; return; }; total=$((total + v)); done
    echo "$total"
}

# Every way TCP turns a new connection away, summed.
refusals() {
    sum tcp.half_open_evicted tcp.backlog_full tcp.syn_dropped_connection_limit tcp.syn_dropped_memory_limit \
        tcp.syn_dropped_memory_pressure tcp.syn_dropped_source_limit tcp.syn_dropped_source_half_open_limit \
        tcp.syn_dropped_source_rate
}

# grew BEFORE-SNAPSHOT KEY...: every KEY is present in both and larger now than in BEFORE-SNAPSHOT.
grew() {
    local before=$1 k b a; shift
    for k in "$@"; do
        b=$(ETC_FILE=$before val "$k"); a=$(val "$k")
        [ -n "$b" ] && [ -n "$a" ] && [ "$a" -gt "$b" ] || { echo "    $k: ${b:-missing} -> ${a:-missing}"; return 1; }
    done
}

# increase BEFORE AFTER: AFTER - BEFORE, empty if either is missing.
increase() { [ -n "$1" ] && [ -n "$2" ] && echo $(($2 - $1)); }

field() { sed -n "s/.*[ ^]$1=\([-0-9]*\).*/\1/p" <<<" $2"; }

attack_syn_flood() {
    echo "--- SYN flood: hping3 -S ${SYN_RATE} --rand-source to port 80 for $SYN_SECONDS s, a legitimate client fetching / meanwhile"
    local rate=(-i "$SYN_RATE"); [ "$SYN_RATE" = flood ] && rate=(--flood)
    ns_exec timeout "$SYN_SECONDS" hping3 -q -S -p 80 --rand-source "${rate[@]}" "$GUEST_IP" >/dev/null 2>&1 &
    local flood=$!
    # A burst of clients 0.4 s in: after the flood has filled the backlog (~0.1 s at 1000/s) and before
    # the first unanswered SYN-ACK's RTO (1 s) shows a flood, so it is the cookies that answer them. The
    # looping client alone may miss that window when one of its SYNs is lost at its start (its
    # retransmission comes 1 s later).
    local burst_out=$(mktemp)
    ns_exec python3 "$ATTACK_PY" burst "$GUEST_IP" "$SYN_BURST" 0.4 >"$burst_out" &
    local burst=$!
    local legit
    legit=$(ns_exec python3 "$ATTACK_PY" legit "$GUEST_IP" "$SYN_SECONDS")
    wait $flood
    wait $burst
    local burst_result=$(cat "$burst_out"); rm -f "$burst_out"
    echo "    $legit"
    echo "    $burst_result"
    snap
    show tcp.segments_received tcp.half_open_evicted tcp.backlog_full tcp.syn_cookies_sent tcp.syn_cookies_accepted \
         tcp.syn_cookies_dropped tcp.syn_dropped_source_rate tcp.syn_dropped_connection_limit \
         tcp.syn_dropped_memory_limit tcp.syn_dropped_memory_pressure tcp.connections_open memory.heap_in_use_bytes \
         memory.heap_peak_bytes
    check "syn-flood: the legitimate client was served during the flood (at least ${SYN_CLIENT_PCT}%)" \
        [ "$(field success_pct "$legit")" -ge "$SYN_CLIENT_PCT" ]
    check "syn-flood: the limits were hit and counted" [ "$(refusals)" -gt 0 ]
    check "syn-flood: every client of the burst was served ($SYN_BURST)" \
        [ "$(field ok "$burst_result")" = "$SYN_BURST" ]
    check "syn-flood: SYN cookies answered the overflow and made the clients' connections" \
        [ "$(val tcp.syn_cookies_sent)" -gt 0 -a "$(val tcp.syn_cookies_accepted)" -gt 0 ]
    aftermath syn-flood
}

attack_slowloris() {
    echo "--- slowloris: $SLOW_COUNT connections, one header byte every 5 s, watched $SLOW_SECONDS s, a legitimate client meanwhile"
    local out=$(mktemp)
    ns_exec python3 "$ATTACK_PY" slowloris "$GUEST_IP" "$SLOW_COUNT" "$SLOW_SECONDS" 5 >"$out" &
    local slow=$!
    sleep 3
    local legit
    legit=$(ns_exec python3 "$ATTACK_PY" legit "$GUEST_IP" 15)
    wait $slow
    echo "    $legit"
    echo "    $(cat "$out")"
    snap
    show http.requests_received tcp.connections_open services.timeouts memory.heap_in_use_bytes
    show http.parse_errors http.request_timeouts http.forbidden_by_domain http.auth_failures
    local s; s=$(cat "$out")
    check "slowloris: the legitimate client was served throughout" [ "$(field failed "$legit")" = 0 ]
    check "slowloris: every slow connection was opened" [ "$(field opened "$s")" = "$SLOW_COUNT" ]
    check "slowloris: every slow connection was timed out (408) near the 20 s request timeout" \
        bash -c "[ '$(field closed_408 "$s")' = '$SLOW_COUNT' ] && [ '$(field min_life_s "$s")' -ge 19 ] && [ '$(field max_life_s "$s")' -le 30 ]"
    aftermath slowloris
}

attack_idle() {
    echo "--- idle connections: $IDLE_COUNT attempts from $IDLE_SOURCES addresses, held $IDLE_SECONDS s"
    local i
    for ((i = 0; i < IDLE_SOURCES; i++)); do ns_exec ip addr add "192.100.200.$((10 + i))/24" dev br0 2>/dev/null; done
    snap; local before=$(refusals)
    local out=$(mktemp)
    ns_exec bash -c "ulimit -n $((IDLE_COUNT + 200)); python3 $ATTACK_PY idle $GUEST_IP $IDLE_COUNT $IDLE_SECONDS $IDLE_SOURCES" >"$out" &
    local idle=$!
    sleep $((IDLE_SECONDS / 2))
    local legit_ok=0; serves && legit_ok=1
    wait $idle
    local o; o=$(cat "$out")
    echo "    $o"
    snap
    show tcp.half_open_evicted tcp.backlog_full tcp.syn_dropped_connection_limit tcp.syn_dropped_memory_limit \
         tcp.syn_dropped_memory_pressure services.refused memory.heap_peak_bytes memory.failed_allocations
    local peak_heap=$(val memory.heap_peak_bytes)
    check "idle: connections were established ($(field peak_established "$o"))" [ "$(field peak_established "$o")" -gt 0 ]
    # Counted by the server: the client may believe in more (a handshake whose half-open entry a later
    # SYN replaced looks established to it until its ACK draws a reset, or forever if that ACK was lost).
    check "idle: the TCP connection limit held (peak $(val tcp.connections_peak) of $CONN_LIMIT)" \
        [ "$(val tcp.connections_peak)" -gt 0 -a "$(val tcp.connections_peak)" -le "$CONN_LIMIT" ]
    check "idle: the excess was refused and counted" [ "$(increase "$before" "$(refusals)")" -gt 0 ]
    # Each connection may cost its TCP buffers (grown to their largest, within TCP's buffer budget) plus
    # 16 KiB of bookkeeping (TCP, registry, HTTP state).
    local buffers=$((CONN_LIMIT * CONN_BUFFER < TCP_BUFFER_LIMIT ? CONN_LIMIT * CONN_BUFFER : TCP_BUFFER_LIMIT))
    local bound=$((BASE_HEAP + buffers + CONN_LIMIT * 16384 + 1048576))
    check "idle: peak heap ($peak_heap) within baseline + $CONN_LIMIT connections' memory ($bound)" \
        [ "$peak_heap" -le "$bound" ]
    echo "    a request while the table was full: $([ $legit_ok = 1 ] && echo served || echo refused)"
    for ((i = 0; i < IDLE_SOURCES; i++)); do ns_exec ip addr del "192.100.200.$((10 + i))/24" dev br0 2>/dev/null; done
    aftermath idle
}

attack_garbage() {
    echo "--- garbage: $GARBAGE_COUNT random frames, IPv4 fragments, odd TCP/UDP/ARP (scapy sendp on br0)"
    # The drop counters the generators aim at (see attack.py's cmd_garbage).
    local drops=(eth.unknown_ethertype ipv4.bad_header ipv4.fragments arp.unsupported udp.truncated tcp.malformed)
    snap; local rx_before=$(val eth.rx_frames) before_file=$ETC_FILE.before
    cp "$ETC_FILE" "$before_file"
    local out sent=1
    out=$(ns_exec python3 "$ATTACK_PY" garbage "$GUEST_IP" "$GUEST_MAC" "$GARBAGE_COUNT" "${GARBAGE_SEED:-1}" 2>&1) || sent=0
    echo "$out" | tail -3 | sed 's/^/    /'
    sleep 2
    snap
    local received; received=$(increase "$rx_before" "$(val eth.rx_frames)")
    echo "    frames received: $received"
    grep -E "^(eth|arp|ipv4|icmp|udp)\.[a-z_]*(bad|truncated|unknown|fragment|malformed|not_for_us|dropped|invalid|unsupported|unreachable)[a-z_]* " "$ETC_FILE" \
        | awk '$2 != 0' | tr '\n' ' ' | sed 's/^/    /'; echo
    show tcp.malformed tcp.bad_checksum tcp.listener_bad_segment tcp.resets_sent
    # Without scapy (or with a failing sender) nothing is sent, and nothing below would be tested.
    local frames; frames=$(field frames "$(tail -1 <<<"$out")")
    check "garbage: the sender sent at least $GARBAGE_COUNT frames (${frames:-none})" \
        [ "$sent" = 1 -a "${frames:-0}" -ge "$GARBAGE_COUNT" ]
    check "garbage: the guest received them (${received:-unknown} of ${frames:-0})" [ "${received:-0}" -ge "${frames:-1}" ]
    check "garbage: every targeted drop counter grew (${drops[*]})" grew "$before_file" "${drops[@]}"
    aftermath garbage
}

attack_ping_flood() {
    local size out
    for size in 56 1472; do
        echo "--- ping flood: ping -f -c $PING_COUNT -s $size"
        snap; local before=$(val icmp.echo_replies_sent)
        out=$(ns_exec timeout 60 ping -q -f -c "$PING_COUNT" -s "$size" -W 1 "$GUEST_IP" | tail -2 | tr '\n' ' ')
        echo "    $out"
        snap
        echo "    icmp.echo_replies_sent +$(increase "$before" "$(val icmp.echo_replies_sent)")"
        local received; received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
        check "ping flood -s $size: at least $PING_ANSWERED_PCT% answered (${received:-none} of $PING_COUNT)" \
            [ "${received:-0}" -ge $((PING_COUNT * PING_ANSWERED_PCT / 100)) ]
    done
    aftermath ping-flood
}

# only_refusal_statuses SUMMARY: attack.py malformed's summary counts only the statuses of a refusal
# (s400=3 s413=2 ...): a silent close ('sclose=') or any other status fails, and so does no status at all.
only_refusal_statuses() {
    local s
    for s in $(grep -oE ' s[a-z0-9]+=[0-9]+' <<<"$1"); do
        [[ "$s" =~ ^s(400|405|413|414|431|501|505)= ]] || return 1
    done
    grep -qE ' s[0-9]+=' <<<"$1"
}

attack_malformed() {
    echo "--- malformed HTTP: $MALFORMED_ROUNDS rounds of 14 oversized or malformed requests"
    local out
    out=$(ns_exec python3 "$ATTACK_PY" malformed "$GUEST_IP" "$MALFORMED_ROUNDS")
    echo "    $out"
    snap
    grep -E "^  http\.(requests\{|parse_errors|request_timeouts)" <(ns_exec curl -s -m 5 "http://$GUEST_IP/factory/etc") | sed 's/^ */    /'
    check "malformed: no request hung" [ "$(field hung "$out")" = 0 ]
    check "malformed: no connection refused" [ "$(field refused "$out")" = 0 ]
    # Every one must be answered with its status (405: content sent to a path that takes none, answered at its head): a silent close ('sclose') or any other status fails.
    check "malformed: every request answered 400/405/413/414/431/501/505" only_refusal_statuses "$out"
    aftermath malformed
}

# HTTP over IPv4, the guest's global IPv6 address and its link-local one, in turn until the file STOP
# exists: one line per request ('v4 ok', 'v6 fail', 'll ok').
http_both_families_until() {   # http_both_families_until STOP
    local stop=$1 family url
    while [ ! -e "$stop" ]; do
        for family in v4 v6 ll; do
            case $family in
                v4) url="http://$GUEST_IP/" ;;
                v6) url="http://[$GUEST_IPV6]/" ;;
                ll) url="http://[$GUEST_LINK_LOCAL%25br0]/" ;;
            esac
            if curl -g -s -f -m 5 -o /dev/null "$url"; then echo "$family ok"; else echo "$family fail"; fi
        done
        sleep 0.2
    done
}

serves_ipv6() {
    ns_exec curl -6 -s -f -m 5 -o /dev/null "http://[$GUEST_IPV6]/" &&
        ns_exec curl -6 -g -s -f -m 5 -o /dev/null "http://[$GUEST_LINK_LOCAL%25br0]/"
}

# IPv6, ICMPv6 and neighbour-discovery frames (Tests/VM/malformed_frames_ipv6.py) while HTTP is asked
# for over both families: every counter moves as its kind says, every request is answered, and the
# forged router advertisements left no router or address behind. Needs GUEST_IPV6 (the guest's SLAAC
# address), GUEST_LINK_LOCAL and OUR_IPV6 (the namespace's address in the same /64).
attack_ipv6_frames() {
    echo "--- IPv6: malformed IPv6, ICMPv6 and ND frames, RFC 6583 floods; HTTP over IPv4 and IPv6 meanwhile"
    local out=$ETC_FILE.ipv6 stop=$ETC_FILE.stop http=$ETC_FILE.http sent=1 kind counter before after want verdict
    rm -f "$stop"
    ns_bg "$http" bash -c "$(declare -f http_both_families_until); GUEST_IP=$GUEST_IP GUEST_IPV6=$GUEST_IPV6 \
        GUEST_LINK_LOCAL=$GUEST_LINK_LOCAL http_both_families_until $stop"
    local loop=$NS_PID start=$SECONDS
    (cd Tests/VM && ns_exec python3 malformed_frames_ipv6.py br0 "$GUEST_MAC" "$GUEST_IP" "$GUEST_IPV6" "$OUR_IPV6") \
        >"$out" 2>"$out.err" || sent=0
    echo "    the frames took $((SECONDS - start)) s"
    touch "$stop"; wait "$loop"
    [ -s "$out.err" ] && sed 's/^/    /' "$out.err"
    check "ipv6: the sender ran to its end ($(awk '{ print $1 }' "$out" | sort -u | wc -l) kinds)" [ "$sent" = 1 -a -s "$out" ]
    while read -r kind counter before after want verdict; do
        check "ipv6: $kind: $counter $want ($before -> $after)" [ "$verdict" = ok ]
    done <"$out"
    local family
    for family in v4 v6 ll; do
        check "ipv6: HTTP over $family answered throughout ($(grep -c "^$family ok" "$http") answered, $(grep -c "^$family fail" "$http") failed)" \
            bash -c "grep -q '^$family ok' '$http' && ! grep -q '^$family fail' '$http'"
    done
    check "ipv6: HTTP over the SLAAC and the link-local address afterwards" serves_ipv6
    local etc; etc=$(ns_exec curl -s -f -m 10 "http://$GUEST_IP/factory/etc?format=text")
    check "ipv6: the forged advertisements left no router but radvd's ($(grep -c '^ *net.ipv6_router ' <<<"$etc") listed) and no fd66: address" \
        bash -c "[ \$(grep -c '^ *net.ipv6_router fe80::' <<<\"\$0\") = 1 ] && grep -q '^ *net.ipv6 ' <<<\"\$0\" && ! grep -q 'fd66:' <<<\"\$0\"" "$etc"
    aftermath ipv6
}
