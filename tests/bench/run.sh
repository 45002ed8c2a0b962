#!/bin/bash
# tests/bench/run.sh: the milter benchmark behind `make bench`; prints one
# table.  Not a test: the numbers depend on the machine, and on a shared
# machine on everyone else's load, which is why every comparison is a ratio
# between milters measured in the same minute, alternating runs, medians.
#
# Parts (BENCH_PARTS, default "direct memory postfix offline"):
#   direct   tests/bench/milterload (the milter protocol without an MTA)
#            against null-milter, support-milter and support-milter with a
#            throw-away Redis, over TCP and a unix socket: msgs/s and
#            end-of-message latency at K=16 connections, closed loop
#            (saturated) and paced at half the slowest milter's rate; the
#            K=1 row over TCP shows Nagle's 40 ms when TCP_NODELAY is lost.
#   memory   RSS per open connection: K idle connections parked after the
#            headers (milterload -I), 10 vs 210, per milter.
#   postfix  a private Postfix (tests/lib/postfix.sh, discard delivery) fed
#            by smtp-source: no milter, null-milter, support-milter+Redis;
#            an HTML mail with a 200 KB PNG and a short plain-text mail.
#   offline  rules_bench (500 rules) and memory.sh (50 MB vs 50 KB mail).
# Parts whose tools are missing (postfix/smtp-source/root, redis-server)
# print "skipped" rows; the corpus (SHARED_DIR/corpus/labelled) is replaced
# by the two generated mails when it is absent.
#
# Environment: top_srcdir, top_builddir, SUPPORT_MILTER, SHARED_DIR,
# POSTFIX, REDIS_SERVER (as in make check); BENCH_RUNS (3, direct runs),
# BENCH_PF_RUNS (5, Postfix runs: its ratios are noisier), BENCH_PF_BUSY
# (20 SMTP sessions in the busy Postfix runs; 0 = none), BENCH_SECS
# (3, per direct run), BENCH_CONNS (16), BENCH_PF_MSGS (500 per Postfix
# run), BENCH_KEEP=1 keeps the work dir (logs, raw results),
# BENCH_STRICT=1 makes a missed goal an error.
# Exit status: 1 when a part failed (a milter did not start, a load run
# had errors, a support mail was not analysed), else 0; missed goals are
# counted under the table (and fail only with BENCH_STRICT=1).

T_NAME=bench
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
: "${SHARED_DIR:=$top_srcdir/../shared}"
: "${BENCH_RUNS:=3}" "${BENCH_PF_RUNS:=5}" "${BENCH_SECS:=3}" "${BENCH_CONNS:=16}" "${BENCH_PF_MSGS:=500}" "${BENCH_PF_BUSY:=20}"
: "${BENCH_PARTS:=direct memory postfix offline}"
[ "${BENCH_KEEP:-0}" = 1 ] && ITEST_KEEP=1
NULL_MILTER=$top_builddir/tests/bench/null-milter
MILTERLOAD=$top_builddir/tests/bench/milterload
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/itest.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/bench/direct.sh"
. "$top_srcdir/tests/bench/postfix.sh"

for b in "$SUPPORT_MILTER" "$NULL_MILTER" "$MILTERLOAD"; do
	[ -x "$b" ] || { echo "bench: $b is not built (make bench builds it)"; exit 1; }
done
t_tmpdir
chmod 711 "$T_TMP" # Postfix's pipe/discard run as other users below it
W=$T_TMP
ROWS=$W/rows       # the table, one tab-separated row per line
: >"$ROWS"
FAILED=0
MISSED=0
t0=$SECONDS
load_start=$(cut -d' ' -f1 /proc/loadavg)

# row PART WHAT UNIT NOMILTER NULL SUPPORT SUPPORT_REDIS RATIO GOAL OK
row() { local IFS=$'\t'; printf '%s\n' "$*" >>"$ROWS"; }

median() { sort -g | awk 'NF && $1 != "-" { v[++n] = $1 } END { if (n == 0) print "-"; else if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
# kv KEY LINE: the value of KEY=value in a milterload result line
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
# meets VALUE OP LIMIT: yes/no
meets() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "-") { print "-"; exit }
	ok = (op == ">=") ? v + 0 >= l + 0 : (op == "<") ? v + 0 < l + 0 : (op == "=") ? v + 0 == l + 0 : v + 0 <= l + 0
	print ok ? "yes" : "NO" }'; }
goal_row() { # goal_row PART WHAT UNIT NOM NULL SUP SUPR RATIO OP LIMIT VALUE...
	local part=$1 what=$2 unit=$3 nom=$4 nul=$5 sup=$6 supr=$7 rat=$8 op=$9 lim=${10} ok=- v r
	shift 10
	for v in "$@"; do # values "-" (not measured) do not count
		r=$(meets "$v" "$op" "$lim")
		[ "$r" = yes ] && [ "$ok" = - ] && ok=yes
		[ "$r" = NO ] && ok=NO
	done
	[ "$ok" = NO ] && MISSED=$((MISSED + 1))
	row "$part" "$what" "$unit" "$nom" "$nul" "$sup" "$supr" "$rat" "$op $lim" "$ok"
}

# ------------------------------------------------------------ test mails
# An HTML mail (multipart/alternative + a 1280x720 PNG of about 200 KB,
# base64) and a short plain-text mail, both to the support address.
gen_mails() {
	python3 - "$W/html-png.eml" "$W/plain.eml" <<'PY'
import base64, random, struct, sys, zlib
html_path, plain_path = sys.argv[1], sys.argv[2]
rnd = random.Random(47)
w, h = 1280, 720
rows = []
for y in range(h):
    row = bytearray(b'\xf0\xf0\xf0' * w)
    if 100 <= y < 172:  # a noisy band: what makes this PNG ~200 KB
        for x in range(0, w * 3, 3):
            row[x:x + 3] = bytes((rnd.randrange(256), rnd.randrange(256), 200))
    rows.append(b'\x00' + bytes(row))
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
       chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b''))
b64 = base64.b64encode(png).decode()
text = ("Hej support\n\nVagtplanen viser forkerte timer for uge 47 under Vagtplan > Oversigt.\n"
        "Jeg er logget ind som mette.h, og det gælder medarbejder Jens Hansen (medarb. nr. 1043)\n"
        "den 18/11. Skærmbillede vedhæftet.\n\nVenlig hilsen\nMette Hansen\nCafé Nordlys ApS\n")
html = ("<html><body><p>Hej support</p><p>Vagtplanen viser forkerte timer for <b>uge 47</b> "
        "under Vagtplan &gt; Oversigt.</p><p>Jeg er logget ind som mette.h, og det g&aelig;lder "
        "medarbejder Jens Hansen (medarb. nr. 1043) den 18/11. Sk&aelig;rmbillede vedh&aelig;ftet.</p>"
        "<p>Venlig hilsen<br>Mette Hansen<br>Caf&eacute; Nordlys ApS</p></body></html>\n")
qp = lambda s: s.encode('utf-8').decode('latin-1')  # 8bit, declared utf-8
hdr = ("From: Mette Hansen <mette@example.dk>\nTo: support@timemap.dk\n"
       "Subject: Forkerte timer i vagtplanen\nDate: Mon, 23 Nov 2026 09:12:00 +0100\n"
       "Message-ID: <bench-%s@example.dk>\nMIME-Version: 1.0\n")
with open(html_path, 'w', encoding='utf-8') as f:
    f.write(hdr % 'html' + 'Content-Type: multipart/mixed; boundary="mix"\n\n'
            '--mix\nContent-Type: multipart/alternative; boundary="alt"\n\n'
            '--alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
            + text + '--alt\nContent-Type: text/html; charset=utf-8\n\n' + html + '--alt--\n'
            '--mix\nContent-Type: image/png; name="skaermbillede.png"\n'
            'Content-Disposition: attachment; filename="skaermbillede.png"\n'
            'Content-Transfer-Encoding: base64\n\n'
            + '\n'.join(b64[i:i + 76] for i in range(0, len(b64), 76)) + '\n--mix--\n')
with open(plain_path, 'w', encoding='utf-8') as f:
    f.write(hdr % 'plain' + 'Content-Type: text/plain; charset=utf-8\n'
            'Content-Transfer-Encoding: 8bit\n\n' + text)
print(len(png))
PY
}

# ------------------------------------------------------------ milters
# Config for support-milter: the shipped defaults, the source tree's rules,
# log to a file (one line per message, as in production, not syslog).
sm_conf() { # sm_conf FILE SOCKET [REDIS_PORT]
	{
		printf 'Socket %s\nRulesDir %s/rules\nSyslog no\nLogLevel info\n' "$2" "$top_srcdir"
		[ -n "${3:-}" ] && printf 'RedisServer 127.0.0.1:%s\n' "$3"
	} >"$1"
}

PIDS=()
# start_bg NAME LOG COMMAND...: a milter in the background; its pid is
# remembered for stop_all.
start_bg() {
	local name=$1 log=$2
	shift 2
	"$@" >>"$log" 2>&1 </dev/null &
	PIDS+=("$!")
	eval "PID_$name=$!"
}
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		wait_pid_gone "$p" 15 || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
}
t_at_exit stop_all
wait_unix() { local i; for ((i = 0; i < 100; i++)); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }

# ------------------------------------------------------------ main
png_bytes=$(gen_mails) || { echo "bench: could not generate the test mails"; exit 1; }
CORPUS=$SHARED_DIR/corpus/labelled
CORPUS_NAME="labelled corpus ($(ls "$CORPUS"/*.eml 2>/dev/null | wc -l) mails)"
if ! ls "$CORPUS"/*.eml >/dev/null 2>&1; then
	CORPUS="$W/html-png.eml $W/plain.eml"
	CORPUS_NAME="the 2 generated mails (no $SHARED_DIR/corpus/labelled)"
fi

REDIS_PORT=
[ -x "${REDIS_SERVER:-}" ] || REDIS_SERVER=$(command -v redis-server 2>/dev/null)
RD_CLI=$(command -v redis-cli 2>/dev/null)
if [ -x "${REDIS_SERVER:-}" ] && [ -n "$RD_CLI" ]; then
	rd_start "$W/redis" >/dev/null && REDIS_PORT=$RD_PORT
fi

for part in $BENCH_PARTS; do
	case $part in
	direct) bench_direct ;;
	memory) bench_memory ;;
	postfix) bench_postfix ;;
	offline) bench_offline ;;
	*) echo "bench: unknown part $part"; exit 64 ;;
	esac
done
stop_all

# ------------------------------------------------------------ the table
echo
printf '== support-milter benchmark: %s CPUs, load %s at start, %s at end, %d s; medians of %s (direct) and %s (Postfix) alternating runs\n' \
	"$(nproc)" "$load_start" "$(cut -d' ' -f1 /proc/loadavg)" "$((SECONDS - t0))" "$BENCH_RUNS" "$BENCH_PF_RUNS"
printf '== direct: %s; support+R = support-milter with Redis%s\n' "$CORPUS_NAME" \
	"$([ -z "$REDIS_PORT" ] && echo ' (skipped: no redis-server)')"
{
	printf 'part\twhat\tunit\tno milter\tnull\tsupport\tsupport+R\tratio\tgoal\tok\n'
	cat "$ROWS"
} | awk -F'\t' '{ printf "%-8s %-36s %-6s %9s %9s %9s %9s %6s %-8s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
echo "ratio: support+R / null (throughput; through Postfix the median of the per-run ratios, goal >= 1.0; direct >= 0.5)"
echo "goals missed: $MISSED$([ "$FAILED" = 1 ] && echo "; a part FAILED (see the messages above)")"
[ "${BENCH_KEEP:-0}" = 1 ] && echo "raw results and logs: $W"
[ "${BENCH_STRICT:-0}" = 1 ] && [ "$MISSED" -gt 0 ] && FAILED=1
exit "$FAILED"
