-- (c) three forged X-Support-Priority fields (mixed case, one folded),
-- interleaved with other fields, are all deleted - instances 3, 2, 1 -
-- and our own fields added; look-alike names are left alone.
-- Run by tests/milter/run.sh.
local T = dofile(libdir .. "/lib.lua")

T.run(function()
	local spellings = { "X-Support-Priority", "x-support-priority", "X-SUPPORT-PRIORITY" }
	local conn = T.connect()
	local qid = "ITESTC0001"
	local phase = T.send(conn, {
		qid = qid,
		from = "kim@example.dk",
		rcpts = { "support@timemap.dk" },
		headers = {
			{ "Received", "from client.example.dk (client.example.dk [192.0.2.7])\n\tby mx.example.dk (Postfix) with ESMTP id 1111111111" },
			{ "From", "Kim Nielsen <kim@example.dk>" },
			{ "X-Support-Priority", "high" },
			{ "To", "support@timemap.dk" },
			{ "x-support-priority", "forged-lowercase" },
			{ "Subject", "HASTER: Lønkørsel fejler" },
			{ "X-Supportive", "this header is not ours and must stay" },
			{ "Date", "Mon, 09 Nov 2026 11:00:05 +0100" },
			{ "X-SUPPORT-PRIORITY", "forged-uppercase,\n\tfolded onto a second line" },
			{ "Message-ID", "<itest-mt-c-1@example.dk>" },
			{ "X-Support", "no trailing dash, not ours, must stay" },
			{ "MIME-Version", "1.0" },
			{ "Content-Type", "text/plain; charset=utf-8" },
		},
		body = "Hej support\n\nLønkørslen for november fejler.\nJeg er logget på som kim.n.\n\nX-Support-Priority: high (in the body)\n",
	})
	T.ok(phase == "eom", "(c) support mail analysed to the end of message (answered at " .. phase .. ")")
	if phase == "eom" then
		for idx = 3, 1, -1 do
			T.ok(T.deleted(conn, spellings, idx), "(c) forged X-Support-Priority instance " .. idx .. " deleted")
		end
		T.ok(not T.deleted(conn, spellings, 4), "(c) no deletion of a 4th X-Support-Priority (there are 3)")
		for _, n in ipairs({ "X-Supportive", "X-Support", "Received", "From", "To", "Subject", "Date", "Message-ID" }) do
			T.ok(not mt.eom_check(conn, MT_HDRDELETE, n), "(c) " .. n .. " not deleted")
		end
		T.ok(not mt.eom_check(conn, MT_HDRCHANGE, "X-Supportive") and not mt.eom_check(conn, MT_HDRCHANGE, "X-Support"),
			"(c) look-alike fields not changed")
		T.check_ours(conn, "(c)", qid)
	end
	mt.disconnect(conn)
end)
