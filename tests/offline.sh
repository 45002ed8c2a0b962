#!/bin/sh
# Offline mode (-t) acceptance: hours and peak at given times, chunking
# independence, recipients, forged-header removal, --check errors.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"

bin=$SUPPORT_MILTER
mail=$top_srcdir/tests/data/offline/plain.eml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

out=$("$bin" -t "$mail" --rcpt support@timemap.dk --time 2026-11-23T09:30:00+01:00 --json)
check "exit status 0 for an analysed file" test $? -eq 0
check "Monday 09:30 is open" test "$(json_field "$out" hours)" = open
check "Monday 09:30 is peak" test "$(json_field "$out" peak)" = true

out=$("$bin" -t "$mail" --rcpt support@timemap.dk --time 2026-11-28T10:00:00+01:00 --json)
check "Saturday 10:00 is closed" test "$(json_field "$out" hours)" = closed
check "Saturday 10:00 is not peak" test "$(json_field "$out" peak)" = false

out=$("$bin" -t "$mail" --rcpt support@timemap.dk --time 2026-11-24T14:00:00Z --json)
check "Tuesday 15:00 CET (14:00Z) is closed" test "$(json_field "$out" hours)" = closed
out=$("$bin" -t "$mail" --rcpt support@timemap.dk --time 2026-11-25T09:59:59+01:00 --json)
check "Wednesday 09:59:59 is peak" test "$(json_field "$out" peak)" = true
out=$("$bin" -t "$mail" --rcpt support@timemap.dk --time 2026-11-25T10:00:00+01:00 --json)
check "Wednesday 10:00 is open but not peak" test "$(json_field "$out" hours)/$(json_field "$out" peak)" = open/false

for size in 1 7 4096 65535; do
	"$bin" -t "$mail" --rcpt support@timemap.dk --time 2026-11-23T09:30:00+01:00 --json --chunk "$size" >"$tmp/chunk-$size.json"
done
check "chunk sizes 1 and 65535 give identical results" cmp -s "$tmp/chunk-1.json" "$tmp/chunk-65535.json"
check "chunk sizes 7 and 4096 give identical results" cmp -s "$tmp/chunk-7.json" "$tmp/chunk-4096.json"
check "chunk sizes 1 and 7 give identical results" cmp -s "$tmp/chunk-1.json" "$tmp/chunk-7.json"

out=$("$bin" -t "$mail" --rcpt support+urgent@TimeMap.DK --time 2026-11-23T09:30:00+01:00)
check "+detail and upper case recipient count as support" sh -c 'printf "%s" "$1" | grep -q "X-Support-Hours: open"' - "$out"
check "the forged X-Support-Priority is removed" sh -c 'printf "%s" "$1" | grep -q "remove X-Support-Priority\[1\]"' - "$out"

out=$("$bin" -t "$mail" --rcpt someone@example.com --time 2026-11-23T09:30:00+01:00)
check "mail without a support recipient is left untouched" sh -c 'printf "%s" "$1" | grep -q "no support recipient" && ! printf "%s" "$1" | grep -q "X-Support-"' - "$out"

"$bin" -t "$mail" --time yesterday >/dev/null 2>&1
check "a bad --time is a usage error (64)" test $? -eq 64
"$bin" -t "$tmp/does-not-exist.eml" >/dev/null 2>&1
check "a missing input file exits 66" test $? -eq 66

cat >"$tmp/bad.conf" <<'CONF'
# a comment
SupportAdress support@timemap.dk
HeaderPrefix X-Support-
MaxMimeDepth lots
CONF
"$bin" -c "$tmp/bad.conf" --check >"$tmp/check.out" 2>&1
check "--check exits 78 on a bad configuration" test $? -eq 78
check "--check names the unknown key with file:line" grep -q "bad.conf:2:" "$tmp/check.out"
check "--check names the bad value with file:line" grep -q "bad.conf:4:" "$tmp/check.out"

"$bin" -c "$tmp/no-such.conf" --check >/dev/null 2>&1
check "--check exits 78 when the named config file is missing" test $? -eq 78

done_testing
