# mk/dcmfile.mk - build additions of lib/dcmfile (part10 and the GDCM adapter).
#
# lib/dcmfile/part10.c inflates Deflated datasets (PS3.5 A.5) with zlib, and
# part10.o is in libcstore.a, so every link of libcstore.a needs -lz.
# JSON_LIBS is on every such link line (tools, unit tests, fuzz replay and
# the libFuzzer build), so -lz rides along with it.
JSON_LIBS += -lz
# The GDCM module links GDCM_LIBS but not JSON_LIBS.
GDCM_LIBS += -lz

# The GDCM adapter is a module (cstore-gdcm.so) that lib/dcmfile/dcmfile_load.c
# dlopens on first use; nothing else links GDCM.  -ldl rides along with
# JSON_LIBS like -lz (in libc since glibc 2.34; harmless).  The shim looks
# in the build directory it was compiled for, so that bin/ finds the module.
JSON_LIBS += -ldl
# The shared libraries need json-c too (it came through GDCM before).
SO_LIBS = $(JSON_LIBS)
# It also looks in MODULEDIR (a multiarch LIBDIR is not ../lib from bin/).
# GDCM_BUILDDIR= (debian/rules) leaves the build directory out: an
# installed program must not load a module from a path under /tmp.
GDCM_BUILDDIR ?= $(abspath $(BUILD))
$(BUILD)/lib/dcmfile/dcmfile_load.o: private ALL_CFLAGS += \
	-DCS_GDCM_BUILDDIR='"$(GDCM_BUILDDIR)"' -DCS_GDCM_MODULEDIR='"$(MODULEDIR)"'
# Rebuilt when either directory changes.
$(BUILD)/lib/dcmfile/dcmfile_load.o: $(BUILD)/.gdcm-dirs
$(BUILD)/.gdcm-dirs: FORCE
	@mkdir -p $(BUILD)
	@echo '$(GDCM_BUILDDIR) $(MODULEDIR)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
