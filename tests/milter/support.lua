-- (a) a mail to the support address gets our headers and nothing else
-- changes.  Run by tests/milter/run.sh.
local T = dofile(libdir .. "/lib.lua")

T.run(function()
	local conn = T.connect()
	local qid = "ITESTA0001"
	local phase = T.send(conn, {
		qid = qid,
		from = "mette.kjaer@solgaarden.example.dk",
		rcpts = { "support@timemap.dk" },
		headers = T.support_headers(),
		body = T.support_body,
	})
	T.ok(phase == "eom", "(a) support mail analysed to the end of message (answered at " .. phase .. ")")
	if phase == "eom" then
		T.check_ours(conn, "(a)", qid)
		T.ok(not mt.eom_check(conn, MT_HDRDELETE), "(a) no header field deleted (there was nothing to remove)")
	end
	mt.disconnect(conn)
end)
