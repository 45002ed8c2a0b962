#!/bin/bash
# tests/soak/soak.sh: many mails through Postfix and support-milter while
# Redis restarts and the rules are reloaded (`make soak`; not part of make
# check: the full run takes many minutes).
#
# A private Postfix (tests/lib/postfix.sh, PF_DELIVERY=maildir: virtual(8)
# writes every copy into one maildir, no process per mail) in front of
# support-milter with RedisServer set to a throw-away redis-server
# (tests/lib/redis.sh; append-only file, fsync always, so what Redis
# acknowledged survives a crash, as in a production set-up with
# persistence).  SOAK_SENDERS parallel SMTP senders (tests/soak/send.py)
# send SOAK_MAILS mails: files of the labelled corpus (SHARED_DIR) and
# tests/golden, 60 % to the support address, 10 % to the support address
# and another, 30 % to another address only; each connection carries 1-10
# mails.  While they run:
#
#   - every SOAK_REDIS_EVERY mails Redis is restarted: killed (SIGKILL,
#     a crash) and shut down (SIGTERM) in turn, down SOAK_REDIS_DOWN s;
#   - every SOAK_RELOAD_EVERY mails the milter's private copy of the rules
#     gets one more valid rule and the milter SIGUSR1;
#   - every SOAK_RSS_EVERY mails the milter's VmRSS and open descriptors
#     are sampled.
#
# Then, asserted and reported:
#   - 0 mails lost: every accepted mail delivered once per recipient, and
#     Postfix accepted every mail;
#   - 0 copies of support mails without exactly one X-Support-Triage of
#     ours (naming this queue id) unless the milter logged "analysis
#     failed" for that queue id; no mail without a support recipient
#     tagged; one summary log line per support mail;
#   - every reload logged and taken (the delivered mails carry reloads+1
#     rule-set hashes), none failed;
#   - RSS flat: the highest sample of the second half of the mails, and
#     the last sample, at most SOAK_RSS_GROWTH % (default 20) above the
#     highest sample from the warm-up (the first 10 % of the mails:
#     threads, caches and arenas settle) to half-way; start (idle),
#     warm-up, maxima and end reported; open descriptors back to at most
#     the warm-up count;
#   - counters exact after the restarts: the support address's hour,
#     weekday x hour and day keys each add up to the support mails sent,
#     no batch token left, nothing dropped.
#
# Defaults: SOAK_MAILS=20000, SOAK_SENDERS=4, SOAK_REDIS_EVERY and
# SOAK_RELOAD_EVERY 15 % and 25 % of SOAK_MAILS (3,000 and 5,000 for the
# full run), SOAK_RSS_EVERY 2.5 % (500).  `SOAK_MAILS=2000` is the smoke
# variant (under 2 minutes).  ITEST_KEEP=1 keeps the temp dir.
# Needs root, postfix, python3, redis-server; skips (77) otherwise.

T_NAME=soak.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
# shellcheck source=tests/lib/common.sh
. "$top_srcdir/tests/lib/common.sh"
# shellcheck source=tests/lib/itest.sh
. "$top_srcdir/tests/lib/itest.sh"
# shellcheck source=tests/lib/postfix.sh
. "$top_srcdir/tests/lib/postfix.sh"
# shellcheck source=tests/lib/redis.sh
. "$top_srcdir/tests/lib/redis.sh"

# Run by hand: the tools where Debian puts them (make soak passes configure's).
: "${POSTFIX:=$(command -v postfix || echo /usr/sbin/postfix)}"
: "${SWAKS:=$(command -v swaks || echo /usr/bin/swaks)}"
: "${REDIS_SERVER:=$(command -v redis-server || echo /usr/bin/redis-server)}"
pf_require
rd_need
t_need_exec SUPPORT_MILTER "the support-milter binary"
PY=$(t_python) || skip_all "python3 not found"

N=${SOAK_MAILS:-20000}
K=${SOAK_SENDERS:-4}
REDIS_EVERY=${SOAK_REDIS_EVERY:-$((N * 15 / 100))}
RELOAD_EVERY=${SOAK_RELOAD_EVERY:-$((N / 4))}
RSS_EVERY=${SOAK_RSS_EVERY:-$((N / 40))}
REDIS_DOWN=${SOAK_REDIS_DOWN:-1}
GROWTH=${SOAK_RSS_GROWTH:-20}
WARMUP=$((N / 10))
LAST=$((N * 95 / 100))
[ "$RSS_EVERY" -ge 1 ] || RSS_EVERY=1
SUPPORT=support@timemap.dk
CORPUS=$SHARED_DIR/corpus/labelled
if [ -d "$CORPUS" ]; then
	corpus_opt=(--corpus "$CORPUS")
else
	t_log "no labelled corpus at $CORPUS: tests/golden only"
	corpus_opt=()
fi

t_tmpdir
chmod 711 "$T_TMP"
t0=$SECONDS

# ------------------------------------------------------------ set-up
rd_start "$T_TMP/redis" "" --appendonly yes --appendfsync always || t_bail "redis-server did not start"
RPORT=$RD_PORT
MPORT=$(free_port) || t_bail "no free port"
PPORT=$(free_port) || t_bail "no free port"
[ "$(printf '%s\n' "$MPORT" "$PPORT" "$RPORT" | sort -u | wc -l)" -eq 3 ] || t_bail "port collision, run again"

RULES=$T_TMP/rules
cp -r "$top_srcdir/rules" "$RULES" || t_bail "cannot copy the rules"
chmod -R u+w "$RULES"
cat >"$T_TMP/milter.conf" <<EOF
Socket inet:$MPORT@127.0.0.1
SupportAddress $SUPPORT
RulesDir $RULES
RedisServer 127.0.0.1:$RPORT
LogLevel info
EOF
MLOG=$T_TMP/milter.log
# In a sanitizer build (make soak there) AddressSanitizer would hold up
# to 256 MB of freed memory in its quarantine, RSS would climb by design
# and hide a real leak: no quarantine (LeakSanitizer still judges leaks
# at exit, and the exit status is checked).  No effect on other builds.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
milter_start "$T_TMP/milter.conf" "$MPORT" "$MLOG" || t_bail "support-milter did not start"
t_at_exit milter_stop
t_at_exit pf_stop
PF_DELIVERY=maildir pf_start "$T_TMP/pf" "$PPORT" \
	"smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }" \
	"default_process_limit = 50" \
	"enable_long_queue_ids = yes" ||
	t_bail "could not start the private Postfix instance"
t_log "postfix :$PPORT, milter :$MPORT (pid $MILTER_PID), redis :$RPORT, dir $T_TMP"
t_log "$N mails, $K senders; Redis restart every $REDIS_EVERY, reload every $RELOAD_EVERY, RSS sample every $RSS_EVERY"

# rss_kb / fds: the milter's resident set and open descriptors now.
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$MILTER_PID/status"; }
fds() { find "/proc/$MILTER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
RSS_START=$(rss_kb)
FD_START=$(fds)
printf 'mails\tseconds\trss_kb\tfds\n0\t0\t%s\t%s\n' "$RSS_START" "$FD_START" >"$T_TMP/rss.tsv"

# ------------------------------------------------------------ send
PIDS=()
for ((k = 0; k < K; k++)); do
	"$PY" "$top_srcdir/tests/soak/send.py" --port "$PPORT" --worker "$k" --workers "$K" --count "$N" \
		"${corpus_opt[@]}" --golden "$top_srcdir/tests/golden" \
		--log "$T_TMP/sent.$k" --progress "$T_TMP/progress.$k" 2>"$T_TMP/send.$k.err" &
	PIDS+=($!)
done
t_at_exit "kill ${PIDS[*]}"
# done_so_far: mails the senders have finished (accepted or given up).
done_so_far() {
	local k v s=0
	for ((k = 0; k < K; k++)); do
		v=$(cat "$T_TMP/progress.$k" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
running() {
	local p
	for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done
	return 1
}

next_rss=$RSS_EVERY
next_redis=$REDIS_EVERY
next_reload=$RELOAD_EVERY
restarts=0
reloads=0
RSS_WARM=
FD_WARM=
send_t0=$SECONDS
deadline=$((SECONDS + 60 + N / 5))
while running; do
	d=$(done_so_far)
	if [ "$d" -ge "$next_rss" ]; then
		r=$(rss_kb)
		f=$(fds)
		printf '%s\t%s\t%s\t%s\n' "$d" "$((SECONDS - send_t0))" "$r" "$f" >>"$T_TMP/rss.tsv"
		if [ -z "$RSS_WARM" ] && [ "$d" -ge "$WARMUP" ]; then RSS_WARM=$r FD_WARM=$f; fi
		next_rss=$((next_rss + RSS_EVERY))
		[ "${ITEST_VERBOSE:-0}" = 1 ] && t_log "$d mails, rss ${r} kB, $f fds"
	fi
	# Nothing in the last 5 %: every event has mails behind it.
	if [ "$REDIS_EVERY" -gt 0 ] && [ "$d" -ge "$next_redis" ] && [ "$d" -lt "$LAST" ]; then
		restarts=$((restarts + 1))
		if [ $((restarts % 2)) -eq 1 ]; then how=SIGKILL; rd_kill; else how=SIGTERM; rd_stop; fi
		sleep "$REDIS_DOWN"
		rd_start "$T_TMP/redis" "$RPORT" --appendonly yes --appendfsync always ||
			t_bail "redis-server did not restart"
		t_log "Redis restart $restarts ($how) at $d mails, back after $(done_so_far)"
		next_redis=$((next_redis + REDIS_EVERY))
	fi
	if [ "$RELOAD_EVERY" -gt 0 ] && [ "$d" -ge "$next_reload" ] && [ "$d" -lt "$LAST" ]; then
		reloads=$((reloads + 1))
		# A valid edit of one of the rules files: one more sub-rule.
		printf '\n# soak reload %d\nheader   __SOAK_RELOAD_%d  X-Soak-Reload =~ /^%d$/\n' \
			"$reloads" "$reloads" "$reloads" >>"$RULES/20-categories.rules"
		kill -USR1 "$MILTER_PID"
		t_log "reload $reloads at $d mails"
		next_reload=$((next_reload + RELOAD_EVERY))
	fi
	if [ "$SECONDS" -ge "$deadline" ]; then
		t_bail "senders not done after $((SECONDS - send_t0)) s ($(done_so_far) of $N)"
	fi
	sleep 0.2
done
send_s=$((SECONDS - send_t0))
senders_ok=1
for p in "${PIDS[@]}"; do wait "$p" || senders_ok=0; done
check "all $K senders finished, every mail accepted by Postfix" test "$senders_ok" -eq 1
t_log "sent $(done_so_far) mails in $send_s s"

# ------------------------------------------------------------ delivery
want=$(awk -F '\t' '$2 != "ERROR" { s += $4 } END { print s + 0 }' "$T_TMP"/sent.*)
pf_wait_delivered "$want" $((120 + N / 50)) || not_ok "not every copy delivered in time"
deliver_s=$((SECONDS - send_t0))
# Settle: the last mails' counters, then the end sample.
sleep 2
RSS_END=$(rss_kb)
FD_END=$(fds)
printf '%s\t%s\t%s\t%s\n' "$(done_so_far)" "$((SECONDS - send_t0))" "$RSS_END" "$FD_END" >>"$T_TMP/rss.tsv"
[ -n "$RSS_WARM" ] || RSS_WARM=$RSS_START FD_WARM=$FD_START
RSS_MAX=$(awk -F '\t' 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$T_TMP/rss.tsv")

"$PY" "$top_srcdir/tests/soak/check.py" "$PF_DIR/mail/all" "$MLOG" "$T_TMP"/sent.* >"$T_TMP/check.out" ||
	t_bail "check.py failed: $(tail -n 5 "$T_TMP/check.out")"
val() { sed -n "s/^$1=//p" "$T_TMP/check.out"; }
grep '^bad ' "$T_TMP/check.out" | head -n 20 | sed 's/^/  | /'

sent=$(val sent)
support_msgs=$(val support_msgs)
failed_logged=$(val failed_logged)
check "every mail has its own queue id ($(val qid_collisions) reused)" test "$(val qid_collisions)" -eq 0
check "Postfix accepted all $N mails ($sent; $(val send_errors) given up)" test "$sent" -eq "$N"
check "0 lost: $(val delivered) copies delivered of $(val want_copies) ($(val lost) lost, $(val duplicates) duplicated, $(val unknown) unknown)" \
	test "$(val lost)" -eq 0 -a "$(val duplicates)" -eq 0 -a "$(val unknown)" -eq 0 -a "$(val delivered)" -eq "$(val want_copies)"
check "0 support copies untagged: $(val tagged) tagged, $(val untagged) untagged, $(val excused) excused by a logged analysis failure" \
	test "$(val untagged)" -eq 0
check "no mail without a support recipient tagged ($(val foreign))" test "$(val foreign)" -eq 0
check "one summary log line per analysed support mail ($(val summaries) for $support_msgs, $failed_logged failed)" \
	test "$(val summaries)" -eq $((support_msgs - failed_logged))

n_reloaded=$(grep -c 'reloaded: generation=' "$MLOG")
check "$reloads reloads, $n_reloaded logged, none failed" \
	test "$n_reloaded" -eq "$reloads" -a "$(grep -c 'reload failed' "$MLOG")" -eq 0
# The rule sets the milter ran (at start and after each reload) are the
# ones the delivered mails name, all of them.
logged_hashes=$(sed -n 's/.*\(starting\|reloaded:\) .*hash=\([0-9a-f]*\).*/\2/p' "$MLOG" | sort -u | tr '\n' ' ')
check "the delivered mails carry the $((reloads + 1)) rule sets run (${logged_hashes% })" \
	test "$(val rule_hash_list)" = "${logged_hashes% }" -a "$(val rule_hashes)" -eq $((reloads + 1))

# The RSS curve, about ten points of it.
awk -F '\t' -v step="$(($(wc -l <"$T_TMP/rss.tsv") / 10 + 1))" \
	'NR == 1 { next } { l = $0 } (NR - 2) % step == 0 { printf "#   %6d mails %5d s %7d kB %3d fds\n", $1, $2, $3, $4; l = "" }
	END { if (l != "") { split(l, f, "\t"); printf "#   %6d mails %5d s %7d kB %3d fds\n", f[1], f[2], f[3], f[4] } }' \
	"$T_TMP/rss.tsv"
# RSS swings by several MB from sample to sample (glibc's per-thread
# arenas grow and are trimmed as connections come and go), so "flat" is
# judged on the envelope: the highest sample of the second half of the
# mails against the highest from the warm-up to half-way, and the last
# sample against the same.  A leak lifts the envelope; noise does not.
read -r RSS_MAX1 RSS_MAX2 <<<"$(awk -F '\t' -v w="$WARMUP" -v h="$((N / 2))" \
	'NR > 1 && $1 >= w && $1 < h && $3 > a { a = $3 } NR > 1 && $1 >= h && $3 > b { b = $3 } END { print a + 0, b + 0 }' \
	"$T_TMP/rss.tsv")"
[ "$RSS_MAX1" -gt 0 ] || RSS_MAX1=$RSS_WARM
limit=$((RSS_MAX1 * (100 + GROWTH) / 100))
check "RSS flat: highest second half ${RSS_MAX2} kB vs first half ${RSS_MAX1} kB (limit +$GROWTH %: $limit kB)" \
	test "$RSS_MAX2" -le "$limit"
check "RSS flat: start ${RSS_START} kB, after warm-up ${RSS_WARM} kB, max ${RSS_MAX} kB, end ${RSS_END} kB (limit $limit kB)" \
	test "$RSS_END" -le "$limit"
check "descriptors: start $FD_START, after warm-up $FD_WARM, end $FD_END (no more than after warm-up)" \
	test "$FD_END" -le "$FD_WARM"

# ------------------------------------------------------------ counters
sum_keys() { # PATTERN: the sum of the values of the keys matching it
	rd_cli --scan --pattern "$1" | while read -r key; do rd_cli GET "$key"; done | awk '{ s += $1 } END { print s + 0 }'
}
want_ctr=$((support_msgs - failed_logged))
deadline=$((SECONDS + 60))
while h=$(sum_keys "sm:$SUPPORT:h:*") && [ "$h" -lt "$want_ctr" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
wh=$(sum_keys "sm:$SUPPORT:wh:*")
d=$(sum_keys "sm:$SUPPORT:d:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]")
check "Redis restarted $restarts times: hour counters exact ($h of $want_ctr)" test "$h" -eq "$want_ctr"
check "weekday x hour counters exact ($wh of $want_ctr)" test "$wh" -eq "$want_ctr"
check "daily counters exact ($d of $want_ctr)" test "$d" -eq "$want_ctr"
check "no batch tokens left" test "$(rd_cli --scan --pattern 'sm:tok:*' | wc -l)" -eq 0
check "counters: nothing dropped" \
	test "$(grep -Ec 'counters: (backlog full|queue full)|counters: Redis .* refused [0-9]' "$MLOG")" -eq 0

milter_stop
rc=$?
check "support-milter exited 0 on SIGTERM (status $rc)" test "$rc" -eq 0
n_san=$(grep -Ec 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$MLOG")
check "no sanitizer error in the milter's log ($n_san)" test "$n_san" -eq 0
[ "$rc" -eq 0 ] && [ "$n_san" -eq 0 ] ||
	grep -v -E '\]: [0-9A-Za-z]+: from=<' "$MLOG" | tail -n 80 | sed 's/^/  | /'

total_s=$((SECONDS - t0))
t_log "summary: mails=$N support=$support_msgs lost=$(val lost) untagged=$(val untagged) excused=$(val excused)" \
	"rss_kb start=$RSS_START warm=$RSS_WARM max1=$RSS_MAX1 max2=$RSS_MAX2 max=$RSS_MAX end=$RSS_END fds=$FD_START/$FD_WARM/$FD_END" \
	"redis_restarts=$restarts reloads=$reloads send_s=$send_s deliver_s=$deliver_s total_s=$total_s" \
	"rate=$((N / (send_s > 0 ? send_s : 1)))/s"
cp "$T_TMP/rss.tsv" "${SOAK_RSS_OUT:-/dev/null}" 2>/dev/null || :
done_testing
