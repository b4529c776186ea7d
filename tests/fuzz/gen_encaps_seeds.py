#!/usr/bin/env python3
"""gen_encaps_seeds.py - corpus seeds for fuzz_xcode_encaps: Part 10
files (scripts/mkxcorpus makes them) without preamble and meta group,
after the target's selector byte (bits 0-1 the source syntax, bits 2-3
the target; fuzz_xcode_encaps.c).

Usage: tests/fuzz/gen_encaps_seeds.py XCORPUS_DIR [CORPUS_DIR]
(default CORPUS_DIR tests/fuzz/corpus/fuzz_xcode_encaps).  Files are
named by the SHA-256 of their bytes.
"""
import hashlib
import os
import struct
import sys

SOURCES = {"1.2.840.10008.1.2.4.80": 0, "1.2.840.10008.1.2.4.81": 1,
           "1.2.840.10008.1.2.4.90": 2, "1.2.840.10008.1.2.4.70": 3}
# (codec folder, case): a few sizes, colours, signs and frame counts
PICKS = [("jpegls", "b8-s1-unsigned-f1"), ("jpegls", "b8-s3-unsigned-f1"),
         ("jpegls", "b8-s3-unsigned-f3"), ("jpegls", "b12-s1-signed-f3"),
         ("jpegls", "b16-s1-unsigned-f1"), ("jpegls", "b16-s3-unsigned-f1"),
         ("j2k", "b8-s1-signed-f3"), ("j2k", "b16-s1-unsigned-f1"),
         ("jpeg-sv1", "b8-s1-unsigned-f3"), ("special", "fgroups-jpegls")]


def dataset(path):
    """The data set after the meta group (Explicit VR LE, group 0002)."""
    b = open(path, "rb").read()
    assert b[128:132] == b"DICM", path
    at = 132
    while struct.unpack_from("<H", b, at)[0] == 2:
        vr = b[at + 4:at + 6]
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT", b"UC", b"UR"):
            at += 12 + struct.unpack_from("<I", b, at + 8)[0]
        else:
            at += 8 + struct.unpack_from("<H", b, at + 6)[0]
    return b[at:]


def ts_of(path):
    b = open(path, "rb").read()
    i = b.index(b"\x02\x00\x10\x00UI")
    n = struct.unpack_from("<H", b, i + 6)[0]
    return b[i + 8:i + 8 + n].rstrip(b"\0 ").decode()


def main():
    xc = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else \
        "tests/fuzz/corpus/fuzz_xcode_encaps"
    os.makedirs(out, exist_ok=True)
    for k, (codec, case) in enumerate(PICKS):
        path = os.path.join(xc, codec, case + ".dcm")
        # targets in turn: Implicit, Explicit LE, BE, RLE
        sel = SOURCES[ts_of(path)] | (k % 4) << 2
        seed = bytes([sel]) + dataset(path)
        name = hashlib.sha256(seed).hexdigest()
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main()
