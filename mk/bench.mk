# The benchmark's own small programs (scripts/bench builds them with
# "make bench-tools"): raw-limit sender/receiver, corpus generator,
# data-set checksums, and an LD_PRELOAD experiment (quickack.so).
BENCH_TOOLS = $(addprefix $(BUILD)/bench/,rawsend rawrecv gencorpus dsum quickack.so)
$(BUILD)/bench/%: bench/%.c bench/raw.h $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)
$(BUILD)/bench/%.so: bench/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -shared -o $@ $< -ldl $(ALL_LDFLAGS)
bench-tools: $(BENCH_TOOLS)
.PHONY: bench-tools
bench: bench-tools
# tests/bats/bench.bats checks these programs: "make test" builds them
test-tools: bench-tools
