# shellcheck shell=bash
# tests/lib/postfix.sh: a private, throw-away Postfix instance on loopback
# (bash, sourced after common.sh and itest.sh).
#
#   pf_start DIR PORT [main.cf lines...]   build and start it under DIR
#   pf_send FROM TO FILE [swaks args...]   send FILE byte-exact; prints queue id
#   pf_wait_delivered COUNT SECONDS        wait until COUNT messages delivered
#   pf_delivered RCPT QID                  path of a delivered message
#   pf_stop                                stop it (also done at exit)
#
# The instance has its own config_directory (DIR/etc: main.cf and master.cf
# written from scratch), queue_directory (DIR/queue) and data_directory
# (DIR/data); it listens only on 127.0.0.1:PORT, logs to DIR/maillog through
# postlogd (no syslog needed), and never touches /etc/postfix's instance or
# port 25.  Every recipient, in any domain, is delivered by a pipe(8)
# transport into DIR/mail/RECIPIENT/QUEUEID: the message exactly as Postfix
# stored it (our milter's headers included), with no From_ line, no
# ">From" quoting and no added Delivered-To/Return-Path; only the Received
# header smtpd adds differs from what was sent.  Recipient file names are
# lower-cased.  pipe(8) refuses to run as root or as mail_owner, so the
# delivery script runs as nobody: DIR is made traversable and DIR/mail
# writable for it (DIR's parents must be searchable by others: chmod o+x).
#
# Needs root (postfix start), the Debian postfix package (mail_owner
# postfix, setgid_group postdrop), perl (swaks needs it anyway).
#
# Opt-in cheaper delivery for bulk tests: with PF_DELIVERY=maildir set
# when pf_start runs, Postfix's own virtual(8) agent writes every message
# into ONE maildir, DIR/mail/all/ (new/ once complete), as nobody,
# without starting a process per message (virtual(8) allows no per-
# recipient substitution in its mailbox map).  Then virtual(8) prepends
# Return-Path and Delivered-To (the recipient), files are named by
# maildir rules, pf_delivered finds a message by its Delivered-To and the
# queue id in the Received header smtpd added, and pf_count_delivered
# counts the files in new/.
#
# Environment read: POSTFIX (path of the postfix command), SWAKS,
# PF_DELIVERY (pipe, the default, or maildir).

PF_DIR=
PF_PORT=
PF_CONF=
PF_RUNNING=0
PF_SENT=0
PF_MODE=pipe

pf__postconf() {
	local dir
	dir=$(dirname "$POSTFIX")
	if [ -x "$dir/postconf" ]; then printf '%s\n' "$dir/postconf"; else command -v postconf; fi
}

# pf_start DIR PORT [main.cf lines...]: extra lines are appended to main.cf
# verbatim (later settings win), e.g. "smtpd_milters = inet:127.0.0.1:9999".
pf_start() {
	local dir=$1 port=$2 line daemon_dir tr=itest
	shift 2
	PF_DIR=$dir
	PF_PORT=$port
	PF_CONF=$dir/etc
	case ${PF_DELIVERY:-pipe} in
	pipe | maildir) PF_MODE=${PF_DELIVERY:-pipe} ;;
	*) t_log "PF_DELIVERY=$PF_DELIVERY: pipe or maildir"; return 1 ;;
	esac
	[ "$PF_MODE" = maildir ] && tr=virtual
	mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/mail" "$dir/bin" || return 1
	# The delivery script runs as nobody: it must reach DIR/bin and DIR/mail.
	chmod 755 "$dir" "$dir/bin" || return 1
	chown nobody:nogroup "$dir/mail" || return 1
	chmod 755 "$dir/mail" || return 1
	chown postfix "$dir/data" || return 1

	cat >"$dir/bin/deliver" <<EOF
#!/bin/sh
# pipe(8) command: \$1 recipient, \$2 queue id, the message on stdin.
# Written to a dot-file first and renamed, so a counted file is complete.
umask 022
d="$dir/mail/\$1"
mkdir -p "\$d" || exit 75
n="\$2"
i=1
while [ -e "\$d/\$n" ]; do n="\$2.\$i"; i=\$((i + 1)); done
cat >"\$d/.\$n.tmp" || exit 75
mv "\$d/.\$n.tmp" "\$d/\$n" || exit 75
exit 0
EOF
	chmod 755 "$dir/bin/deliver" || return 1

	daemon_dir=$("$(pf__postconf)" -d -h daemon_directory 2>/dev/null)
	: "${daemon_dir:=/usr/lib/postfix/sbin}"

	{
		cat <<EOF
# Private test instance written by tests/lib/postfix.sh.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
daemon_directory = $daemon_dir
mail_owner = postfix
setgid_group = postdrop
myhostname = itest.localhost
mydomain = localhost
myorigin = \$myhostname
mydestination = \$myhostname, localhost, timemap.dk, example.com, example.dk, example.org, example.net
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
biff = no
smtputf8_enable = no
# no header rewriting, no added Date/Message-ID: delivered == sent + Received
local_header_rewrite_clients =
disable_dns_lookups = yes
smtp_dns_support_level = disabled
local_transport = $tr
default_transport = $tr
relay_transport = $tr
virtual_transport = $tr
itest_destination_recipient_limit = 1
disable_mime_output_conversion = yes
message_size_limit = 52428800
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
delay_warning_time = 0
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
milter_default_action = accept
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 20s
EOF
		if [ "$PF_MODE" = maildir ]; then
			cat <<EOF
# PF_DELIVERY=maildir: virtual(8) into DIR/mail/RECIPIENT/ as nobody.
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:all/
virtual_mailbox_domains =
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_minimum_uid = 1
virtual_mailbox_limit = 0
EOF
		fi
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$dir/etc/main.cf" || return 1

	cat >"$dir/etc/master.cf" <<EOF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
itest     unix  -       n       n       -       -       pipe
  flags=hu user=nobody argv=$dir/bin/deliver \${recipient} \${queue_id}
EOF
	if [ "$PF_MODE" = maildir ]; then
		echo 'virtual   unix  -       n       n       -       -       virtual' >>"$dir/etc/master.cf" || return 1
	fi

	# Catch an unreachable DIR early (e.g. a parent left mode 0700 by
	# mktemp) instead of as a deferred delivery later.
	if command -v runuser >/dev/null 2>&1 &&
		! runuser -u nobody -- test -w "$dir/mail" -a -x "$dir/bin/deliver"; then
		t_log "user nobody cannot write $dir/mail or run $dir/bin/deliver: make DIR's parents searchable (chmod o+x)"
		return 1
	fi

	if ! "$POSTFIX" -c "$dir/etc" check >"$dir/postfix-check.log" 2>&1; then
		t_log "postfix check failed:"
		sed 's/^/  | /' "$dir/postfix-check.log"
		return 1
	fi
	if ! timeout 30 "$POSTFIX" -c "$dir/etc" start >"$dir/postfix-start.log" 2>&1; then
		t_log "postfix start failed:"
		sed 's/^/  | /' "$dir/postfix-start.log" "$dir/maillog" 2>/dev/null
		return 1
	fi
	PF_RUNNING=1
	if ! wait_port "$port" 15; then
		t_log "postfix did not listen on 127.0.0.1:$port; maillog:"
		sed 's/^/  | /' "$dir/maillog" 2>/dev/null
		return 1
	fi
	return 0
}

pf__master_pid() {
	local f=$PF_DIR/queue/pid/master.pid
	[ -r "$f" ] && tr -d ' \n' <"$f"
}

# pf_stop: stops the instance and waits (bounded) for its master to exit.
pf_stop() {
	local pid
	[ "$PF_RUNNING" = 1 ] || return 0
	PF_RUNNING=0
	pid=$(pf__master_pid)
	timeout 20 "$POSTFIX" -c "$PF_CONF" stop >/dev/null 2>&1
	if [ -n "$pid" ] && ! wait_pid_gone "$pid" 10; then
		t_log "postfix master $pid did not stop; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait_port_closed "$PF_PORT" 5
	return 0
}

# pf_wire FILE: FILE (LF or CRLF lines) as an SMTP DATA payload: CRLF line
# ends, leading dots doubled, ending in the "." line swaks terminates.
pf_wire() {
	perl -e 'binmode STDIN; binmode STDOUT; local $/ = "\n";
		while (my $l = <STDIN>) {
			$l =~ s/\r?\n\z//;
			$l =~ s/\A\./../;
			print $l, "\r\n";
		}
		print ".";' <"$1"
}

# pf_send FROM TO FILE [swaks args...]: sends FILE unchanged (swaks'
# --no-data-fixup: no token expansion, no header rewriting) to the instance
# and prints the queue id Postfix reported.  TO may be a comma-separated
# list.  With FILE empty, swaks builds the message from the extra args
# (--header, --body ...).  The transcript goes to DIR/swaks.N.log.
pf_send() {
	local from=$1 to=$2 file=$3 log wire qid
	shift 3
	PF_SENT=$((PF_SENT + 1))
	log=$PF_DIR/swaks.$PF_SENT.log
	if [ -n "$file" ]; then
		wire=$PF_DIR/swaks.$PF_SENT.wire
		pf_wire "$file" >"$wire" || return 1
		set -- --no-data-fixup --data "@$wire" "$@"
	fi
	if ! timeout 60 "$SWAKS" --server "127.0.0.1:$PF_PORT" --helo itest.localhost \
		--from "$from" --to "$to" --timeout 50 "$@" >"$log" 2>&1; then
		{
			t_log "swaks failed (transcript $log):"
			sed 's/^/  | /' "$log" | tail -n 20
		} >&2
		return 1
	fi
	qid=$(sed -n 's/.*250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | tail -n 1)
	if [ -z "$qid" ]; then
		t_log "no queue id in swaks transcript $log" >&2
		return 1
	fi
	printf '%s\n' "$qid"
}

# pf_count_delivered: number of complete delivered files.
pf_count_delivered() {
	if [ "$PF_MODE" = maildir ]; then
		find "$PF_DIR/mail" -path '*/new/*' -type f | wc -l
	else
		find "$PF_DIR/mail" -type f ! -name '.*' | wc -l
	fi
}

# pf_wait_delivered COUNT SECONDS: waits until at least COUNT messages have
# been delivered (in total, since pf_start).
pf_wait_delivered() {
	local want=$1 deadline=$((SECONDS + ${2:-20}))
	while [ "$(pf_count_delivered)" -lt "$want" ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			t_log "only $(pf_count_delivered) of $want message(s) delivered after ${2:-20}s; maillog tail:"
			tail -n 30 "$PF_DIR/maillog" 2>/dev/null | sed 's/^/  | /'
			return 1
		fi
		sleep 0.2
	done
	return 0
}

# pf_delivered RCPT QID: prints the delivered file's path (recipient
# lower-cased), returns 1 if it is not there.
pf_delivered() {
	local f
	f=$PF_DIR/mail/$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')/$2
	if [ "$PF_MODE" = maildir ]; then
		# shellcheck disable=SC2046 # maildir file names have no blanks
		f=$(grep -ilE "^Delivered-To: $1\$" \
			$(grep -lE "^[[:space:]]+by [^ ]+ \(Postfix\) with [A-Z]+ id $2(\$|[^0-9A-Za-z])" \
				"$PF_DIR/mail/all/new"/* 2>/dev/null) /dev/null 2>/dev/null | head -n 1)
		[ -n "$f" ] || return 1
	fi
	[ -f "$f" ] || return 1
	printf '%s\n' "$f"
}

# pf_wait_file RCPT QID SECONDS: waits for one message's delivery, prints
# the path.
pf_wait_file() {
	local deadline=$((SECONDS + ${3:-20}))
	while ! pf_delivered "$1" "$2"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			{
				t_log "message $2 for $1 not delivered after ${3:-20}s; maillog lines:"
				grep -F "$2" "$PF_DIR/maillog" 2>/dev/null | sed 's/^/  | /'
			} >&2
			return 1
		fi
		sleep 0.2
	done
}

# pf_require: skips the test (77) when Postfix or swaks cannot be used here.
pf_require() {
	t_need_exec POSTFIX "postfix"
	t_need_exec SWAKS "swaks"
	[ "$(id -u)" = 0 ] || skip_all "not root: a private Postfix instance needs root (postfix start)"
	getent passwd postfix >/dev/null || skip_all "no postfix user (mail_owner)"
	getent group postdrop >/dev/null || skip_all "no postdrop group"
	getent passwd nobody >/dev/null || skip_all "no nobody user (pipe delivery)"
	command -v perl >/dev/null || skip_all "perl not found"
	command -v timeout >/dev/null || skip_all "timeout(1) not found"
}
