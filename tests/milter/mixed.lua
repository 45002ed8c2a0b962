-- (f) one message for another address first, then the support address:
-- the milter must not accept at the first RCPT (that would accept the
-- whole message) and must analyse it.  Run by tests/milter/run.sh.
local T = dofile(libdir .. "/lib.lua")

T.run(function()
	local conn = T.connect()
	local qid = "ITESTF0001"
	local phase = T.send(conn, {
		qid = qid,
		from = "mette.kjaer@solgaarden.example.dk",
		rcpts = { "someone@example.com", "Support+Billing@TimeMap.DK" },
		headers = T.support_headers(),
		body = T.support_body,
	})
	T.ok(phase == "eom", "(f) other + support recipient analysed to the end of message (answered at " .. phase .. ")")
	if phase == "eom" then
		T.check_ours(conn, "(f)", qid)
	end
	mt.disconnect(conn)
end)
