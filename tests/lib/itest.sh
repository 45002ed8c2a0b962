# shellcheck shell=bash
# tests/lib/itest.sh: helpers for the tests that run support-milter as a
# daemon (bash, sourced after common.sh, whose ok/not_ok/check/skip_all/
# done_testing they use for reporting).
#
# What it gives: one private temp dir removed by an EXIT trap that also
# runs every registered cleanup (even on failure or signal), free loopback
# ports, waiting for a port or a process with a deadline, and starting/
# stopping support-milter in the foreground with its log captured.
#
# Nothing here touches anything outside the temp dir but the processes it
# starts itself, which it stops by pid.  Every wait has a deadline.
#
# Environment read: SUPPORT_MILTER, top_srcdir, PYTHON3 (optional, for
# free_port), ITEST_KEEP=1 (keep the temp dir) or ITEST_KEEP=fail (keep it
# when the test fails), ITEST_VERBOSE=1.

T_NAME=${T_NAME:-$(basename "$0")}
T_TMP=
T_CLEANUPS=()

t_log() { printf '# %s: %s\n' "$T_NAME" "$*"; }
# t_bail MESSAGE: a failure that ends the test (cleanups still run).
t_bail() { not_ok "$*"; exit 1; }
# t_need_exec VAR DESCRIPTION: skips unless the path in $VAR is an executable.
t_need_exec() {
	local v=${!1:-}
	[ -n "$v" ] || skip_all "$1 is empty: $2 not found by configure"
	[ -x "$v" ] || skip_all "$1=$v is not executable ($2)"
}

# t_at_exit COMMAND: run COMMAND (a string, eval'd) on exit, last registered first.
t_at_exit() { T_CLEANUPS+=("$1"); }

t__cleanup() {
	local rc=$? i
	trap - EXIT INT TERM HUP
	for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${T_CLEANUPS[$i]}" >/dev/null 2>&1 || :
	done
	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		if [ "${ITEST_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "${ITEST_KEEP:-0}" = fail ]; }; then
			t_log "kept $T_TMP"
		else
			rm -rf "$T_TMP"
		fi
	fi
	exit "$rc"
}
trap t__cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# t_tmpdir: creates the private temp dir (once) and prints nothing; sets T_TMP.
t_tmpdir() {
	[ -n "$T_TMP" ] && return 0
	local tag=${T_NAME%.sh}
	tag=${tag//[^A-Za-z0-9]/-}
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/support-milter-$tag.XXXXXX") || t_bail "mktemp failed"
}

t_python() {
	if [ -n "${PYTHON3:-}" ] && [ -x "$PYTHON3" ]; then
		printf '%s\n' "$PYTHON3"
	elif command -v python3 >/dev/null 2>&1; then
		command -v python3
	else
		return 1
	fi
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: prints a loopback TCP port that was free a moment ago (the
# kernel picks it, so concurrent tests do not collide; fallback: probe
# random high ports).
free_port() {
	local py p n
	if py=$(t_python); then
		"$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
	fi
	for ((n = 0; n < 200; n++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_in_use "$p" || { printf '%s\n' "$p"; return 0; }
	done
	return 1
}

# wait_port PORT SECONDS: waits until 127.0.0.1:PORT accepts connections.
wait_port() {
	local port=$1 deadline=$((SECONDS + ${2:-10}))
	while ! port_in_use "$port"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_port_closed PORT SECONDS: waits until nothing listens on PORT.
wait_port_closed() {
	local port=$1 deadline=$((SECONDS + ${2:-10}))
	while port_in_use "$port"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_pid_gone PID SECONDS
wait_pid_gone() {
	local pid=$1 deadline=$((SECONDS + ${2:-10}))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# ------------------------------------------------------------------ milter
MILTER_PID=
MILTER_PORT=
MILTER_LOG=

# milter_write_conf FILE PORT [extra "Key value" lines...]: a private
# configuration for the tests (rules from the source tree, debug log).
milter_write_conf() {
	local file=$1 port=$2 line
	shift 2
	{
		printf 'Socket inet:%s@127.0.0.1\n' "$port"
		printf 'SupportAddress support@timemap.dk\n'
		printf 'RulesDir %s/rules\n' "$top_srcdir"
		printf 'LogLevel debug\n'
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$file"
}

# milter_start CONF PORT LOG: runs "$SUPPORT_MILTER" -f -c CONF in the
# background, stderr (its log in foreground mode) to LOG, and waits (10 s
# at most, less if it exits) for the port.  Returns 1 (after printing its
# exit status and log) when it does not come up.
milter_start() {
	local conf=$1 port=$2 log=$3 deadline=$((SECONDS + 10)) rc
	MILTER_PORT=$port
	MILTER_LOG=$log
	"$SUPPORT_MILTER" -f -c "$conf" >>"$log" 2>&1 </dev/null &
	MILTER_PID=$!
	while ! port_in_use "$port"; do
		if ! kill -0 "$MILTER_PID" 2>/dev/null; then
			rc=0
			wait "$MILTER_PID" 2>/dev/null || rc=$?
			MILTER_PID=
			t_log "support-milter exited with status $rc before listening on port $port; its log:"
			sed 's/^/  | /' "$log"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			t_log "support-milter did not listen on port $port within 10 s; its log:"
			sed 's/^/  | /' "$log"
			milter_stop
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# milter_stop: SIGTERM, then SIGKILL after 15 s (libmilter notices the
# stop request only between its listener's select() timeouts, up to ~5 s,
# and then waits for open sessions); returns the milter's exit status (0
# when it was not running).
milter_stop() {
	local rc=0 t0=$SECONDS
	[ -n "$MILTER_PID" ] || return 0
	if kill -0 "$MILTER_PID" 2>/dev/null; then
		kill -TERM "$MILTER_PID" 2>/dev/null
		if ! wait_pid_gone "$MILTER_PID" 15; then
			t_log "support-milter (pid $MILTER_PID) did not exit within 15 s of SIGTERM; killing it"
			kill -KILL "$MILTER_PID" 2>/dev/null
		fi
	fi
	[ "${ITEST_VERBOSE:-0}" = 1 ] && t_log "support-milter stopped in $((SECONDS - t0)) s"
	wait "$MILTER_PID" 2>/dev/null || rc=$?
	MILTER_PID=
	[ -n "$MILTER_PORT" ] && wait_port_closed "$MILTER_PORT" 5
	return "$rc"
}
