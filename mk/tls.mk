# mk/tls.mk - OpenSSL 3 for DICOM over TLS (lib/net/tls.c alone uses it).
#
# --as-needed: a tool that never reaches tls.c (sopclass-lookup,
# status-explain) gets no libssl in its NEEDED list although every tool
# links the same libcstore.a.
TLS_CFLAGS ?= $(shell pkg-config --cflags openssl 2>/dev/null)
TLS_LIBS ?= -Wl,--push-state,--as-needed \
	$(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto) \
	-Wl,--pop-state
$(BUILD)/lib/net/tls.o: private ALL_CFLAGS += $(TLS_CFLAGS)
SO_LIBS += $(TLS_LIBS)
