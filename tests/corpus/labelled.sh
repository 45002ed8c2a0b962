#!/bin/sh
# The labelled corpus (../shared/corpus/labelled) through the workplace's
# score-corpus tool, with the product's thresholds:
#   screenshot, mismatch, hours, peak right on every mail;
#   at least 95 % of mails exact; F1 >= 0.95 for every missing item;
#   autoreply right on at least 97 %.
# Also: identical JSON for body chunks of 1, 7, 4096 and 65535 bytes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
shared_corpus
score=$SHARED_DIR/tools/score-corpus
[ -x "$score" ] || skip_all "no score-corpus tool in $SHARED_DIR/tools"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
dir=$SHARED_DIR/corpus/labelled

"$score" --bin "$SUPPORT_MILTER" --json-report "$tmp/report.json" "$dir" >"$tmp/score.txt" 2>&1
check "score-corpus ran" test $? -eq 0
sed 's/^/    /' "$tmp/score.txt"

python3 - "$tmp/report.json" >"$tmp/verdicts" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = r["files"]
acc = r["accuracy"]
def line(ok, text):
    print(("ok " if ok else "not ok ") + text)
line(r["run_errors"] == 0, "every file gave a result (%d run errors)" % r["run_errors"])
for k in ("screenshot", "mismatch", "hours", "peak"):
    line(acc.get(k) == n, "%s right on every mail (%s/%d)" % (k, acc.get(k), n))
line(r["exact"] >= 0.95 * n, "at least 95%% exact (%d/%d)" % (r["exact"], n))
line(acc.get("autoreply", 0) >= 0.97 * n, "autoreply right on at least 97%% (%s/%d)" % (acc.get("autoreply"), n))
for item, c in r["missing"].items():
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    f1 = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    line(f1 >= 0.95, "F1 for missing %s >= 0.95 (%.3f)" % (item, f1))
PY
while IFS= read -r line; do
	case $line in
	"not ok "*) not_ok "${line#not ok }" ;;
	*) ok "${line#ok }" ;;
	esac
done <"$tmp/verdicts"

python3 - "$dir/expected.jsonl" >"$tmp/cases" <<'PY'
import json, shlex, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    args = ["--from", e["from"]] + sum((["--rcpt", r] for r in e["rcpt"]), []) + ["--time", e["time"]]
    print(e["file"], shlex.join(args))
PY
while read -r file args; do
	good=yes
	for size in 65535 4096 7 1; do
		eval "set -- $args"
		"$SUPPORT_MILTER" -t "$dir/$file" "$@" --json --chunk "$size" >"$tmp/out-$size" 2>/dev/null
		if [ "$size" != 65535 ] && ! cmp -s "$tmp/out-65535" "$tmp/out-$size"; then
			not_ok "$file: chunk $size differs from chunk 65535"
			good=no
			break
		fi
	done
	[ "$good" = yes ] && ok "$file: identical for chunks 1, 7, 4096, 65535"
done <"$tmp/cases"
done_testing
