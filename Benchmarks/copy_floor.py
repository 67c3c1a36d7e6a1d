#!/usr/bin/env python3
"""The floor of a big-file conversion: copy SRC to a new file DST on the same disk, in 8 MiB pieces,
fsync it, rename it into place and fsync the folder (what an atomic save does), and print one JSON
line: {"bytes": N, "seconds": S}. `--bytes N` copies only the first N bytes (the size of the output
being compared against). DST is removed afterwards unless --keep.

    python copy_floor.py SRC DST [--bytes N] [--keep]
"""
import argparse
import json
import os
import time

PIECE = 8 << 20


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--bytes", type=int)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    total = args.bytes if args.bytes is not None else os.path.getsize(args.src)
    tmp = args.dst + ".floor-tmp"
    t0 = time.perf_counter()
    buf = bytearray(PIECE)
    view = memoryview(buf)
    done = 0
    with open(args.src, "rb", buffering=0) as src, open(tmp, "wb", buffering=0) as dst:
        while done < total:
            n = src.readinto(view[:min(PIECE, total - done)])
            if not n:
                break
            written = 0
            while written < n:
                written += dst.write(view[written:n])
            done += n
        os.fsync(dst.fileno())
    os.replace(tmp, args.dst)
    folder = os.open(os.path.dirname(os.path.abspath(args.dst)), os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    seconds = time.perf_counter() - t0
    if not args.keep:
        os.unlink(args.dst)
    print(json.dumps({"bytes": done, "seconds": seconds}))


if __name__ == "__main__":
    main()
