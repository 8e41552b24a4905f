"""What pydicom sees, for dicomcheck's interoperability tests (tests/interop_pydicom.rs).

    pydicom_probe.py datadir            pydicom's bundled data directory
    pydicom_probe.py headers FILE...    per file: PatientName, SOP Instance UID, Rows, Columns, NumberOfFrames
    pydicom_probe.py fileset DICOMDIR   per patient, study and series: instance counts from pydicom's FileSet
    pydicom_probe.py stack SRC OUT N [OMIT]
                                        N slices 5 mm apart cloned from SRC into OUT (fresh UIDs, position stepping
                                        along z); slice OMIT (1-based) left out; InstanceNumber 1, 2, ... in order
    pydicom_probe.py nometa SRC OUT     SRC rewritten as a raw data set: no preamble, no File Meta Information
    pydicom_probe.py names HEX TERMS... per PatientName value (hex bytes, Specific Character Set terms joined
                                        with '|'): the name as pydicom decodes it

Every command prints one JSON value on stdout. It only reads its inputs, and writes only under OUT.
"""

import json
import os
import sys

import pydicom
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid


def datadir():
    return os.path.join(os.path.dirname(pydicom.__file__), "data")


def headers(paths):
    out = {}
    for path in paths:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        name = ds.get("PatientName")
        out[os.path.basename(path)] = {
            "patient_name": None if name is None else str(name),
            "sop_instance_uid": str(ds.get("SOPInstanceUID", "")),
            "rows": ds.get("Rows"),
            "columns": ds.get("Columns"),
            "frames": int(ds.get("NumberOfFrames") or 1),
        }
    return out


def fileset(dicomdir):
    fs = FileSet(pydicom.dcmread(dicomdir))
    patients = {}
    for instance in fs:
        patient = patients.setdefault(instance.PatientID, {})
        study = patient.setdefault(instance.StudyInstanceUID, {})
        series = instance.SeriesInstanceUID
        study[series] = study.get(series, 0) + 1
    return {"instances": len(fs), "patients": patients}


def stack(src, out, n, omit):
    os.makedirs(out, exist_ok=True)
    ds = pydicom.dcmread(src)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    x, y, z = (float(v) for v in ds.ImagePositionPatient)
    files = []
    for i in range(n):
        if i + 1 == omit:
            continue
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.FrameOfReferenceUID = frame
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = len(files) + 1
        ds.ImagePositionPatient = [x, y, z + 5.0 * i]
        ds.SliceLocation = z + 5.0 * i
        name = "IM%06d" % ds.InstanceNumber
        ds.save_as(os.path.join(out, name), enforce_file_format=True)
        files.append({"file": name, "z": z + 5.0 * i})
    return files


def nometa(src, out):
    ds = pydicom.dcmread(src)
    ds.preamble = None
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.save_as(out, implicit_vr=False, little_endian=True)
    return {"sop_instance_uid": str(ds.SOPInstanceUID)}


def names(args):
    out = []
    for raw, terms in zip(args[0::2], args[1::2]):
        ds = pydicom.dataset.Dataset()
        ds.SpecificCharacterSet = terms.split("|")
        ds.add_new(0x00100010, "PN", bytes.fromhex(raw))
        ds.decode()
        out.append(str(ds.PatientName))
    return out


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "datadir":
        result = datadir()
    elif command == "headers":
        result = headers(args)
    elif command == "fileset":
        result = fileset(args[0])
    elif command == "stack":
        result = stack(args[0], args[1], int(args[2]), int(args[3]) if len(args) > 3 else 0)
    elif command == "names":
        result = names(args)
    elif command == "nometa":
        result = nometa(args[0], args[1])
    else:
        raise SystemExit("unknown command " + command)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv)
