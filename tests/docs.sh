#!/bin/sh
# Documentation test: every command-line option of support-milter is in
# support-milter(8), every rules directive in support-milter.rules(5).
# (Every configuration key is checked against support-milter.conf(5) and
# the shipped config file by tests/unit/test_config.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"

man8=$top_srcdir/man/support-milter.8
man5r=$top_srcdir/man/support-milter.rules.5

# Long options, straight from the option table in main.c.
opts=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]*_argument.*/\1/p' "$top_srcdir/milter/main.c")
[ -n "$opts" ] || { not_ok "found the option table in main.c"; done_testing; }
for o in $opts; do
	esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	if grep -q -- "\\\\-\\\\-$esc" "$man8"; then ok "option --$o documented"; else not_ok "option --$o missing from support-milter(8)"; fi
done

# Rules directives, from the keyword table of the parser.
for kw in header subject body own attach envelope flag meta describe item label present applies category priority autoreply; do
	if grep -q "^\.SS $kw\b\|^\.B $kw\b\|^\.SS \"$kw\|^\\\\fB$kw" "$man5r" || grep -q "^\.SS.*\\b$kw\\b" "$man5r"; then
		ok "directive $kw documented"
	else
		not_ok "directive $kw missing from support-milter.rules(5)"
	fi
done
done_testing
