#!/usr/bin/env python3
"""tests/soak/send.py: one soak sender (several run in parallel).

Sends mails number WORKER, WORKER + WORKERS, ... below COUNT over SMTP to
127.0.0.1:PORT, keeping each connection for 1..REUSE mails (drawn per
connection) as MTAs and mail clients do.  What each mail is follows from
its number and SEED alone (so a run can be repeated): a file from the
pool (the labelled corpus, with its envelope sender from expected.jsonl,
and the golden mails) and a kind:

    support  envelope recipient support@timemap.dk          (SUPPORT %)
    mixed    other@example.com and support@timemap.dk       (MIXED %)
    other    other@example.com only: the milter accepts it
             at DATA without reading it                      (the rest)

The file is sent as it is but for CRLF line ends (smtplib doubles
leading dots).  One line per accepted mail goes to LOG:

    NUMBER <TAB> QUEUE-ID <TAB> KIND <TAB> RECIPIENTS <TAB> FILE

and a line "NUMBER <TAB> ERROR <TAB> KIND <TAB> 0 <TAB> reason" per mail
Postfix did not accept after 3 tries.  PROGRESS holds the number of mails
done so far (replaced atomically after each).  Exit status 0 when every
mail was accepted, 1 otherwise.
"""
import argparse
import json
import os
import random
import re
import smtplib
import sys
import time

SUPPORT = "support@timemap.dk"
OTHER = "other@example.com"


def pool(corpus, golden):
    """[(path, envelope sender)] from the labelled corpus and the golden mails."""
    out = []
    if corpus and os.path.isdir(corpus):
        senders = {}
        exp = os.path.join(corpus, "expected.jsonl")
        if os.path.exists(exp):
            with open(exp, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        r = json.loads(line)
                        senders[r["file"]] = r.get("from", "customer@example.dk")
        for name in sorted(os.listdir(corpus)):
            if name.endswith(".eml"):
                out.append((os.path.join(corpus, name), senders.get(name, "customer@example.dk")))
    if golden and os.path.isdir(golden):
        for name in sorted(os.listdir(golden)):
            if name.endswith(".eml"):
                out.append((os.path.join(golden, name), "golden@example.dk"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--worker", type=int, required=True)
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus")
    ap.add_argument("--golden")
    ap.add_argument("--support", type=int, default=60, help="percent support-only mails")
    ap.add_argument("--mixed", type=int, default=10, help="percent support + other mails")
    ap.add_argument("--reuse", type=int, default=10, help="at most this many mails per connection")
    ap.add_argument("--log", required=True)
    ap.add_argument("--progress", required=True)
    a = ap.parse_args()

    files = pool(a.corpus, a.golden)
    if not files:
        sys.exit("send.py: no mails in the pool")
    cache = {}
    conn_rng = random.Random(a.seed * 7919 + a.worker)
    qid_re = re.compile(rb"queued as ([0-9A-Za-z]+)")

    smtp = None
    left_on_conn = 0
    done = 0
    failed = 0
    log = open(a.log, "w", buffering=1)

    def progress():
        tmp = a.progress + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % done)
        os.replace(tmp, a.progress)

    for n in range(a.worker, a.count, a.workers):
        rng = random.Random(a.seed * 1000003 + n)
        path, sender = files[rng.randrange(len(files))]
        roll = rng.randrange(100)
        if roll < a.support:
            kind, rcpts = "support", [SUPPORT]
        elif roll < a.support + a.mixed:
            kind, rcpts = "mixed", [OTHER, SUPPORT]
        else:
            kind, rcpts = "other", [OTHER]
        if path not in cache:
            with open(path, "rb") as f:
                # smtplib sends bytes as they are (it dot-stuffs, it does
                # not fix line ends): CRLF, as a real client sends.
                cache[path] = re.sub(rb"\r?\n", b"\r\n", f.read())
        msg = cache[path]

        qid, why = None, ""
        for attempt in range(3):
            try:
                if smtp is None or left_on_conn <= 0:
                    if smtp is not None:
                        try:
                            smtp.quit()
                        except smtplib.SMTPException:
                            pass
                    smtp = smtplib.SMTP("127.0.0.1", a.port, timeout=120)
                    smtp.ehlo("soak.localhost")
                    left_on_conn = conn_rng.randint(1, a.reuse)
                code, resp = smtp.mail(sender)
                if code != 250:
                    raise smtplib.SMTPResponseException(code, resp)
                for r in rcpts:
                    code, resp = smtp.rcpt(r)
                    if code not in (250, 251):
                        raise smtplib.SMTPResponseException(code, resp)
                code, resp = smtp.data(msg)
                if code != 250:
                    raise smtplib.SMTPResponseException(code, resp)
                m = qid_re.search(resp)
                qid = m.group(1).decode() if m else "NOQID"
                left_on_conn -= 1
                break
            except (smtplib.SMTPException, OSError) as e:
                why = "%s: %s" % (type(e).__name__, str(e).replace("\t", " ").replace("\n", " "))
                try:
                    if smtp is not None:
                        smtp.close()
                except OSError:
                    pass
                smtp = None
                time.sleep(0.5)
        if qid is None:
            failed += 1
            log.write("%d\tERROR\t%s\t0\t%s\n" % (n, kind, why))
        else:
            log.write("%d\t%s\t%s\t%d\t%s\n" % (n, qid, kind, len(rcpts), os.path.basename(path)))
        done += 1
        progress()
    if smtp is not None:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            pass
    log.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
