# sandbox.mk - dcmrecv confines itself with a seccomp allow-list
# (lib/cli/sandbox_seccomp.c, libseccomp); only dcmrecv links it.
SECCOMP_LIBS ?= $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
$(BIN)/dcmrecv: private TOOL_LIBS += $(SECCOMP_LIBS)
# tests/unit/t_cli_sandbox.c confines its forked test processes.
$(BUILD)/unit-tests: private CHECK_LIBS += $(SECCOMP_LIBS)
