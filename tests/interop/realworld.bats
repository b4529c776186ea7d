#!/usr/bin/env bats
# Failures a demanding user met with real peers (DCMTK), each fixed with
# its test here; the tool-only ones are in tests/bats/realworld.bats.

load ../bats/helpers
load ../bats/dcmrecv-helpers

D=$CSTORE_ROOT/tests/data

setup() {
	require_netns
	require_cmd /usr/bin/storescu
}

@test "realworld: storescu calling with a backslash in its AE titles is served, not aborted" {
	# the request's titles are taken as sent; the A-ASSOCIATE-AC must
	# return them (PS3.8 9.3.3), where it could not be encoded before
	start_dcmrecv
	run -0 env TCP_NODELAY=1 /usr/bin/storescu -aet 'MOD\1' -aec 'PACS\A' 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# one line, the title with its backslash written '\\' (OUTPUT)
	[ "$(grep -c . "$RECV_STDOUT")" -eq 1 ]
	[ "$(cut -f4 "$RECV_STDOUT")" = 'MOD\\1' ]
	cmp <(dataset_of "$D/p10-evrle.dcm") <(dataset_of "$(cut -f1 "$RECV_STDOUT")")
	refute grep -q "cannot accept" "$RECV_STDERR"
}

@test "realworld: storescu calling with a Latin-1 AE title is served, the title shown with '?'" {
	# outside the AE VR, but DCMTK sends and takes it; aborted before,
	# as if the title held a control character
	local aet
	aet=$(printf 'R\326NTGEN')
	start_dcmrecv --json
	run -0 env TCP_NODELAY=1 /usr/bin/storescu -aet "$aet" 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(grep -c . "$RECV_STDOUT")" -eq 1 ]
	grep -q '"calling_ae":"R?NTGEN"' "$RECV_STDOUT"
	refute grep -q "control character" "$RECV_STDERR"
}
