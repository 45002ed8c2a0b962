#!/usr/bin/env python3
"""Writes the known data set of tests/integration/redis.sh: dataset.redis
(redis-cli commands) and expected.json (what support-milter-stats --json
must report for it with --end 2024-02-01 --weeks 2).

The period is ISO weeks 2024-W04 and 2024-W05 (2024-01-22 .. 2024-02-04).
Keys of the weeks before and after, of another address and of a look-alike
address are there too and must not be counted.  Run it again only to change
the data set; both outputs are committed."""
import datetime
import json
import random

P = "sm:"
A = "support@example.com"
OTHER = "other@example.com"
LOOKALIKE = "support@example.com.evil"
CATS = ["callback", "third-party", "data-entry"]
MISS = ["screenshot", "user", "location", "employee-number"]
PRIOS = ["normal", "high", "low"]

rnd = random.Random(5)
cmds = []


def iso(d):
    y, w, wd = d.isocalendar()
    return y, w, wd


def day_data(date, scale):
    """Per-hour counts of one day: office hours busy, Monday busiest."""
    wd = date.isoweekday()
    hours = [0] * 24
    for h in range(24):
        if wd <= 5 and 9 <= h < 15:
            base = {1: 9, 2: 7, 3: 4, 4: 4, 5: 3}[wd] * (3 if h == 9 else 2 if h == 10 else 1)
            hours[h] = max(0, base + rnd.randint(-2, 2)) * scale
        elif rnd.random() < 0.08:
            hours[h] = rnd.randint(1, 2) * scale
    return hours


def emit(addr, date, hours):
    y, w, wd = iso(date)
    ds = date.strftime("%Y%m%d")
    items = {}
    for h, n in enumerate(hours):
        if n:
            cmds.append(f"SET {P}{addr}:h:{ds}{h:02d} {n}")
            cmds.append(f"SET {P}{addr}:wh:{y:04d}-W{w:02d}:{wd}:{h:02d} {n}")
    total = sum(hours)
    if total:
        cmds.append(f"SET {P}{addr}:d:{ds} {total}")
        # every message has one priority; some a category; items missing
        high = total // 5
        low = total // 7
        items["prio:high"] = high
        items["prio:low"] = low
        items["prio:normal"] = total - high - low
        items["cat:callback"] = total // 9
        items["cat:third-party"] = total // 13
        items["miss:screenshot"] = total // 2
        items["miss:user"] = total // 3
        items["miss:location"] = total // 4
        for k, v in items.items():
            if v:
                cmds.append(f"SET {P}{addr}:d:{ds}:{k} {v}")
    return total, items


start = datetime.date(2024, 1, 15)        # Monday of 2024-W03
end = datetime.date(2024, 2, 11)          # Sunday of 2024-W06
first = datetime.date(2024, 1, 22)        # the period
last = datetime.date(2024, 2, 4)

cells = [[0] * 24 for _ in range(7)]
daily = []
prio, cat, miss = {}, {}, {}
d = start
while d <= end:
    hours = day_data(d, 1)
    total, items = emit(A, d, hours)
    emit(OTHER, d, day_data(d, 10))
    emit(LOOKALIKE, d, day_data(d, 100))
    if first <= d <= last:
        for h in range(24):
            cells[d.isoweekday() - 1][h] += hours[h]
        daily.append(total)
        for k, v in items.items():
            kind, name = k.split(":")
            tgt = {"prio": prio, "cat": cat, "miss": miss}[kind]
            if v:
                tgt[name] = tgt.get(name, 0) + v
    d += datetime.timedelta(days=1)

# A key that is not a counter must not break anything.
cmds.append(f"SET {P}{A}:d:notadate:cat:x 5")
cmds.append(f"SET {P}{A}:d:20240125:bogus:x 5")

flat = [(cells[dd][h], dd, h) for dd in range(7) for h in range(24) if cells[dd][h] > 0]
flat.sort(key=lambda t: (-t[0], t[1], t[2]))
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def ordered(m):
    return dict(sorted(m.items(), key=lambda kv: (-kv[1], kv[0])))


expected = {
    "weeks": 2,
    "first_week": "2024-W04",
    "last_week": "2024-W05",
    "from": "2024-01-22",
    "to": "2024-02-04",
    "addresses": [A],
    "heatmap": cells,
    "heatmap_total": sum(map(sum, cells)),
    "max": max(map(max, cells)),
    "busiest": [{"day": days[dd], "hour": h, "count": c, "per_week": round(c / 2, 2)}
                for c, dd, h in flat[:5]],
    "total": sum(daily),
    "daily": daily,
    "priorities": ordered(prio),
    "categories": ordered(cat),
    "missing": ordered(miss),
}
with open("dataset.redis", "w") as f:
    f.write("\n".join(cmds) + "\n")
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
