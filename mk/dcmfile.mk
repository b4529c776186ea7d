# mk/dcmfile.mk - build additions of lib/dcmfile (part10 and the GDCM adapter).
#
# lib/dcmfile/part10.c inflates Deflated datasets (PS3.5 A.5) with zlib, and
# part10.o is in libcstore.a, so every link of libcstore.a needs -lz.
# JSON_LIBS is on every such link line (tools, unit tests, fuzz replay and
# the libFuzzer build), so -lz rides along with it.
JSON_LIBS += -lz
# The shared libraries link GDCM_LIBS but not JSON_LIBS.
GDCM_LIBS += -lz
