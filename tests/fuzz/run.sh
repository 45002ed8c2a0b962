#!/bin/sh
# tests/fuzz/run.sh TARGET...: runs each libFuzzer target for
# $FUZZ_SECONDS seconds with a corpus seeded from the golden mails and
# the test data, and prints one summary line per target (executions).
set -u
srcdir=${srcdir:-.}
seconds=${FUZZ_SECONDS:-60}
work=${FUZZ_WORK:-fuzz-corpus}
status=0
for t in "$@"; do
	dir=$work/$t
	mkdir -p "$dir"
	case $t in
	fuzz_mime) seeds="$srcdir/tests/golden $srcdir/tests/data/mime $srcdir/tests/data/offline" ;;
	fuzz_rfc2047) seeds="$srcdir/tests/data/codecs" ;;
	fuzz_imgsize) seeds="$srcdir/tests/data/images" ;;
	fuzz_rules) seeds="$srcdir/rules $srcdir/tests/data/rules" ;;
	fuzz_config) seeds="$srcdir/etc $srcdir/tests/data/config" ;;
	fuzz_prefilter) seeds="$srcdir/tests/data/prefilter" ;;
	*) seeds="" ;;
	esac
	# The prefilter reads one pattern per input: the shipped rules' regexes.
	if [ "$t" = fuzz_prefilter ]; then
		sed -n 's|^[a-z]*  *[A-Za-z_0-9]*  */\(.*\)/[imsx]*$|\1|p' "$srcdir"/rules/*.rules |
			awk -v d="$dir" '{ f = sprintf("%s/rule-%03d", d, NR); printf "%s", $0 > f; close(f) }'
	fi
	for s in $seeds; do
		[ -d "$s" ] && find "$s" -type f -size -200k -exec cp {} "$dir"/ \; 2>/dev/null
	done
	# A target's dictionary of syntax tokens, when it has one.
	dict=
	[ -f "$srcdir/tests/fuzz/$t.dict" ] && dict="-dict=$srcdir/tests/fuzz/$t.dict"
	log=$work/$t.log
	./tests/fuzz/$t -max_total_time="$seconds" -print_final_stats=1 $dict "$dir" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "$t: exit $rc, ${execs:-?} executions in ${seconds}s"
	[ "$rc" -eq 0 ] || { status=1; tail -40 "$log"; }
done
exit $status
