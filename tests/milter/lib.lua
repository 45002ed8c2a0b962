-- tests/milter/lib.lua: shared helpers for the miltertest scripts.
--
-- Loaded by every script with  local T = dofile(libdir .. "/lib.lua")
-- where miltertest was started with  -D socket=inet:PORT@127.0.0.1
-- -D libdir=DIR  (tests/milter/run.sh does that).  The milter is started
-- and stopped by run.sh, not by the scripts.
--
-- T.connect([opts])      negotiate + connection info + HELO, returns conn;
--                        opts (all optional): host, ip, helo, and
--                        macros = { connect = {name, value, ...},
--                        helo = {...} } sent before those stages, as
--                        the MTA does even for a stage the milter skips
-- T.send(conn, msg)      one message through every phase the milter lets
--                        through; returns the phase at which it answered
--                        ACCEPT ("mail", "rcpt", "header", "eoh", "body")
--                        or "eom"; errors on REJECT/TEMPFAIL/DISCARD
-- T.ok(cond, text)       one assertion, printed as "ok   - " / "FAIL - "
-- T.added(conn, name)    value of the header field the milter added at EOM
-- T.deleted(conn, names, idx)  did it delete instance idx of a field
--                        (any of the spellings in names)?
-- T.unmodified(conn, text)     asserts no change of any kind at EOM
-- T.run(function)       runs a script body, reporting errors; then T.done()
-- T.done()               raises an error (miltertest exits 1) on failures
--
-- A message is a table: { qid = "ITEST1", from = "a@b", rcpts = {...},
-- headers = { {"Name", "value"}, ... }, body = "text with \n line ends" }.
-- Header values are passed as the MTA passes them: without the space after
-- the colon, folded lines joined by "\n\t".  With abort_after_headers =
-- true the transaction is aborted (SMFIC_ABORT, as after RSET) instead of
-- reaching the end of headers; T.send then returns "aborted".  With
-- abort_after_body = true it is aborted after the end of headers and the
-- body, before the end of message (T.send returns "aborted" too).
-- Optional, for an MTA's own macro set (Sendmail's, say): msg.macros =
-- { mail = {name, value, ...}, rcpt = function(rcpt) return {...} end
-- (or one table for every recipient), eom = {...} } replaces the default
-- MAIL macros (i and {mail_addr}) and RCPT macro ({rcpt_addr}) and adds
-- end-of-message macros; msg.mail_args / msg.rcpt_args: ESMTP parameters
-- after the address (e.g. { "SIZE=1234", "BODY=8BITMIME" }).

local T = {}
local fails, passes = 0, 0

T.socket = socket or error("run miltertest with -D socket=inet:PORT@127.0.0.1")
T.prefix = "X-Support-"

local names = {}
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"
names[SMFIR_REPLYCODE] = "replycode"
if SMFIR_SKIP ~= nil then names[SMFIR_SKIP] = "skip" end

function T.reply_name(r)
	return names[r] or ("reply " .. tostring(r))
end

function T.ok(cond, text)
	if cond then
		passes = passes + 1
		print("ok   - " .. text)
	else
		fails = fails + 1
		print("FAIL - " .. text)
	end
	return cond
end

-- T.run(f): runs the test body; an error inside it (a protocol step that
-- failed) counts as a failure and is printed - miltertest itself exits 1
-- on a script error without saying why.  Ends with T.done().
function T.run(f)
	local ok, err = pcall(f)
	if not ok then
		T.ok(false, "script stopped: " .. tostring(err))
	end
	T.done()
end

function T.done()
	print(string.format("%d passed, %d failed", passes, fails))
	if fails > 0 then
		error(string.format("%d assertion(s) failed", fails))
	end
end

-- call(what, err): a miltertest function returned an error string.
local function call(what, err)
	if err ~= nil then
		error(what .. " failed: " .. tostring(err))
	end
end

-- reply(conn, what): the milter's answer to the last step; nil means "go
-- on" (continue, or no reply because the milter negotiated SMFIP_NR_*).
local function reply(conn, what)
	local r = mt.getreply(conn)
	if r == SMFIR_ACCEPT then
		return "accept"
	end
	if r == SMFIR_REJECT or r == SMFIR_TEMPFAIL or r == SMFIR_DISCARD or r == SMFIR_REPLYCODE then
		T.ok(false, what .. ": the milter answered " .. T.reply_name(r) ..
			" (it must never reject, defer or discard)")
		error("unexpected " .. T.reply_name(r) .. " after " .. what)
	end
	return nil
end

local unpack = table.unpack or unpack

-- macros(conn, stage, list, what): one SMFIC_MACRO for a stage; an empty
-- or absent list sends nothing (an MTA sends no macro it has no value for).
local function macros(conn, stage, list, what)
	if list ~= nil and #list > 0 then
		call("mt.macro(" .. what .. ")", mt.macro(conn, stage, unpack(list)))
	end
end

-- SMFIC_BODYEOB: miltertest has no constant for it, libmilter takes
-- macros for it (the end-of-message stage).
T.SMFIC_BODYEOB = string.byte("E")

function T.connect(opts)
	opts = opts or {}
	local m = opts.macros or {}
	local conn = mt.connect(T.socket, 40, 0.25)
	if conn == nil then
		error("cannot connect to the milter at " .. T.socket)
	end
	call("mt.negotiate", mt.negotiate(conn, nil, nil, nil))
	macros(conn, SMFIC_CONNECT, m.connect, "CONNECT")
	if not mt.test_option(conn, SMFIP_NOCONNECT) then
		call("mt.conninfo", mt.conninfo(conn, opts.host or "client.example.dk", opts.ip or "192.0.2.7"))
		if reply(conn, "connect") == "accept" then
			error("the milter accepted the whole connection at CONNECT")
		end
	end
	macros(conn, SMFIC_HELO, m.helo, "HELO")
	if not mt.test_option(conn, SMFIP_NOHELO) then
		call("mt.helo", mt.helo(conn, opts.helo or "client.example.dk"))
		if reply(conn, "HELO") == "accept" then
			error("the milter accepted the whole connection at HELO")
		end
	end
	return conn
end

-- crlf(s): body text with CRLF line ends, as the MTA sends it.
local function crlf(s)
	return (s:gsub("\r?\n", "\r\n"))
end

function T.send(conn, msg)
	local m = msg.macros or {}
	if m.mail ~= nil then
		macros(conn, SMFIC_MAIL, m.mail, "MAIL")
	else
		call("mt.macro(MAIL)", mt.macro(conn, SMFIC_MAIL, "i", msg.qid or "ITEST0000",
			"{mail_addr}", msg.from))
	end
	-- A step the milter opted out of (SMFIP_NO*) is an error to send.
	if not mt.test_option(conn, SMFIP_NOMAIL) then
		call("mt.mailfrom", mt.mailfrom(conn, "<" .. msg.from .. ">", unpack(msg.mail_args or {})))
		if reply(conn, "MAIL FROM") == "accept" then return "mail" end
	end
	if mt.test_option(conn, SMFIP_NORCPT) then
		error("the milter opted out of RCPT (SMFIP_NORCPT): it cannot see the support address")
	end
	for _, r in ipairs(msg.rcpts) do
		if type(m.rcpt) == "function" then
			macros(conn, SMFIC_RCPT, m.rcpt(r), "RCPT")
		elseif m.rcpt ~= nil then
			macros(conn, SMFIC_RCPT, m.rcpt, "RCPT")
		else
			call("mt.macro(RCPT)", mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", r))
		end
		call("mt.rcptto", mt.rcptto(conn, "<" .. r .. ">", unpack(msg.rcpt_args or {})))
		if reply(conn, "RCPT TO " .. r) == "accept" then return "rcpt" end
	end
	-- miltertest does not fill in DATA by itself; real MTAs send it.
	if not mt.test_option(conn, SMFIP_NODATA) then
		call("mt.data", mt.data(conn))
		if reply(conn, "DATA") == "accept" then return "data" end
	end
	if not mt.test_option(conn, SMFIP_NOHDRS) then
		for _, h in ipairs(msg.headers) do
			call("mt.header(" .. h[1] .. ")", mt.header(conn, h[1], h[2]))
			if reply(conn, "header " .. h[1]) == "accept" then return "header" end
		end
	end
	if msg.abort_after_headers then
		call("mt.abort", mt.abort(conn))
		return "aborted"
	end
	if not mt.test_option(conn, SMFIP_NOEOH) then
		call("mt.eoh", mt.eoh(conn))
		if reply(conn, "EOH") == "accept" then return "eoh" end
	end
	if not mt.test_option(conn, SMFIP_NOBODY) and msg.body ~= nil then
		call("mt.bodystring", mt.bodystring(conn, crlf(msg.body)))
		if reply(conn, "body") == "accept" then return "body" end
	end
	if msg.abort_after_body then
		call("mt.abort", mt.abort(conn))
		return "aborted"
	end
	macros(conn, T.SMFIC_BODYEOB, m.eom, "EOM")
	call("mt.eom", mt.eom(conn))
	reply(conn, "EOM")
	return "eom"
end

-- T.added(conn, name): the value of the first header field called name
-- that the milter added (appended or inserted) at EOM, or nil.
function T.added(conn, name)
	return mt.getheader(conn, name, 0)
end

-- unfold(v): a header value with its folding (CRLF/LF before WSP) undone.
function T.unfold(v)
	return (v:gsub("\r?\n([ \t])", "%1"))
end

-- T.deleted(conn, spellings, idx): was instance idx of the field deleted
-- (SMFIR_CHGHEADER with an empty value)?  miltertest compares the name
-- case-sensitively, the MTAs do not: any of the spellings counts.
function T.deleted(conn, spellings, idx)
	for _, n in ipairs(spellings) do
		if mt.eom_check(conn, MT_HDRDELETE, n, idx) then
			return true
		end
	end
	return false
end

-- T.unmodified(conn, label): no header added/inserted/changed/deleted, no
-- body replaced, no recipient added or removed, no quarantine.
function T.unmodified(conn, label)
	T.ok(not mt.eom_check(conn, MT_HDRADD), label .. ": no header field added")
	T.ok(not mt.eom_check(conn, MT_HDRINSERT), label .. ": no header field inserted")
	T.ok(not mt.eom_check(conn, MT_HDRCHANGE), label .. ": no header field changed")
	T.ok(not mt.eom_check(conn, MT_HDRDELETE), label .. ": no header field deleted")
	T.ok(not mt.eom_check(conn, MT_BODYCHANGE), label .. ": body not replaced")
	T.ok(not mt.eom_check(conn, MT_QUARANTINE), label .. ": not quarantined")
end

-- T.check_ours(conn, label, qid): the three headers every analysed
-- message gets, with stable values; the rest when present.
function T.check_ours(conn, label, qid)
	local v
	v = T.added(conn, T.prefix .. "Hours")
	T.ok(v ~= nil and (v == "open" or v == "closed"),
		label .. ": X-Support-Hours added, open|closed (got " .. tostring(v) .. ")")
	v = T.added(conn, T.prefix .. "Peak")
	T.ok(v ~= nil and (v == "yes" or v == "no"),
		label .. ": X-Support-Peak added, yes|no (got " .. tostring(v) .. ")")
	v = T.added(conn, T.prefix .. "Triage")
	if v ~= nil then
		v = T.unfold(v)
	end
	T.ok(v ~= nil, label .. ": X-Support-Triage added (got " .. tostring(v) .. ")")
	if v ~= nil then
		T.ok(v:find("support-milter/", 1, true) ~= nil,
			label .. ": X-Support-Triage names support-milter/VERSION")
		T.ok(v:find(qid, 1, true) ~= nil,
			label .. ": X-Support-Triage carries the queue id " .. qid)
	end
	T.ok(mt.eom_check(conn, MT_HDRADD, T.prefix .. "Hours"),
		label .. ": X-Support-Hours appended (SMFIR_ADDHEADER, spec: added at end)")
	T.ok(mt.getheader(conn, T.prefix .. "Hours", 1) == nil,
		label .. ": X-Support-Hours added only once")
	T.ok(mt.getheader(conn, T.prefix .. "Triage", 1) == nil,
		label .. ": X-Support-Triage added only once")
	v = T.added(conn, T.prefix .. "Priority")
	if v ~= nil then
		T.ok(v == "high" or v == "normal" or v == "low",
			label .. ": X-Support-Priority, when added, is high|normal|low (got " .. v .. ")")
	end
	v = T.added(conn, T.prefix .. "Scope")
	if v ~= nil then
		T.ok(v == "in-scope" or v == "out-of-scope",
			label .. ": X-Support-Scope, when added, is in-scope|out-of-scope (got " .. v .. ")")
	end
	T.ok(not mt.eom_check(conn, MT_BODYCHANGE), label .. ": body not replaced")
	T.ok(not mt.eom_check(conn, MT_QUARANTINE), label .. ": not quarantined")
end

-- Test mails.

T.support_body = [[
Hej support

Medarbejderen Lise Holm (medarb.nr. 1042) står med 7,5 timer i Vagtplan
d. 3/11, men hun har arbejdet fra kl. 7 til 15, altså 8 timer.
Jeg er logget på som mette.k.

Med venlig hilsen
Mette Kjær
]]

function T.support_headers(extra)
	local h = {
		{ "From", "Mette Kjaer <mette.kjaer@solgaarden.example.dk>" },
		{ "To", "support@timemap.dk" },
		{ "Subject", "Forkerte timer i vagtplanen" },
		{ "Date", "Mon, 09 Nov 2026 09:13:02 +0100" },
		{ "Message-ID", "<itest-mt-1@solgaarden.example.dk>" },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "text/plain; charset=utf-8" },
		{ "Content-Transfer-Encoding", "8bit" },
	}
	for _, x in ipairs(extra or {}) do
		table.insert(h, x)
	end
	return h
end

return T
