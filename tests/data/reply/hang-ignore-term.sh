#!/bin/sh
# Stand-in for a sendmail that hangs and ignores SIGTERM (the ignored
# disposition is inherited by sleep): only SIGKILL ends it.
trap '' TERM
echo "hanging, deaf to SIGTERM" >&2
sleep 60 &
[ -n "$REPLY_CAPTURE_DIR" ] && echo $! >"$REPLY_CAPTURE_DIR/sleep.pid"
wait
