#!/bin/sh
# Stand-in for sendmail in the outq tests: records its arguments (one per
# line) and its standard input under $REPLY_CAPTURE_DIR, named after the
# last argument (the recipient), then exits 0.
d=${REPLY_CAPTURE_DIR:?REPLY_CAPTURE_DIR not set}
last=
for a in "$@"; do last=$a; done
printf '%s\n' "$@" >"$d/.$last.args.tmp" || exit 74
cat >"$d/.$last.msg.tmp" || exit 74
mv "$d/.$last.args.tmp" "$d/$last.args" && mv "$d/.$last.msg.tmp" "$d/$last.msg"
