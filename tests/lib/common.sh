# tests/lib/common.sh: shared helpers for the shell tests (sourced).
# Every test prints one line per assertion and exits 0 (pass), 1 (fail)
# or 77 (skip), as automake's test driver expects.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SUPPORT_MILTER:=$top_builddir/milter/support-milter}"
: "${SHARED_DIR:=$top_srcdir/../shared}"

t_failures=0
t_count=0

ok() { t_count=$((t_count + 1)); echo "ok $t_count - $*"; }
not_ok() { t_count=$((t_count + 1)); t_failures=$((t_failures + 1)); echo "not ok $t_count - $*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

skip_all() { echo "SKIP: $*"; exit 77; }

done_testing() {
	echo "# $t_count assertions, $t_failures failed"
	[ "$t_failures" -eq 0 ] && [ "$t_count" -gt 0 ]
	exit $?
}

# json_field JSON KEY: prints the raw value of a top-level key of a
# one-line JSON object (python3 does the parsing).
json_field() {
	printf '%s' "$1" | python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(json.dumps(v) if not isinstance(v,str) else v)' "$2"
}

shared_corpus() {
	[ -d "$SHARED_DIR/corpus" ] || skip_all "no shared corpus at $SHARED_DIR (run inside the workplace to include it)"
}
