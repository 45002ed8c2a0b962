#!/bin/sh
# Robustness: every message of the public MIME corpus (../shared) is
# analysed offline without a crash, sanitizer report, leak or hang, and
# gives one JSON line; results are identical for body chunks of 1, 7,
# 4096 and 65535 bytes.  Skips when ../shared is not beside the tree.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
shared_corpus

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
time_limit=${PUBLIC_CORPUS_TIMEOUT:-60}

for f in $(find "$SHARED_DIR/corpus/public" -type f ! -name '*.md' | sort); do
	name=${f#"$SHARED_DIR"/corpus/public/}
	good=yes
	for size in 65535 4096 7 1; do
		timeout "$time_limit" "$SUPPORT_MILTER" -t "$f" --rcpt support@timemap.dk \
			--time 2026-11-23T10:30:00+01:00 --json --chunk "$size" >"$tmp/out-$size" 2>"$tmp/err-$size"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			not_ok "$name: exit status $rc with chunk $size"
			sed 's/^/    /' "$tmp/err-$size" | head -20
			good=no
			break
		fi
		if ! python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/out-$size" 2>/dev/null; then
			not_ok "$name: output is not JSON (chunk $size)"
			good=no
			break
		fi
		if [ "$size" != 65535 ] && ! cmp -s "$tmp/out-65535" "$tmp/out-$size"; then
			not_ok "$name: chunk $size differs from chunk 65535"
			diff "$tmp/out-65535" "$tmp/out-$size" | head -5
			good=no
			break
		fi
	done
	[ "$good" = yes ] && ok "$name"
done
done_testing
