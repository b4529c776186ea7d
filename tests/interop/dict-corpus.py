#!/usr/bin/python3
"""dict-corpus.py DIR - writes, with pydicom, Implicit VR Little Endian
files whose VRs a conversion to Explicit VR must find in a data
dictionary: VRs of later editions (SV, UV, OV, OL, OD, UC, UR, UT),
"US or SS" before and after Pixel Representation and inside items (an
icon with its own), LUT and palette descriptors, "OB or OW" (overlay,
curve and waveform data, 8 and 16 bits, the channel values in the
Channel Definition Sequence's items before Waveform Bits Allocated
as PS3.3 C.10.9 has them), repeating groups (50xx, 60xx,
(0020,31xx), (0028,04x0), (1000,xxx1)), retired elements, attributes
newer than DCMTK 3.6.7's dictionary, private creators and data.
  DIR/signed16.dcm    Pixel Representation 1, 16 bits allocated
  DIR/unsigned8.dcm   Pixel Representation 0, 8 bits allocated"""
import struct
import sys

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence

SC = "1.2.840.10008.5.1.4.1.1.7"


def add(ds, tag, vr, value):
    ds.add(DataElement(tag, vr, value))


def pix_items(ds, pr, ba, rows):
    """The Image Pixel attributes; US or SS values by pr."""
    xs = "SS" if pr else "US"
    add(ds, 0x00280002, "US", 1)
    add(ds, 0x00280004, "CS", "MONOCHROME2")
    add(ds, 0x00280010, "US", rows)
    add(ds, 0x00280011, "US", 2)
    add(ds, 0x00280100, "US", ba)
    add(ds, 0x00280101, "US", ba)
    add(ds, 0x00280102, "US", ba - 1)
    add(ds, 0x00280103, "US", pr)
    add(ds, 0x00280106, xs, -3 if pr else 1)
    add(ds, 0x00280107, xs, 7)


def make(path, pr, ba, n):
    xs = "SS" if pr else "US"
    ds = Dataset()
    add(ds, 0x00080005, "CS", "ISO_IR 192")
    add(ds, 0x00080016, "UI", SC)
    add(ds, 0x00080017, "UI", "1.2.3.4.5")  # AcquisitionUID (2021)
    add(ds, 0x00080018, "UI", "1.2.826.0.1.3680043.10.1037.%d" % n)
    add(ds, 0x00080119, "UC", "a long code value")
    add(ds, 0x00080202, "OB", b"\x01\x02")  # retired, no keyword
    add(ds, 0x0008040C, "UV", [2**40])  # newer than DCMTK 3.6.7
    add(ds, 0x00081190, "UR", "http://example.com/wado/x")
    add(ds, 0x00090010, "LO", "ACME 1.0")  # private creator: LO
    add(ds, 0x00091001, "UN", b"\x01\x02\x03\x04")  # private data: UN
    add(ds, 0x00100010, "PN", "Dict^Test")
    add(ds, 0x00189810, xs, -5 if pr else 5)  # before Pixel Representation
    add(ds, 0x00203112, "CS", "RETIRED")  # (0020,31xx)
    pix_items(ds, pr, ba, 2)
    add(ds, 0x00280120, xs, -1 if pr else 0)
    add(ds, 0x00280410, "US", 3)  # (0028,04x0), retired
    add(ds, 0x00281101, "US", [4, 0, 16])  # descriptors: always US
    add(ds, 0x00281102, "US", [4, 0, 16])
    add(ds, 0x00281103, "US", [4, 0, 16])
    mlut = Dataset()
    add(mlut, 0x00283002, "US", [4, 0, 16])
    add(mlut, 0x00283003, "LO", "a LUT")
    add(mlut, 0x00283006, "OW", struct.pack("<4H", 1, 2, 3, 4))
    add(ds, 0x00283000, "SQ", Sequence([mlut]))
    rwv = Dataset()  # no Pixel Representation of its own: the top's
    add(rwv, 0x00409216, xs, -2 if pr else 2)
    add(rwv, 0x00409211, xs, 9)
    add(ds, 0x00409096, "SQ", Sequence([rwv]))
    add(ds, 0x0040A160, "UT", "some unlimited text")
    add(ds, 0x00660040, "OL", struct.pack("<2I", 1, 2))
    add(ds, 0x00720073, "OD", struct.pack("<d", 1.5))
    add(ds, 0x00720081, "OV", struct.pack("<Q", 2**63 + 1))
    add(ds, 0x00720082, "SV", [-5, 2**40])
    add(ds, 0x00720083, "UV", [7, 2**63])
    icon = Dataset()  # an icon: 8 bits, Pixel Representation 0
    pix_items(icon, 0, 8, 2)
    add(icon, 0x7FE00010, "OB", bytes(range(4)))
    add(ds, 0x00880200, "SQ", Sequence([icon]))
    add(ds, 0x10000011, "US", [1, 2, 3])  # (1000,xxx1), retired
    add(ds, 0x50000005, "US", 1)  # (50xx,0005)
    add(ds, 0x50003000, "OW", struct.pack("<2H", 1, 2))  # curve data
    waves = []
    for bits in (8, 16):
        w = Dataset()
        add(w, 0x003A0005, "US", 1)
        add(w, 0x003A0010, "UL", 2)
        add(w, 0x003A001A, "DS", "100")
        vr = "OB" if bits == 8 else "OW"
        chans = []  # the channel values: a level down, before the bits
        for c in (1, 2):
            ch = Dataset()
            add(ch, 0x003A0202, "IS", str(c))
            src = Dataset()  # Channel Source Sequence, walked past
            add(src, 0x00080100, "SH", "5.6.3-9-%d" % c)
            add(ch, 0x003A0208, "SQ", Sequence([src]))
            add(ch, 0x54000110, vr, bytes([0x80, c] * (bits // 8 - 1))
                or bytes([0x80 + c]))
            add(ch, 0x54000112, vr, bytes([0x7F, c] * (bits // 8 - 1))
                or bytes([0x70 + c]))
            chans.append(ch)
        add(w, 0x003A0200, "SQ", Sequence(chans))
        add(w, 0x54001004, "US", bits)
        add(w, 0x54001006, "CS", "SB" if bits == 8 else "SS")
        add(w, 0x5400100A, vr, bytes(bits // 8))
        add(w, 0x54001010, vr, bytes(range(2 * bits // 8)))
        waves.append(w)
    add(ds, 0x54000100, "SQ", Sequence(waves))
    for g in (0x6000, 0x6002):  # (60xx): two overlays
        add(ds, g << 16 | 0x0010, "US", 2)
        add(ds, g << 16 | 0x0011, "US", 2)
        add(ds, g << 16 | 0x0040, "CS", "G")
        add(ds, g << 16 | 0x0050, "SS", [1, 1])
        add(ds, g << 16 | 0x0100, "US", 1)
        add(ds, g << 16 | 0x0102, "US", 0)
        add(ds, g << 16 | 0x3000, "OW", b"\x0f\x00")
    add(ds, 0x7FE00010, "OW" if ba > 8 else "OB", bytes(range(4 * ba // 8)))
    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = SC
    fm.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    fm.TransferSyntaxUID = "1.2.840.10008.1.2"
    ds.file_meta = fm
    ds.is_little_endian = True
    ds.is_implicit_VR = True
    ds.save_as(path, write_like_original=False)


make(sys.argv[1] + "/signed16.dcm", 1, 16, 1)
make(sys.argv[1] + "/unsigned8.dcm", 0, 8, 2)
