#!/bin/sh
# tests/bench/memory.sh: bounded memory and linear time of the analysis.
# Generates a 50 KB, a 5 MB and a 50 MB mail (a long text part plus a large
# base64 attachment whose decoded start is a real PNG header), analyses
# each offline, and prints peak RSS and time side by side with the ratios.
# Goal: RSS(50 MB) <= 1.5 x RSS(50 KB); time grows linearly.
# Exit 1 when the RSS goal is missed.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SUPPORT_MILTER:=${top_builddir:-$top_srcdir}/milter/support-milter}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

gen() { # gen FILE TOTAL_BYTES
	python3 - "$1" "$2" <<'PY'
import base64, os, sys, struct, zlib
path, total = sys.argv[1], int(sys.argv[2])
def png(w, h):
    raw = b''.join(b'\x00' + b'\x80' * (w * 3) for _ in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
text_bytes = total // 5
att_bytes = total - text_bytes
with open(path, 'w') as f:
    f.write('From: Big Sender <big@example.dk>\nTo: support@timemap.dk\nSubject: Stor fil\n'
            'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n'
            'Content-Type: text/plain; charset=utf-8\n\n')
    line = 'Vagtplanen viser forkerte timer for uge 47, jeg er logget ind som big.user og det er mærkeligt.\n'
    for _ in range(max(1, text_bytes // len(line))):
        f.write(line)
    f.write('--b\nContent-Type: image/png; name="big.png"\nContent-Transfer-Encoding: base64\n\n')
    head = png(1920, 1080)
    raw_len = att_bytes * 3 // 4
    block = os.urandom(57 * 1000)
    data = head
    written = 0
    enc = base64.b64encode(head + block[: (57 - len(head) % 57) % 57]).decode()
    for i in range(0, len(enc), 76): f.write(enc[i:i + 76] + '\n')
    written = len(head)
    chunk = base64.b64encode(block).decode()
    lines = '\n'.join(chunk[i:i + 76] for i in range(0, len(chunk), 76)) + '\n'
    while written < raw_len:
        f.write(lines)
        written += len(block)
    f.write('--b--\n')
PY
}

measure() { # measure FILE -> "rss_kb seconds"
	/usr/bin/time -f '%M %e' -o "$tmp/time" "$SUPPORT_MILTER" -t "$1" --rcpt support@timemap.dk \
		--time 2026-11-23T09:30:00+01:00 --json >"$tmp/out" 2>/dev/null
	cat "$tmp/time"
}

gen "$tmp/50k.eml" 51200
gen "$tmp/5m.eml" 5242880
gen "$tmp/50m.eml" 52428800
grep -q '"screenshot": true' "$tmp/out" 2>/dev/null || :

set -- $(measure "$tmp/50k.eml"); rss_s=$1 t_s=$2
grep -q '"screenshot": true' "$tmp/out" || { echo "the 50 KB mail was not analysed as expected"; exit 1; }
set -- $(measure "$tmp/5m.eml"); rss_m=$1 t_m=$2
set -- $(measure "$tmp/50m.eml"); rss_l=$1 t_l=$2
grep -q '"screenshot": true' "$tmp/out" || { echo "the 50 MB mail was not analysed as expected"; exit 1; }

printf '%-8s %12s %10s\n' size "peak RSS KB" seconds
printf '%-8s %12s %10s\n' 50KB "$rss_s" "$t_s" 5MB "$rss_m" "$t_m" 50MB "$rss_l" "$t_l"
python3 - "$rss_s" "$rss_l" "$t_s" "$t_m" "$t_l" <<'PY'
import sys
rs, rl, ts, tm, tl = map(float, sys.argv[1:])
ratio = rl / rs
print("RSS ratio 50MB/50KB: %.2f (goal <= 1.5)" % ratio)
# Time beyond the fixed start-up (the 50 KB run), per MB of mail.
per5, per50 = (tm - ts) / 5, (tl - ts) / 50
print("time per MB beyond start-up: %.3f s at 5 MB, %.3f s at 50 MB (linear: equal or falling)" % (per5, per50))
sys.exit(0 if ratio <= 1.5 else 1)
PY
