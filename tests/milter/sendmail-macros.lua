-- The milter as Sendmail drives it: Sendmail's default macro set
-- (cf/m4/proto.m4, confMILTER_MACROS_*), sent before every stage whether
-- or not the milter asked for that stage, Sendmail-style queue ids in {i}
-- at ENVFROM, ESMTP parameters after the addresses, {rcpt_addr} holding
-- the local part only (the local mailer's form), {msg_id} at end of
-- message.  Several messages on one connection, as Sendmail reuses it.
-- Run by tests/milter/run.sh.
local T = dofile(libdir .. "/lib.lua")

-- Sendmail's defaults, with the values a plain (TLS, no AUTH) inbound
-- connection to mx.timemap.dk has; a macro without a value is not sent.
local connect_macros = {
	"j", "mx.timemap.dk",
	"_", "client.example.dk [192.0.2.7]",
	"{daemon_name}", "MTA",
	"{if_name}", "mx.timemap.dk",
	"{if_addr}", "192.0.2.1",
}
local helo_macros = {
	"{tls_version}", "TLSv1.3",
	"{cipher}", "TLS_AES_256_GCM_SHA384",
	"{cipher_bits}", "256",
	"{cert_subject}", "",
	"{cert_issuer}", "",
}

local function envfrom_macros(qid, from, auth)
	local host = from:match("@(.*)$") or ""
	local m = { "i", qid }
	if auth then
		table.insert(m, "{auth_type}"); table.insert(m, "PLAIN")
		table.insert(m, "{auth_authen}"); table.insert(m, "mette")
		table.insert(m, "{auth_ssf}"); table.insert(m, "0")
		table.insert(m, "{auth_author}"); table.insert(m, "<" .. from .. ">")
	end
	for _, x in ipairs({ "{mail_mailer}", "esmtp", "{mail_host}", host, "{mail_addr}", from }) do
		table.insert(m, x)
	end
	return m
end

-- Local recipients: mailer "local", no host, the local part only;
-- others go out over esmtp to their domain.
local function envrcpt_macros(rcpt)
	local localpart, domain = rcpt:match("^(.*)@(.*)$")
	if domain == "timemap.dk" then
		return { "{rcpt_mailer}", "local", "{rcpt_host}", "", "{rcpt_addr}", localpart }
	end
	return { "{rcpt_mailer}", "esmtp", "{rcpt_host}", domain, "{rcpt_addr}", rcpt }
end

local function sendmail_msg(qid, from, rcpts, opts)
	opts = opts or {}
	return {
		qid = qid,
		from = from,
		rcpts = rcpts,
		mail_args = { "SIZE=" .. #T.support_body + 400, "BODY=8BITMIME" },
		macros = {
			mail = envfrom_macros(qid, from, opts.auth),
			rcpt = envrcpt_macros,
			eom = { "{msg_id}", "<" .. qid .. "@mx.timemap.dk>" },
		},
		headers = opts.headers or T.support_headers(),
		body = opts.body or T.support_body,
	}
end

-- triage(conn): the unfolded X-Support-Triage value or "".
local function triage(conn)
	local v = T.added(conn, T.prefix .. "Triage")
	return v ~= nil and T.unfold(v) or ""
end

T.run(function()
	local conn = T.connect({
		host = "client.example.dk", ip = "192.0.2.7", helo = "client.example.dk",
		macros = { connect = connect_macros, helo = helo_macros },
	})

	-- 1: a support mail, local recipient in Sendmail's form.
	local qid1 = "5ARAk9xQ012345"
	local phase = T.send(conn, sendmail_msg(qid1, "mette.kjaer@solgaarden.example.dk",
		{ "support@timemap.dk" }))
	T.ok(phase == "eom", "(sm 1) support mail analysed to the end of message (answered at " .. phase .. ")")
	if phase == "eom" then
		T.check_ours(conn, "(sm 1)", qid1)
		T.ok(not mt.eom_check(conn, MT_HDRDELETE), "(sm 1) no header field deleted")
	end

	-- 2: same connection, authenticated sender, another queue id, a
	-- forged field of ours: the new id, never the previous one.
	local qid2 = "5ARAkAxR012399"
	phase = T.send(conn, sendmail_msg(qid2, "mette.kjaer@solgaarden.example.dk",
		{ "Support@TimeMap.dk" }, {
			auth = true,
			headers = T.support_headers({ { "X-Support-Triage", "forged by the customer" } }),
		}))
	T.ok(phase == "eom", "(sm 2) second support mail on the connection analysed (answered at " .. phase .. ")")
	if phase == "eom" then
		T.check_ours(conn, "(sm 2)", qid2)
		local v = triage(conn)
		T.ok(v:find(qid1, 1, true) == nil, "(sm 2) X-Support-Triage does not carry the previous queue id")
		T.ok(T.deleted(conn, { "X-Support-Triage" }, 1), "(sm 2) the customer's X-Support-Triage deleted")
	end

	-- 3: mail for somebody else, relayed out: accepted before the body,
	-- never changed.
	phase = T.send(conn, sendmail_msg("5ARAkBxS012400", "mette.kjaer@solgaarden.example.dk",
		{ "someone@example.com" }, {
			headers = { { "From", "mette.kjaer@solgaarden.example.dk" }, { "To", "someone@example.com" },
				{ "Subject", "frokost" } },
			body = "Ses vi kl. 12?\n",
		}))
	T.ok(phase ~= "eom", "(sm 3) mail without a support recipient accepted early (answered at " .. phase .. ")")
	if phase == "eom" then
		T.unmodified(conn, "(sm 3)")
	end

	-- 4: a local non-support recipient first, then support: analysed,
	-- with its own queue id.
	local qid4 = "5ARAkCxT012401"
	phase = T.send(conn, sendmail_msg(qid4, "ole@example.org",
		{ "postmaster@timemap.dk", "support@timemap.dk" }))
	T.ok(phase == "eom", "(sm 4) postmaster + support analysed (answered at " .. phase .. ")")
	if phase == "eom" then
		T.check_ours(conn, "(sm 4)", qid4)
	end
	mt.disconnect(conn)

	-- 5: a new connection without TLS (no HELO macros at all).
	conn = T.connect({ macros = { connect = connect_macros } })
	local qid5 = "5ARAkDxU012402"
	phase = T.send(conn, sendmail_msg(qid5, "lise@example.dk", { "support@timemap.dk" }))
	T.ok(phase == "eom", "(sm 5) support mail on a plain connection analysed (answered at " .. phase .. ")")
	if phase == "eom" then
		T.check_ours(conn, "(sm 5)", qid5)
	end
	mt.disconnect(conn)
end)
