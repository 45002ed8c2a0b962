# shellcheck shell=bash
# tests/bench/postfix.sh: the Postfix part of tests/bench/run.sh (sourced
# by it; uses its helpers and tests/lib/postfix.sh).
#
# One private Postfix (pf_start) with one smtpd listener per case: no
# milter, null-milter, support-milter, support-milter with Redis (when
# there is a redis-server).
# Delivery is discard(8): the bench measures the receiving side (smtpd,
# cleanup, the milter), not a delivery agent; the transports are switched
# with postconf -e after pf_start, so tests/lib/postfix.sh is used as is.
# smtp-source sends BENCH_PF_MSGS messages over 8 parallel sessions, one
# message per SMTP session (hence one milter connection per message,
# as with real inbound mail), to the support address.  Between runs the
# queue is let drain, so that no run pays for the previous one's
# deliveries.  msgs/s = messages / smtp-source's wall time.

pf_queue_empty() {
	[ -z "$(find "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" "$PF_DIR/queue/maildrop" -type f 2>/dev/null | head -1)" ]
}
pf_drain() {
	local i
	for ((i = 0; i < 300; i++)); do
		pf_queue_empty && return 0
		sleep 0.1
	done
	return 1
}

# proc_cpu_ticks PID: user + system clock ticks the process has used.
proc_cpu_ticks() { [ -n "$1" ] && awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# pf_run PORT FILE N [MILTER_PID [SESSIONS]]: sends N copies over
# SESSIONS (8) parallel SMTP sessions; prints msgs/s, or "-" on failure,
# and with MILTER_PID the milter's CPU per message in microseconds (clock
# ticks, so only a rough figure for short runs).
pf_run() {
	local port=$1 file=$2 n=$3 pid=${4:-} sessions=${5:-8} t0 t1 c0 c1
	pf_drain
	c0=$(proc_cpu_ticks "$pid")
	t0=$(date +%s.%N)
	if ! timeout 300 "$SMTP_SOURCE" -s "$sessions" -m "$n" -M bench.example -f customer@example.dk \
		-t support@timemap.dk -F "$file" "127.0.0.1:$port" >>"$W/smtp-source.log" 2>&1; then
		echo "bench: smtp-source to port $port failed (see $W/smtp-source.log)" >&2
		echo -
		return
	fi
	t1=$(date +%s.%N)
	c1=$(proc_cpu_ticks "$pid")
	awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v pid="$pid" \
		'BEGIN { printf "%.1f", n / (b - a); if (pid != "") printf " %.0f", c * 1e6 / hz / n }'
}

# paired_ratio "A1 A2 ..." "B1 B2 ...": the median over the runs of Ai / Bi.
# Each run measures every milter within a few seconds, so the machine's
# load, which drifts over the minute, cancels out of a run's ratio but
# not out of a ratio of the medians.
paired_ratio() {
	# shellcheck disable=SC2086 # lists of numbers
	paste -d' ' <(printf '%s\n' $1) <(printf '%s\n' $2) |
		awk '$1 != "-" && $2 != "-" && $2 + 0 > 0 { printf "%.4f\n", $1 / $2 }' | median |
		awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}

bench_postfix() {
	local why='' pdir run mail cfg r n=$BENCH_PF_MSGS postconf cfgs="none null nullh lean sup supr"
	SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
	[ -x "${POSTFIX:-}" ] || POSTFIX=$(command -v postfix 2>/dev/null || echo /usr/sbin/postfix)
	[ -x "$POSTFIX" ] || why="no postfix"
	[ -x "$SMTP_SOURCE" ] || why="no smtp-source (Debian package postfix)"
	[ "$(id -u)" = 0 ] || why="not root (postfix start)"
	getent passwd postfix >/dev/null && getent group postdrop >/dev/null || why="no postfix user/postdrop group"
	if [ -n "$why" ]; then
		echo "bench: Postfix part skipped: $why"
		row postfix "skipped: $why" - - - - - - - -
		return
	fi
	[ -z "$REDIS_PORT" ] && cfgs="none null nullh lean sup"
	echo "bench: Postfix, $BENCH_PF_RUNS x $n messages per mail and milter"

	# The milters, then one smtpd listener per case (PORT_<cfg>).
	declare -A PORT=() MPORT=()
	for cfg in $cfgs; do
		PORT[$cfg]=$(free_port) || { FAILED=1; return; }
		[ "$cfg" = none ] && continue
		MPORT[$cfg]=$(free_port) || { FAILED=1; return; }
		case $cfg in
		null) start_bg "pf_$cfg" "$W/pf-$cfg.log" "$NULL_MILTER" "inet:${MPORT[$cfg]}@127.0.0.1" ;;
		nullh) start_bg "pf_$cfg" "$W/pf-$cfg.log" "$NULL_MILTER" -H "inet:${MPORT[$cfg]}@127.0.0.1" ;;
		lean) start_bg "pf_$cfg" "$W/pf-$cfg.log" "$NULL_MILTER" -L "inet:${MPORT[$cfg]}@127.0.0.1" ;;
		sup) sm_conf "$W/pf-$cfg.conf" "inet:${MPORT[$cfg]}@127.0.0.1" ;;
		supr) sm_conf "$W/pf-$cfg.conf" "inet:${MPORT[$cfg]}@127.0.0.1" "$REDIS_PORT" ;;
		esac
		case $cfg in null*) continue ;; esac
		start_bg "pf_$cfg" "$W/pf-$cfg.log" "$SUPPORT_MILTER" -f -c "$W/pf-$cfg.conf"
	done
	[ "$(printf '%s\n' "${PORT[@]}" "${MPORT[@]}" | sort -u | wc -l)" -eq $((${#PORT[@]} + ${#MPORT[@]})) ] ||
		{ echo "bench: port collision"; FAILED=1; stop_all; return; }
	for cfg in "${!MPORT[@]}"; do
		wait_port "${MPORT[$cfg]}" 10 || { echo "bench: $cfg milter did not come up"; FAILED=1; stop_all; return; }
	done

	pdir=$W/pf
	if ! pf_start "$pdir" "${PORT[none]}" "milter_protocol = 6"; then
		FAILED=1
		row postfix "Postfix did not start" - - - - - - - NO
		stop_all
		return
	fi
	t_at_exit pf_stop
	# Edited in place (postconf -e), not overridden by appended lines: every
	# Postfix process would log "overriding earlier entry" warnings, and
	# postlogd, which sends its own warnings to its own socket, deadlocks
	# once that socket's 10-datagram queue is full.
	postconf=$(dirname "$POSTFIX")/postconf
	[ -x "$postconf" ] || postconf=postconf
	"$postconf" -c "$pdir/etc" -e "default_transport = discard" "local_transport = discard" \
		"relay_transport = discard" "virtual_transport = discard"
	for cfg in "${!MPORT[@]}"; do
		printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:%s\n' \
			"${PORT[$cfg]}" "${MPORT[$cfg]}" >>"$pdir/etc/master.cf"
	done
	timeout 30 "$POSTFIX" -c "$pdir/etc" reload >/dev/null 2>&1
	for cfg in "${!MPORT[@]}"; do
		wait_port "${PORT[$cfg]}" 15 ||
			{ echo "bench: smtpd for $cfg did not come up"; FAILED=1; pf_stop; stop_all; return; }
	done

	# The busy runs (BENCH_PF_BUSY sessions, 0 = none) compare only what
	# the goal rows need: no milter, null-milter, the lean null-milter and
	# support-milter with Redis (without, when there is no redis-server).
	local busy_cfgs="none null lean supr"
	[ -z "$REDIS_PORT" ] && busy_cfgs="none null lean sup"
	[ "$BENCH_PF_BUSY" -gt 0 ] || busy_cfgs=
	declare -A res=() cpu=() sent=([sup]=0 [supr]=0)
	local pid c
	for mail in plain html-png; do # warm up: smtpd processes, milter threads
		for cfg in $cfgs; do
			r=$(pf_run "${PORT[$cfg]}" "$W/$mail.eml" 16)
			sent[$cfg]=$((${sent[$cfg]:-0} + 16))
		done
	done
	for ((run = 1; run <= BENCH_PF_RUNS; run++)); do
		for mail in plain html-png; do
			for cfg in $cfgs; do
				pid=
				[ "$cfg" = none ] || eval "pid=\${PID_pf_$cfg:-}"
				read -r r c <<<"$(pf_run "${PORT[$cfg]}" "$W/$mail.eml" "$n" "$pid")"
				[ "$r" = - ] && FAILED=1
				res[$mail.$cfg]+="$r "
				cpu[$mail.$cfg]+="${c:--} "
				sent[$cfg]=$((${sent[$cfg]:-0} + n))
				printf '%s %s %s %s %s 8\n' "$run" "$mail" "$cfg" "$r" "${c:--}" >>"$W/postfix.results"
			done
			for cfg in $busy_cfgs; do
				r=$(pf_run "${PORT[$cfg]}" "$W/$mail.eml" "$n" "" "$BENCH_PF_BUSY")
				[ "$r" = - ] && FAILED=1
				res[$mail.$cfg.busy]+="$r "
				sent[$cfg]=$((${sent[$cfg]:-0} + n))
				printf '%s %s %s %s - %s\n' "$run" "$mail" "$cfg" "$r" "$BENCH_PF_BUSY" >>"$W/postfix.results"
			done
		done
	done
	pf_drain
	# Every mail sent through a support-milter must have been analysed.
	declare -A analysed=([sup]=- [supr]=-)
	for cfg in sup supr; do
		[ -n "${MPORT[$cfg]:-}" ] || continue
		analysed[$cfg]=$(grep -c ' rcpt=1 ' "$W/pf-$cfg.log")
	done
	pf_stop
	stop_all
	local what m
	declare -A med=()
	for mail in plain html-png; do
		for cfg in none null sup supr; do
			# shellcheck disable=SC2086 # a list of numbers
			med[$cfg]=$(printf '%s\n' ${res[$mail.$cfg]:-} | median)
		done
		# shellcheck disable=SC2154 # png_bytes: run.sh's, set before it sources this file
		case $mail in
		plain) what="short plain-text mail, 8 sessions" ;;
		*) what="HTML + $((png_bytes / 1024)) KiB PNG, 8 sessions" ;;
		esac
		goal_row postfix "$what" msg/s "${med[none]}" "${med[null]}" "${med[sup]}" "${med[supr]}" \
			"$(paired_ratio "${res[$mail.supr]:-}" "${res[$mail.null]:-}")" ">=" 1.0 \
			"$(paired_ratio "${res[$mail.sup]:-}" "${res[$mail.null]:-}")" \
			"$(paired_ratio "${res[$mail.supr]:-}" "${res[$mail.null]:-}")"
		[ -n "$busy_cfgs" ] || continue
		# Busier: the same mail over BENCH_PF_BUSY sessions; support-milter
		# with Redis in the support+R column (without Redis, in the
		# support column).
		for cfg in none null lean sup supr; do
			# shellcheck disable=SC2086 # a list of numbers
			med[$cfg]=$(printf '%s\n' ${res[$mail.$cfg.busy]:-} | median)
		done
		m=supr
		[ -z "$REDIS_PORT" ] && m=sup
		goal_row postfix "${what%, 8 sessions}, $BENCH_PF_BUSY sessions" msg/s "${med[none]}" "${med[null]}" \
			"${med[sup]}" "${med[supr]}" \
			"$(paired_ratio "${res[$mail.$m.busy]:-}" "${res[$mail.null.busy]:-}")" ">=" 1.0 \
			"$(paired_ratio "${res[$mail.$m.busy]:-}" "${res[$mail.null.busy]:-}")"
		row postfix "$mail, $BENCH_PF_BUSY sessions, vs lean null-milter" msg/s - "${med[lean]}" - "${med[$m]}" \
			"$(paired_ratio "${res[$mail.$m.busy]:-}" "${res[$mail.lean.busy]:-}")" info -
	done
	# The same against two do-nothing milters that add eight header
	# fields as support-milter does: null-milter -H asks for every event
	# as null-milter does (what is left of the gap to null-milter is the
	# MTA's cost of editing the queue file); null-milter -L asks for as
	# little as support-milter (the floor: what support-milter would do
	# if its analysis and its counting cost nothing).
	for mail in plain html-png; do
		for cfg in null nullh lean sup supr; do
			# shellcheck disable=SC2086 # a list of numbers
			med[$cfg]=$(printf '%s\n' ${res[$mail.$cfg]:-} | median)
		done
		row postfix "$mail vs null-milter adding 8 fields" msg/s - "${med[nullh]}" - "${med[supr]}" \
			"$(paired_ratio "${res[$mail.supr]:-}" "${res[$mail.nullh]:-}")" info -
		row postfix "$mail vs lean null-milter + 8 fields" msg/s - "${med[lean]}" "${med[sup]}" "${med[supr]}" \
			"$(paired_ratio "${res[$mail.supr]:-}" "${res[$mail.lean]:-}")" info -
		row postfix "$mail: lean null-milter vs null" msg/s - "${med[null]}" - - \
			"$(paired_ratio "${res[$mail.lean]:-}" "${res[$mail.null]:-}")" info -
	done
	for mail in plain html-png; do
		for cfg in null sup supr; do
			# shellcheck disable=SC2086 # a list of numbers
			med[$cfg]=$(printf '%s\n' ${cpu[$mail.$cfg]:-} | median)
		done
		row postfix "milter CPU per message, $mail" us - "${med[null]}" "${med[sup]}" "${med[supr]}" - info -
	done
	# Wanted: every mail each support-milter was sent (sup, then supr).
	local short_sup=- short_supr=-
	[ "${analysed[sup]}" = - ] || short_sup=$((sent[sup] - analysed[sup]))
	[ "${analysed[supr]}" = - ] || short_supr=$((sent[supr] - analysed[supr]))
	# shellcheck disable=SC2034 # FAILED is run.sh's: a part failed
	case "$short_sup $short_supr" in *[1-9]*) FAILED=1 ;; esac
	goal_row postfix "support mails not analysed (of ${sent[sup]} / ${sent[supr]})" mails - - "$short_sup" \
		"$short_supr" - "=" 0 "$short_sup" "$short_supr"
}
