#!/usr/bin/python3
# router-gen.py DIR N [K]: N small CT images (Explicit VR LE, distinct
# UIDs, 32x32 pixels) as DIR/f0000.dcm...; file K an MR image instead.
# For tests/interop/router.bats.
import sys, os
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
out, n = sys.argv[1], int(sys.argv[2])
odd = int(sys.argv[3]) if len(sys.argv) > 3 else -1
os.makedirs(out, exist_ok=True)
for i in range(n):
    cls = '1.2.840.10008.5.1.4.1.1.4' if i == odd else '1.2.840.10008.5.1.4.1.1.2'
    ds = Dataset()
    ds.SOPClassUID = cls
    ds.SOPInstanceUID = '1.2.826.0.1.3680043.10.1%d.%d.%d' % (os.getpid(), n, i)
    ds.PatientName = 'ROUTER^TEST'
    ds.PatientID = 'R%05d' % i
    ds.StudyInstanceUID = '1.2.826.0.1.3680043.10.2.%d' % os.getpid()
    ds.SeriesInstanceUID = '1.2.826.0.1.3680043.10.3.%d' % os.getpid()
    ds.Modality = 'MR' if i == odd else 'CT'
    ds.InstanceNumber = i + 1
    ds.Rows = ds.Columns = 32
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.PixelData = bytes((i + k) % 251 for k in range(32 * 32 * 2))
    m = FileMetaDataset()
    m.MediaStorageSOPClassUID = cls
    m.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    m.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = m
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(os.path.join(out, 'f%04d.dcm' % i), write_like_original=False)
