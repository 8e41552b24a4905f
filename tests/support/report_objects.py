"""Writes, with pydicom, a small study that a home doctor's report draws on: three CT slices carrying the
institution, referring physician, accession number, study time, body part, slice thickness and spacing, and
(with the argument `reports`) the radiologist's report as a DICOM Comprehensive SR and as an Encapsulated PDF
(the PDF file given, or a minimal one).

Usage: report_objects.py OUT_DIR [reports [PDF_FILE]]
"""

import os
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"

out = sys.argv[1]
with_reports = len(sys.argv) > 2 and sys.argv[2] == "reports"
pdf_file = sys.argv[3] if len(sys.argv) > 3 else None
study_uid = generate_uid(entropy_srcs=["dicomcheck-report-study"])


def base(sop_class, modality, series_uid, number):
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "SMITH^JOHN"
    ds.PatientID = "P-77"
    ds.PatientBirthDate = "19800402"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyDate = "20261120"
    ds.StudyTime = "143205"
    ds.AccessionNumber = "A2026-77"
    ds.InstitutionName = "上海示例医院"
    ds.ReferringPhysicianName = "WANG^WEI"
    ds.StudyDescription = "CT CHEST"
    ds.Modality = modality
    ds.SeriesNumber = number
    ds.InstanceNumber = 1
    return ds


def save(ds, name):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


ct_series = generate_uid()
for i in range(3):
    ds = base(CT_IMAGE, "CT", ct_series, 1)
    ds.InstanceNumber = i + 1
    ds.BodyPartExamined = "CHEST"
    ds.SliceThickness = "2.5"
    ds.SpacingBetweenSlices = "2.5"
    ds.ImagePositionPatient = ["0", "0", str(-100.0 + 2.5 * i)]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["0.7", "0.7"]
    ds.Rows = 8
    ds.Columns = 8
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(8 * 8 * 2)
    save(ds, f"CT/IM{i + 1}")

if with_reports:
    sr = base(COMPREHENSIVE_SR, "SR", generate_uid(), 2)
    sr.ValueType = "CONTAINER"
    sr.ContinuityOfContent = "SEPARATE"
    sr.CompletionFlag = "COMPLETE"
    sr.VerificationFlag = "UNVERIFIED"
    save(sr, "SR/SR1")

    pdf = base(ENCAPSULATED_PDF, "DOC", generate_uid(), 3)
    pdf.MIMETypeOfEncapsulatedDocument = "application/pdf"
    pdf.DocumentTitle = "Radiology report"
    pdf.BurnedInAnnotation = "YES"
    if pdf_file:
        with open(pdf_file, "rb") as f:
            document = f.read()
    else:
        document = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    # The value has even length (PS3.5 7.1.1): a PDF of odd length is padded with a NUL.
    pdf.EncapsulatedDocument = document + b"\0" * (len(document) % 2)
    save(pdf, "DOC/PDF1")
