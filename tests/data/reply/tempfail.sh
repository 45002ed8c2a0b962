#!/bin/sh
# Stand-in for a sendmail that cannot queue: reads the message, complains,
# exits 75 (EX_TEMPFAIL).
cat >/dev/null
echo "queue file write error" >&2
exit 75
