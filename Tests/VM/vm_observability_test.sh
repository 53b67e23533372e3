#!/usr/bin/env bash
# Logging and observability in the VM, booted with the default command line (loglevel=info: the access
# log on), from clients inside a private namespace: /factory/health, /factory/log holding the latest
# access line (and no health checks), the console catching up with a burst after the fact, a burst
# larger than the log ring dropping old lines and counting them, and /factory/metrics parsed by
# Prometheus's own parser (prometheus_client), its request counter moving by exactly the requests made,
# and syslog=: a real rsyslog (imudp on the bridge address, started here in the namespace) receives
# every access line of a burst, and every datagram it received parses as RFC 5424. Last, a real browser:
# Debian's headless Chromium (in the namespace) loads the HTML status page and finds no console error or
# failed load, the charts drawn and the key figures shown; its screenshot and the rendered DOM are kept
# in build/test-artifacts/vm_observability/ (page.png, page.html).
# Prints one PASS/FAIL line per check, then 'vm-observability: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

python3 -c "import prometheus_client" 2>/dev/null || { echo "vm_observability_test: prometheus_client missing; run Scripts/install-deps"; exit 2; }
command -v rsyslogd >/dev/null || { echo "vm_observability_test: rsyslogd missing; run Scripts/install-deps"; exit 2; }
command -v chromium >/dev/null || { echo "vm_observability_test: chromium missing; run Scripts/install-deps"; exit 2; }
[ -f build/kernel.elf ] || { echo "vm_observability_test: build/kernel.elf missing; run Scripts/build first"; exit 2; }
work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT
url=http://$GUEST_IP
get() { ns_exec curl -s --max-time 10 "$@"; }
# burst PREFIX N: N keep-alive GETs of /PREFIX-0 .. /PREFIX-(N-1) on one connection; prints how many answered.
burst() {
    ns_exec python3 - "$GUEST_IP" "$1" "$2" <<'PY'
import http.client, sys
host, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c, answered = http.client.HTTPConnection(host, 80, timeout=10), 0
for i in range(n):
    c.request("GET", f"/{prefix}-{i}")
    r = c.getresponse(); r.read()
    answered += r.status == 404
print(answered)
PY
}

# metrics FILE: /factory/metrics into FILE, checked by prometheus_client's parser; prints what is wrong, if anything.
metrics() {
    ns_exec curl -s --max-time 10 -D "$1.head" -o "$1" "$url/factory/metrics"
    python3 - "$1" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
head = open(sys.argv[1] + ".head").read().lower()
problems = []
if "content-type: text/plain; version=0.0.4" not in head:
    problems.append("Content-Type is not text/plain; version=0.0.4")
families = list(text_string_to_metric_families(text))
names = {f.name for f in families}
for f in families:
    if not f.name.startswith("appliance_"):
        problems.append(f"{f.name}: no appliance_ prefix")
    if not f.documentation:
        problems.append(f"{f.name}: no HELP")
    if f.type == "counter" and not all(s.name.endswith("_total") for s in f.samples):
        problems.append(f"{f.name}: a counter sample without _total")
for want, kind in [("appliance_http_requests", "counter"), ("appliance_tcp_connections", "gauge"),
                   ("appliance_heap_in_use_bytes", "gauge"), ("appliance_log_lines_dropped", "counter")]:
    if not any(f.name == want and f.type == kind for f in families):
        problems.append(f"no {kind} {want}")
if text.count("# TYPE ") != len(families):
    problems.append("TYPE lines and families differ")
print("; ".join(problems) if problems else f"{len(families)} families")
sys.exit(1 if problems else 0)
PY
}
# requests200 FILE: appliance_http_requests_total{code="200"} in FILE.
requests200() { sed -n 's/^appliance_http_requests_total{code="200"} \([0-9]*\)$/\1/p' "$1"; }

ns_create vmobs
# The collector: rsyslog with only a UDP input on the bridge, writing each datagram as received.
mkdir -p "$work/rsyslog"
cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imudp")
input(type="imudp" address="192.100.200.1" port="514")
template(name="raw" type="string" string="%rawmsg%\n")
*.* action(type="omfile" file="$work/syslog.txt" template="raw")
CONF
ns_bg "$work/rsyslogd.log" rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid"
for i in $(seq 50); do ns_exec ss -lun | grep -q "192.100.200.1:514" && break; sleep 0.1; done

log=$work/guest.log
# The default command line, plus the collector.
ns_guest "$log" "ip=$GUEST_IP/24 gw=192.100.200.1 syslog=192.100.200.1"
ns_wait_log "$log" "info  ready" 60 || { cat "$log"; echo "FAIL the appliance did not boot"; exit 1; }

check "/factory/health answers 200 ok" bash -c "[ \"\$(ip netns exec $NS curl -s -w ' %{http_code}' --max-time 10 $url/factory/health)\" = 'ok
 200' ]"
check "a burst of 300 keep-alive requests is answered" test "$(burst small 300)" = 300
get "$url/factory/health" >/dev/null
get "$url/factory/log" > "$work/factory-log.txt"
check "/factory/log ends with the latest access line" \
    grep -qE '"GET /small-299 HTTP/1.1" 404 [0-9]+$' <(grep -v 'GET /factory/log' "$work/factory-log.txt" | tail -1)
check "/factory/log holds boot lines and the whole burst" \
    bash -c "grep -q 'info  ready' $work/factory-log.txt && [ \$(grep -c 'GET /small-' $work/factory-log.txt) = 300 ]"
check "health checks are not access-logged" bash -c "! grep -q '/factory/health' $work/factory-log.txt"
check "the console catches up with the burst when idle" ns_wait_log "$log" '"GET /small-299 HTTP/1.1" 404' 90

# 3,000 lines of ~90 bytes are four times the 64 KiB ring.
check "a burst of 3,000 requests is answered" test "$(burst large 3000)" = 3000
get "$url/factory/etc" > "$work/etc.txt"
dropped=$(awk '$1 == "log.lines_dropped" { print $2 }' "$work/etc.txt")
check "a burst larger than the ring drops old lines and counts them (log.lines_dropped $dropped)" \
    test "${dropped:-0}" -gt 0
get "$url/factory/log" > "$work/factory-log2.txt"
check "/factory/log still ends with the burst's last line" grep -q '"GET /large-2999 HTTP/1.1" 404' "$work/factory-log2.txt"
check "the console shows the burst's last line" ns_wait_log "$log" '"GET /large-2999 HTTP/1.1" 404' 90
check "the console says where it dropped lines" grep -qE 'info  console: [0-9]+ lines dropped \(UART behind\)' "$log"
check "/factory/metrics parses with prometheus_client ($(metrics "$work/m1" | tr -d '\n'))" metrics "$work/m1"
get "$url/" >/dev/null
# Between the two scrapes: 57 GETs of / (200), and the scrape itself is counted after it is rendered.
for i in $(seq 57); do echo "url = \"$url/\""; echo "output = /dev/null"; done > "$work/curl57.cfg"
metrics "$work/m2" >/dev/null
get -K "$work/curl57.cfg"
metrics "$work/m3" >/dev/null
a=$(requests200 "$work/m2") b=$(requests200 "$work/m3")
check "the 200 counter moves by exactly the 57 requests made, plus the one scrape ($a -> $b)" \
    test "$((b - a))" = 58
check "/factory/etc is an HTML page for a browser, text for curl" bash -c "
    ip netns exec $NS curl -s --max-time 10 -H 'Accept: text/html' $url/factory/etc > $work/etc.html
    python3 -c 'import html.parser,sys; p=html.parser.HTMLParser(); p.feed(open(sys.argv[1]).read()); p.close()' $work/etc.html &&
    grep -q '^<!DOCTYPE html>' $work/etc.html && grep -q 'heap in use / peak' $work/etc.html && grep -q '</html>' $work/etc.html &&
    ip netns exec $NS curl -s --max-time 10 $url/factory/etc | grep -q '^  http.requests_received '"
check "a burst of 200 keep-alive requests for syslog is answered" test "$(burst sys 200)" = 200
# rfc5424 FILE: every line of FILE is an RFC 5424 message (header fields per the ABNF of section 6);
# prints a count by MSGID or the first bad line.
rfc5424() {
    python3 - "$1" <<'PY'
import re, sys, collections
header = re.compile(r"^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)) "
                    r"([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) (-|\[.*\])( .*)?$")
ids = collections.Counter()
lines = [l for l in open(sys.argv[1], encoding="utf-8", errors="strict").read().split("\n") if l]
for l in lines:
    m = header.match(l)
    if not m or int(m.group(1)) > 191:
        print(f"not RFC 5424: {l!r}"); sys.exit(1)
    ids[m.group(8)] += 1
print(f"{len(lines)} messages, " + ", ".join(f"{k} {v}" for k, v in sorted(ids.items())))
PY
}
sys_arrived() { [ "$(grep -c ' appliance - access - .*"GET /sys-[0-9]* HTTP/1.1" 404' "$work/syslog.txt" 2>/dev/null)" = 200 ]; }
for i in $(seq 100); do sys_arrived && break; sleep 0.1; done
check "rsyslog received every access line of the burst, MSGID access" sys_arrived
check "every message rsyslog received parses as RFC 5424 ($(rfc5424 "$work/syslog.txt"))" rfc5424 "$work/syslog.txt"
check "system lines arrive with MSGID system" grep -q ' appliance - system - ready; idle' "$work/syslog.txt"
check "boot lines logged before syslog existed arrive too, in order, timed when logged" python3 - "$work/syslog.txt" <<'PY'
import sys, datetime
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
def find(text):
    for i, l in enumerate(lines):
        if " appliance - system - " + text in l:
            return i, datetime.datetime.fromisoformat(l.split(" ")[1].replace("Z", "+00:00"))
    sys.exit(f"no syslog line with {text!r}")
banner, t0 = find("Swift unikernel appliance")
ready, t1 = find("ready; idle")
sys.exit(0 if banner < ready and t0 <= t1 else f"banner at {banner} ({t0}), ready at {ready} ({t1})")
PY
artifacts=build/test-artifacts/vm_observability
rm -rf "$artifacts"
ns_exec python3 Tests/VM/browser_check.py "$url/factory/etc" "$artifacts" --charts 4 --text "uptime" \
    --text "requests / s now" --text "connections open" --text "heap in use / peak" --text "Last 5 minutes" > "$work/browser.txt"
browser=$?
check "headless Chromium renders /factory/etc: no console error or failed load, 4 charts drawn, the key figures ($(tail -1 "$work/browser.txt"))" \
    test "$browser" = 0
[ "$browser" = 0 ] || sed 's/^/    /' "$work/browser.txt"
check "no error, warning or panic on the console" bash -c "! grep -qE '\] +(error|warn) |PANIC|fault' $log"
ns_summary vm-observability
