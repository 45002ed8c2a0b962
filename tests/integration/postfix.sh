#!/bin/bash
# tests/integration/postfix.sh: support-milter behind a real Postfix.
#
# Starts a private Postfix instance (tests/lib/postfix.sh: own config, queue
# and log under a temp dir, smtpd on a free 127.0.0.1 port, every recipient
# delivered byte-exact into files) and support-milter on another free port,
# sends mails from tests/data/itest with swaks and checks what was delivered:
#
#   (a) mail to the support address: our headers (X-Support-Hours/Peak/
#       Triage at least, sane values, queue id in Triage) are added;
#   (b) mail to another address: no X-Support- header at all;
#   (c) support mail with three forged X-Support-Priority headers (mixed
#       case, one folded) interleaved with others: all forged ones gone,
#       ours present, every other header intact and in order;
#   (e) the support address in other letter case with +detail: analysed;
#   (f) one transaction for another address and the support address:
#       analysed (the milter must not accept the message at the first RCPT);
#   (d) support mail while the milter is down: delivered untouched
#       (milter_default_action = accept).
#
# In every case the delivered body is byte-identical to the sent one and
# the delivered header is the sent one plus Postfix's Received field, minus
# forged X-Support-* fields, plus ours.
#
# Exit: 0 pass, 1 fail, 77 skip (no postfix/swaks, not root, no binary).
# ITEST_KEEP=1 keeps the temp dir (maillog, milter log, delivered mails).

T_NAME=postfix.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
# shellcheck source=tests/lib/common.sh
. "$top_srcdir/tests/lib/common.sh"
# shellcheck source=tests/lib/itest.sh
. "$top_srcdir/tests/lib/itest.sh"
# shellcheck source=tests/lib/postfix.sh
. "$top_srcdir/tests/lib/postfix.sh"

pf_require
t_need_exec SUPPORT_MILTER "the support-milter binary"
DATA=$top_srcdir/tests/data/itest
SUPPORT=support@timemap.dk
SENDER=customer@example.dk

t_tmpdir
chmod 711 "$T_TMP" # the pipe(8) delivery runs as nobody, below this dir
t_at_exit milter_stop
t_at_exit pf_stop

MPORT=$(free_port) || t_bail "no free port"
PPORT=$(free_port) || t_bail "no free port"
while [ "$PPORT" = "$MPORT" ]; do PPORT=$(free_port) || t_bail "no free port"; done

# The milter first: Postfix's smtpd talks to it from the first connection
# on (even wait_port's probe), and every milter warning is a failure below.
milter_write_conf "$T_TMP/support-milter.conf" "$MPORT"
milter_start "$T_TMP/support-milter.conf" "$MPORT" "$T_TMP/milter.log" ||
	t_bail "could not start support-milter"
pf_start "$T_TMP/pf" "$PPORT" \
	"smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }" \
	"non_smtpd_milters = \$smtpd_milters" ||
	t_bail "could not start the private Postfix instance"
t_log "postfix on 127.0.0.1:$PPORT, milter on 127.0.0.1:$MPORT, dir $T_TMP"

# ------------------------------------------------------------ mail helpers

# fields FILE: the header block, one field per line, continuation lines
# joined with a literal "\n" so that folding is compared exactly.
fields() {
	awk '/^$/ { exit }
		/^[ \t]/ { f = f "\\n" $0; next }
		{ if (n++) print f; f = $0 }
		END { if (n) print f }' "$1"
}

# body FILE: everything after the first empty line, byte for byte.
body() { sed '1,/^$/d' "$1"; }

# ours: keeps the fields whose name starts with X-Support- (any case).
ours() { grep -i '^x-support-' || :; }
# not_ours: drops them.
not_ours() { grep -vi '^x-support-' || :; }

# values NAME: unfolded values of the fields called NAME (any case), one a line.
values() {
	local name=$1
	awk -v n="$name" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n {
			v = substr($0, length(n) + 1)
			gsub(/\\n/, "", v)
			sub(/^[ \t]+/, "", v)
			print v
		}'
}

# check_delivery CASE SENTFILE DELIVEREDFILE: body identical, and the
# delivered header = Postfix's Received + the sent fields that are not
# X-Support-*, in order, + ours.
check_delivery() {
	local c=$1 sent=$2 got=$3 first
	if cmp -s <(body "$sent") <(body "$got"); then
		ok "($c) body delivered byte-identical to the body sent"
	else
		not_ok "($c) body differs from the body sent:"
		diff <(body "$sent") <(body "$got") | head -n 20 | sed 's/^/  | /'
	fi
	first=$(fields "$got" | head -n 1)
	case $first in
	Received:*"by itest.localhost (Postfix)"*)
		ok "($c) Postfix added its Received field on top" ;;
	*)
		not_ok "($c) first delivered field is not our Postfix's Received: $first" ;;
	esac
	if diff <(fields "$sent" | not_ours) <(fields "$got" | sed 1d | not_ours) >"$T_TMP/hdiff" 2>&1; then
		ok "($c) every other header field intact and in order (folding included)"
	else
		not_ok "($c) header fields other than X-Support-* changed (< sent, > delivered):"
		head -n 20 "$T_TMP/hdiff" | sed 's/^/  | /'
	fi
}

# check_ours CASE FILE QID: our headers present once each with sane values.
check_ours() {
	local c=$1 got=$2 qid=$3 hdrs name n v
	hdrs=$(fields "$got" | ours)
	for name in X-Support-Hours X-Support-Peak X-Support-Triage; do
		n=$(printf '%s\n' "$hdrs" | values "$name" | wc -l)
		if [ "$n" -eq 1 ]; then ok "($c) $name added once"; else not_ok "($c) $name present $n times (want 1)"; fi
	done
	v=$(printf '%s\n' "$hdrs" | values X-Support-Hours | head -n 1)
	check "($c) X-Support-Hours is open|closed (got '$v')" grep -Eqx 'open|closed' <<<"$v"
	v=$(printf '%s\n' "$hdrs" | values X-Support-Peak | head -n 1)
	check "($c) X-Support-Peak is yes|no (got '$v')" grep -Eqx 'yes|no' <<<"$v"
	v=$(printf '%s\n' "$hdrs" | values X-Support-Triage | head -n 1)
	check "($c) X-Support-Triage names support-milter/VERSION (got '$v')" grep -Eq 'support-milter/[0-9]' <<<"$v"
	check "($c) X-Support-Triage carries the queue id $qid" grep -Fq "$qid" <<<"$v"

	# The others are optional here (rules decide), but when present they
	# must be well-formed and not repeated.
	v=$(printf '%s\n' "$hdrs" | values X-Support-Priority)
	if [ -n "$v" ]; then
		check "($c) X-Support-Priority, when added, is one of high|normal|low (got '$v')" grep -Eqx 'high|normal|low' <<<"$v"
	fi
	v=$(printf '%s\n' "$hdrs" | values X-Support-Scope)
	if [ -n "$v" ]; then
		check "($c) X-Support-Scope, when added, is in-scope|out-of-scope (got '$v')" grep -Eqx 'in-scope|out-of-scope' <<<"$v"
	fi
	# Ours are appended (spec §4): every X-Support-* field comes after the
	# last other field, so a surviving forged one (they are interleaved in
	# the test mails) shows up here.
	n=$(fields "$got" | awk 'tolower($0) ~ /^x-support-/ { seen = 1; next } seen { bad++ } END { print bad + 0 }')
	check "($c) X-Support-* fields only at the end of the header ($n other fields after one)" test "$n" -eq 0
	v=$(printf '%s\n' "$hdrs" | sed 's/:.*//' | tr '[:upper:]' '[:lower:]' | sort | uniq -d)
	check "($c) no X-Support-* field added twice${v:+ (repeated: $v)}" test -z "$v"
	# Spec §4: ASCII, folded at 78 columns, no bare CR.
	if printf '%s\n' "$hdrs" | sed 's/\\n/\n/g' | LC_ALL=C grep -q '[^ -~	]'; then
		not_ok "($c) our header fields contain non-ASCII or control bytes"
	else
		ok "($c) our header fields are printable ASCII"
	fi
	n=$(printf '%s\n' "$hdrs" | sed 's/\\n/\n/g' | awk 'length($0) > 78' | wc -l)
	check "($c) our header lines are at most 78 columns ($n longer)" test "$n" -eq 0
}

# send CASE RCPT(S) FILE: sends, waits for the delivery to the last
# recipient, sets QID and GOT (the delivered file).
send() {
	local c=$1 rcpts=$2 file=$3 last
	last=${rcpts##*,}
	QID=$(pf_send "$SENDER" "$rcpts" "$file") || t_bail "($c) swaks could not send $file"
	GOT=$(pf_wait_file "$last" "$QID" 20) || t_bail "($c) $QID not delivered to $last"
	ok "($c) $(basename "$file") to $rcpts delivered (queue id $QID)"
}

# ------------------------------------------------------------ (a)
t_log "(a) mail to the support address"
send a "$SUPPORT" "$DATA/support.eml"
check_delivery a "$DATA/support.eml" "$GOT"
check_ours a "$GOT" "$QID"

# ------------------------------------------------------------ (b)
t_log "(b) mail to another address"
send b someone@example.com "$DATA/other.eml"
check_delivery b "$DATA/other.eml" "$GOT"
n=$(fields "$GOT" | ours | wc -l)
check "(b) no X-Support-* field at all ($n found)" test "$n" -eq 0

# ------------------------------------------------------------ (c)
t_log "(c) support mail with forged X-Support-Priority fields"
send c "$SUPPORT" "$DATA/forged.eml"
check_delivery c "$DATA/forged.eml" "$GOT"
check_ours c "$GOT" "$QID"
n=$(fields "$GOT" | grep -Eci 'forged-(lowercase|uppercase)|folded onto' || :)
check "(c) the forged lower/upper-case and folded X-Support-Priority fields are gone ($n left)" test "$n" -eq 0
n=$(fields "$GOT" | values X-Support-Priority | wc -l)
check "(c) at most one X-Support-Priority left, ours ($n found)" test "$n" -le 1
n=$(fields "$GOT" | sed 1d | grep -c '^Received:' || :)
check "(c) the sender's own Received field kept" test "$n" -eq 1

# ------------------------------------------------------------ (e)
t_log "(e) support address in other case with +detail"
send e "Support+Billing@TimeMap.DK" "$DATA/support.eml"
check_delivery e "$DATA/support.eml" "$GOT"
check_ours e "$GOT" "$QID"

# ------------------------------------------------------------ (f)
t_log "(f) one transaction for another address, then the support address"
send f "someone@example.com,$SUPPORT" "$DATA/support.eml"
GOT_OTHER=$(pf_wait_file someone@example.com "$QID" 20) || t_bail "(f) $QID not delivered to someone@example.com"
check_ours f "$GOT" "$QID"
check "(f) both recipients got the same message" cmp -s "$GOT" "$GOT_OTHER"

# ------------------------------------------------------------ milter health
if grep -Ei 'warning: .*milter' "$T_TMP/pf/maillog" >"$T_TMP/milter-warnings"; then
	not_ok "Postfix logged milter warnings while the milter ran:"
	sed 's/^/  | /' "$T_TMP/milter-warnings" | head -n 10
else
	ok "Postfix logged no milter warning while the milter ran"
fi
check "support-milter still running after (a)-(f)" kill -0 "$MILTER_PID"
# No RedisServer is configured here: everything works without Redis and
# nothing about Redis or the counters is logged.
if grep -qi 'redis\|counters' "$T_TMP/milter.log"; then
	not_ok "no Redis or counter message logged without RedisServer:"
	grep -i 'redis\|counters' "$T_TMP/milter.log" | head -n 5 | sed 's/^/  | /'
else
	ok "no Redis or counter message logged without RedisServer"
fi
milter_stop
rc=$?
check "support-milter exited 0 on SIGTERM (status $rc)" test "$rc" -eq 0

# ------------------------------------------------------------ (d)
t_log "(d) support mail while the milter is stopped"
send d "$SUPPORT" "$DATA/forged.eml"
check_delivery d "$DATA/forged.eml" "$GOT"
if diff <(fields "$DATA/forged.eml") <(fields "$GOT" | sed 1d) >"$T_TMP/hdiff" 2>&1; then
	ok "(d) delivered untouched: header = sent header + Received (forged fields still there)"
else
	not_ok "(d) header changed although the milter was down:"
	head -n 20 "$T_TMP/hdiff" | sed 's/^/  | /'
fi
check "(d) Postfix logged the milter as unreachable" \
	grep -Eq "warning: .*127\.0\.0\.1:$MPORT.*(refused|Connection)" "$T_TMP/pf/maillog"

if [ "$t_failures" -gt 0 ]; then
	t_log "support-milter log (last 40 lines):"
	tail -n 40 "$MILTER_LOG" | sed 's/^/  | /'
fi
done_testing
