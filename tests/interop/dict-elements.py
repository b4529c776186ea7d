#!/usr/bin/python3
"""dict-elements.py FILE - every element of the data set of FILE (a Part
10 file in Implicit or Explicit VR Little Endian or Explicit VR Big
Endian), nested ones included,
one a line: path (the sequences and item numbers above it), tag, VR as
the file has it ("--" in Implicit VR) and the value in hex, read byte
by byte (no library: nothing is converted or guessed).  A sequence has
no value of its own; in Implicit VR a value of defined length is one
when it starts with an item tag."""
import struct
import sys

LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
        "UT", "UV"}
UNDEF = 0xFFFFFFFF
ORDER = ["<"]  # the data set's byte order: ">" for Big Endian
ITEM, ITEM_END, SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD


def header(buf, pos, implicit):
    o = ORDER[0]
    g, e = struct.unpack_from(o + "HH", buf, pos)
    tag = g << 16 | e
    if implicit or g == 0xFFFE:
        return tag, "--", struct.unpack_from(o + "I", buf, pos + 4)[0], pos + 8
    vr = buf[pos + 4:pos + 6].decode("ascii")
    if vr in LONG:
        return tag, vr, struct.unpack_from(o + "I", buf, pos + 8)[0], pos + 12
    return tag, vr, struct.unpack_from(o + "H", buf, pos + 6)[0], pos + 8


def items(buf, pos, end, implicit, path, out):
    """The items of a sequence from pos up to end or its delimiter."""
    n = 0
    while pos < end:
        tag, _, ln, pos = header(buf, pos, implicit)
        if tag == SEQ_END:
            return pos
        assert tag == ITEM, "%s: (%08X) where an item belongs" % (path, tag)
        stop = len(buf) if ln == UNDEF else pos + ln
        pos = elements(buf, pos, stop, implicit, "%s[%d]." % (path, n), out)
        n += 1
    return pos


def elements(buf, pos, end, implicit, path, out):
    """The elements of a data set from pos up to end or its delimiter."""
    while pos < end:
        tag, vr, ln, pos = header(buf, pos, implicit)
        if tag == ITEM_END:
            return pos
        here = "%s%08X" % (path, tag)
        seq = vr == "SQ" or ln == UNDEF or (
            implicit and ln >= 4 and buf[pos:pos + 4] == b"\xfe\xff\x00\xe0")
        if seq:
            out.append("%s %s" % (here, vr))
            pos = items(buf, pos, len(buf) if ln == UNDEF else pos + ln,
                        implicit, here, out)
            continue
        out.append("%s %s %s" % (here, vr, buf[pos:pos + ln].hex()))
        pos += ln
    return pos


def main(path):
    buf = open(path, "rb").read()
    assert buf[128:132] == b"DICM", path + ": no Part 10 preamble"
    glen = struct.unpack_from("<I", buf, 140)[0]
    start = 144 + glen
    meta = []
    elements(buf, 132, start, False, "", meta)
    ts = [m for m in meta if m.startswith("00020010 ")][0].split()[2]
    ts = bytes.fromhex(ts).rstrip(b"\0 ").decode()
    assert ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                  "1.2.840.10008.1.2.2"), ts
    if ts == "1.2.840.10008.1.2.2":
        ORDER[0] = ">"
    out = []
    elements(buf, start, len(buf), ts == "1.2.840.10008.1.2", "", out)
    print("\n".join(out))


main(sys.argv[1])
