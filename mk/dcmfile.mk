# mk/dcmfile.mk - build additions of lib/dcmfile (part10 and the GDCM adapter).
#
# lib/dcmfile/part10.c inflates Deflated datasets (PS3.5 A.5) with zlib,
# and lib/dcmfile/dcmfile_load.c dlopens the GDCM adapter, a module
# (cstore-gdcm.so) that nothing links (-ldl is in libc since glibc 2.34;
# harmless).  Both are in libcstore.a and in the shared libraries, so
# DCMFILE_LIBS is on every link of them (CSTORE_LIBS in the Makefile).
DCMFILE_LIBS = -lz -ldl
# The GDCM module links GDCM_LIBS.
GDCM_LIBS += -lz
# The shared libraries link what lib/dcmfile needs, and no json-c.
SO_LIBS = $(DCMFILE_LIBS)
# The shim looks in the build directory it was compiled for, so that bin/
# finds the module.
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
