#!/usr/bin/env python3
"""odd-datasets.py [--un-odd] DIR - writes small Part 10 files of the kinds real
writers make and PS3.5 allows, byte by byte (no DICOM library, so that
nothing normalises them): a VR of a later edition, UN sequences of
undefined length (Implicit VR LE inside, PS3.5 6.2.2) in Explicit VR LE
and BE, and one whose items kept Explicit VR LE (before CP-246), unpadded odd value lengths, a GB18030 name in a private
sequence, sequences of no items and empty items and values.  Each file
has its own SOP Instance UID.  With --un-odd, only two others: UN
sequences whose items hold odd-length values."""
import os
import struct
import sys

# --un-odd DIR: only the UN sequences holding odd-length values (below),
# kept apart so that the set of the other files stays as tests count it
UN_ODD = sys.argv[1] == "--un-odd"
out = sys.argv[2] if UN_ODD else sys.argv[1]
SC = b"1.2.840.10008.5.1.4.1.1.7"
TS = {"ivrle": b"1.2.840.10008.1.2", "evrle": b"1.2.840.10008.1.2.1", "evrbe": b"1.2.840.10008.1.2.2"}
LONG = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV", b"ZZ"}
U = 0xffffffff

def el(enc, g, e, vr, val, length=None):
    n = len(val) if length is None else length
    be = enc == "evrbe"
    p = ">" if be else "<"
    if enc == "ivrle" or g == 0xfffe:
        return struct.pack(p + "HHI", g, e, n) + val
    if vr in LONG:
        return struct.pack(p + "HH", g, e) + vr + b"\0\0" + struct.pack(p + "I", n) + val
    return struct.pack(p + "HH", g, e) + vr + struct.pack(p + "H", n) + val

def item(enc, body=b"", undefined=True):
    if undefined:
        return el(enc, 0xfffe, 0xe000, b"", body, U) + el(enc, 0xfffe, 0xe00d, b"", b"")
    return el(enc, 0xfffe, 0xe000, b"", body)

def seq_end(enc):
    return el(enc, 0xfffe, 0xe0dd, b"", b"")

def pad(v, c=b"\0"):
    return v + c if len(v) % 2 else v

def write(name, enc, ds, iuid):
    meta = b"".join([
        el("evrle", 2, 1, b"OB", b"\0\1"),
        el("evrle", 2, 2, b"UI", pad(SC)),
        el("evrle", 2, 3, b"UI", pad(iuid)),
        el("evrle", 2, 0x10, b"UI", pad(TS[enc])),
        el("evrle", 2, 0x12, b"UI", pad(b"1.2.3.4")),
    ])
    meta = el("evrle", 2, 0, b"UL", struct.pack("<I", len(meta))) + meta
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta + ds)

def head(enc, iuid, charset=b"ISO_IR 100"):
    return (el(enc, 8, 5, b"CS", pad(charset, b" ")) +
            el(enc, 8, 0x16, b"UI", pad(SC)) + el(enc, 8, 0x18, b"UI", pad(iuid)))

def tail(enc):
    return (el(enc, 0x10, 0x10, b"PN", b"Doe^J") + el(enc, 0x10, 0x20, b"LO", b"") +
            el(enc, 0x20, 0x0d, b"UI", pad(b"1.2.826.0.1.3680043.9.7433.99.1")) +
            el(enc, 0x20, 0x0e, b"UI", pad(b"1.2.826.0.1.3680043.9.7433.99.2")))

R = "1.2.826.0.1.3680043.9.7433.99."
ENCN = {"ivrle": 1, "evrle": 2, "evrbe": 3}


def uid(kind, enc):
    return ("%s%d.%d" % (R, kind, ENCN[enc])).encode()


if not UN_ODD:
    for enc in ("evrle", "evrbe"):
        # a VR of a later edition (two capitals, long form) in a private element
        i = uid(1, enc)
        write("unknown-vr-%s.dcm" % enc, enc, head(enc, i) +
              el(enc, 9, 0x10, b"LO", b"ACME 1.0") + el(enc, 9, 0x1001, b"ZZ", b"\1\2\3\4\5\6") + tail(enc), i)
        # a UN sequence of undefined length: items in Implicit VR LE (PS3.5 6.2.2)
        i = uid(2, enc)
        inner = item("ivrle", el("ivrle", 0x9, 0x1010, b"", b"", U) + seq_end("ivrle") + el("ivrle", 0x10, 0x20, b"", b"ID1 "))
        write("un-sequence-%s.dcm" % enc, enc, head(enc, i) +
              el(enc, 9, 0x10, b"LO", b"ACME 1.0") + el(enc, 9, 0x1002, b"UN", inner + seq_end("ivrle"), U) + tail(enc), i)
    # a UN sequence as writers from before CP-246 made it: its items keep the
    # Explicit VR LE around it, a nested sequence too
    i = uid(5, "evrle")
    inner = item("evrle", el("evrle", 9, 0x1011, b"UT", b"explicit inside ") +
                 el("evrle", 9, 0x1012, b"SQ", item("evrle", el("evrle", 0x10, 0x20, b"LO", b"NESTED")) +
                    seq_end("evrle"), U))
    write("un-sequence-explicit-items-evrle.dcm", "evrle", head("evrle", i) +
          el("evrle", 9, 0x10, b"LO", b"OLD ") + el("evrle", 9, 0x1001, b"UN", inner + item("evrle") +
                                                     seq_end("evrle"), U) + tail("evrle"), i)
    for enc in ("ivrle", "evrle", "evrbe"):
        # odd value lengths, no padding (real writers; DCMTK and GDCM read them)
        i_odd = uid(3, enc)  # 33 characters: odd
        write("odd-lengths-%s.dcm" % enc, enc,
              el(enc, 8, 5, b"CS", b"ISO_IR 100") + el(enc, 8, 0x16, b"UI", SC) + el(enc, 8, 0x18, b"UI", i_odd) +
              el(enc, 8, 0x1030, b"LO", b"odd") + el(enc, 9, 0x10, b"LO", b"ACME") +
              el(enc, 9, 0x1003, b"OB", b"\1\2\3") + tail(enc), i_odd)
        # a GB18030 person name in a private sequence, empty sequences and
        # values (tail's (0010,0020); an empty (0010,0010) here once made the
        # tag appear twice, which dicom3tools' dcdump calls out)
        i = uid(4, enc)
        gb = "\u738b^\u5c0f\u4e1c".encode("gb18030")
        sq = item(enc, el(enc, 8, 5, b"CS", pad(b"GB18030", b" ")) + el(enc, 0x10, 0x10, b"PN", pad(gb, b" ")))
        write("gb18030-sequences-%s.dcm" % enc, enc, head(enc, i, b"GB18030") +
              el(enc, 8, 0x1110, b"SQ", b"") + el(enc, 8, 0x1111, b"SQ", seq_end(enc), U) +
              el(enc, 8, 0x1115, b"SQ", item(enc, b"", False) + item(enc) + seq_end(enc), U) +
              el(enc, 9, 0x10, b"LO", b"ACME") + el(enc, 9, 0x1001, b"SQ", sq + seq_end(enc), U) +
              tail(enc), i)
if UN_ODD:
    for enc in ("evrle", "evrbe"):
        # a UN sequence of undefined length whose Implicit VR LE items hold
        # three odd-length values, one in a sequence nested inside: the odd
        # total comes from inside the UN value alone
        i = uid(6, enc)
        nested = el("ivrle", 9, 0x1012, b"", item("ivrle", el("ivrle", 0x10, 0x20, b"", b"NESTED1")) +
                    seq_end("ivrle"), U)
        inner = item("ivrle", nested + el("ivrle", 0x10, 0x20, b"", b"ID1") + el("ivrle", 0x10, 0x21, b"", b"ISSUER1"))
        write("un-sequence-odd-%s.dcm" % enc, enc, head(enc, i) +
              el(enc, 9, 0x10, b"LO", b"ACME 1.0") + el(enc, 9, 0x1002, b"UN", inner + seq_end("ivrle"), U) +
              el(enc, 0x10, 0x10, b"PN", b"Doe^John") + el(enc, 0x20, 0x0d, b"UI", pad(b"1.2.826.0.1.3680043.9.7433.99.1")), i)
