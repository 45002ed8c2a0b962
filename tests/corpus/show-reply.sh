#!/bin/sh
# The labelled corpus through `-t ... --show-reply` (issue #6 acceptance):
# for every mail labelled autoreply true, the reply that would be sent
# names exactly its missing items — the "auto-reply:" line lists exactly
# the labelled ids in order, and the quoted-printable body decodes to one
# "- " line per item whose text is that item's label in the rules, in the
# reply's language (recommended items such as the screenshot with their
# "(meget gerne)" / "(very much preferred)" mark).  A mail labelled
# autoreply false gets "auto-reply: none (...)".
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
shared_corpus
[ -x "$SUPPORT_MILTER" ] || skip_all "no support-milter binary at $SUPPORT_MILTER"
command -v python3 >/dev/null || skip_all "python3 not found"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
dir=$SHARED_DIR/corpus/labelled
{
	echo "AutoReply yes"
	echo "RulesDir $top_srcdir/rules"
} >"$tmp/conf"

python3 - "$dir" "$SUPPORT_MILTER" "$tmp/conf" "$top_srcdir/rules" >"$tmp/verdicts" <<'PY'
import glob, json, os, quopri, re, subprocess, sys
corpus, binary, conf, rules = sys.argv[1:5]

labels = {}
for path in sorted(glob.glob(os.path.join(rules, "*.rules"))):
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*label\s+(\S+)\s+(da|en)\s+(.*\S)", line)
        if m:
            labels[(m.group(1), m.group(2))] = m.group(3)
mark = {"da": " (meget gerne)", "en": " (very much preferred)"}

def line(ok, text):
    print(("ok " if ok else "not ok ") + text)

for raw in open(os.path.join(corpus, "expected.jsonl"), encoding="utf-8"):
    e = json.loads(raw)
    args = [binary, "-c", conf, "-t", os.path.join(corpus, e["file"]), "--from", e["from"],
            "--time", e["time"], "--show-reply"]
    for r in e["rcpt"]:
        args += ["--rcpt", r]
    out = subprocess.run(args, capture_output=True).stdout.decode("utf-8", "replace")
    head = [l for l in out.splitlines() if l.startswith("auto-reply:")]
    name = e["file"]
    if not head:
        line(False, "%s: no auto-reply line in the --show-reply output" % name)
        continue
    if not e["autoreply"]:
        line(head[0].startswith("auto-reply: none ("), "%s: no reply (%s)" % (name, head[0]))
        continue
    m = re.match(r"auto-reply: to=(\S+) language=(da|en) missing=(\S*) categories=(\S*)$", head[0])
    if not m:
        line(False, "%s: a reply was expected, got: %s" % (name, head[0]))
        continue
    lang, ids = m.group(2), [i for i in m.group(3).split(",") if i]
    line(ids == e["missing"], "%s: names missing %s (labelled %s)" % (name, ",".join(ids), ",".join(e["missing"])))
    message = out[out.index(head[0]) + len(head[0]):].lstrip("\n")
    body = message.split("\n\n", 1)[1] if "\n\n" in message else ""
    text = quopri.decodestring(body.encode()).decode("utf-8", "replace")
    bullets = [l[2:] for l in text.splitlines() if l.startswith("- ")]
    want = []
    for i in e["missing"]:
        lab = labels.get((i, lang)) or labels.get((i, "da" if lang == "en" else "en")) or i
        want.append(lab + (mark[lang] if i == "screenshot" else ""))
    required = [w for i, w in zip(e["missing"], want) if i != "screenshot"]
    recommended = [w for i, w in zip(e["missing"], want) if i == "screenshot"]
    line(bullets == required + recommended,
         "%s: the %s text lists exactly %s" % (name, lang, " | ".join(bullets) or "(nothing)"))
PY
while IFS= read -r line; do
	case $line in
	"not ok "*) not_ok "${line#not ok }" ;;
	*) ok "${line#ok }" ;;
	esac
done <"$tmp/verdicts"
done_testing
