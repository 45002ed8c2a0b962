#!/bin/bash
# tests/integration/systemd-unit.sh: the systemd unit as built
# (systemd/support-milter.service from support-milter.service.in).
#
# (A) `systemd-analyze verify` passes with no complaint (ExecStart pointed
#     at the built binary: the installed one need not exist here), and
#     `systemd-analyze security --offline=true` rates its exposure at most
#     2.0.  A unit with a misspelt directive is verified too, so a verify
#     that cannot complain fails the test.
# (B) The sandbox is enough for the milter.  There is no running systemd
#     in a test container, so the unit's process credentials and file
#     system are rebuilt by hand for a real milter behind a private Postfix
#     (tests/lib/postfix.sh): a uid in the DynamicUser range with no passwd
#     entry, its own gid plus the unit's SupplementaryGroups (postdrop), no
#     capabilities, no_new_privs, umask 0077, and a private mount namespace
#     in which the whole file system is read-only but the maildrop
#     directory (ProtectSystem=strict + ReadWritePaths).  An auto-reply
#     must reach the customer through Postfix's sendmail and postdrop; and
#     without the postdrop group it must not (the negative control: the
#     emulation bites, and the unit's SupplementaryGroups line is needed).
#     With strace(1) present, every system call the milter and its
#     children make is checked against the unit's SystemCallFilter.
#
# (A) needs systemd-analyze (Debian package systemd): skip (77) without.
# (B) needs root, postfix, swaks, setpriv, unshare; skipped (with a
# note, the rest still counts) without them.  ITEST_KEEP=1 keeps the temp
# dir.

T_NAME=systemd-unit.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
# shellcheck source=tests/lib/common.sh
. "$top_srcdir/tests/lib/common.sh"
# shellcheck source=tests/lib/itest.sh
. "$top_srcdir/tests/lib/itest.sh"

SA=$(command -v systemd-analyze) || skip_all "systemd-analyze not found (Debian package systemd)"
UNIT=$top_builddir/systemd/support-milter.service
[ -f "$UNIT" ] || skip_all "$UNIT not built (make all builds it)"
t_need_exec SUPPORT_MILTER "the support-milter binary"
MAX_EXPOSURE=2.0

t_tmpdir

# ------------------------------------------------------------ (A) verify
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
bin=${exec_start%% *}
mkdir -p "$T_TMP/verify" "$T_TMP/typo"
if [ -x "$bin" ]; then
	cp "$UNIT" "$T_TMP/verify/support-milter.service"
else
	sed "s|^ExecStart=$bin |ExecStart=$SUPPORT_MILTER |" "$UNIT" >"$T_TMP/verify/support-milter.service"
fi
rc=0
"$SA" verify --man=no "$T_TMP/verify/support-milter.service" >"$T_TMP/verify.out" 2>&1 || rc=$?
sed 's/^/  | /' "$T_TMP/verify.out"
check "systemd-analyze verify: exit 0 (status $rc)" test "$rc" -eq 0
check "systemd-analyze verify: no complaint" test ! -s "$T_TMP/verify.out"

sed 's/^ProtectHome=/ProtectHomme=/' "$T_TMP/verify/support-milter.service" >"$T_TMP/typo/support-milter.service"
"$SA" verify --man=no "$T_TMP/typo/support-milter.service" >"$T_TMP/typo.out" 2>&1
check "systemd-analyze verify complains about a misspelt directive" grep -q 'ProtectHomme' "$T_TMP/typo.out"

# ------------------------------------------------------------ (A) security
rc=0
"$SA" security --offline=true "$UNIT" >"$T_TMP/security.out" 2>&1 || rc=$?
grep -E '^✗|Overall' "$T_TMP/security.out" | sed 's/  */ /g; s/^/  | /'
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p' "$T_TMP/security.out")
if [ -z "$score" ]; then
	not_ok "systemd-analyze security printed no exposure level (status $rc)"
else
	check "systemd-analyze security: exposure $score <= $MAX_EXPOSURE" \
		awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= m + 0) }'
fi

# ------------------------------------------------------------ (A) no JIT
# MemoryDenyWriteExecute=yes, as an admin may set it: the kernel's own
# switch (prctl PR_SET_MDWE, Linux >= 6.3) refuses the same mappings; the
# verdicts over the golden mails must not change.
PY=$(t_python) || PY=
if [ -n "$PY" ]; then
	cat >"$T_TMP/mdwe.py" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
# PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1
if libc.prctl(65, 1, 0, 0, 0) != 0:
    sys.exit(77)
os.execv(sys.argv[1], sys.argv[1:])
EOF
	set -- "$top_srcdir"/tests/golden/*.eml
	opts=(--rcpt support@timemap.dk --time 2026-11-23T09:30:00+01:00 --json)
	"$SUPPORT_MILTER" -t "$@" "${opts[@]}" >"$T_TMP/jit.json" 2>&1
	rc=0
	"$PY" "$T_TMP/mdwe.py" "$SUPPORT_MILTER" -t "$@" "${opts[@]}" >"$T_TMP/nojit.json" 2>&1 || rc=$?
	if [ "$rc" -eq 77 ]; then
		t_log "prctl(PR_SET_MDWE) not supported by this kernel: MemoryDenyWriteExecute=yes not tried"
	else
		check "with W^X memory enforced (no PCRE2 JIT) the $# golden mails get the same verdicts (status $rc)" \
			eval "[ $rc -eq 0 ] && [ -s '$T_TMP/jit.json' ] && cmp -s '$T_TMP/jit.json' '$T_TMP/nojit.json'"
	fi
fi

# ------------------------------------------------------------ (B) sandbox
b_skip() {
	t_log "(B) sandbox emulation skipped: $*"
	done_testing
}
[ "$(id -u)" = 0 ] || b_skip "not root"
[ -n "${POSTFIX:-}" ] && [ -x "$POSTFIX" ] || b_skip "no postfix"
[ -n "${SWAKS:-}" ] && [ -x "$SWAKS" ] || b_skip "no swaks"
for c in setpriv unshare mount perl timeout; do
	command -v "$c" >/dev/null 2>&1 || b_skip "no $c"
done
getent group postdrop >/dev/null || b_skip "no postdrop group"
getent passwd postfix >/dev/null || b_skip "no postfix user"
SENDMAIL=$(dirname "$POSTFIX")/sendmail
[ -x "$SENDMAIL" ] || SENDMAIL=/usr/sbin/sendmail
[ -x "$SENDMAIL" ] || b_skip "no Postfix sendmail"
grep -q '^SupplementaryGroups=postdrop$' "$UNIT" || not_ok "the unit no longer names SupplementaryGroups=postdrop: update (B)"
grep -q '^UMask=0077$' "$UNIT" || not_ok "the unit's UMask changed: update (B)"
unshare -m true 2>/dev/null || b_skip "cannot create a mount namespace here"
# shellcheck source=tests/lib/postfix.sh
. "$top_srcdir/tests/lib/postfix.sh"

# A uid and gid in the DynamicUser range that nobody here uses.
DYN=
for id in 61234 61235 61236 61237 61238 61239; do
	if ! getent passwd "$id" >/dev/null && ! getent group "$id" >/dev/null; then DYN=$id; break; fi
done
[ -n "$DYN" ] || b_skip "no free uid in the DynamicUser range"
POSTDROP_GID=$(getent group postdrop | cut -d: -f3)

STRACE=$(command -v strace 2>/dev/null || :)
chmod 711 "$T_TMP"
mkdir -p "$T_TMP/trace" && chown "$DYN:$DYN" "$T_TMP/trace"
t_at_exit pf_stop
MPORT=$(free_port) || t_bail "no free port"
PPORT=$(free_port) || t_bail "no free port"
while [ "$PPORT" = "$MPORT" ]; do PPORT=$(free_port) || t_bail "no free port"; done
pf_start "$T_TMP/pf" "$PPORT" "smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }" ||
	t_bail "could not start the private Postfix instance"
MAILDROP=$T_TMP/pf/queue/maildrop
[ -d "$MAILDROP" ] || t_bail "no maildrop directory in the private instance"
[ -d /etc/postfix ] || b_skip "no /etc/postfix to stand in for"
# /etc/postfix as the sandbox sees it: the system's files (dynamicmaps.cf
# and friends), the private instance's main.cf and master.cf.
mkdir -p "$T_TMP/sysetc" && cp -a /etc/postfix/. "$T_TMP/sysetc/" &&
	cp "$T_TMP/pf/etc/main.cf" "$T_TMP/pf/etc/master.cf" "$T_TMP/sysetc/" ||
	t_bail "cannot prepare the sandbox's /etc/postfix"

# sandboxed NAME GROUPS [strace]: starts the milter as the unit would
# run it (see the header), auto-replies through the instance's sendmail.
# GROUPS: the supplementary gids ("" for none).
SB_PID=
sandboxed() {
	local name=$1 groups=$2 trace=${3:-} gopt=--clear-groups tracer="" conf
	conf=$T_TMP/$name.conf
	# postdrop retries a maildrop it cannot write until it is killed: the
	# negative control needs no long timeout.
	milter_write_conf "$conf" "$MPORT" "AutoReply yes" "AutoReplyInterval 3600" \
		"SendmailCommand $SENDMAIL -i -f <> -N never --" "SendmailTimeout ${SB_TIMEOUT:-20}"
	chmod 644 "$conf"
	[ -n "$groups" ] && gopt=--groups=$groups
	# LeakSanitizer cannot work under ptrace (sanitizer builds only).
	[ -n "$trace" ] && tracer="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $STRACE -f -qq -o $T_TMP/trace/$name.strace"
	# In a new mount namespace (checked: never the test's own): the
	# private instance's configuration as /etc/postfix (so the milter's
	# sendmail is "the system's", with no -C: a non-root -C needs the
	# system main.cf to allow it), the maildrop and the trace directory
	# bound onto themselves (their own mounts stay writable), then /
	# remounted read-only.
	unshare -m --propagation private -- sh -c '
		[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/$PPID/ns/mnt)" ] || exit 70
		mount --bind "$1" /etc/postfix && mount --bind "$2" "$2" && mount --bind "$3" "$3" &&
			mount -o remount,bind,ro / || exit 70
		shift 3
		umask 0077
		exec "$@"' sh "$T_TMP/sysetc" "$MAILDROP" "$T_TMP/trace" \
		setpriv --reuid="$DYN" --regid="$DYN" "$gopt" --no-new-privs \
		--inh-caps=-all --bounding-set=-all -- \
		$tracer "$SUPPORT_MILTER" -f -c "$conf" >"$T_TMP/$name.log" 2>&1 </dev/null &
	SB_PID=$!
	if ! wait_port "$MPORT" 15; then
		sed 's/^/  | /' "$T_TMP/$name.log"
		t_bail "($name) the sandboxed milter did not come up"
	fi
}
# sandbox_pid: the sandboxed milter's own pid (under strace SB_PID is
# strace's, which would detach rather than stop it).
sandbox_pid() { pgrep -u "$DYN" -x support-milter | head -n 1; }
# sandbox_stop: SIGTERM to the milter, then waits for the whole chain;
# returns the milter's exit status (strace passes it on).
sandbox_stop() {
	local pid rc=0
	[ -n "$SB_PID" ] || return 0
	pid=$(sandbox_pid)
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	if ! wait_pid_gone "$SB_PID" 20; then
		t_log "sandboxed milter did not stop; killing it"
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		kill -KILL "$SB_PID" 2>/dev/null
	fi
	wait "$SB_PID" 2>/dev/null || rc=$?
	SB_PID=
	wait_port_closed "$MPORT" 5
	return "$rc"
}
t_at_exit sandbox_stop

# mail N FROM: a Danish support mail missing user and location.
mail() {
	printf 'From: Kunde <%s>\nTo: support@timemap.dk\nSubject: Fejl ved gem %s\nMessage-ID: <sandbox.%s.%s@example.dk>\nDate: Tue, 10 Nov 2026 10:12:00 +0100\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHej\n\nNår jeg trykker på knappen Gem, får jeg fejlen "Ugyldig værdi".\n\nVenlig hilsen\nKunde\n' \
		"$2" "$1" "$1" "$$" >"$T_TMP/mail.$1"
}
mailbox_count() {
	local d=$PF_DIR/mail/$1
	[ -d "$d" ] || { echo 0; return; }
	find "$d" -type f ! -name '.*' | wc -l
}
wait_count() { # ADDR N SECONDS
	local deadline=$((SECONDS + $3))
	while [ "$(mailbox_count "$1")" -lt "$2" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# -- with the unit's groups (under strace when there is one)
sandboxed unit "$POSTDROP_GID" "$STRACE"
mail 1 kunde1@example.dk
qid=$(pf_send kunde1@example.dk support@timemap.dk "$T_TMP/mail.1") || t_bail "could not send"
pf_wait_file support@timemap.dk "$qid" 30 >/dev/null || t_bail "mail 1 not delivered"
if wait_count kunde1@example.dk 1 30; then
	ok "sandbox with SupplementaryGroups=postdrop: the auto-reply reached the customer"
else
	not_ok "sandbox with SupplementaryGroups=postdrop: no auto-reply within 30 s; milter log:"
	sed 's/^/  | /' "$T_TMP/unit.log" | tail -n 20
fi
pid=$(sandbox_pid)
if [ -n "$pid" ]; then
	st=/proc/$pid/status
	check "sandboxed milter: uid $DYN, gid $DYN, groups $POSTDROP_GID only, NoNewPrivs, no capabilities" \
		eval "grep -q '^Uid:[[:space:]]*${DYN}[[:space:]]' $st && grep -q '^Gid:[[:space:]]*${DYN}[[:space:]]' $st &&
			grep -q '^Groups:[[:space:]]*${POSTDROP_GID}[[:space:]]*\$' $st && grep -q '^NoNewPrivs:[[:space:]]*1' $st &&
			grep -q '^CapEff:[[:space:]]*0*\$' $st && grep -q '^CapBnd:[[:space:]]*0*\$' $st"
	check "sandboxed milter: / is read-only in its mount namespace" \
		grep -q ' / / ro,' "/proc/$pid/mountinfo"
else
	not_ok "the sandboxed milter process was not found"
fi
rc=0
sandbox_stop || rc=$?
check "sandboxed milter exited 0 on SIGTERM (status $rc)" test "$rc" -eq 0

# -- the negative control: no postdrop group
SB_TIMEOUT=3 sandboxed nogroup ""
mail 2 kunde2@example.dk
qid=$(pf_send kunde2@example.dk support@timemap.dk "$T_TMP/mail.2") || t_bail "could not send"
pf_wait_file support@timemap.dk "$qid" 30 >/dev/null || t_bail "mail 2 not delivered"
deadline=$((SECONDS + 30))
until grep -q 'autoreply to=<kunde2@example.dk>' "$T_TMP/nogroup.log" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
grep 'autoreply to=' "$T_TMP/nogroup.log" | cut -c 1-300 | sed 's/^/  | /'
check "sandbox without the postdrop group: the reply fails (postdrop cannot write the maildrop)" \
	grep -q 'autoreply to=<kunde2@example.dk> not sent.*maildrop.*Permission denied' "$T_TMP/nogroup.log"
check "... and nothing reached the customer" test "$(mailbox_count kunde2@example.dk)" -eq 0
rc=0
sandbox_stop || rc=$?
check "sandboxed milter (no postdrop group) exited 0 on SIGTERM (status $rc)" test "$rc" -eq 0

# -- the system calls, against the unit's SystemCallFilter
if [ -z "$STRACE" ]; then
	t_log "strace not found: system calls not checked against SystemCallFilter"
else
	# expand GROUP: the calls of a systemd syscall group, nested groups expanded.
	expand() {
		"$SA" syscall-filter "$1" 2>/dev/null | sed -n '2,$p' | sed 's/#.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' |
			while read -r s; do
				case $s in '') ;; @*) expand "$s" ;; *) echo "$s" ;; esac
			done
	}
	allow=$(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$UNIT" | tr ' ' '\n' | while read -r g; do
		case $g in @*) expand "$g" ;; ?*) echo "$g" ;; esac; done | sort -u)
	deny=$(sed -n 's/^SystemCallFilter=~\(.*\)/\1/p' "$UNIT" | tr ' ' '\n' | while read -r g; do
		case $g in @*) expand "$g" ;; ?*) echo "$g" ;; esac; done | sort -u)
	allowed=$(comm -23 <(printf '%s\n' "$allow") <(printf '%s\n' "$deny"))
	used=$(sed -n 's/^[0-9][0-9]*[[:space:]][[:space:]]*\([a-z_0-9]*\)(.*/\1/p' "$T_TMP"/trace/unit.strace* | sort -u)
	outside=$(comm -23 <(printf '%s\n' "$used") <(printf '%s\n' "$allowed") | tr '\n' ' ')
	n_used=$(wc -w <<<"$used")
	n_allowed=$(wc -w <<<"$allowed")
	check "strace saw the system calls ($n_used distinct) and the filter expands ($n_allowed allowed)" \
		test "$n_used" -ge 20 -a "$n_allowed" -ge 100
	check "every system call the milter and its children made is allowed by the unit (${outside:-none} outside)" \
		test -z "${outside// /}"
	check "the trace saw postdrop (the reply path was traced)" grep -q 'execve(".*postdrop' "$T_TMP"/trace/unit.strace*
fi

done_testing
