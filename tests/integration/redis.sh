#!/bin/bash
# tests/integration/redis.sh: support-milter-stats against a throw-away
# redis-server holding a known data set (tests/data/stats: made by
# make-dataset.py, with the report it must give in expected.json).
#
# Checks the JSON report number by number, the terminal report, the SVG
# (parsed: 168 cells with the right counts, axis labels, legend) and its
# conversion to PNG (rsvg-convert, else ImageMagick; skipped when neither
# is installed), the period arithmetic (--end anywhere in a week, --weeks),
# --address selection and sums, a key prefix with glob characters, an
# empty database, and the failure exits.  Needs REDIS_SERVER, redis-cli
# and python3; skips (77) without them.
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"

STATS=${SUPPORT_MILTER_STATS:-$top_builddir/milter/support-milter-stats}
DATA=$top_srcdir/tests/data/stats
rd_need
PY=${PYTHON3:-}
[ -n "$PY" ] && [ -x "$PY" ] || PY=$(command -v python3) || skip_all "python3 not found"
[ -x "$STATS" ] || { not_ok "$STATS not built"; done_testing; }

T=$(mktemp -d "${TMPDIR:-/tmp}/support-milter-redis.XXXXXX") || exit 1
t_at_exit "rm -rf '$T'"
rd_start "$T/redis" || { not_ok "redis-server starts"; done_testing; }

write_conf() {   # FILE [extra lines...]
	local f=$1 line
	shift
	{
		echo "SupportAddress support@example.com"
		echo "RedisServer 127.0.0.1:$RD_PORT"
		echo "TimeZone UTC"
		echo "RulesDir $top_srcdir/rules"
		for line in "$@"; do echo "$line"; done
	} >"$f"
}
write_conf "$T/conf"

# The config module must be able to read a plain file; a stub cannot.
"$STATS" -c "$T/conf" --json --end 2024-02-01 >"$T/probe" 2>"$T/probe.err"
if [ $? -eq 78 ] && grep -q 'configuration not usable' "$T/probe.err" && ! grep -q ':[0-9]*:' "$T/probe.err"; then
	skip_all "config_load cannot read a valid file (config module not merged yet?)"
fi

n=$(rd_cli <"$DATA/dataset.redis" | grep -c '^OK$')
check "data set loaded ($n keys)" [ "$n" -eq "$(wc -l <"$DATA/dataset.redis")" ]

# json_check REPORT PYTHON-EXPRESSION...: each expression, with the report
# as r and the expected report as e, must be true.
json_check() {
	local report=$1
	shift
	"$PY" - "$report" "$DATA/expected.json" "$@" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
e = json.load(open(sys.argv[2]))
bad = 0
for expr in sys.argv[3:]:
    try:
        ok = eval(expr)
    except Exception as x:
        ok = False
        print("#   %s: %s" % (expr, x))
    if not ok:
        print("#   false: %s" % expr)
        bad += 1
sys.exit(1 if bad else 0)
EOF
}

# ---- the JSON report, against expected.json
"$STATS" -c "$T/conf" --end 2024-02-01 --weeks 2 --json >"$T/r.json"
check "--json exits 0" [ $? -eq 0 ]
check "JSON report equals expected.json, key by key" json_check "$T/r.json" \
	'all(r[k] == v for k, v in e.items())' \
	'r["heatmap_total"] == r["total"] == 532' 'r["time_zone"] == "UTC"' \
	'len(r["heatmap"]) == 7 and all(len(row) == 24 for row in r["heatmap"])' \
	'r["days"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]'
for end in 2024-01-29 2024-02-04; do
	"$STATS" -c "$T/conf" --end $end -w 2 --json >"$T/r2.json"
	check "--end $end (same ISO week) gives the same report" cmp -s "$T/r.json" "$T/r2.json"
done
"$STATS" -c "$T/conf" --end 2024-02-01 --weeks 1 --json >"$T/w1.json"
check "--weeks 1: week 5 only, exact" json_check "$T/w1.json" \
	'r["first_week"] == r["last_week"] == "2024-W05"' 'r["from"] == "2024-01-29"' \
	'r["total"] == sum(e["daily"][7:])' 'r["daily"] == e["daily"][7:]' \
	'r["heatmap_total"] == r["total"]'
"$STATS" -c "$T/conf" --end 2024-02-11 --weeks 4 --json >"$T/w4.json"
check "--weeks 4 spans 2024-W03..W06 and contains weeks 4 and 5" json_check "$T/w4.json" \
	'r["first_week"] == "2024-W03" and r["last_week"] == "2024-W06"' \
	'r["daily"][7:21] == e["daily"]' 'r["total"] == r["heatmap_total"] == sum(r["daily"])' \
	'all(r["heatmap"][d][h] >= e["heatmap"][d][h] for d in range(7) for h in range(24))'
"$STATS" -c "$T/conf" --end 2023-06-01 --json >"$T/none.json"
check "a period without data: zeros" json_check "$T/none.json" \
	'r["total"] == 0 and r["heatmap_total"] == 0 and r["busiest"] == [] and r["categories"] == {}'

# ---- addresses
"$STATS" -c "$T/conf" --end 2024-02-01 -w 2 --address other@example.com --json >"$T/other.json"
"$STATS" -c "$T/conf" --end 2024-02-01 -w 2 -a Support@Example.com -a other@example.com --json >"$T/both.json"
check "--address selects another address; two addresses add up" "$PY" -c '
import json, sys
o = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert o["addresses"] == ["other@example.com"] and o["total"] > 0 and o["total"] != 532
assert b["addresses"] == ["support@example.com", "other@example.com"]
assert b["total"] == o["total"] + 532
assert all(b["heatmap"][d][h] == o["heatmap"][d][h] + json.load(open(sys.argv[3]))["heatmap"][d][h]
           for d in range(7) for h in range(24))
assert b["priorities"]["normal"] == o["priorities"]["normal"] + 362
' "$T/other.json" "$T/both.json" "$T/r.json"

# ---- the terminal report
LC_ALL=C.UTF-8 "$STATS" -c "$T/conf" --end 2024-02-01 --weeks 2 >"$T/r.txt"
check "text exits 0" [ $? -eq 0 ]
check "text: period line" grep -q '^Support load: 2 weeks, 2024-W04 to 2024-W05 (2024-01-22 to 2024-02-04), time zone UTC$' "$T/r.txt"
check "text: hour axis 00..23" grep -q '^    00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23   total$' "$T/r.txt"
check "text: 7 weekday rows with the expected totals" "$PY" -c '
import json, re, sys
e = json.load(open(sys.argv[2]))
rows = [l for l in open(sys.argv[1], encoding="utf-8") if re.match(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", l)]
assert len(rows) == 7, rows
for d, l in enumerate(rows):
    assert l.startswith(e["days"][d] if "days" in e else ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"][d])
    assert int(l.split()[-1]) == sum(e["heatmap"][d]), (l, sum(e["heatmap"][d]))
    cells = l.rstrip("\n")[3:3 + 72]
    for h in range(24):
        c = cells[3 * h:3 * h + 3]
        assert (c == "  \u00b7") == (e["heatmap"][d][h] == 0), (d, h, c)
    assert cells[3 * 9:3 * 9 + 3] == " \u2588\u2588" or d != 0
' "$T/r.txt" "$DATA/expected.json"
check "text: busiest hour first" grep -Eq '^  Mon 09:00-10:00 +56 messages, 28.0 a week$' "$T/r.txt"
check "text: five busiest hours" [ "$(grep -Ec '^  (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{2}:00-[0-9]{2}:00 ' "$T/r.txt")" -eq 5 ]
check "text: total from the daily counters" grep -q '^Messages (daily counters): 532$' "$T/r.txt"
check "text: priorities" grep -Eq '^  normal +362  +68.0%$' "$T/r.txt"
check "text: categories" grep -Eq '^  callback +54 ' "$T/r.txt"
check "text: missing items" grep -Eq '^  screenshot +262 ' "$T/r.txt"
check "text: legend" grep -q '^Scale: ' "$T/r.txt"
"$STATS" -c "$T/conf" --end 2024-02-01 --weeks 2 --numbers --ascii >"$T/n.txt"
check "--numbers --ascii: counts, plain ASCII" "$PY" -c '
import sys
t = open(sys.argv[1], "rb").read()
assert all(b < 128 for b in t)
mon = [l for l in t.decode().splitlines() if l.startswith("Mon ")][0].split()
assert mon[10] == "56" and mon[11] == "34" and mon[-1] == "164", mon
' "$T/n.txt"

# ---- the SVG
"$STATS" -c "$T/conf" --end 2024-02-01 --weeks 2 --svg "$T/h.svg" >/dev/null
check "--svg exits 0" [ $? -eq 0 ]
check "SVG: 168 cells with the right counts, labelled axes, legend" "$PY" - "$T/h.svg" "$DATA/expected.json" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
e = json.load(open(sys.argv[2]))
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
cells = [r for r in root.iter(NS + "rect") if r.get("class") == "cell"]
assert len(cells) == 168, len(cells)
seen = set()
for r in cells:
    d, h, c = r.get("data-day"), int(r.get("data-hour")), int(r.get("data-count"))
    assert c == e["heatmap"][days.index(d)][h], (d, h, c)
    title = r.find(NS + "title").text
    assert title == "%s %02d:00-%02d:00: %d" % (d, h, h + 1, c), title
    assert r.get("fill").startswith("#") and int(r.get("width")) > 0
    seen.add((d, h))
assert len(seen) == 168
texts = {}
for t in root.iter(NS + "text"):
    texts.setdefault(t.get("class"), []).append(t.text)
assert texts["day"] == days, texts["day"]
assert texts["hour"] == ["%02d" % h for h in range(24)], texts["hour"]
assert texts["legend-max"] == [str(e["max"])] and texts["legend-min"] == ["1"]
assert any("2024-W04" in (t or "") for t in texts["subtitle"])
assert sorted(int(t) for t in texts["count"]) == sorted(c for row in e["heatmap"] for c in row if c)
assert len([r for r in root.iter(NS + "rect") if (r.get("class") or "").startswith("legend")]) >= 10
EOF

# ---- SVG to PNG
png_ok() {   # FILE: a PNG at least as large as the picture's grid
	"$PY" - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert 900 <= w <= 4000 and 300 <= h <= 2000, (w, h)
assert len(b) > 10000, len(b)
print("#   %s: %dx%d, %d bytes" % (sys.argv[1], w, h, len(b)))
EOF
}
if command -v rsvg-convert >/dev/null 2>&1; then
	rsvg-convert -o "$T/h.png" "$T/h.svg"
	check "rsvg-convert turns the SVG into a PNG" png_ok "$T/h.png"
elif command -v convert >/dev/null 2>&1; then
	convert "$T/h.svg" "$T/h.png"
	check "ImageMagick turns the SVG into a PNG" png_ok "$T/h.png"
else
	echo "# neither rsvg-convert (librsvg2-bin) nor ImageMagick: PNG conversion not checked"
fi
[ -n "${STATS_KEEP_PNG:-}" ] && cp "$T/h.svg" "$T/h.png" "$STATS_KEEP_PNG/" 2>/dev/null

# ---- a key prefix with glob characters is matched literally
write_conf "$T/conf-glob" 'RedisKeyPrefix s*m['
rd_cli SET 's*m[support@example.com:d:20240125:cat:callback' 3 >/dev/null
rd_cli SET 's*m[support@example.com:d:20240125' 3 >/dev/null
rd_cli SET 'sXm[support@example.com:d:20240125:cat:callback' 1000 >/dev/null
rd_cli SET 's*m[support@example.com:d:20240125:cat:evil]' 1000 >/dev/null
"$STATS" -c "$T/conf-glob" --end 2024-02-01 --json >"$T/glob.json"
check "glob characters in the prefix are escaped in SCAN MATCH" json_check "$T/glob.json" \
	'r["categories"] == {"callback": 3}' 'r["total"] == 3'

# ---- failures
"$STATS" -c "$T/conf" --weeks 0 >/dev/null 2>&1
check "--weeks 0: usage error (64)" [ $? -eq 64 ]
"$STATS" -c "$T/conf" --end 2024-02-30 >/dev/null 2>&1
check "--end 2024-02-30: usage error (64)" [ $? -eq 64 ]
"$STATS" -c "$T/conf" --bogus >/dev/null 2>&1
check "unknown option: usage error (64)" [ $? -eq 64 ]
"$STATS" -c "$T/conf" extra-arg >/dev/null 2>&1
check "stray argument: usage error (64)" [ $? -eq 64 ]
"$STATS" -c "$T/conf" --address 'two words' >/dev/null 2>&1
check "bad --address: usage error (64)" [ $? -eq 64 ]
printf 'SupportAddress support@example.com\nTimeZone UTC\nRulesDir %s/rules\n' "$top_srcdir" >"$T/conf-noredis"
"$STATS" -c "$T/conf-noredis" >/dev/null 2>"$T/err"
rc=$?
ok_=no
[ $rc -eq 78 ] && grep -q RedisServer "$T/err" && ok_=yes
check "no RedisServer: config error (78), said so" [ $ok_ = yes ]
"$STATS" -c "$T/nonexistent.conf" >/dev/null 2>&1
check "missing config file: 78" [ $? -eq 78 ]
rd_cli FLUSHALL >/dev/null
"$STATS" -c "$T/conf" --svg "$T/empty.svg" --json >"$T/empty.json"
check "empty database: exit 0, zeros, 168 cells" json_check "$T/empty.json" \
	'r["total"] == 0 and r["max"] == 0 and r["busiest"] == []'
check "empty database: SVG still has 168 cells" [ "$(grep -c 'class="cell"' "$T/empty.svg")" -eq 168 ]
"$STATS" -c "$T/conf" --svg "$T/no/such/dir/h.svg" >/dev/null 2>&1
check "unwritable --svg: 73" [ $? -eq 73 ]
port=$RD_PORT
rd_stop
start=$SECONDS
"$STATS" -c "$T/conf" --timeout 2000 >/dev/null 2>"$T/err"
rc=$?
ok_=no
[ $rc -eq 69 ] && [ $((SECONDS - start)) -le 3 ] && grep -q "127.0.0.1:$port" "$T/err" && ok_=yes
check "Redis down: unavailable (69), quickly, said so" [ $ok_ = yes ]

done_testing
