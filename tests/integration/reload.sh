#!/bin/bash
# tests/integration/reload.sh: rules reloaded (SIGUSR1) while mail flows
# through a real Postfix.
#
# A copy of the default rules is used; while a sender sends a stream of
# support mails, a valid edit is made and SIGUSR1 sent, then a broken edit
# and SIGUSR1 again.  Asserts: every mail delivered and tagged
# (X-Support-Triage with a rules hash), only the two valid rule sets ever
# seen, the new rule set in force after the valid reload, the broken set
# rejected with file:line in the log and the previous one kept.
#
# Exit: 0 pass, 1 fail, 77 skip.

T_NAME=reload.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/itest.sh"
. "$top_srcdir/tests/lib/postfix.sh"

pf_require
t_need_exec SUPPORT_MILTER "the support-milter binary"
SUPPORT=support@timemap.dk
MAILS=${RELOAD_MAILS:-40}

t_tmpdir
chmod 711 "$T_TMP"
t_at_exit milter_stop
t_at_exit pf_stop

MPORT=$(free_port) || t_bail "no free port"
PPORT=$(free_port) || t_bail "no free port"
while [ "$PPORT" = "$MPORT" ]; do PPORT=$(free_port) || t_bail "no free port"; done

RULES=$T_TMP/rules
cp -r "$top_srcdir/rules" "$RULES"
milter_write_conf "$T_TMP/support-milter.conf" "$MPORT"
sed -i "s|^RulesDir .*|RulesDir $RULES|" "$T_TMP/support-milter.conf"
pf_start "$T_TMP/pf" "$PPORT" \
	"smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }" ||
	t_bail "could not start the private Postfix instance"
milter_start "$T_TMP/support-milter.conf" "$MPORT" "$T_TMP/milter.log" ||
	t_bail "could not start support-milter"

hash_of() { "$SUPPORT_MILTER" -c "$T_TMP/support-milter.conf" --check 2>/dev/null | sed -n 's/.*hash \([0-9a-f]*\).*/\1/p'; }
H1=$(hash_of)
check "the initial rules are valid (hash $H1)" test -n "$H1"

# The sender: a stream of support mails, one after the other.
sender() {
	local i
	for i in $(seq 1 "$MAILS"); do
		pf_send customer@example.dk "$SUPPORT" "" \
			--header "Subject: Vagtplan $i viser forkerte timer" \
			--body "Vagtplanen viser forkerte timer for uge 47. Logget ind som: kunde$i" >>"$T_TMP/qids" ||
			echo "send $i failed" >>"$T_TMP/send-errors"
	done
}
: >"$T_TMP/qids"
sender &
SENDER_PID=$!

wait_sent() { # wait until N mails were queued
	local deadline=$((SECONDS + 60))
	while [ "$(wc -l <"$T_TMP/qids" 2>/dev/null || echo 0)" -lt "$1" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
}

wait_sent $((MAILS / 4))
# A valid edit: a new rule that fires on every mail.
printf '\nbody RELOAD_MARK /./\ndescribe RELOAD_MARK Added by the reload test\n' >>"$RULES/30-priority.rules"
H2=$(hash_of)
check "the edited rules are valid (hash $H2)" test -n "$H2" -a "$H2" != "$H1"
kill -USR1 "$MILTER_PID"

wait_sent $((MAILS / 2))
# A broken edit: an unknown directive and a bad regex.
printf 'bogus LINE here\nbody BAD_RE /(unclosed/\n' >>"$RULES/30-priority.rules"
broken_line=$(grep -n '^bogus' "$RULES/30-priority.rules" | cut -d: -f1)
kill -USR1 "$MILTER_PID"

wait "$SENDER_PID"
check "every mail was accepted by Postfix" test ! -s "$T_TMP/send-errors"
sent=$(wc -l <"$T_TMP/qids")
check "all $MAILS mails were sent ($sent)" test "$sent" -eq "$MAILS"
pf_wait_delivered "$MAILS" 60
delivered=$(pf_count_delivered)
check "no mail lost: $delivered of $MAILS delivered" test "$delivered" -eq "$MAILS"

untagged=0 seen_h1=0 seen_h2=0 other=0
for f in "$PF_DIR"/mail/*/*; do
	triage=$(awk '/^$/ { exit } { print }' "$f" | tr -d '\n' | sed -n 's/.*X-Support-Triage: *\([^X]*\).*/\1/p')
	h=$(printf '%s' "$triage" | sed -n 's/.*rules=\([0-9a-f]*\).*/\1/p')
	case $h in
	"") untagged=$((untagged + 1)) ;;
	"$H1") seen_h1=$((seen_h1 + 1)) ;;
	"$H2") seen_h2=$((seen_h2 + 1)) ;;
	*) other=$((other + 1)) ;;
	esac
done
check "no mail left untagged ($untagged untagged)" test "$untagged" -eq 0
check "only the two valid rule sets were used (H1 $seen_h1, H2 $seen_h2, other $other)" test "$other" -eq 0
check "mails before the reload used the old rules ($seen_h1)" test "$seen_h1" -gt 0
check "mails after the reload used the new rules ($seen_h2)" test "$seen_h2" -gt 0
check "the log says what was loaded" grep -q "reloaded: generation=2 rules=[0-9]* hash=$H2" "$T_TMP/milter.log"
check "the broken set was rejected with file:line" grep -q "30-priority.rules:$broken_line: " "$T_TMP/milter.log"
check "the bad regex was reported" grep -q "30-priority.rules:$((broken_line + 1)): .*" "$T_TMP/milter.log"
check "the log says the old rules were kept" grep -q "reload failed .*keeping configuration generation 2" "$T_TMP/milter.log"

# After the failed reload the previous (valid) set still answers.
qid=$(pf_send customer@example.dk "$SUPPORT" "" --header "Subject: efter" --body "Fravær kan ikke vælges.")
f=$(pf_wait_file "$SUPPORT" "$qid" 30)
check "a mail after the failed reload carries the kept rules' hash" grep -q "rules=$H2" "$f"
check "support-milter still running" kill -0 "$MILTER_PID"
done_testing
