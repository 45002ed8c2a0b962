#!/bin/bash
# tests/integration/socket.sh: the milter on a unix socket — a stale socket
# file left by a crash does not stop a restart; PidFile is written and
# removed; SIGTERM stops it cleanly; a config error exits 78 before
# anything listens.
T_NAME=socket.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/itest.sh"
t_need_exec SUPPORT_MILTER "the support-milter binary"
py=$(t_python) || skip_all "python3 is needed to make a stale unix socket"

t_tmpdir
sock=$T_TMP/milter.sock
pid=$T_TMP/milter.pid
cat >"$T_TMP/conf" <<CONF
Socket local:$sock
PidFile $pid
RulesDir $top_srcdir/rules
CONF

# A crash leaves the socket file behind, with nobody listening on it.
"$py" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)' "$sock"
check "a stale socket file exists" test -S "$sock"
connect() { "$py" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock" 2>/dev/null; }
if connect; then not_ok "nobody listens on the stale socket"; else ok "nobody listens on the stale socket"; fi

"$SUPPORT_MILTER" -f -c "$T_TMP/conf" >"$T_TMP/log" 2>&1 </dev/null &
mpid=$!
t_at_exit "kill $mpid 2>/dev/null"
for _ in $(seq 1 100); do connect && break; sleep 0.1; done
check "the milter listens on the unix socket despite the stale file" connect
check "PidFile holds the milter's pid" test "$(cat "$pid" 2>/dev/null)" = "$mpid"

kill -TERM "$mpid"
rc=0
wait_pid_gone "$mpid" 15 || kill -KILL "$mpid"
wait "$mpid" 2>/dev/null || rc=$?
check "SIGTERM stops it with status 0 (got $rc)" test "$rc" -eq 0
check "PidFile removed on exit" test ! -e "$pid"

printf 'Socket local:%s\nMaxMimeDepth 0\n' "$sock" >"$T_TMP/bad.conf"
"$SUPPORT_MILTER" -f -c "$T_TMP/bad.conf" >"$T_TMP/bad.log" 2>&1 </dev/null
check "a configuration error exits 78 before listening" test $? -eq 78
check "the error names file:line" grep -q "bad.conf:2:" "$T_TMP/bad.log"
done_testing
