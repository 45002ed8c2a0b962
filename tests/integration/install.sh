#!/bin/bash
# tests/integration/install.sh: `make install DESTDIR=...` from the build
# tree, checked file by file.
#
#   - exactly the expected files (binaries, man pages, unit, configuration,
#     rules and templates) land under the configured sbindir, mandir,
#     $(prefix)/lib/systemd/system and sysconfdir/support-milter, nothing
#     else;
#   - the installed binary runs, looks for its rules where they were
#     installed (sysconfdir/support-milter/rules), and `--check` passes on
#     the installed configuration and rules (RulesDir pointed into DESTDIR:
#     the binary has the real sysconfdir compiled in);
#   - the installed unit's ExecStart names the installed binary and the
#     installed configuration, with no @placeholder@ left;
#   - a second install keeps an edited configuration and rules file and
#     puts the shipped ones beside them as FILE.dist; uninstall removes
#     everything but the edited files.
#
# Needs a configured build tree (top_builddir) and make; skips (77)
# otherwise.  Writes only into its temp dir.

T_NAME=install.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=tests/lib/common.sh
. "$top_srcdir/tests/lib/common.sh"
# shellcheck source=tests/lib/itest.sh
. "$top_srcdir/tests/lib/itest.sh"

[ -f "$top_builddir/Makefile" ] || skip_all "no Makefile in $top_builddir (not a configured build tree)"
MAKE_CMD=${MAKE:-make}
command -v "$MAKE_CMD" >/dev/null 2>&1 || skip_all "make not found"

t_tmpdir
D=$T_TMP/dest

# bmake TARGET...: make in the build tree, not as a sub-make of the make
# running this test (its jobserver descriptors are not ours).
bmake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		"$MAKE_CMD" -C "$top_builddir" "$@"
}

# The configured directories, fully expanded, from the Makefile itself.
dirs=$(printf 'print-dirs:\n\t@echo "$(sbindir)|$(sysconfdir)|$(mandir)|$(prefix)"\n' |
	bmake -s -f Makefile -f - print-dirs 2>"$T_TMP/dirs.err") ||
	t_bail "cannot read the install directories from the Makefile: $(cat "$T_TMP/dirs.err")"
IFS='|' read -r SBINDIR SYSCONFDIR MANDIR PREFIX <<<"$dirs"
t_log "sbindir=$SBINDIR sysconfdir=$SYSCONFDIR mandir=$MANDIR prefix=$PREFIX"
for v in "$SBINDIR" "$SYSCONFDIR" "$MANDIR" "$PREFIX"; do
	case $v in /*) ;; *) t_bail "install directory '$v' is not absolute" ;; esac
done
CONFDIR=$SYSCONFDIR/support-milter
UNIT=$PREFIX/lib/systemd/system/support-milter.service

# ------------------------------------------------------------ install
if bmake install DESTDIR="$D" >"$T_TMP/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeded"
else
	sed 's/^/  | /' "$T_TMP/install.log" | tail -n 30
	t_bail "make install DESTDIR=... failed"
fi

expected=$(
	printf '%s\n' \
		"$SBINDIR/support-milter" \
		"$SBINDIR/support-milter-stats" \
		"$MANDIR/man8/support-milter.8" \
		"$MANDIR/man8/support-milter-stats.8" \
		"$MANDIR/man5/support-milter.conf.5" \
		"$MANDIR/man5/support-milter.rules.5" \
		"$UNIT" \
		"$CONFDIR/support-milter.conf" \
		"$CONFDIR/rules/00-common.rules" \
		"$CONFDIR/rules/10-items.rules" \
		"$CONFDIR/rules/20-categories.rules" \
		"$CONFDIR/rules/30-priority.rules" \
		"$CONFDIR/rules/templates/reply.da.txt" \
		"$CONFDIR/rules/templates/reply.en.txt" | LC_ALL=C sort
)
installed=$(cd "$D" && find . -type f -o -type l | sed 's|^\.||' | LC_ALL=C sort)
if [ "$installed" = "$expected" ]; then
	ok "installed exactly the $(wc -l <<<"$expected") expected files"
else
	not_ok "installed file list differs (- expected, + installed):"
	diff <(printf '%s\n' "$expected") <(printf '%s\n' "$installed") | sed -n 's/^\([<>]\)/  \1/p' |
		sed 's/^  </  -/; s/^  >/  +/'
fi
check "nothing installed outside DESTDIR's configured prefix and sysconfdir" \
	test -z "$(cd "$D" && find . -type f | sed 's|^\.||' | grep -v -e "^$PREFIX/" -e "^$SYSCONFDIR/")"

BIN=$D$SBINDIR/support-milter
check "support-milter installed executable" test -x "$BIN"
check "support-milter-stats installed executable" test -x "$D$SBINDIR/support-milter-stats"
for m in man8/support-milter.8 man8/support-milter-stats.8 man5/support-milter.conf.5 man5/support-milter.rules.5; do
	check "$m installed as shipped" cmp -s "$top_srcdir/man/$(basename "$m")" "$D$MANDIR/$m"
done
check "configuration installed as shipped" cmp -s "$top_srcdir/etc/support-milter.conf" "$D$CONFDIR/support-milter.conf"
for f in 00-common.rules 10-items.rules 20-categories.rules 30-priority.rules templates/reply.da.txt templates/reply.en.txt; do
	check "rules/$f installed as shipped" cmp -s "$top_srcdir/rules/$f" "$D$CONFDIR/rules/$f"
done

# ------------------------------------------------------------ the binary
v=$("$BIN" -V 2>&1)
check "installed binary runs (-V: $v)" grep -q '^support-milter [0-9]' <<<"$v"

# Without a RulesDir the installed binary must look where the rules were
# installed (the real sysconfdir, absent under DESTDIR unless installed
# there for real): its complaint names the directory.
"$BIN" -c "$D$CONFDIR/support-milter.conf" --check >"$T_TMP/default.out" 2>&1
if [ -d "$CONFDIR/rules" ]; then
	t_log "$CONFDIR/rules exists on this machine: the compiled-in RulesDir is not probed"
else
	check "the compiled-in RulesDir is the installed rules directory ($CONFDIR/rules)" \
		grep -qF "$CONFDIR/rules: cannot open rules directory" "$T_TMP/default.out"
fi

cp "$D$CONFDIR/support-milter.conf" "$T_TMP/check.conf"
printf 'RulesDir %s\n' "$D$CONFDIR/rules" >>"$T_TMP/check.conf"
rc=0
"$BIN" -c "$T_TMP/check.conf" --check >"$T_TMP/check.out" 2>&1 || rc=$?
sed 's/^/  | /' "$T_TMP/check.out"
check "installed binary: --check of the installed configuration and rules exits 0 (status $rc)" test "$rc" -eq 0
check "--check read the installed rules" grep -qF "rules $D$CONFDIR/rules:" "$T_TMP/check.out"
n=$(sed -n 's/^rules .*: \([0-9][0-9]*\) rules.*/\1/p' "$T_TMP/check.out")
check "--check loaded a non-empty rule set (${n:-0} rules)" test "${n:-0}" -gt 0

# A broken installed rules file is caught by the installed binary.
cp -r "$D$CONFDIR/rules" "$T_TMP/badrules"
printf 'subject BROKEN_RULE /(unclosed/i\n' >>"$T_TMP/badrules/20-categories.rules"
sed "s|^RulesDir .*|RulesDir $T_TMP/badrules|" "$T_TMP/check.conf" >"$T_TMP/bad.conf"
rc=0
"$BIN" -c "$T_TMP/bad.conf" --check >"$T_TMP/bad.out" 2>&1 || rc=$?
check "installed binary: --check rejects a broken rules file (status $rc, file:line reported)" \
	eval "[ $rc -ne 0 ] && grep -q '20-categories.rules:[0-9]' '$T_TMP/bad.out'"

# ------------------------------------------------------------ the unit
U=$D$UNIT
exec_start=$(sed -n 's/^ExecStart=//p' "$U")
check "unit: ExecStart=$exec_start" \
	test "$exec_start" = "$SBINDIR/support-milter -f -c $CONFDIR/support-milter.conf"
check "unit: ExecStart's binary is the installed one" test -x "$D${exec_start%% *}"
check "unit: ExecStart's -c file is the installed configuration" test -f "$D${exec_start##* }"
check "unit: no @placeholder@ left" test -z "$(grep -n '@[a-z_]*@' "$U")"
check "unit: reload is SIGUSR1 (SIGHUP stops a libmilter program)" grep -q '^ExecReload=.*-USR1' "$U"

# ------------------------------------------------------------ reinstall, uninstall
printf '\n# edited by the admin\nLogLevel debug\n' >>"$D$CONFDIR/support-milter.conf"
printf '\n# edited by the admin\n' >>"$D$CONFDIR/rules/10-items.rules"
cp "$D$CONFDIR/support-milter.conf" "$T_TMP/edited.conf"
cp "$D$CONFDIR/rules/10-items.rules" "$T_TMP/edited.rules"
if bmake install DESTDIR="$D" >"$T_TMP/install2.log" 2>&1; then
	ok "second make install succeeded"
else
	sed 's/^/  | /' "$T_TMP/install2.log" | tail -n 30
	not_ok "second make install failed"
fi
check "second install kept the edited configuration" cmp -s "$T_TMP/edited.conf" "$D$CONFDIR/support-milter.conf"
check "second install kept the edited rules file" cmp -s "$T_TMP/edited.rules" "$D$CONFDIR/rules/10-items.rules"
check "the shipped configuration beside it as .dist" \
	cmp -s "$top_srcdir/etc/support-milter.conf" "$D$CONFDIR/support-milter.conf.dist"
check "the shipped rules file beside it as .dist" \
	cmp -s "$top_srcdir/rules/10-items.rules" "$D$CONFDIR/rules/10-items.rules.dist"
check "no .dist for files left as shipped" \
	test "$(find "$D$CONFDIR" -name '*.dist' | wc -l)" -eq 2
check "make install said it kept the edited files" \
	test "$(grep -c 'NOTE: kept your' "$T_TMP/install2.log")" -eq 2
# The .dist rules file is not a *.rules file: --check still loads the same set.
rc=0
"$BIN" -c "$T_TMP/check.conf" --check >"$T_TMP/check2.out" 2>&1 || rc=$?
n2=$(sed -n 's/^rules .*: \([0-9][0-9]*\) rules.*/\1/p' "$T_TMP/check2.out")
check "--check with a .dist beside the rules: same rule count (${n2:-?} vs $n)" \
	test "$rc" -eq 0 -a "${n2:-x}" = "$n"

if bmake uninstall DESTDIR="$D" >"$T_TMP/uninstall.log" 2>&1; then
	ok "make uninstall succeeded"
else
	sed 's/^/  | /' "$T_TMP/uninstall.log" | tail -n 30
	not_ok "make uninstall failed"
fi
left=$(cd "$D" && find . -type f | sed 's|^\.||' | LC_ALL=C sort)
want=$(printf '%s\n' "$CONFDIR/rules/10-items.rules" "$CONFDIR/support-milter.conf" | LC_ALL=C sort)
check "uninstall left only the two edited files" test "$left" = "$want"
[ "$left" = "$want" ] || printf '  left: %s\n' $left

done_testing
