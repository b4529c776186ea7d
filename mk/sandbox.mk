# sandbox.mk - dcmrecv confines itself with a seccomp allow-list
# (lib/cli/sandbox_seccomp.c, libseccomp); only dcmrecv links it.
SECCOMP_LIBS ?= $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
$(BIN)/dcmrecv: private TOOL_LIBS += $(SECCOMP_LIBS)
# tests/unit/t_cli_sandbox.c confines its forked test processes.
$(BUILD)/unit-tests: private CHECK_LIBS += $(SECCOMP_LIBS)
# A kernel without Landlock or seccomp filters, as dcmrecv sees it.
$(BUILD)/tests/tools/no-sandbox-kernel: tests/tools/no-sandbox-kernel.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(SECCOMP_LIBS) $(ALL_LDFLAGS)
test-tools: $(BUILD)/tests/tools/no-sandbox-kernel
# A service's allow-list SystemCallFilter= as systemd applies it (the
# units of contrib/systemd, dcmrecv-deploy.bats and dcmsend-follow.bats).
$(BUILD)/tests/tools/syscall-filter: tests/tools/syscall-filter.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(SECCOMP_LIBS) $(ALL_LDFLAGS)
test-tools: $(BUILD)/tests/tools/syscall-filter
