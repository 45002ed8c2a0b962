#!/bin/sh
# Golden mails: each tests/golden/NAME.eml is analysed offline and the
# JSON line must equal NAME.json — with the body fed in chunks of 1, 7,
# 4096 and 65535 bytes.  NAME.args (optional) holds extra options; the
# default is a Monday 10:30 receipt to support@timemap.dk.
# Regenerate after an intended change with: tests/golden/run.sh --update
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

dir=$top_srcdir/tests/golden
update=no
[ "${1:-}" = --update ] && update=yes
default_args="--rcpt support@timemap.dk --time 2026-11-23T10:30:00+01:00"

cd "$dir" || exit 1
found=0
for eml in *.eml; do
	[ -f "$eml" ] || continue
	found=1
	name=${eml%.eml}
	args=$default_args
	[ -f "$name.args" ] && args=$(cat "$name.args")
	if [ "$update" = yes ]; then
		# shellcheck disable=SC2086
		"$SUPPORT_MILTER" -t "$eml" $args --json >"$name.json"
		echo "updated $name.json"
		continue
	fi
	for size in 1 7 4096 65535; do
		# shellcheck disable=SC2086
		got=$("$SUPPORT_MILTER" -t "$eml" $args --json --chunk "$size")
		if [ "$got" = "$(cat "$name.json" 2>/dev/null)" ]; then
			ok "$name (chunk $size)"
		else
			not_ok "$name (chunk $size)"
			printf '  expected: %s\n  got:      %s\n' "$(cat "$name.json" 2>/dev/null)" "$got"
		fi
	done
done
[ "$update" = yes ] && exit 0
[ "$found" = 1 ] || { echo "no golden mails"; exit 1; }
done_testing
