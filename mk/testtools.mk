# Small programs the bats suites use as misbehaving peers (flood: a
# sender that does not read its responses).
TEST_TOOLS = $(BUILD)/tests/tools/tcp-stub $(BUILD)/tests/tools/dcm-dataset \
	$(BUILD)/tests/tools/flood $(BUILD)/tests/tools/rle-tool \
	$(BUILD)/tests/tools/dcm-xcode $(BUILD)/tests/tools/hostile \
	$(BUILD)/tests/tools/commit-rq
# dcm-dataset uses the part10 prober (dcmsend's interop tests).
$(BUILD)/tests/tools/dcm-dataset: tests/tools/dcm-dataset.c $(BUILD)/libcstore.a $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcstore.a -lz $(ALL_LDFLAGS)
# dcm-xcode runs the transcoder alone (transcode-exact.bats).
$(BUILD)/tests/tools/dcm-xcode: tests/tools/dcm-xcode.c $(BUILD)/libcstore.a $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcstore.a $(CSTORE_LIBS) $(ALL_LDFLAGS)
# rle-tool: our RLE codec on DICOM files and raw frames (tests/bats/rle.bats).
$(BUILD)/tests/tools/rle-tool: tests/tools/rle-tool.c $(BUILD)/libcstore.a $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcstore.a -lz $(ALL_LDFLAGS)
# commit-rq: a Storage Commitment requester over our engine (dcmrecv-commit.bats).
$(BUILD)/tests/tools/commit-rq: tests/tools/commit-rq.c $(BUILD)/libcstore.a $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcstore.a $(CSTORE_LIBS) $(ALL_LDFLAGS)
$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/.flags tests/tools/unhex.h
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)
test-tools: $(TEST_TOOLS)
.PHONY: test-tools
# charls-redirect.so (LD_PRELOAD) puts charls-refuse.so, a CharLS that
# refuses every frame, in CharLS's place, or none: the GDCM fallback of
# transcode-exact.bats.  Shared objects, without the sanitizers (the
# preloaded one is loaded before their runtime).
CHARLS_TEST_SO = $(BUILD)/tests/tools/charls-redirect.so $(BUILD)/tests/tools/charls-refuse.so
$(BUILD)/tests/tools/%.so: tests/tools/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) -std=c11 $(WARN) -D_GNU_SOURCE $(if $(filter 1,$(DEVELOPER)),-Werror) \
		-fPIC -shared $(CFLAGS) -o $@ $< $(LDFLAGS)
test-tools: $(CHARLS_TEST_SO)
# codec-crash.so (LD_PRELOAD) makes OpenJPEG's decode abort and its
# encode trap: GDCM crashing inside dcmsend, for codec-jail.bats.
test-tools: $(BUILD)/tests/tools/codec-crash.so
# codec-hang.so (LD_PRELOAD) makes OpenJPEG's decode block forever and
# its encode spin: a hung codec inside dcmsend, for codec-jail.bats.
test-tools: $(BUILD)/tests/tools/codec-hang.so
# codec-late.so (LD_PRELOAD): a process that coded JPEG 2000 aborts (or
# hangs) at its next read: a GDCM worker failing between two calls.
test-tools: $(BUILD)/tests/tools/codec-late.so
# no-fork.so (LD_PRELOAD): fork fails with EAGAIN (a process limit
# reached), for codec-jail.bats: GDCM then converts in-process.
test-tools: $(BUILD)/tests/tools/no-fork.so
# no-socket.so (LD_PRELOAD): socket(2) for TCP/IP fails with EMFILE,
# for dcmsend.bats: no descriptor for a connection is a local failure.
test-tools: $(BUILD)/tests/tools/no-socket.so
# map-cut.so (LD_PRELOAD): an input cut short or written to right after
# the transcoder maps it, for dcmsend-inputs.bats.
test-tools: $(BUILD)/tests/tools/map-cut.so
