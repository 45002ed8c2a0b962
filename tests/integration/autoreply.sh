#!/bin/bash
# tests/integration/autoreply.sh: auto-replies through a real Postfix.
#
# A private Postfix instance (tests/lib/postfix.sh: own config, queue and
# log under a temp dir, every recipient delivered into DIR/mail/RCPT/QID)
# in front of support-milter with AutoReply on and SendmailCommand set to
# the instance's own sendmail ("sendmail -C DIR/etc -i -f <> -N never --",
# i.e. the default command plus -C).  Replies land in the senders'
# mailboxes, so what a customer would get is checked byte by byte:
#
#   (1) a Danish mail missing user and location: exactly one reply, with
#       Auto-Submitted: auto-replied, In-Reply-To/References the original
#       Message-ID, the null envelope sender (qmgr "from=<>": the empty
#       Return-Path a delivery agent would write), a Danish text listing
#       exactly the items of the original's X-Support-Missing, with the
#       labels from the rules, in that order;
#   (2) the same in English: an English reply with the English labels;
#   (3) a second mail from the same sender within AutoReplyInterval: no
#       second reply (and the sender limit is logged);
#   (4) a table of exclusion cases (RFC 3834 and friends): no reply, the
#       reason in the log;
#   (5) injection attempts (encoded CR/LF, raw 8-bit, 5000-character
#       subject, forged Message-ID/References, hostile envelope senders):
#       clean reply headers (printable ASCII, <= 78 columns, one To, no
#       smuggled field) or, for unsafe senders, no reply at all;
#   (6) SendmailCommand hanging 60 s (hang.sh) or exiting 75
#       (tempfail.sh): the end-of-message latency seen by the client is
#       measured against the normal command and must not grow; the
#       watchdog kill and the exit status are logged.
#
# "No reply" is always checked after a positive control: a later eligible
# mail's reply has arrived (one sender thread, in order), so a reply to an
# excluded mail would have come first.
#
# Needs: root, Postfix, swaks, python3 (to decode replies), and the milter
# wired to autoreply/outq.  Exit: 0 pass, 1 fail, 77 skip.
# ITEST_KEEP=1 keeps the temp dir (maillog, milter log, mailboxes).

# shellcheck disable=SC2034 # read by tests/lib/itest.sh
T_NAME=autoreply.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
# shellcheck source=tests/lib/common.sh
. "$top_srcdir/tests/lib/common.sh"
for lib in itest.sh postfix.sh; do
	[ -f "$top_srcdir/tests/lib/$lib" ] || skip_all "tests/lib/$lib is not there (branch itest not merged)"
done
# shellcheck source=tests/lib/itest.sh
. "$top_srcdir/tests/lib/itest.sh"
# shellcheck source=tests/lib/postfix.sh
. "$top_srcdir/tests/lib/postfix.sh"

pf_require
t_need_exec SUPPORT_MILTER "the support-milter binary"
PY=$(t_python) || skip_all "python3 not found (needed to decode the replies)"
DATA=$top_srcdir/tests/data/reply
SUPPORT=support@timemap.dk
SENDMAIL=$(dirname "$POSTFIX")/sendmail
[ -x "$SENDMAIL" ] || SENDMAIL=/usr/sbin/sendmail
[ -x "$SENDMAIL" ] || skip_all "no Postfix sendmail next to $POSTFIX"

t_tmpdir
chmod 711 "$T_TMP" # the pipe(8) delivery runs as nobody, below this dir
t_at_exit milter_stop
t_at_exit pf_stop

MPORT=$(free_port) || t_bail "no free port"
PPORT=$(free_port) || t_bail "no free port"
while [ "$PPORT" = "$MPORT" ]; do PPORT=$(free_port) || t_bail "no free port"; done

pf_start "$T_TMP/pf" "$PPORT" \
	"smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }" ||
	t_bail "could not start the private Postfix instance"
t_log "postfix on 127.0.0.1:$PPORT, milter on 127.0.0.1:$MPORT, dir $T_TMP"
MAILLOG=$T_TMP/pf/maillog
REAL_COMMAND="$SENDMAIL -C $T_TMP/pf/etc -i -f <> -N never --"

# start_milter NAME COMMAND TIMEOUT: (re)starts support-milter with
# auto-replies sent by COMMAND, its log in $T_TMP/milter.NAME.log.
start_milter() {
	local name=$1 cmd=$2 timeout=$3
	milter_stop
	milter_write_conf "$T_TMP/milter.$name.conf" "$MPORT" \
		"AutoReply yes" \
		"AutoReplyFromName Timegrip TM Support" \
		"SendmailCommand $cmd" \
		"SendmailTimeout $timeout" \
		"AutoReplyInterval 3600" \
		"AutoReplyMaxPer10Min 1000" ||
		t_bail "cannot write the milter configuration"
	milter_start "$T_TMP/milter.$name.conf" "$MPORT" "$T_TMP/milter.$name.log" ||
		t_bail "could not start support-milter ($name)"
}

# ------------------------------------------------------------ helpers

lc() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }
mailbox() { printf '%s/mail/%s\n' "$PF_DIR" "$(lc "$1")"; }
# replies ADDR: number of messages delivered to ADDR.
replies() {
	local d
	d=$(mailbox "$1")
	[ -d "$d" ] || { echo 0; return; }
	find "$d" -type f ! -name '.*' | wc -l
}
# wait_replies ADDR N SECONDS: until ADDR has N messages.
wait_replies() {
	local deadline=$((SECONDS + $3))
	while [ "$(replies "$1")" -lt "$2" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}
# first_reply ADDR: path of ADDR's (only) message.
first_reply() { find "$(mailbox "$1")" -type f ! -name '.*' | head -n 1; }

# send FROM FILE: sends FILE to the support address, waits for its
# delivery there; sets QID, GOT (the delivered copy) and MS (the client's
# wall time for the whole SMTP transaction, in ms).
TO_SUPPORT=0
send() {
	local from=$1 file=$2 t0 t1
	t0=$(date +%s%N)
	QID=$(pf_send "$from" "$SUPPORT" "$file") || t_bail "swaks could not send $file from <$from>"
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	GOT=$(pf_wait_file "$SUPPORT" "$QID" 30) || t_bail "$QID ($file) not delivered to $SUPPORT"
	TO_SUPPORT=$((TO_SUPPORT + 1))
}

# mail OUT [header lines...]: a Danish support mail missing user, location
# and screenshot (so the rules want a reply), with the given header lines
# (they replace the defaults of the same name) and a fresh Message-ID.
MAILNO=0
mail() {
	local out=$1 h name have=""
	shift
	MAILNO=$((MAILNO + 1))
	{
		for h in "$@"; do
			printf '%s\n' "$h"
			name=${h%%:*}
			have="$have|$(lc "$name")|"
		done
		case $have in *"|from|"*) ;; *) printf 'From: Kunde <kunde%d@example.dk>\n' "$MAILNO" ;; esac
		case $have in *"|to|"*) ;; *) printf 'To: Timegrip Support <%s>\n' "$SUPPORT" ;; esac
		case $have in *"|subject|"*) ;; *) printf 'Subject: Fejl ved gem\n' ;; esac
		case $have in *"|message-id|"*) ;; *) printf 'Message-ID: <itest.%d.%s@example.dk>\n' "$MAILNO" "$$" ;; esac
		printf 'Date: Tue, 10 Nov 2026 10:12:00 +0100\n'
		case $have in *"|content-type|"*) ;; *)
			printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n' ;;
		esac
		printf '\n'
		printf 'Hej\n\nNår jeg trykker på knappen Gem, får jeg fejlen "Ugyldig værdi", og\n'
		printf 'ændringen bliver ikke gemt. Det er sket hele formiddagen.\n\nVenlig hilsen\nKunde\n'
	} >"$out"
}

# envelope_sender QID: the sender Postfix's qmgr logged for QID ("" = null).
envelope_sender() {
	sed -n "s/.* $1: from=<\\([^>]*\\)>.*/\\1/p" "$MAILLOG" | head -n 1
}
# null_envelope QID: qmgr logged QID with the null sender (from=<>).
null_envelope() { grep -q " $1: from=<" "$MAILLOG" && [ -z "$(envelope_sender "$1")" ]; }
# no_line_break TEXT: a decoded value (line breaks shown as \n, \r) has none.
no_line_break() { ! grep -q '\\[rn]' <<<"$1"; }

# decode FILE: prints "HEADER\tvalue" for every field (RFC 2047 decoded,
# unfolded) and then "BODY\t" + the quoted-printable-decoded body.
decode() {
	"$PY" - "$1" <<'EOF'
import sys, email, email.header, email.policy, quopri
raw = open(sys.argv[1], 'rb').read()
head, _, body = raw.partition(b'\n\n')
msg = email.message_from_bytes(raw, policy=email.policy.compat32)
for name, value in msg.items():
    parts = email.header.decode_header(value)
    text = ''.join(p.decode(c or 'ascii') if isinstance(p, bytes) else p for p, c in parts)
    print(name + '\t' + text.replace('\n', '\\n').replace('\r', '\\r'))
print('BODY\t' + quopri.decodestring(body).decode('utf-8').replace('\n', '\\n'))
EOF
}
# field DECODED NAME: the decoded value of NAME (first occurrence).
field() { awk -F '\t' -v n="$(lc "$2")" 'tolower($1) == n { sub(/^[^\t]*\t/, ""); print; exit }' "$1"; }
# bullets DECODED: the "- " lines of the body, one per line.
bullets() { field "$1" BODY | sed 's/\\n/\n/g' | sed -n 's/^- //p'; }

# label ID LANG: the item's label in the rules (label ID da|en TEXT).
label() {
	awk -v id="$1" -v lang="$2" '$1 == "label" && $2 == id && $3 == lang {
		sub(/^[ \t]*label[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, ""); print; exit }' "$top_srcdir"/rules/*.rules
}

# clean_headers CASE FILE: the reply's header block is printable ASCII,
# lines <= 78, exactly one From/To/Subject, nothing smuggled in.
clean_headers() {
	local c=$1 f=$2 n
	n=$(sed '/^$/q' "$f" | LC_ALL=C grep -c $'[^\t -~]' || :)
	check "($c) reply header is printable ASCII ($n bad lines)" test "$n" -eq 0
	n=$(sed '/^$/q' "$f" | awk 'length($0) > 78' | wc -l)
	check "($c) reply header lines <= 78 columns ($n longer)" test "$n" -eq 0
	for name in From To Subject Date Message-ID Auto-Submitted; do
		n=$(sed '/^$/q' "$f" | grep -ci "^$name:" || :)
		check "($c) exactly one $name field ($n)" test "$n" -eq 1
	done
	n=$(sed '/^$/q' "$f" | grep -Eci '^(bcc|cc|x-evil|reply-to):' || :)
	check "($c) no Bcc/Cc/Reply-To/X-Evil field ($n)" test "$n" -eq 0
}

# no_reply_after_control CASE ADDR...: sends a positive control from a fresh
# sender, waits for its reply, then checks that none of ADDR got anything.
CONTROLS=0
no_reply_after_control() {
	local c=$1 a n
	shift
	CONTROLS=$((CONTROLS + 1))
	mail "$T_TMP/control$CONTROLS.eml"
	send "control$CONTROLS@example.dk" "$T_TMP/control$CONTROLS.eml"
	if wait_replies "control$CONTROLS@example.dk" 1 30; then
		ok "($c) positive control: control$CONTROLS@example.dk got its reply"
	else
		not_ok "($c) positive control: no reply to control$CONTROLS@example.dk within 30 s"
	fi
	sleep 1
	for a in "$@"; do
		n=$(replies "$a")
		check "($c) no reply to <$a> ($n)" test "$n" -eq 0
	done
}

start_milter real "$REAL_COMMAND" 30

# ------------------------------------------------------------ (1)
t_log "(1) Danish mail missing user and location"
S1=lise@holm-bageri.example.dk
send "$S1" "$DATA/da-missing-user-location.eml"
MISSING=$(sed '/^$/q' "$GOT" | sed -n 's/^X-Support-Missing: *//Ip' | head -n 1)
check "(1) the rules find exactly location, user missing (X-Support-Missing: $MISSING)" \
	test "$(printf '%s' "$MISSING" | tr -d ' ')" = "location,user"
if wait_replies "$S1" 1 30; then ok "(1) a reply reached <$S1>"; else t_bail "(1) no reply reached <$S1> within 30 s"; fi
sleep 1
check "(1) exactly one reply ($(replies "$S1"))" test "$(replies "$S1")" -eq 1
R=$(first_reply "$S1")
RQID=$(basename "$R")
decode "$R" >"$T_TMP/r1.txt" || t_bail "(1) cannot decode the reply"
check "(1) Auto-Submitted: auto-replied" test "$(field "$T_TMP/r1.txt" Auto-Submitted)" = auto-replied
check "(1) In-Reply-To is the original Message-ID" \
	test "$(field "$T_TMP/r1.txt" In-Reply-To)" = "<da-missing.1@holm-bageri.example.dk>"
check "(1) References ends with the original Message-ID" \
	grep -q '<da-missing.1@holm-bageri.example.dk>$' <<<"$(field "$T_TMP/r1.txt" References)"
check "(1) X-Auto-Response-Suppress: All" test "$(field "$T_TMP/r1.txt" X-Auto-Response-Suppress)" = All
check "(1) Precedence: bulk" test "$(field "$T_TMP/r1.txt" Precedence)" = bulk
check "(1) To is the sender" test "$(field "$T_TMP/r1.txt" To)" = "$S1"
check "(1) From is the support address" grep -q "<$SUPPORT>\$" <<<"$(field "$T_TMP/r1.txt" From)"
check "(1) Subject: Re: Fejl når jeg gemmer" test "$(field "$T_TMP/r1.txt" Subject)" = "Re: Fejl når jeg gemmer"
check "(1) Content-Transfer-Encoding: quoted-printable" \
	test "$(field "$T_TMP/r1.txt" Content-Transfer-Encoding)" = quoted-printable
check "(1) the reply went out with the null envelope sender (qmgr from=<>)" \
	null_envelope "$RQID"
WANT=$(printf '%s\n%s\n' "$(label location da)" "$(label user da)")
GOTB=$(bullets "$T_TMP/r1.txt")
if [ -n "$(label location da)" ] && [ "$GOTB" = "$WANT" ]; then
	ok "(1) the Danish text lists exactly: $(tr '\n' '|' <<<"$GOTB")"
else
	not_ok "(1) listed items differ: got '$(tr '\n' '|' <<<"$GOTB")', want '$(tr '\n' '|' <<<"$WANT")'"
fi
check "(1) the text is the Danish template" grep -q 'mangler vi disse oplysninger' <<<"$(field "$T_TMP/r1.txt" BODY)"
clean_headers 1 "$R"

# ------------------------------------------------------------ (2)
t_log "(2) English mail missing user and location"
S2=lisa@holm-bakery.example.com
send "$S2" "$DATA/en-missing-user-location.eml"
if wait_replies "$S2" 1 30; then ok "(2) a reply reached <$S2>"; else t_bail "(2) no reply reached <$S2>"; fi
decode "$(first_reply "$S2")" >"$T_TMP/r2.txt" || t_bail "(2) cannot decode the reply"
WANT=$(printf '%s\n%s\n' "$(label location en)" "$(label user en)")
GOTB=$(bullets "$T_TMP/r2.txt")
check "(2) the English text lists exactly: $(tr '\n' '|' <<<"$GOTB")" test "$GOTB" = "$WANT"
check "(2) the text is the English template" grep -q 'we need the following information' <<<"$(field "$T_TMP/r2.txt" BODY)"
check "(2) Subject: Re: Error when I save" test "$(field "$T_TMP/r2.txt" Subject)" = "Re: Error when I save"
clean_headers 2 "$(first_reply "$S2")"

# ------------------------------------------------------------ (3)
t_log "(3) second mail from the same sender within the period"
mail "$T_TMP/again.eml" "From: Lise Holm <$S1>"
send "$S1" "$T_TMP/again.eml"
no_reply_after_control 3
check "(3) still exactly one reply to <$S1> ($(replies "$S1"))" test "$(replies "$S1")" -eq 1
check "(3) the sender limit is logged" grep -q "autoreply to=<$S1> not sent: sender-limit" "$MILTER_LOG"

# ------------------------------------------------------------ (4)
t_log "(4) exclusion cases"
# envelope sender | header lines (';;' separated) | reason in the log
EXCL=(
	"ex1@example.dk|Auto-Submitted: auto-replied|auto-submitted"
	"ex2@example.dk|Auto-Submitted: auto-generated|auto-submitted"
	"ex3@example.dk|Precedence: bulk|precedence"
	"ex4@example.dk|Precedence: junk|precedence"
	"ex5@example.dk|Precedence: list|precedence"
	"ex6@example.dk|List-Id: Nyheder <nyheder.example.dk>|list"
	"ex7@example.dk|List-Unsubscribe: <mailto:afmeld@example.dk>|list"
	"ex8@example.dk|X-Auto-Response-Suppress: All|auto-response-suppress"
	"ex9@example.dk|X-Auto-Response-Suppress: DR, OOF|auto-response-suppress"
	"ex10@example.dk|X-Loop: support@timemap.dk|loop"
	"ex11@example.dk|X-Spam-Flag: YES|spam"
	"MAILER-DAEMON@example.dk||robot-sender"
	"owner-nyheder@example.dk||robot-sender"
	"nyheder-request@example.dk||robot-sender"
	"noreply@example.dk||robot-sender"
	"bounce-77-support=timemap.dk@example.com||robot-sender"
	"ex17@example.dk|From: Timegrip Support <support@timemap.dk>|from-support"
	"support@timemap.dk||from-support"
	"ex19@example.dk|To: Kollega <kollega@example.dk>|not-addressed"
	"ex20@example.dk|Content-Type: multipart/report; report-type=delivery-status; boundary=x|report"
	"<>||null-sender"
)
EXCL_ADDRS=()
i=0
for row in "${EXCL[@]}"; do
	i=$((i + 1))
	IFS='|' read -r from hdrs why <<<"$row"
	args=()
	[ -n "$hdrs" ] && args=("$hdrs")
	# the header From matches the envelope unless the row sets its own
	case $from:$hdrs in '<>':* | *:From:*) ;; *) args+=("From: Kunde <$from>") ;; esac
	mail "$T_TMP/excl$i.eml" "${args[@]}"
	send "$from" "$T_TMP/excl$i.eml"
	[ "$from" != '<>' ] && [ "$from" != "$SUPPORT" ] && EXCL_ADDRS+=("$from")
	if grep -q "$QID.*autoreply=no($why)" "$MILTER_LOG"; then
		ok "(4.$i) <$from> ${hdrs:-(envelope)}: suppressed, logged as $why"
	else
		not_ok "(4.$i) <$from> ${hdrs:-(envelope)}: no 'autoreply=no($why)' in the summary line of $QID"
	fi
done
check "(4) at least 15 exclusion cases (${#EXCL[@]})" test "${#EXCL[@]}" -ge 15
no_reply_after_control 4 "${EXCL_ADDRS[@]}"
n=$(replies "$SUPPORT")
check "(4) nothing was sent back to the support address ($n delivered, $TO_SUPPORT sent)" \
	test "$n" -eq "$TO_SUPPORT"

# ------------------------------------------------------------ (5)
t_log "(5) injection attempts"
long=$(printf 'lang%.0s' $(seq 1 1250))
folded=$(printf '%s' "$long" | fold -w 70 | sed '2,$s/^/ /')
INJ=(
	"inj1@example.dk|Subject: =?utf-8?Q?a=0D=0ABcc:_victim1@example.com?="
	"inj2@example.dk|Subject: =?utf-8?B?YQ0KQmNjOiB2aWN0aW0yQGV4YW1wbGUuY29t?="
	"inj3@example.dk|Subject: Fejl i l$(printf '\370')nk$(printf '\370')rsel $(printf '\346\370\345')"
	"inj4@example.dk|Subject: $folded"
	"inj5@example.dk|Message-ID: <a b@example.dk>"
	"inj6@example.dk|Message-ID: <x@example.dk>;; Bcc: victim3@example.com"
	"inj7@example.dk|References: <r1@example.dk> junk <bad id> <r2@example.dk>;; Bcc: victim4@example.com"
	"inj8@example.dk|Subject: =?iso-8859-1?Q?=0A=0AX-Evil:_1?= tail"
)
i=0
for row in "${INJ[@]}"; do
	i=$((i + 1))
	# (not read: bash's read mangles the invalid UTF-8 of the 8-bit row)
	from=${row%%|*}
	hdr=${row#*|}
	# ';;' in a row is a folded continuation line (a header can only
	# carry a line break that way through SMTP)
	mail "$T_TMP/inj$i.eml" "${hdr//;;/$'\n'}"
	send "$from" "$T_TMP/inj$i.eml"
done
# (An envelope sender starting with '-' never gets past Postfix, whose
# allow_min_user is off; the unit tests cover it.)
for bad in '"quoted local"@example.dk' "a%b@example.dk" "a!b@example.dk"; do
	i=$((i + 1))
	mail "$T_TMP/inj$i.eml"
	send "$bad" "$T_TMP/inj$i.eml"
	check "(5.$i) envelope sender <$bad>: no reply, logged as bad-sender" grep -q "$QID.*autoreply=no(bad-sender)" "$MILTER_LOG"
done
no_reply_after_control 5 victim1@example.com victim2@example.com victim3@example.com victim4@example.com
for ((i = 1; i <= ${#INJ[@]}; i++)); do
	a=inj$i@example.dk
	if wait_replies "$a" 1 10; then
		ok "(5.$i) <$a> got one reply"
		clean_headers "5.$i" "$(first_reply "$a")"
		decode "$(first_reply "$a")" >"$T_TMP/inj$i.txt"
		s=$(field "$T_TMP/inj$i.txt" Subject)
		check "(5.$i) decoded Subject has no CR/LF: ${s:0:60}" no_line_break "$s"
	else
		not_ok "(5.$i) <$a> got no reply"
	fi
done
check "(5.5) a bad Message-ID gives no In-Reply-To" \
	test -z "$(field "$T_TMP/inj5.txt" In-Reply-To)"
check "(5.4) the 5000-character subject is cut to at most 200 characters" \
	test "$(field "$T_TMP/inj4.txt" Subject | wc -m)" -le 200
check "(5.3) the 8-bit subject survives as text" \
	grep -q 'Re: Fejl i lønkørsel æøå' <<<"$(field "$T_TMP/inj3.txt" Subject)"

# ------------------------------------------------------------ (6)
t_log "(6) latency with a hanging or failing SendmailCommand"
# baseline: eligible mails with the real command
base=0
for k in 1 2 3; do
	mail "$T_TMP/lat-base$k.eml"
	send "lat-base$k@example.dk" "$T_TMP/lat-base$k.eml"
	[ "$MS" -gt "$base" ] && base=$MS
done
t_log "(6) normal command: slowest transaction $base ms"

start_milter hang "$DATA/hang.sh" 3
worst=0
for k in 1 2 3; do
	mail "$T_TMP/lat-hang$k.eml"
	send "lat-hang$k@example.dk" "$T_TMP/lat-hang$k.eml"
	[ "$MS" -gt "$worst" ] && worst=$MS
done
t_log "(6) hanging command: slowest transaction $worst ms (baseline $base ms)"
check "(6) a hanging SendmailCommand does not slow the mail ($worst ms vs $base ms + 1500)" \
	test "$worst" -le $((base + 1500))
deadline=$((SECONDS + 30))
while [ "$(grep -c 'killed after 3 s timeout' "$MILTER_LOG")" -lt 3 ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
check "(6) each hang killed by the watchdog and logged ($(grep -c 'killed after 3 s timeout' "$MILTER_LOG") of 3)" \
	test "$(grep -c 'killed after 3 s timeout' "$MILTER_LOG")" -eq 3

start_milter tempfail "$DATA/tempfail.sh" 30
worst=0
for k in 1 2; do
	mail "$T_TMP/lat-tf$k.eml"
	send "lat-tf$k@example.dk" "$T_TMP/lat-tf$k.eml"
	[ "$MS" -gt "$worst" ] && worst=$MS
done
check "(6) an exiting-75 SendmailCommand does not slow the mail ($worst ms vs $base ms + 1500)" \
	test "$worst" -le $((base + 1500))
deadline=$((SECONDS + 20))
while [ "$(grep -c 'exited with status 75' "$MILTER_LOG")" -lt 2 ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
check "(6) exit status 75 logged for both ($(grep -c 'exited with status 75' "$MILTER_LOG"))" \
	test "$(grep -c 'exited with status 75' "$MILTER_LOG")" -eq 2
check "(6) nothing reached the senders with the failing commands" \
	test "$(($(replies lat-hang1@example.dk) + $(replies lat-tf1@example.dk)))" -eq 0

milter_stop
rc=$?
check "support-milter exited 0 on SIGTERM (status $rc)" test "$rc" -eq 0
if [ "$t_failures" -gt 0 ]; then
	for log in "$T_TMP"/milter.*.log; do
		t_log "$(basename "$log") (last 30 lines):"
		tail -n 30 "$log" | sed 's/^/  | /'
	done
fi
done_testing
