#!/usr/bin/env bash
# The appliance's HTTP server and TCP services in the VM, from Linux's own clients inside a private
# namespace. Two boots of build/kernel.elf (run Scripts/build first):
#   1. no disk: the welcome page (curl -v, HEAD, OPTIONS, 404), a request typed by hand, /factory pages
#      with live counters, 10,000 keep-alive and 1,000 pipelined requests in order, every parser limit,
#      408 for a request that never completes, idle keep-alive close, the echo service (lines, 200
#      concurrent clients, a silent client closed by doTimeout), REDbot on / and a 404;
#   2. an ext2 disk: traversal attempts (curl --path-as-is) never reach a file, REDbot on a static file,
#      the disk's index and a 404.
# The slow timeout checks (HTTP request 20 s, keep-alive 15 s, echo receive 60 s) run in the background
# from the first moment, so they overlap the rest. Prints one PASS/FAIL line per check, then
# 'vm-http: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

[ -f build/kernel.elf ] || { echo "vm_http_test: build/kernel.elf missing; run Scripts/build first"; exit 2; }
command -v redbot >/dev/null || { echo "vm_http_test: redbot missing; run Scripts/install-deps"; exit 2; }
work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT
url=http://$GUEST_IP
peer() { ns_exec python3 Tests/VM/http_peer.py "$1" "$GUEST_IP" "${@:2}"; }   # peer MODE [ARGS]
started=$SECONDS

ns_create vmhttp
ns_add_sources 16     # the 200 concurrent echo clients come from 16 addresses (per-source caps)
boot() {   # boot LOG [QEMU ARGS]: boots and waits for the services, or fails the whole script
    local log=$1; shift
    ns_guest "$log" "ip=$GUEST_IP/24 gw=192.100.200.1 loglevel=info services=echo" "$@"
    ns_wait_log "$log" "info  ready" 60 || { cat "$log"; echo "FAIL the appliance did not boot"; exit 1; }
}

# ---- 1. no disk ----------------------------------------------------------------------------------
log1=$work/guest1.log
boot "$log1"
echo "booted in $((SECONDS - started)) s"
# A tap with vnet headers offers checksum and TSO offload; GUEST_NIC_OPTS=",csum=off,host_tso4=off" runs
# everything below against a device without them.
case "${GUEST_NIC_OPTS:-}" in *csum=off*) offload=none ;; *host_tso4=off*) offload=checksum ;; *) offload=checksum+TSO ;; esac
# The line ends "offload X, at LOCATION" (the device's PCI or MMIO address).
check "the driver uses the offloads the device offers ($offload)" grep -qE "virtio-net .*offload ${offload/+/\\+}(,|[[:space:]]*\$)" "$log1"

# The slow ones, started first, each in the background with its own output file.
bg() { local name=$1; shift; ns_bg "$work/$name.out" python3 Tests/VM/http_peer.py "$1" "$GUEST_IP" "${@:2}"; eval "${name}_pid=$NS_PID"; }
bg incomplete incomplete 30          # HTTPConfiguration.requestHeadRate: 20 s (+1 s per 500 B)
bg idle idle 25                      # keepAliveTimeout is 15 s
bg echoidle echoidle 55 80           # EchoService.defaultReceiveTimeout is 60 s
bg_result() {   # bg_result NAME: waits for it, shows its line, succeeds if it did
    local pid; eval "pid=\$${1}_pid"
    wait "$pid"; local rc=$?
    sed 's/^/    /' "$work/$1.out"
    return $rc
}

check "curl -v / is the welcome page with Date, Server, Content-Length, Content-Type" bash -c "
    out=\$(ip netns exec $NS curl -sv --max-time 10 $url/ 2>&1)
    grep -q '^< HTTP/1.1 200 OK' <<<\"\$out\" && grep -qE '^< Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} GMT' <<<\"\$out\" \
    && grep -q '^< Server: ' <<<\"\$out\" && grep -q '^< Content-Length: [1-9]' <<<\"\$out\" \
    && grep -q '^< Content-Type: text/html' <<<\"\$out\" && grep -q 'It works.' <<<\"\$out\""
check "HEAD / has the GET's fields and no body" peer head
check "OPTIONS / answers 200 with Allow" bash -c "
    ip netns exec $NS curl -si --max-time 10 -X OPTIONS $url/ | tr -d '\r' | tee $work/options.txt \
    | grep -q '^HTTP/1.1 200' && grep -qE '^Allow: .*GET.*HEAD' $work/options.txt"
check "OPTIONS * answers 200 with Allow" bash -c "
    ip netns exec $NS curl -si --max-time 10 -X OPTIONS --request-target '*' $url/ | tr -d '\r' \
    | grep -qE '^Allow: .*GET'"
check "a 404 page is small HTML that names the status" bash -c "
    ip netns exec $NS curl -s --max-time 10 -o $work/404.html -w '%{http_code} %{size_download} %{content_type}' \
        $url/no/such/page >$work/404.txt
    read code size type <$work/404.txt
    echo \"    404: \$size bytes, \$type\"
    [ \"\$code\" = 404 ] && [ \"\$size\" -gt 0 ] && [ \"\$size\" -lt 512 ] && [[ \$type == text/html* ]] \
    && grep -q '404 Not Found' $work/404.html"
check "a request typed by hand (bytes one at a time, bare LF)" peer telnet

check "/factory/etc shows live counters (requests rise between two fetches)" bash -c "
    a=\$(ip netns exec $NS curl -s --max-time 10 $url/factory/etc | sed -n 's/^ *http.requests_received \([0-9]*\)\$/\1/p')
    b=\$(ip netns exec $NS curl -s --max-time 10 $url/factory/etc | sed -n 's/^ *http.requests_received \([0-9]*\)\$/\1/p')
    echo \"    requests \$a, then \$b\"; [ -n \"\$a\" ] && [ -n \"\$b\" ] && [ \"\$b\" -gt \"\$a\" ]"
check "/factory/etc has the tcp, net and kernel sections" bash -c "
    ip netns exec $NS curl -s --max-time 10 $url/factory/etc >$work/etc.txt
    grep -q '^\[http\]' $work/etc.txt && grep -q 'tcp\.' $work/etc.txt && grep -q 'heap_in_use_bytes' $work/etc.txt"
check "/factory/help answers" bash -c "
    ip netns exec $NS curl -sf --max-time 10 $url/factory/help | grep -q '/factory/etc'"
check "bodies between pipelined requests are consumed as bodies (no smuggling)" peer framing
check "parser limits: 414, 431, 505, 501, 400 (CL+TE, two lengths, space before colon, no Host)" peer limits

t=$SECONDS
check "10,000 keep-alive requests on one connection, all answered in order" peer keepalive 10000
keepalive_s=$((SECONDS - t)); t=$SECONDS
check "1,000 pipelined requests in one write, all answered in order" peer pipeline 1000
pipeline_s=$((SECONDS - t))

check "telnet-style echo of lines on port 7" peer echolines
t=$SECONDS
check "200 concurrent echo clients each get exactly their own bytes" \
    ns_exec python3 Tests/VM/tcp_peer.py concurrent "$GUEST_IP" 200
concurrent_s=$((SECONDS - t))

check "REDbot: / has no errors" ns_exec python3 Tests/VM/redbot_check.py "$url/" 200
check "REDbot: a 404 has no errors" ns_exec python3 Tests/VM/redbot_check.py "$url/no-such-page" 404

check "a request that never completes gets 408, then close" bg_result incomplete
check "an idle keep-alive connection is closed" bg_result idle
check "a silent echo client is closed by doTimeout" bg_result echoidle
check "after all that, the appliance still answers and has logged no error" bash -c "
    ip netns exec $NS curl -sf --max-time 10 $url/ >/dev/null && ! grep -qE '\] +(error|warn) |PANIC|panic|fault' $log1"
ns_exec curl -s --max-time 10 "$url/factory/etc" | grep -E "responses|refused|closed:|heap_in_use|services\." | sed 's/^/    /'
kill "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null

# ---- 2. an ext2 document root --------------------------------------------------------------------
# The disk's /etc/passwd is what the traversal attempts aim at: reachable by its own name (the control
# check), so a server that repaired "/../../etc/passwd" into it instead of refusing would be seen.
root=$work/root
mkdir -p "$root/etc" "$root/sub"
cat >"$root/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>disk</title></head>
<body><p>The index of the document root, served from the ext2 disk.</p>
<p><a href="/hello.txt">hello.txt</a> <a href="/sub/notes.txt">notes</a></p></body></html>
HTML
echo "hello from the disk" >"$root/hello.txt"
echo "sub page" >"$root/sub/page.txt"
# Larger than REDbot's 96-byte range sample, so its Range check gets a true part of the file.
for i in $(seq 1 100); do echo "line $i of a static text file served from the ext2 document root"; done >"$root/sub/notes.txt"
echo "DECOY-PASSWD root:x:0:0" >"$root/etc/passwd"
Scripts/mkdisk "$root" "$work/root.img" >/dev/null || { echo "FAIL mkdisk"; exit 1; }
log2=$work/guest2.log
boot "$log2" -drive "file=$work/root.img,if=virtio,format=raw,readonly=on"
ns_wait_log "$log2" "disk: ext2 mounted" 30 || { cat "$log2"; echo "FAIL the disk was not mounted"; exit 1; }

get() {   # get PATH: prints 'STATUS' and leaves the body in $work/body
    ns_exec curl -s --max-time 10 --path-as-is -o "$work/body" -w '%{http_code}' "$url$1"
}
check "control: /hello.txt and /etc/passwd are served from the disk" bash -c "
    [ \"\$(ip netns exec $NS curl -s --max-time 10 $url/hello.txt)\" = 'hello from the disk' ] \
    && ip netns exec $NS curl -s --max-time 10 $url/etc/passwd | grep -q DECOY-PASSWD"
check "control: dot segments inside the root resolve (/sub/../hello.txt)" bash -c "
    [ \"\$(ip netns exec $NS curl -s --max-time 10 --path-as-is $url/sub/../hello.txt)\" = 'hello from the disk' ]"
traversal=(
    "/../../etc/passwd" "/../etc/passwd" "/sub/../../etc/passwd" "//../etc/passwd" "/./../etc/passwd"
    "/%2e%2e/%2e%2e/etc/passwd" "/%2E%2E/etc/passwd" "/.%2e/etc/passwd" "/sub/%2e%2e/%2e%2e/etc/passwd"
    "/..%2f..%2fetc%2fpasswd" "/sub/..%2f..%2fetc/passwd" "/etc%2fpasswd" "/%2fetc/passwd"
    "/etc/passwd%00" "/hello.txt%00.html" "/%00/../etc/passwd"
    "/..\\..\\etc\\passwd" "/sub\\..\\..\\etc\\passwd" "/%5c..%5c..%5cetc%5cpasswd" "/..%5cetc/passwd"
    "/%252e%252e/etc/passwd" "/%c0%ae%c0%ae/etc/passwd" "/..;/etc/passwd" "/sub/..%00/etc/passwd"
)
bad=0
for path in "${traversal[@]}"; do
    code=$(get "$path")
    if { [ "$code" = 400 ] || [ "$code" = 404 ]; } && ! grep -q DECOY "$work/body"; then
        echo "    $code $path"
    else
        echo "    $code $path  <-- expected 400 or 404 without the file"; bad=$((bad + 1))
    fi
done
check "${#traversal[@]} traversal attempts (curl --path-as-is) get 400/404, never the file" [ $bad = 0 ]
check "absolute-form traversal is refused" bash -c "
    code=\$(ip netns exec $NS curl -s --max-time 10 -o $work/abs -w '%{http_code}' \
        --request-target 'http://$GUEST_IP/../etc/passwd' $url/)
    echo \"    \$code absolute-form http://$GUEST_IP/../etc/passwd\"
    { [ \"\$code\" = 400 ] || [ \"\$code\" = 404 ]; } && ! grep -q DECOY $work/abs"
check "REDbot: a static file has no errors" ns_exec python3 Tests/VM/redbot_check.py "$url/sub/notes.txt" 200
check "REDbot: the disk's / (index.html) has no errors" ns_exec python3 Tests/VM/redbot_check.py "$url/" 200
check "REDbot: a 404 from the disk has no errors" ns_exec python3 Tests/VM/redbot_check.py "$url/sub/missing.txt" 404
check "the disk appliance has logged no error" bash -c "! grep -E '\] +(error|warn) |PANIC|panic|fault' $log2"
kill "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null

echo "timings: keep-alive 10,000 in ${keepalive_s} s, pipelined 1,000 in ${pipeline_s} s," \
     "200 concurrent echo in ${concurrent_s} s, total $((SECONDS - started)) s"
ns_summary vm-http
