"""Public data files the tests and benchmarks read, shipped in the repository (sources in README.md)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

# DLA's open dataset dlads_05_01, all 7,849 LAOs; gzipped (941 KB of CSV, 161 KB here).
DLA_LAOS_2566 = Path(__file__).resolve().with_name("laos_dla_2566.csv.gz")


def dla_laos_2566() -> io.BytesIO:
    """DLA's full LAO file, unpacked, as the binary stream an upload is (named like the original)."""
    stream = io.BytesIO(gzip.decompress(DLA_LAOS_2566.read_bytes()))
    stream.name = "laos_dla_2566.csv"
    return stream
