-- (b) a mail for another address is accepted without analysis (spec §2:
-- at RCPT/EOH time) and never modified.  Run by tests/milter/run.sh.
local T = dofile(libdir .. "/lib.lua")

T.run(function()
	local conn = T.connect()
	local phase = T.send(conn, {
		qid = "ITESTB0001",
		from = "lars@example.dk",
		rcpts = { "someone@example.com" },
		headers = {
			{ "From", "Lars Berg <lars@example.dk>" },
			{ "To", "someone@example.com" },
			{ "Subject", "Frokost i morgen?" },
			{ "X-Support-Priority", "high" },
		},
		body = "Hej,\n\nskal vi spise frokost sammen i morgen kl. 12?\n",
	})
	T.ok(phase == "mail" or phase == "rcpt" or phase == "data" or phase == "header" or phase == "eoh",
		"(b) non-support mail accepted by end of headers (answered accept at " .. phase .. ")")
	if phase == "eom" then
		T.unmodified(conn, "(b)")
	end
	mt.disconnect(conn)
end)
