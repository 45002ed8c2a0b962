# tests/lib/redis.sh: a throw-away redis-server for the shell tests (bash,
# sourced after common.sh; works with or without tests/lib/itest.sh).
#
#   rd_need                        skip (77) unless REDIS_SERVER and redis-cli exist
#   rd_start DIR [PORT] [ARGS...]  start one in DIR (its dir, log, socket) on a free
#                                  loopback port (or PORT); sets RD_PORT, RD_PID, RD_DIR
#   rd_cli ARGS...                 redis-cli against it
#   rd_kill                        SIGKILL it (a crash); rd_start DIR "$RD_PORT" restarts
#   rd_stop                        stop it (also done at exit)
#
# The server saves nothing (--save '' --appendonly no unless ARGS say
# otherwise), listens on 127.0.0.1 only, and is killed by pid at exit
# through t_at_exit: itest.sh's when it was sourced first, else a minimal
# one defined here (same contract: COMMAND strings eval'd at exit, last
# registered first).  Every wait has a deadline.
#
# Environment read: REDIS_SERVER (path of redis-server), PYTHON3 (optional).

RD_PORT=
RD_PID=
RD_DIR=
RD_CLI=

rd_need() {
	[ -n "${REDIS_SERVER:-}" ] || skip_all "REDIS_SERVER is empty: redis-server not found by configure"
	[ -x "$REDIS_SERVER" ] || skip_all "REDIS_SERVER=$REDIS_SERVER is not executable"
	if [ -x "$(dirname "$REDIS_SERVER")/redis-cli" ]; then
		RD_CLI=$(dirname "$REDIS_SERVER")/redis-cli
	else
		RD_CLI=$(command -v redis-cli) || skip_all "redis-cli not found (Debian package redis-tools)"
	fi
}

rd__free_port() {
	local py p n
	py=${PYTHON3:-}
	[ -n "$py" ] && [ -x "$py" ] || py=$(command -v python3 2>/dev/null) || py=
	if [ -n "$py" ]; then
		"$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
	fi
	for ((n = 0; n < 200; n++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

if ! declare -F t_at_exit >/dev/null; then
	RD_CLEANUPS=()
	t_at_exit() { RD_CLEANUPS+=("$1"); }
	rd__run_cleanups() {
		local rc=$? i
		trap - EXIT INT TERM HUP
		for ((i = ${#RD_CLEANUPS[@]} - 1; i >= 0; i--)); do
			eval "${RD_CLEANUPS[$i]}" >/dev/null 2>&1 || :
		done
		exit "$rc"
	}
	trap rd__run_cleanups EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
fi

rd__registered=0
rd__register_cleanup() {
	[ "$rd__registered" = 1 ] && return 0
	rd__registered=1
	t_at_exit rd_stop
}

rd_cli() {
	"$RD_CLI" -h 127.0.0.1 -p "$RD_PORT" "$@"
}

# rd_start DIR [PORT] [ARGS...]
rd_start() {
	local dir=$1 port=${2:-} i
	shift
	[ $# -gt 0 ] && shift
	mkdir -p "$dir" || return 1
	RD_DIR=$dir
	[ -n "$port" ] || port=$(rd__free_port) || return 1
	RD_PORT=$port
	rd__register_cleanup
	"$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --dir "$dir" --logfile redis.log \
		--save '' --appendonly no --daemonize no "$@" </dev/null >/dev/null 2>&1 &
	RD_PID=$!
	for ((i = 0; i < 100; i++)); do
		if [ "$(rd_cli PING 2>/dev/null)" = PONG ]; then
			return 0
		fi
		kill -0 "$RD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# redis-server did not come up on port $port; its log:"
	sed 's/^/#   | /' "$dir/redis.log" 2>/dev/null
	rd_kill
	return 1
}

rd_kill() {
	[ -n "$RD_PID" ] || return 0
	kill -KILL "$RD_PID" 2>/dev/null
	wait "$RD_PID" 2>/dev/null
	RD_PID=
}

rd_stop() {
	local i
	[ -n "$RD_PID" ] || return 0
	kill -TERM "$RD_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$RD_PID" 2>/dev/null || break
		sleep 0.1
	done
	rd_kill
}
