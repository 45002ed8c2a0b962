#!/bin/bash
# tests/milter/run.sh: the milter protocol, spoken by miltertest (OpenDKIM).
#
# Starts support-milter on a free loopback port with a private
# configuration (rules from the source tree), runs every tests/milter/*.lua
# script except lib.lua against it with `miltertest -s`, then stops it and
# requires a clean exit.  Each script prints one line per assertion and
# raises an error (miltertest exits 1) when one failed.
#
#   support.lua  (a) support mail: X-Support-Hours/Peak/Triage added
#   other.lua    (b) other mail: accepted by EOH, never modified
#   forged.lua   (c) forged X-Support-Priority x3 deleted (3, 2, 1)
#   mixed.lua    (f) other + support recipient: analysed
#   reuse.lua    several messages and aborts on one connection
#
# With REDIS_SERVER and redis-cli, the milter counts into a throw-away
# Redis, and afterwards the hour counters must equal the number of
# messages that reached their end (the summary lines with redis_wait_us):
# a message aborted after its headers is counted at the end of the
# headers and must have been taken back.
#
# Exit: 0 pass, 1 fail, 77 skip (MILTERTEST empty/missing, no binary).

T_NAME=milter/run.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
# shellcheck source=tests/lib/common.sh
. "$top_srcdir/tests/lib/common.sh"
# shellcheck source=tests/lib/itest.sh
. "$top_srcdir/tests/lib/itest.sh"

t_need_exec MILTERTEST "miltertest"
t_need_exec SUPPORT_MILTER "the support-milter binary"
command -v timeout >/dev/null || skip_all "timeout(1) not found"

t_tmpdir
t_at_exit milter_stop
MPORT=$(free_port) || t_bail "no free port"
redis_line=
if [ -n "${REDIS_SERVER:-}" ] && [ -x "$REDIS_SERVER" ] &&
	{ [ -x "$(dirname "$REDIS_SERVER")/redis-cli" ] || command -v redis-cli >/dev/null; }; then
	# shellcheck source=tests/lib/redis.sh
	. "$top_srcdir/tests/lib/redis.sh"
	rd_need
	rd_start "$T_TMP/redis" >/dev/null || t_bail "redis-server did not start"
	redis_line="RedisServer 127.0.0.1:$RD_PORT"
fi
milter_write_conf "$T_TMP/support-milter.conf" "$MPORT" ${redis_line:+"$redis_line"}
milter_start "$T_TMP/support-milter.conf" "$MPORT" "$T_TMP/milter.log" ||
	t_bail "could not start support-milter"

# Option negotiation as Postfix offers it (protocol 6, every action and
# protocol flag): the milter must take the macro-list action and ask for
# only the queue id ("i") at every stage, plus its no-reply flags.
if PY=$(t_python 2>/dev/null); then
	optneg=$("$PY" - "$MPORT" <<'EOF'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
body = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
s.sendall(struct.pack(">I", len(body)) + body)
def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("connection closed")
        b += c
    return b
n = struct.unpack(">I", read(4))[0]
r = read(n)
version, actions, proto = struct.unpack(">III", r[1:13])
lists, rest = {}, r[13:]
while len(rest) >= 5:
    stage = struct.unpack(">I", rest[:4])[0]
    end = rest.index(b"\0", 4)
    lists[stage] = rest[4:end].decode()
    rest = rest[end + 1:]
print("cmd=%s actions=%#x setsymlist=%d nr_body=%d lists=%s" % (
    chr(r[0]), actions, bool(actions & 0x100), bool(proto & 0x80000),
    ",".join("%d:%s" % kv for kv in sorted(lists.items()))))
EOF
	) || optneg="failed: $optneg"
	t_log "option negotiation: $optneg"
	check "negotiation: macro lists taken, only the queue id asked for at every stage ($optneg)" \
		test "${optneg#*setsymlist=1 nr_body=1 lists=0:i,1:i,2:i,3:i,4:i,5:i,6:i}" != "$optneg"
else
	t_log "no python3: option negotiation not checked"
fi

scripts=${MILTER_SCRIPTS:-$(cd "$top_srcdir/tests/milter" && ls ./*.lua | sed 's|^\./||' | grep -v '^lib\.lua$')}
for s in $scripts; do
	t_log "--- $s"
	rc=0
	timeout 60 "$MILTERTEST" -D "socket=inet:$MPORT@127.0.0.1" \
		-D "libdir=$top_srcdir/tests/milter" -s "$top_srcdir/tests/milter/$s" >"$T_TMP/out" 2>&1 || rc=$?
	sed 's/^/  /' "$T_TMP/out"
	if [ "$rc" -eq 0 ]; then ok "$s"; else not_ok "$s (miltertest exit status $rc)"; fi
	if ! kill -0 "$MILTER_PID" 2>/dev/null; then
		not_ok "support-milter died during $s"
		break
	fi
done

milter_stop
rc=$?
check "support-milter exited 0 on SIGTERM (status $rc)" test "$rc" -eq 0
if [ -n "$redis_line" ]; then
	ended=$(grep -c 'redis_wait_us=' "$MILTER_LOG")
	counted=$(rd_cli --scan --pattern 'sm:*:h:*' | while read -r k; do rd_cli GET "$k"; done |
		awk '{ s += $1 } END { print s + 0 }')
	check "hour counters = support messages that reached their end ($counted counted, $ended ended; aborted ones taken back)" \
		test "$ended" -gt 0 -a "$counted" -eq "$ended"
else
	t_log "no redis-server: counting of aborted messages not checked"
fi
if [ "$t_failures" -gt 0 ]; then
	t_log "support-milter log (last 40 lines):"
	tail -n 40 "$MILTER_LOG" | sed 's/^/  | /'
fi
done_testing
