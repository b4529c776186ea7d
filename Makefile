# cstore - DICOM Storage Service tools.  Plain GNU make.
#   make                      build bin/* and the libraries
#   make check                every test; last line "N passed, N failed"
#   make SANITIZE=address,undefined check
#   make CC=clang fuzz        libFuzzer targets in build/fuzz/
#   make install PREFIX=/usr/local DESTDIR=
# Local knobs go in config.mk (git-ignored).  Fragments in mk/ add rules.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# Where the GDCM module is installed; the tools look there too (multiarch).
MODULEDIR ?= $(LIBDIR)/cstore
# DCMTK installs programs named like CLASH_TOOLS; CLASH_PREFIX=cstore-
# installs ours (and their man pages) as cstore-dcmsend... (debian/rules).
CLASH_PREFIX ?=
CLASH_TOOLS = dcmsend dcmrecv
CFLAGS  ?= -O2 -g
CXXFLAGS ?= -O2 -g
-include config.mk

BUILD   ?= build
BIN     ?= bin
VERSION = $(shell sed -n 's/^\#define CS_VERSION "\(.*\)"/\1/p' include/cstore/cstore.h)
# Each shared library's ABI number, its soname's (lib*.so.N): raised when
# a change breaks a program built against the previous headers (a
# function's or callback's signature, a struct the caller allocates),
# not for members added at the end of a struct the library fills.  The
# installed file is lib*.so.N.MINOR.PATCH, MINOR.PATCH from VERSION
# (docs/HACKING.md, Versions).
ABI_storescu = 0
ABI_storescp = 1
SO_TAIL = $(word 2,$(subst ., ,$(VERSION))).$(word 3,$(subst ., ,$(VERSION)))

WARN = -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wvla -Wundef \
       -Wimplicit-fallthrough -fno-common
CS_CPPFLAGS = -Iinclude -Ilib -D_DEFAULT_SOURCE -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 $(WARN) $(CS_CPPFLAGS) $(CPPFLAGS) -fPIC \
	-fvisibility=hidden $(CFLAGS) -MMD -MP
ALL_CXXFLAGS = -std=c++14 -Wall -Wextra $(CS_CPPFLAGS) $(GDCM_CFLAGS) \
	$(CPPFLAGS) -fPIC -fvisibility=hidden $(CXXFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS)
ifeq ($(DEVELOPER),1)
ALL_CFLAGS += -Werror
ALL_CXXFLAGS += -Werror
endif
ifdef SANITIZE
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
ALL_CFLAGS += $(SAN_FLAGS)
ALL_CXXFLAGS += $(SAN_FLAGS)
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

GDCM_CFLAGS ?= -isystem /usr/include/gdcm-3.0
GDCM_LIBS ?= -lgdcmMSFF -lgdcmDSED -lgdcmDICT -lgdcmCommon
CHECK_CFLAGS ?= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS ?= $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
JSON_CFLAGS ?= $(shell pkg-config --cflags json-c 2>/dev/null)
JSON_LIBS ?= $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
ALL_CFLAGS += $(JSON_CFLAGS)

ifneq ($(V),1)
Q = @
QUIET_CC = @echo '  CC      ' $@;
QUIET_CXX = @echo '  CXX     ' $@;
QUIET_AR = @echo '  AR      ' $@;
QUIET_LINK = @echo '  LINK    ' $@;
QUIET_GEN = @echo '  GEN     ' $@;
endif

# Plain "make" builds "all", whatever target the fragments in mk/ define
# first (scripts/check-make-default checks it).
.DEFAULT_GOAL := all

# Sources.  Fragments in mk/ may append to these (use +=).
TOOLS = $(sort $(basename $(notdir $(wildcard cmd/*.c))))
GENERATED =
LIB_C_SRC = $(sort $(wildcard lib/core/*.c lib/net/*.c lib/cli/*.c \
	lib/dcmfile/*.c lib/storescu/*.c lib/storescp/*.c) $(GENERATED))
LIB_CXX_SRC = $(wildcard lib/dcmfile/*.cpp)
UNIT_SRC = $(wildcard tests/unit/*.c)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

# mk/ defines targets too; a plain "make" must still build "all".
.DEFAULT_GOAL := all
-include mk/*.mk

LIB_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(LIB_C_SRC))
LIB_CXX_OBJ = $(patsubst %.cpp,$(BUILD)/%.o,$(LIB_CXX_SRC))
CMD_OBJ = $(patsubst %,$(BUILD)/cmd/%.o,$(TOOLS))
UNIT_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRC))
FUZZ_NAMES = $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
LIBCSTORE = $(BUILD)/libcstore.a
# The GDCM adapter (the .cpp) is a module that lib/dcmfile/dcmfile_load.c
# dlopens on first use; installed in $(LIBDIR)/cstore/.
GDCM_MODULE = $(BUILD)/cstore-gdcm.so
BINS = $(addprefix $(BIN)/,$(TOOLS))

all: $(BINS) shared $(GDCM_MODULE)
.PHONY: all

# Rebuild everything when the flags change (git's GIT-CFLAGS trick).
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(CXX) $(ALL_CXXFLAGS) $(ALL_LDFLAGS)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
# Keep intermediate objects (fuzz targets), or make deletes and rebuilds them.
.SECONDARY:
.PHONY: FORCE

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.cpp $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_CXX)$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

$(LIBCSTORE): $(LIB_OBJ)
	@rm -f $@
	$(QUIET_AR)$(AR) rcs $@ $^

# Only the entry points of lib/dcmfile/gdcm_module.h are exported; what it
# uses of libcstore.a (part10, cs_err) is linked in, hidden.
$(GDCM_MODULE): $(LIB_CXX_OBJ) $(LIBCSTORE) scripts/cstore-gdcm.map
	$(QUIET_LINK)$(CXX) -shared -Wl,--version-script=scripts/cstore-gdcm.map \
		-o $@ $(LIB_CXX_OBJ) $(LIBCSTORE) $(GDCM_LIBS) $(ALL_LDFLAGS)

# Every link of libcstore.a: json-c (used by lib/cli alone), what the mk/
# fragments need (DCMFILE_LIBS: zlib and libdl for lib/dcmfile; TLS_LIBS:
# OpenSSL for lib/net/tls.c; WEB_LIBS: libcurl for lib/web) and libm.
CSTORE_LIBS = $(JSON_LIBS) $(DCMFILE_LIBS) $(IDENTITY_LIBS) $(TLS_LIBS) $(WEB_LIBS) -lm
TOOL_LIBS = $(LIBCSTORE) $(CSTORE_LIBS)
$(BINS): $(BIN)/%: $(BUILD)/cmd/%.o $(LIBCSTORE)
	@mkdir -p $(BIN)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(TOOL_LIBS) $(ALL_LDFLAGS)

# Shared libraries: only CS_EXPORT symbols are visible.
SHARED_LIBS = $(BUILD)/libstorescu.so $(BUILD)/libstorescp.so
shared: $(SHARED_LIBS)
.PHONY: shared
SO_COMMON_OBJ = $(filter $(BUILD)/lib/core/% $(BUILD)/lib/net/% \
	$(BUILD)/lib/dcmfile/%,$(LIB_OBJ))
# They transcode through the GDCM module too (not linked with GDCM).
$(BUILD)/libstorescu.so: $(SO_COMMON_OBJ) $(filter $(BUILD)/lib/storescu/%,$(LIB_OBJ))
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libstorescu.so.$(ABI_storescu) \
		-Wl,--version-script=scripts/libcstore.map -o $@ $^ \
		$(SO_LIBS) $(ALL_LDFLAGS)
$(BUILD)/libstorescp.so: $(SO_COMMON_OBJ) $(filter $(BUILD)/lib/storescp/%,$(LIB_OBJ))
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libstorescp.so.$(ABI_storescp) \
		-Wl,--version-script=scripts/libcstore.map -o $@ $^ \
		$(SO_LIBS) $(ALL_LDFLAGS)

# C unit tests (Check).  Each tests/unit/t_*.c defines "Suite *NAME_suite(void)";
# the list of suites is generated so that nobody edits a central table.
$(BUILD)/tests/unit/suites.h: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	$(QUIET_GEN)sed -n 's/^\([a-z0-9_]*_suite\)(void)$$/X(\1)/p' $(filter tests/unit/t_%,$^) > $@.tmp && mv $@.tmp $@
$(BUILD)/tests/unit/%.o: tests/unit/%.c $(BUILD)/.flags $(BUILD)/tests/unit/suites.h
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/tests/unit -Itests/unit -c -o $@ $<
# t_dcmfile and t_sopclass reach GDCM through the shim, which finds the
# module in $(BUILD).
$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIBCSTORE) | $(GDCM_MODULE)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $(UNIT_OBJ) $(LIBCSTORE) \
		$(CHECK_LIBS) $(CSTORE_LIBS) $(ALL_LDFLAGS)
unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests
.PHONY: unit

# Fuzz targets: replayed over their corpus by every "make check" (any
# compiler); real libFuzzer binaries with "make CC=clang fuzz".
$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(LIBCSTORE)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $^ $(CSTORE_LIBS) $(ALL_LDFLAGS)
FUZZ_REPLAY = $(addprefix $(BUILD)/fuzz-replay/,$(FUZZ_NAMES))
fuzz-replay-bins: $(FUZZ_REPLAY)
.PHONY: fuzz-replay-bins
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -g -O1
fuzz:
	$(MAKE) BUILD=build/fuzzobj CFLAGS='-g -O1 -fsanitize=fuzzer-no-link' SANITIZE=address,undefined \
		build/fuzzobj/libcstore.a
	@mkdir -p build/fuzz
	@for f in $(FUZZ_NAMES); do \
		echo "  FUZZ     build/fuzz/$$f"; \
		$(CC) -std=c11 $(CS_CPPFLAGS) $(JSON_CFLAGS) $(FUZZ_FLAGS) -o build/fuzz/$$f \
			tests/fuzz/$$f.c build/fuzzobj/libcstore.a $(CSTORE_LIBS) || exit 1; \
	done
FUZZ_TIME ?= 60
fuzz-run: fuzz
	@for f in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$f; \
		build/fuzz/$$f -max_total_time=$(FUZZ_TIME) -dict=tests/fuzz/dict/dicom-ul.dict \
			build/fuzz/corpus/$$f tests/fuzz/corpus/$$f || exit 1; \
	done
.PHONY: fuzz fuzz-run

# "make check" and "make demo" first install what they need (Debian),
# so that they work on a fresh machine; "make test" only runs the tests.
deps:
	@scripts/install-deps
check: deps
	@$(MAKE) --no-print-directory test
test: all $(BUILD)/unit-tests $(FUZZ_REPLAY) test-tools $(BUILD)/corpus/MANIFEST.tsv
	@BUILD=$(BUILD) CSTORE_SANITIZE=$(SANITIZE) CSTORE_BIN=$(abspath $(BIN)) \
		CSTORE_TOOLS=$(abspath $(BUILD))/tests/tools \
		CSTORE_CORPUS=$(abspath $(BUILD))/corpus scripts/run-check
# The mkcorpus set, made once and shared by the interoperability tests.
$(BUILD)/corpus/MANIFEST.tsv: scripts/mkcorpus data/sopclasses.tsv
	@rm -rf $(BUILD)/corpus $(BUILD)/corpus.tmp
	@echo '  CORPUS  ' $(BUILD)/corpus
	@scripts/mkcorpus $(BUILD)/corpus.tmp >/dev/null && mv $(BUILD)/corpus.tmp $(BUILD)/corpus
demo: deps
	@$(MAKE) --no-print-directory all
	CSTORE_BIN=$(BIN) scripts/demo
.PHONY: deps check test demo

bench: all
	scripts/bench
.PHONY: bench

# The hand-written C (the generated tables are scripts/gen-tables' to shape).
FORMAT_FILES = git ls-files 'lib/*.c' 'lib/*.h' 'cmd/*.c' | grep -v -e '_table\.c$$' -e '/ts_uids\.h$$'
format-check:
	clang-format --dry-run --Werror $$($(FORMAT_FILES))
format:
	clang-format -i $$($(FORMAT_FILES))
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability -Iinclude -Ilib lib cmd
.PHONY: format-check format lint

# The installed name of tool $(1), and a sed script renaming the clashing
# tools in the man pages (DCMTK's are written dcm\&send there).
inst_name = $(if $(filter $(1),$(CLASH_TOOLS)),$(CLASH_PREFIX))$(1)
CLASH_RE = $(subst $(eval) ,\|,$(strip $(CLASH_TOOLS)))
MAN_SED = -e 's;\(^\|[^-[:alnum:]_/]\)\($(CLASH_RE)\)\>;\1$(CLASH_PREFIX)\2;g' \
	-e 's;^\.Dt \($(shell echo '$(CLASH_RE)' | tr a-z A-Z)\) ;.Dt $(shell echo '$(CLASH_PREFIX)' | tr a-z A-Z)\1 ;'
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/cstore $(DESTDIR)$(PKGCONFIGDIR)
	$(foreach t,$(TOOLS),install -m 0755 $(BIN)/$(t) $(DESTDIR)$(BINDIR)/$(call inst_name,$(t)) &&) true
	$(foreach p,$(basename $(notdir $(wildcard man/*.1))),sed $(MAN_SED) man/$(p).1 \
		> $(DESTDIR)$(MANDIR)/man1/$(call inst_name,$(p)).1 &&) true
	install -m 0644 $(wildcard include/cstore/*.h) $(DESTDIR)$(INCDIR)/cstore
	install -d $(DESTDIR)$(MODULEDIR)
	install -m 0755 $(GDCM_MODULE) $(DESTDIR)$(MODULEDIR)/$(notdir $(GDCM_MODULE))
	$(foreach l,storescu storescp,\
		install -m 0755 $(BUILD)/lib$(l).so \
		    $(DESTDIR)$(LIBDIR)/lib$(l).so.$(ABI_$(l)).$(SO_TAIL) && \
		ln -sf lib$(l).so.$(ABI_$(l)).$(SO_TAIL) \
		    $(DESTDIR)$(LIBDIR)/lib$(l).so.$(ABI_$(l)) && \
		ln -sf lib$(l).so.$(ABI_$(l)) $(DESTDIR)$(LIBDIR)/lib$(l).so && \
		sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|' \
		    -e 's|@VERSION@|$(VERSION)|; s|@NAME@|$(l)|g' scripts/cstore.pc.in \
		    > $(DESTDIR)$(PKGCONFIGDIR)/lib$(l).pc &&) true
uninstall:
	rm -f $(foreach t,$(TOOLS),$(DESTDIR)$(BINDIR)/$(call inst_name,$(t)))
	rm -f $(foreach p,$(basename $(notdir $(wildcard man/*.1))),$(DESTDIR)$(MANDIR)/man1/$(call inst_name,$(p)).1)
	rm -rf $(DESTDIR)$(INCDIR)/cstore
	rm -f $(DESTDIR)$(MODULEDIR)/$(notdir $(GDCM_MODULE))
	-rmdir $(DESTDIR)$(MODULEDIR) 2>/dev/null
	$(foreach l,storescu storescp,\
		rm -f $(DESTDIR)$(LIBDIR)/lib$(l).so \
		      $(DESTDIR)$(LIBDIR)/lib$(l).so.$(ABI_$(l)) \
		      $(DESTDIR)$(LIBDIR)/lib$(l).so.$(ABI_$(l)).$(SO_TAIL) \
		      $(DESTDIR)$(PKGCONFIGDIR)/lib$(l).pc &&) true
.PHONY: install uninstall

clean:
	rm -rf $(BUILD) $(BIN)
.PHONY: clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
