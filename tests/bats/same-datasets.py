#!/usr/bin/env python3
"""same-datasets.py DIR: reads dcmsend's output lines (TSV) on stdin and
compares the data set of each Success line's file (after the meta header,
whose group length is read) with that of DIR/SOPInstanceUID.dcm, byte for
byte: what a receiver writing {SOPInstanceUID}.dcm into DIR stored.  Names
each difference; exit 1 if any, or if no line was compared.  One process
for thousands of files, where meta_len and cmp would be three each."""
import struct
import sys


def dataset(path):
    with open(path, "rb") as f:
        b = f.read()
    if b[128:132] != b"DICM" or b[132:136] != b"\x02\x00\x00\x00":
        raise SystemExit(path + ": no DICM and (0002,0000)")
    return b[144 + struct.unpack("<I", b[140:144])[0]:]


bad = n = 0
for line in sys.stdin:
    st, src, cls, uid = line.rstrip("\n").split("\t")[:4]
    if st != "0000":
        continue
    n += 1
    got = sys.argv[1] + "/" + uid + ".dcm"
    if dataset(src) != dataset(got):
        print(got, "differs from", src, file=sys.stderr)
        bad += 1
print(n, "files compared,", bad, "different", file=sys.stderr)
sys.exit(1 if bad or n == 0 else 0)
