#!/usr/bin/env python3
"""tests/soak/check.py: what the soak delivered against what it sent.

    check.py MAILDIR MILTER_LOG SENDER_LOG...

MAILDIR is the private Postfix's maildir (PF_DELIVERY=maildir: every
copy in MAILDIR/new, Delivered-To naming the recipient, the topmost
Received naming the queue id).  The sender logs say, per accepted mail,
its queue id, kind (support, mixed, other) and number of recipients.

Per delivered copy, only the header block is read.  A copy of a mail with
a support recipient must carry exactly one X-Support-Triage of ours
(naming support-milter and this mail's queue id) -- unless the milter
logged "QID: analysis failed" for it.  A copy of a mail without one must
carry no X-Support-Triage naming its queue id.  Every mail must arrive
once per recipient: no loss, no duplicate.

Prints key=value lines (the shell reads them) and, prefixed with "bad ",
the first problems found.
"""
import os
import re
import sys

RECEIVED_ID = re.compile(rb"\bby \S+ \(Postfix\) with [A-Z]+ id ([0-9A-Za-z]+)")
RULES_HASH = re.compile(r"\brules=([0-9a-f]+)")


def header_block(path):
    """The header fields of a file as [(lower-case name, unfolded bytes value)]."""
    with open(path, "rb") as f:
        data = f.read(256 * 1024)
    end = data.find(b"\n\n")
    head = data if end < 0 else data[:end]
    fields = []
    for line in head.split(b"\n"):
        line = line.rstrip(b"\r")
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name.strip().lower(), value.strip()))
    return fields


def main():
    maildir, milter_log, sender_logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    sent = {}   # qid -> (kind, number of recipients)
    send_errors = 0
    collisions = 0
    for log in sender_logs:
        with open(log) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 4:
                    continue
                if parts[1] == "ERROR":
                    send_errors += 1
                    continue
                if parts[1] in sent:
                    # Short Postfix queue ids are unique only while the
                    # mail is queued: the soak needs long ones.
                    collisions += 1
                sent[parts[1]] = (parts[2], int(parts[3]))

    failed = set()
    summaries = 0
    with open(milter_log, errors="replace") as f:
        for line in f:
            m = re.search(r"\]: ([0-9A-Za-z]+): analysis failed", line)
            if m:
                failed.add(m.group(1))
            if re.search(r"\]: [0-9A-Za-z]+: from=<.*> rcpt=\d+ hours=", line):
                summaries += 1

    bad = []
    got = {}          # qid -> copies
    tagged = untagged = excused = foreign = unknown = 0
    hashes = set()
    newdir = os.path.join(maildir, "new")
    names = os.listdir(newdir) if os.path.isdir(newdir) else []
    for name in names:
        fields = header_block(os.path.join(newdir, name))
        qid = None
        for n, v in fields:
            if n == b"received":
                m = RECEIVED_ID.search(v)
                if m:
                    qid = m.group(1).decode()
                break      # the topmost Received is our smtpd's
        if qid is None or qid not in sent:
            unknown += 1
            if len(bad) < 20:
                bad.append("%s: delivered, queue id %s not sent by the soak" % (name, qid))
            continue
        got[qid] = got.get(qid, 0) + 1
        kind = sent[qid][0]
        triage = [v.decode("ascii", "replace") for n, v in fields if n == b"x-support-triage"]
        ours = [t for t in triage if "support-milter/" in t and ("queue-id=" + qid) in t]
        if kind in ("support", "mixed"):
            if len(ours) == 1 and len(triage) == 1:
                tagged += 1
                m = RULES_HASH.search(ours[0])
                if m:
                    hashes.add(m.group(1))
            elif qid in failed:
                excused += 1
            else:
                untagged += 1
                if len(bad) < 20:
                    bad.append("%s (%s, %s): %d X-Support-Triage, %d of ours" %
                               (qid, kind, name, len(triage), len(ours)))
        elif ours:
            foreign += 1
            if len(bad) < 20:
                bad.append("%s (other): tagged although no support recipient" % qid)

    want_copies = sum(n for _, n in sent.values())
    lost = sum(n - got.get(q, 0) for q, (_, n) in sent.items() if got.get(q, 0) < n)
    dup = sum(c - sent[q][1] for q, c in got.items() if c > sent[q][1])
    for q, (k, n) in sent.items():
        if got.get(q, 0) < n and len(bad) < 20:
            bad.append("%s (%s): %d of %d copies delivered" % (q, k, got.get(q, 0), n))
    support_msgs = sum(1 for k, _ in sent.values() if k in ("support", "mixed"))
    support_failed = sum(1 for q in failed if q in sent and sent[q][0] in ("support", "mixed"))

    print("sent=%d" % len(sent))
    print("qid_collisions=%d" % collisions)
    print("send_errors=%d" % send_errors)
    print("support_msgs=%d" % support_msgs)
    print("other_msgs=%d" % (len(sent) - support_msgs))
    print("want_copies=%d" % want_copies)
    print("delivered=%d" % len(names))
    print("lost=%d" % lost)
    print("duplicates=%d" % dup)
    print("unknown=%d" % unknown)
    print("tagged=%d" % tagged)
    print("untagged=%d" % untagged)
    print("excused=%d" % excused)
    print("failed_logged=%d" % support_failed)
    print("foreign=%d" % foreign)
    print("summaries=%d" % summaries)
    print("rule_hashes=%d" % len(hashes))
    print("rule_hash_list=%s" % " ".join(sorted(hashes)))
    for b in bad:
        print("bad " + b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
