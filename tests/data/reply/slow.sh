#!/bin/sh
# Stand-in for a slow sendmail: one second per message, then success.
cat >/dev/null
sleep 1
