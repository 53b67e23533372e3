#!/usr/bin/env bash
# The document root's safety rules in the VM (issue 21), fetched with curl from a private namespace:
# an image holding a dotfile, .git/config, a 0600 file and /.well-known/x (made with
# Scripts/mkdisk --dotfiles, so the hidden entries are on the disk and the server must refuse them).
# By default: the hidden and the unreadable answer 404, /.well-known/x and the rest 200; then booted
# again with http.dotfiles=allow, the dotfiles are served (the 0600 file still is not).
# Builds nothing: run Scripts/build first. Prints one PASS/FAIL line per check, then 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf missing: run Scripts/build first"; exit 1; }

work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT
site=$work/site
mkdir -p "$site/.git" "$site/.well-known" "$site/docs"
echo "home" >"$site/index.html"
echo "SECRET=1" >"$site/.env"
echo "[core]" >"$site/.git/config"
echo "well known" >"$site/.well-known/x"
echo "private" >"$site/docs/private.txt"; chmod 600 "$site/docs/private.txt"
echo "public" >"$site/docs/public.txt"; chmod 644 "$site/docs/public.txt"
Scripts/mkdisk "$site" "$work/www.img" --dotfiles >/dev/null || { echo "FAIL mkdisk"; exit 1; }

ns_create docroot
base=http://$GUEST_IP
code() { ns_exec curl -s -o /dev/null -m 10 -w '%{http_code}' "$base$1"; }
# answers PATH CODE...: each PATH answers its CODE
answers() {
    local path code got ok=0
    while [ $# -gt 0 ]; do
        path=$1 code=$2; shift 2
        got=$(code "$path")
        [ "$got" = "$code" ] || { echo "    $path: $got, expected $code"; ok=1; }
    done
    return $ok
}
boot() {   # boot LOG APPEND: the guest with the image, waiting until the disk is mounted
    ns_guest "$1" "ip=$GUEST_IP/24 gw=192.100.200.1 $2" -drive "file=$work/www.img,if=virtio,format=raw,readonly=on"
    ns_wait_log "$1" "ext2 mounted" 30
}

check "the default boot mounts the image" boot "$work/default.log" ""
check "hidden paths answer 404 (/.env, /.git/config, /.git/, encoded /%2egit/config)" \
    answers /.env 404 /.git/config 404 /.git/ 404 /%2egit/config 404
check "a 0600 file answers 404" answers /docs/private.txt 404
check "/.well-known/x, /, and a 0644 file answer 200" answers /.well-known/x 200 / 200 /docs/public.txt 200
check "the refusals are counted on /factory/etc" \
    bash -c "ip netns exec '$NS' curl -s -m 10 '$base/factory/etc' | grep -qE 'http.dot_files_refused 4\b'"
kill "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null

check "with http.dotfiles=allow the boot mounts the image" boot "$work/allow.log" "http.dotfiles=allow"
check "with http.dotfiles=allow the dotfiles answer 200, the 0600 file still 404" \
    answers /.env 200 /.git/config 200 /docs/private.txt 404
check "no panic" bash -c "! grep -q PANIC '$work/default.log' '$work/allow.log'"
ns_summary vm-docroot
