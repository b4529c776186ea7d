# mk/web.mk - DICOMweb STOW-RS (dcmsend to an http:// or https:// URL)
# with libcurl, in lib/web/ alone: libstorescu and libstorescp do not
# link it, and --as-needed keeps it out of the tools that never reach it.
LIB_C_SRC += $(sort $(wildcard lib/web/*.c))
WEB_CFLAGS ?= $(shell pkg-config --cflags libcurl 2>/dev/null)
WEB_LIBS ?= -Wl,--push-state,--as-needed \
	$(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl) \
	-Wl,--pop-state
$(BUILD)/lib/web/%.o: private ALL_CFLAGS += $(WEB_CFLAGS)
