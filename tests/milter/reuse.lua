-- Several messages on one connection: per-message state must not leak
-- from one message into the next, also after an aborted transaction.
-- Run by tests/milter/run.sh.
local T = dofile(libdir .. "/lib.lua")

T.run(function()
	local conn = T.connect()
	if mt.test_option(conn, SMFIP_NOMAIL) then
		-- miltertest forgets the previous message's EOM actions only at
		-- MAIL FROM, which a milter that opted out of it never sees.
		print("# skipped: the milter negotiated SMFIP_NOMAIL")
		mt.disconnect(conn)
		return
	end

	-- 1: support mail with one forged field.
	local phase = T.send(conn, {
		qid = "ITESTR0001", from = "a@example.dk", rcpts = { "support@timemap.dk" },
		headers = T.support_headers({ { "X-Support-Priority", "high" } }),
		body = T.support_body,
	})
	T.ok(phase == "eom", "(reuse 1) support mail analysed (answered at " .. phase .. ")")
	if phase == "eom" then
		T.ok(T.deleted(conn, { "X-Support-Priority" }, 1), "(reuse 1) forged field deleted")
		T.check_ours(conn, "(reuse 1)", "ITESTR0001")
	end

	-- 2: mail for another address on the same connection: untouched.
	phase = T.send(conn, {
		qid = "ITESTR0002", from = "b@example.dk", rcpts = { "someone@example.com" },
		headers = { { "From", "b@example.dk" }, { "To", "someone@example.com" }, { "Subject", "hi" } },
		body = "hello\n",
	})
	T.ok(phase ~= "eom", "(reuse 2) non-support mail after a support mail accepted early (answered at " .. phase .. ")")
	if phase == "eom" then
		T.unmodified(conn, "(reuse 2)")
	end

	-- 3: support mail aborted after its headers (client RSET).
	phase = T.send(conn, {
		qid = "ITESTR0003", from = "c@example.dk", rcpts = { "support@timemap.dk" },
		headers = { { "X-Support-Priority", "high" }, { "Subject", "aborted" } },
		abort_after_headers = true,
	})
	T.ok(phase == "aborted", "(reuse 3) support mail aborted after its headers (answered at " .. phase .. ")")

	-- 3b: support mail aborted after its headers and body, before the end
	-- of message (run.sh checks with Redis that it is not counted).
	phase = T.send(conn, {
		qid = "ITESTR0005", from = "e@example.dk", rcpts = { "support@timemap.dk" },
		headers = T.support_headers({ { "X-Support-Priority", "high" } }),
		body = T.support_body,
		abort_after_body = true,
	})
	T.ok(phase == "aborted", "(reuse 3b) support mail aborted after its body (answered at " .. phase .. ")")

	-- 4: clean support mail: nothing to delete, our headers, queue id of 4.
	phase = T.send(conn, {
		qid = "ITESTR0004", from = "d@example.dk", rcpts = { "support@timemap.dk" },
		headers = T.support_headers(),
		body = T.support_body,
	})
	T.ok(phase == "eom", "(reuse 4) support mail after an abort analysed (answered at " .. phase .. ")")
	if phase == "eom" then
		T.ok(not mt.eom_check(conn, MT_HDRDELETE), "(reuse 4) nothing deleted (no state left from the aborted message)")
		T.check_ours(conn, "(reuse 4)", "ITESTR0004")
		local v = T.added(conn, "X-Support-Triage")
		T.ok(v == nil or T.unfold(v):find("ITESTR0001", 1, true) == nil, "(reuse 4) Triage does not carry an earlier queue id")
	end
	mt.disconnect(conn)
end)
