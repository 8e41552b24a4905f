"""Real scanner files for dicomcheck's real-series tests (tests/real_series.rs), from PyPI packages.

    real_series.py locate             the data folders of the installed heudiconv and nibabel packages (found
                                      without importing them: they are installed without their dependencies)
    real_series.py derive SRC OUT     a series derived from the real file SRC, one file per image of the JSON
                                      spec read from stdin: {"description": ..., "images": [{"file", "ipp",
                                      "iop", "instance", "acquisition", "b", "gradient", "echo", "temporal",
                                      "trigger"}, ...]}; every other attribute stays as the scanner wrote it
    real_series.py gunzip SRC OUT     SRC (a gzipped DICOM file) inflated to OUT
    real_series.py fileset OUT FILE.. a File-set under OUT holding FILE.. with a root DICOMDIR (pydicom's
                                      FileSet: PT000000/ST000000/SE000000/IM000000 layout)

Every command prints one JSON value on stdout. It only reads its inputs, and writes only under OUT.
"""

import copy
import gzip
import importlib.util
import json
import os
import sys

import pydicom
from pydicom.dataelem import DataElement
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid


def package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"the PyPI package {name} is not installed: run ./scripts/test.sh")
    return list(spec.submodule_search_locations)[0]


def locate():
    return {
        "heudiconv": os.path.join(package_dir("heudiconv"), "tests", "data"),
        "nibabel": os.path.join(package_dir("nibabel"), "nicom", "tests", "data"),
    }


def read(path):
    if path.endswith(".gz"):
        import io

        with gzip.open(path, "rb") as f:
            return pydicom.dcmread(io.BytesIO(f.read()))
    return pydicom.dcmread(path)


def derive(src, out, spec):
    os.makedirs(out, exist_ok=True)
    series_uid = generate_uid()
    written = []
    source = read(src)
    for image in spec["images"]:
        ds = copy.deepcopy(source)
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        if "description" in spec:
            ds.SeriesDescription = spec["description"]
        ds.InstanceNumber = image["instance"]
        ds.AcquisitionNumber = image.get("acquisition", 1)
        ds.ImagePositionPatient = [f"{v:.6f}" for v in image["ipp"]]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in image["iop"]]
        if "SliceLocation" in ds:
            del ds.SliceLocation
        if "echo" in image:
            ds.EchoNumbers = image["echo"]
        if "temporal" in image:
            ds.TemporalPositionIdentifier = image["temporal"]
        if "trigger" in image:
            ds.TriggerTime = image["trigger"]
        if "b" in image:
            # Where Siemens keeps them in classic images: the SIEMENS MR HEADER private block (0019,10xx).
            ds[0x00190010] = DataElement(0x00190010, "LO", "SIEMENS MR HEADER")
            ds[0x0019100C] = DataElement(0x0019100C, "IS", str(image["b"]))
            if "gradient" in image:
                ds[0x0019100E] = DataElement(0x0019100E, "FD", image["gradient"])
        path = os.path.join(out, image["file"])
        ds.save_as(path, enforce_file_format=True)
        written.append(path)
    return written


def fileset(out, files):
    fs = FileSet()
    for path in files:
        fs.add(path)
    fs.write(out)
    return sorted(
        os.path.relpath(os.path.join(root, f), out)
        for root, _, names in os.walk(out)
        for f in names
    )


def main():
    command = sys.argv[1]
    if command == "locate":
        result = locate()
    elif command == "derive":
        result = derive(sys.argv[2], sys.argv[3], json.load(sys.stdin))
    elif command == "gunzip":
        with gzip.open(sys.argv[2], "rb") as f, open(sys.argv[3], "wb") as out:
            out.write(f.read())
        result = sys.argv[3]
    elif command == "fileset":
        result = fileset(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(f"unknown command {command}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
