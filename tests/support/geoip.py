"""A small MMDB writer, so the tests build the GeoIP database file they read.

It writes MaxMind's public format (https://maxmind.github.io/MaxMind-DB/): an IPv6 search
tree with 24- or 32-bit records (IPv4 networks under `::/96`, as MaxMind's own files put
them), 16 zero bytes, a data section, and the metadata map after its marker. A network's
record is a GeoIP2-City-shaped map: `country.iso_code` and, when given, `location`.
"""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path
from typing import Any

MARKER = b"\xab\xcd\xefMaxMind.com"


def _ctrl(kind: int, size: int) -> bytes:
    first = bytearray()
    if kind > 7:
        extended, kind = kind - 7, 0
    else:
        extended = None
    if size < 29:
        head, tail = size, b""
    elif size < 285:
        head, tail = 29, bytes([size - 29])
    elif size < 65821:
        head, tail = 30, (size - 285).to_bytes(2)
    else:
        head, tail = 31, (size - 65821).to_bytes(3)
    first.append((kind << 5) | head)
    if extended is not None:
        first.append(extended)
    return bytes(first) + tail


def encode(value: Any) -> bytes:
    """One value of the data section (no pointers: the files are small)."""
    if isinstance(value, bool):
        return _ctrl(14, int(value))
    if isinstance(value, str):
        raw = value.encode()
        return _ctrl(2, len(raw)) + raw
    if isinstance(value, float):
        return _ctrl(3, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8)) if value else b""
        return _ctrl(6 if value < 2**32 else 9, len(raw)) + raw
    if isinstance(value, dict):
        return _ctrl(7, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _ctrl(11, len(value)) + b"".join(encode(item) for item in value)
    raise TypeError(f"cannot encode {value!r}")


def city(
    country: str, latitude: float | None = None, longitude: float | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"country": {"iso_code": country}}
    if latitude is not None and longitude is not None:
        found["location"] = {"latitude": latitude, "longitude": longitude}
    return found


def write(path: Path, networks: dict[str, dict[str, Any]], record_size: int = 24) -> Path:
    """An MMDB file mapping each network (CIDR, IPv4 or IPv6) to its record."""
    # The trie: a node is [left, right]; a child is a node index, ("data", n) or None.
    nodes: list[list[Any]] = [[None, None]]
    records: list[bytes] = []
    for cidr, record in networks.items():
        net = ipaddress.ip_network(cidr)
        bits = int(net.network_address)
        length = net.prefixlen
        if net.version == 4:
            width, length = 32, length + 96
        else:
            width = 128
        path_bits = [(bits >> (width - 1 - i)) & 1 for i in range(width)]
        if width == 32:
            path_bits = [0] * 96 + path_bits
        records.append(encode(record))
        node = 0
        for depth in range(length):
            bit = path_bits[depth]
            if depth == length - 1:
                nodes[node][bit] = ("data", len(records) - 1)
                break
            child = nodes[node][bit]
            if not isinstance(child, int):
                nodes.append([None, None])
                nodes[node][bit] = child = len(nodes) - 1
            node = child
    count = len(nodes)
    offsets, data = [], b""
    for raw in records:
        offsets.append(len(data))
        data += raw

    def value(child: Any) -> int:
        if child is None:
            return count
        if isinstance(child, int):
            return child
        return count + 16 + offsets[int(child[1])]

    width = record_size // 8
    tree = b"".join(
        value(left).to_bytes(width) + value(right).to_bytes(width) for left, right in nodes
    )
    metadata = {
        "node_count": count,
        "record_size": record_size,
        "ip_version": 6,
        "database_type": "Casino-Test-City",
        "languages": ["en"],
        "binary_format_major_version": 2,
        "binary_format_minor_version": 0,
        "build_epoch": 1_700_000_000,
        "description": {"en": "test GeoIP database built by tests/support/geoip.py"},
    }
    path.write_bytes(tree + b"\x00" * 16 + data + MARKER + encode(metadata))
    return path


# The places the tests use: far enough apart for impossible travel.
BERLIN = city("DE", 52.52, 13.405)
SYDNEY = city("AU", -33.87, 151.21)
PARIS = city("FR", 48.857, 2.352)
NETWORKS = {
    "10.1.0.0/16": BERLIN,
    "10.2.0.0/16": SYDNEY,
    "10.3.0.0/16": PARIS,
    "127.0.0.0/8": BERLIN,
    "2001:db8::/32": PARIS,
}


def build(directory: Path) -> Path:
    return write(directory / "test-city.mmdb", NETWORKS)
