#!/bin/sh
# Stand-in for a sendmail that hangs: says so and sleeps for a minute in
# a child (so only a process-group kill stops everything); the child's
# pid goes to $REPLY_CAPTURE_DIR/sleep.pid when that is set.
echo "hanging" >&2
sleep 60 &
[ -n "$REPLY_CAPTURE_DIR" ] && echo $! >"$REPLY_CAPTURE_DIR/sleep.pid"
wait
