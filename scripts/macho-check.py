#!/usr/bin/env python3
"""Checks a Mach-O executable as far as one can without a Mac: the CPU, the minimum macOS, the libraries it
loads (only the allowed ones) and its ad-hoc code signature (every page's SHA-256 matches the CodeDirectory, as
the kernel checks on Apple silicon before running it). Apple silicon runs only signed code, so an arm64 binary
must have a signature; an Intel one needs none, but one it has must be valid.

Usage: macho-check.py BINARY arm64|x86_64 MIN_MACOS ALLOWED_DYLIB...
"""

import hashlib
import struct
import sys

LC_LOAD_DYLIB, LC_CODE_SIGNATURE, LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION = 0xC, 0x1D, 0x24, 0x32
CPU = {0x0100000C: "arm64", 0x01000007: "x86_64"}


def main() -> int:
    path, arch, min_os, *allowed = sys.argv[1:]
    data = open(path, "rb").read()
    magic, cputype, _, filetype, ncmds, _, _, _ = struct.unpack_from("<IiiIIIII", data, 0)
    problems = []
    if magic != 0xFEEDFACF or filetype != 2:
        print(f"{path}: not a 64-bit Mach-O executable")
        return 1
    if CPU.get(cputype) != arch:
        problems.append(f"CPU {CPU.get(cputype, hex(cputype))}, expected {arch}")
    dylibs, minos, signature = [], None, None
    offset = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, offset)
        if cmd == LC_LOAD_DYLIB:
            (name_at,) = struct.unpack_from("<I", data, offset + 8)
            dylibs.append(data[offset + name_at : offset + size].split(b"\0")[0].decode())
        elif cmd in (LC_BUILD_VERSION, LC_VERSION_MIN_MACOSX):
            # build_version_command has the platform first; version_min_command starts with the version.
            at = offset + (12 if cmd == LC_BUILD_VERSION else 8)
            (packed,) = struct.unpack_from("<I", data, at)
            minos = f"{packed >> 16}.{(packed >> 8) & 0xFF}"
        elif cmd == LC_CODE_SIGNATURE:
            signature = struct.unpack_from("<II", data, offset + 8)
        offset += size
    if minos != min_os:
        problems.append(f"minimum macOS {minos}, expected {min_os}")
    for dylib in dylibs:
        if dylib not in allowed:
            problems.append(f"loads {dylib}, which is not allowed")
    if signature is not None:
        problems += check_signature(data, *signature)
    elif arch == "arm64":
        problems.append("no code signature (Apple silicon refuses to run it)")
    for problem in problems:
        print(f"{path}: {problem}")
    if not problems:
        signed = "ad-hoc signature matches every page" if signature else "unsigned (Intel Macs run it)"
        print(f"{path}: {arch}, macOS {minos}+, loads {', '.join(dylibs)}; {signed}")
    return 1 if problems else 0


def check_signature(data: bytes, at: int, size: int) -> list:
    blob = data[at : at + size]
    magic, _, count = struct.unpack_from(">III", blob, 0)
    if magic != 0xFADE0CC0:
        return ["code signature is not a SuperBlob"]
    for i in range(count):
        _, offset = struct.unpack_from(">II", blob, 12 + 8 * i)
        if struct.unpack_from(">I", blob, offset)[0] != 0xFADE0C02:
            continue
        cd = blob[offset:]
        hash_offset, _, _, code_slots, code_limit = struct.unpack_from(">IIIII", cd, 16)
        hash_size, hash_type, _, page_log2 = struct.unpack_from(">BBBB", cd, 36)
        if hash_type != 2 or hash_size != 32:
            return [f"CodeDirectory hash type {hash_type}, expected SHA-256"]
        if code_limit != at:
            return [f"signature covers {code_limit} bytes, the code ends at {at}"]
        page = 1 << page_log2
        for slot in range(code_slots):
            want = cd[hash_offset + 32 * slot : hash_offset + 32 * (slot + 1)]
            got = hashlib.sha256(data[slot * page : min((slot + 1) * page, code_limit)]).digest()
            if want != got:
                return [f"page {slot} does not match its signature hash (modified after signing)"]
        return []
    return ["no CodeDirectory in the signature"]


if __name__ == "__main__":
    sys.exit(main())
