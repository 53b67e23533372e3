#!/usr/bin/env bash
# Apps as their own appliances (issue 18), in a private namespace:
#   1. the scaffold: Scripts/new-app NAME makes an app whose generated hosted test passes
#      (swift test --filter NAMETests) and which Scripts/build --app NAME turns into build/NAME.elf;
#      that image boots and answers GET / with 200 and the scaffold's page, and its loop denies
#      /factory/log (404). With a handler that throws added to it: 500, counted and logged, and the
#      connection serves its next request. The app is removed again (its folders, Package.swift
#      restored, its build outputs) whatever happens;
#   2. hello (Toro's ToroHttp): a raw HTTP/1.0 request over a plain TCP connection to port 80 gets the
#      welcome page, and the appliance closes the connection;
#   3. guestbook: an entry posted is listed (escaped), the visitor is welcomed back by name through the
#      sealed cookie alone, whose bytes (raw or base64url-decoded) do not hold the name; the cookie with
#      one character changed gets no welcome (and is counted); malformed forms 400, oversized 413; the
#      admin page needs Basic auth and deletes an entry with its form token, not without (403: CSRF);
#      signatures beyond the minute's budget are 429; factory.auth= guards /factory.
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
    GUEST_KERNEL=build/$1.elf ns_guest "$2" "ip=$GUEST_IP/24 gw=192.100.200.1${GUEST_APPEND:+ $GUEST_APPEND}"
    ns_wait_log "$2" "info  ready" 60 || { cat "$2"; return 1; }
}
stop_guest() { kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null; }

# ---- 1. the scaffold ------------------------------------------------------------------------------
check "Scripts/new-app $name makes the app and its test" bash -c "Scripts/new-app $name >'$work/new.log' 2>&1 \
    && [ -f Sources/Apps/$name/App.swift ] && [ -f Tests/Apps/$name/${name}Tests.swift ] && grep -q '\"$name\"' Package.swift"
check "its generated test passes (swift test --filter ${name}Tests)" bash -c "
    swift build --build-tests >'$work/swift.log' 2>&1 && swift test --skip-build --filter ${name}Tests >>'$work/swift.log' 2>&1 \
    && grep -q 'Test run with 1 test in 1 suite passed' '$work/swift.log' || { tail -20 '$work/swift.log'; false; }"
# A failing callback, added to the throwaway app (the scaffold itself has none): a route that throws.
python3 - "Sources/Apps/$name/App.swift" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
route = '    app.http.router.add(.get, "/") {'
fail = '    app.http.router.add(.get, "/fail") { _ throws(AppError) in throw AppError("on purpose") }\n'
open(path, "w").write(text.replace(route, fail + route, 1))
PY
check "Scripts/build --app $name writes build/$name.elf" bash -c "Scripts/build --quiet --app $name 2>&1 | grep -v warning | tail -3 && [ -s build/$name.elf ]"
if boot_app "$name" "$work/scaffold.log"; then
    check "build/$name.elf boots and answers GET / with 200 and the scaffold's page" bash -c "
        [ \"\$(ip netns exec $NS curl -s -o '$work/page' -w '%{http_code}' --max-time 10 http://$GUEST_IP/)\" = 200 ] \
        && grep -q 'Hello from $name' '$work/page'"
    check "its console names the app" grep -q "services: app $name with http on 80" "$work/scaffold.log"
    check "its loop denies /factory/log (404) and hands /factory/health back (200)" bash -c "
        [ \"\$(ip netns exec $NS curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://$GUEST_IP/factory/log)\" = 404 ] \
        && [ \"\$(ip netns exec $NS curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://$GUEST_IP/factory/health)\" = 200 ]"
    check "a handler that throws: 500, and the same connection's next request 200" bash -c "
        [ \"\$(ip netns exec $NS curl -s -w '%{http_code} %{num_connects};' --max-time 10 -o /dev/null http://$GUEST_IP/fail -o /dev/null http://$GUEST_IP/)\" = '500 1;200 0;' ]"
    check "the failure is counted (appliance_http_app_failures_total 1) and logged" bash -c "
        ip netns exec $NS curl -s --max-time 10 http://$GUEST_IP/factory/metrics | grep -qx 'appliance_http_app_failures_total 1' \
        && grep -qF 'http: the app failed on GET /fail: on purpose; answered 500' '$work/scaffold.log'"
    check "no panic" bash -c "! grep -q PANIC '$work/scaffold.log'"
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
# ---- 3. guestbook -----------------------------------------------------------------------------------
check "Scripts/build --app guestbook writes build/guestbook.elf" bash -c "Scripts/build --quiet --app guestbook 2>&1 | grep -v warning | tail -3 && [ -s build/guestbook.elf ]"
# curl_code ARGS...: the status code of one request to the guestbook (body to $work/body).
curl_code() { ns_exec curl -s -o "$work/body" -w '%{http_code}' --max-time 10 "$@"; }
export -f curl_code ns_exec; export NS work
if GUEST_APPEND="app.admin=ann:s3cret factory.auth=ops:pa55" boot_app guestbook "$work/guestbook.log"; then
    url=http://$GUEST_IP
    check "guestbook: POST /sign answers 303 to / with a session cookie" bash -c "
        [ \"\$(ns_exec curl -s -D '$work/sign.head' -o /dev/null -w '%{http_code}' --max-time 10 \
              --data-urlencode 'name=Ada Lovelace' --data-urlencode 'message=<b>first</b> post' $url/sign)\" = 303 ] \
        && grep -qi '^location: /' '$work/sign.head' && grep -qi '^set-cookie: visitor=' '$work/sign.head'"
    cookie=$(grep -i '^set-cookie: visitor=' "$work/sign.head" | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
    value=${cookie#visitor=}
    check "guestbook: GET / lists the entry, escaped, and greets no one without the cookie" bash -c "
        [ \"\$(curl_code $url/)\" = 200 ] && grep -qF '<strong>Ada Lovelace</strong>: &lt;b&gt;first&lt;/b&gt; post' '$work/body' \
        && ! grep -q 'Welcome back' '$work/body'"
    check "guestbook: the cookie alone brings 'Welcome back, Ada Lovelace'" bash -c "
        [ \"\$(curl_code -H 'Cookie: $cookie' $url/)\" = 200 ] && grep -qF 'Welcome back, Ada Lovelace!' '$work/body'"
    check "guestbook: the cookie's bytes, raw or base64url-decoded, do not hold the name" python3 -c "
import base64, sys
v = sys.argv[1]
raw = base64.urlsafe_b64decode(v + '=' * (-len(v) % 4))
sys.exit(1 if len(v) < 40 or b'Ada' in v.encode() or b'Ada' in raw or b'Lovelace' in raw else 0)" "$value"
    changed=$(python3 -c "import sys; v = sys.argv[1]; i = len(v) // 2; print(v[:i] + ('A' if v[i] != 'A' else 'B') + v[i + 1:])" "$value")
    check "guestbook: the cookie with one character changed gets no welcome" bash -c "
        [ \"\$(curl_code -H 'Cookie: visitor=$changed' $url/)\" = 200 ] && grep -qF 'Ada Lovelace' '$work/body' \
        && ! grep -q 'Welcome back' '$work/body'"
    check "guestbook: the refused cookie is counted (cookies.refused unauthentic 1)" bash -c "
        curl_code -u ops:pa55 $url/factory/metrics >/dev/null && grep -q 'appliance_cookies_refused_total{reason=\"unauthentic\"} 1' '$work/body'"
    check "factory.auth=: /factory/metrics is 401 without the credentials" bash -c "[ \"\$(curl_code $url/factory/metrics)\" = 401 ]"
    check "guestbook: a sign form without a message is 400" bash -c "[ \"\$(curl_code --data 'name=Eve' $url/sign)\" = 400 ]"
    check "guestbook: a broken %-escape is 400" bash -c "[ \"\$(curl_code --data 'name=Eve&message=%zz' $url/sign)\" = 400 ]"
    long=$(head -c 1001 /dev/zero | tr '\0' m)
    check "guestbook: a message over the limit is 413" bash -c "[ \"\$(curl_code --data 'name=Eve&message=$long' $url/sign)\" = 413 ]"
    check "guestbook: /admin without credentials is 401" bash -c "[ \"\$(curl_code $url/admin)\" = 401 ]"
    check "guestbook: /admin with wrong credentials is 401" bash -c "[ \"\$(curl_code -u ann:wrong $url/admin)\" = 401 ]"
    curl_code -u ann:s3cret $url/admin >/dev/null
    token=$(grep -o 'name="token" value="[^"]*"' "$work/body" | head -1 | sed 's/.*value="//; s/"$//')
    forged=${token:0:20}$([ "${token:20:1}" = A ] && echo B || echo A)${token:21}     # one character changed
    check "guestbook: a delete without the admin page's form token is 403 (CSRF), and one with another is too" bash -c "
        [ -n '$token' ] && [ \"\$(curl_code -u ann:s3cret --data 'id=1' $url/admin/delete)\" = 403 ] \
        && [ \"\$(curl_code -u ann:s3cret --data 'id=1&token=$forged' $url/admin/delete)\" = 403 ] \
        && [ \"\$(curl_code $url/)\" = 200 ] && grep -q 'Ada Lovelace' '$work/body'"
    check "guestbook: the admin deletes the entry with the token, and / no longer lists it" bash -c "
        grep -q 'name=\"id\" value=\"1\"' <(ns_exec curl -s -u ann:s3cret $url/admin) \
        && [ \"\$(curl_code -u ann:s3cret --data 'id=1&token=$token' $url/admin/delete)\" = 303 ] \
        && [ \"\$(curl_code $url/)\" = 200 ] && ! grep -q 'Ada Lovelace' '$work/body'"
    # 70 signatures in a few seconds span at most two budgets of 30 (the beat renews it each minute),
    # the first of which Ada's signature began: 29 to 59 are taken, the rest 429.
    check "guestbook: signatures beyond the minute's budget are 429 (the loop), counted" bash -c "
        for i in \$(seq 70); do curl_code --data \"name=n\$i&message=m\" $url/sign; echo; done > '$work/flood'
        [ \$(grep -c 303 '$work/flood') -ge 29 ] && [ \$(grep -c 429 '$work/flood') -ge 11 ] \
        && curl_code -u ops:pa55 $url/factory/metrics >/dev/null && grep -q 'appliance_guestbook_refused_total{reason=\"busy\"} [1-9]' '$work/body'"
    check "guestbook: no panic" bash -c "! grep -q PANIC '$work/guestbook.log'"
    stop_guest
else
    fail "build/guestbook.elf did not boot"
fi
ns_summary vm-apps
