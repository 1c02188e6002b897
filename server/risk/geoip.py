"""Country and location of an IP address, from a GeoIP database file in MaxMind's MMDB format.

MMDB is a public format (https://maxmind.github.io/MaxMind-DB/): a binary search tree over
the address's bits, 16 zero bytes, a data section of typed values, and a metadata map after
the marker `\\xab\\xcd\\xefMaxMind.com`. This reader walks the tree for IPv4 and IPv6
(an IPv4 address in an IPv6 tree sits under `::/96`) and decodes the types a GeoLite2 or
GeoIP2 Country or City file uses: pointer, UTF-8 string, double, bytes, unsigned integers,
int32, map, array, boolean, float. It reads the whole file into memory once; a lookup is
pure and never touches the disk, so the risk monitor may call it per login.

It never guesses: an address the file does not cover, or no file at all, has no country
(`""`) and no location, and the rules that need one stay silent.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = b"\xab\xcd\xefMaxMind.com"
SEPARATOR = 16  # zero bytes between the tree and the data section


class GeoIpError(ValueError):
    """A file that is not a readable MMDB database."""


@dataclass(frozen=True, slots=True)
class Place:
    country: str  # ISO 3166-1 alpha-2, "" when unknown
    latitude: float | None = None
    longitude: float | None = None


UNKNOWN = Place("")


class Decoder:
    """The MMDB data section's values, from `base` (where pointers count from)."""

    def __init__(self, buffer: bytes, base: int) -> None:
        self.buffer = buffer
        self.base = base

    def decode(self, offset: int) -> tuple[Any, int]:
        """The value at `offset` and the offset after it."""
        buf = self.buffer
        ctrl = buf[offset]
        offset += 1
        kind = ctrl >> 5
        if kind == 1:  # pointer: the value is elsewhere, the walk goes on after the pointer
            size = (ctrl >> 3) & 0x3
            low = ctrl & 0x7
            if size == 0:
                target = (low << 8) | buf[offset]
            elif size == 1:
                target = ((low << 16) | int.from_bytes(buf[offset : offset + 2])) + 2048
            elif size == 2:
                target = ((low << 24) | int.from_bytes(buf[offset : offset + 3])) + 526336
            else:
                target = int.from_bytes(buf[offset : offset + 4])
            value, _ = self.decode(self.base + target)
            return value, offset + size + 1
        if kind == 0:  # extended type: the next byte says which
            kind = 7 + buf[offset]
            offset += 1
        size = ctrl & 0x1F
        if size >= 29:
            extra = size - 28
            tail = int.from_bytes(buf[offset : offset + extra])
            size = (29, 285, 65821)[extra - 1] + tail
            offset += extra
        if kind == 2:
            return buf[offset : offset + size].decode(), offset + size
        if kind == 3:
            return struct.unpack(">d", buf[offset : offset + 8])[0], offset + 8
        if kind == 4:
            return bytes(buf[offset : offset + size]), offset + size
        if kind in (5, 6, 9, 10):
            return int.from_bytes(buf[offset : offset + size]), offset + size
        if kind == 8:
            return int.from_bytes(buf[offset : offset + size], signed=True), offset + size
        if kind == 7:
            found: dict[str, Any] = {}
            for _ in range(size):
                key, offset = self.decode(offset)
                found[str(key)], offset = self.decode(offset)
            return found, offset
        if kind == 11:
            items: list[Any] = []
            for _ in range(size):
                item, offset = self.decode(offset)
                items.append(item)
            return items, offset
        if kind == 14:
            return bool(size), offset
        if kind == 15:
            return struct.unpack(">f", buf[offset : offset + 4])[0], offset + 4
        raise GeoIpError(f"data type {kind} is not one MMDB defines")


class GeoIp:
    """One MMDB file, read at start-up."""

    def __init__(self, data: bytes) -> None:
        at = data.rfind(MARKER)
        if at < 0:
            raise GeoIpError("no MaxMind metadata marker: not an MMDB file")
        meta, _ = Decoder(data, at + len(MARKER)).decode(at + len(MARKER))
        try:
            self.node_count = int(meta["node_count"])
            self.record_size = int(meta["record_size"])
            self.ip_version = int(meta["ip_version"])
        except (KeyError, TypeError, ValueError) as error:
            raise GeoIpError(f"metadata lacks {error}") from None
        if self.record_size not in (24, 28, 32):
            raise GeoIpError(f"record size {self.record_size} is not 24, 28 or 32")
        self.data = data
        self.node_bytes = self.record_size * 2 // 8
        tree_size = self.node_count * self.node_bytes
        self.decoder = Decoder(data, tree_size + SEPARATOR)
        self.ipv4_start = 0
        if self.ip_version == 6:  # IPv4 lives under ::/96: follow 96 zero bits once
            node = 0
            for _ in range(96):
                if node >= self.node_count:
                    break
                node = self._record(node, 0)
            self.ipv4_start = node

    @classmethod
    def open(cls, path: Path) -> GeoIp:
        return cls(path.read_bytes())

    def _record(self, node: int, bit: int) -> int:
        at = node * self.node_bytes
        data = self.data
        if self.record_size == 24:
            return int.from_bytes(data[at + bit * 3 : at + bit * 3 + 3])
        if self.record_size == 32:
            return int.from_bytes(data[at + bit * 4 : at + bit * 4 + 4])
        middle = data[at + 3]  # 28 bits: the middle byte's nibbles top up each record
        if bit == 0:
            return ((middle & 0xF0) << 20) | int.from_bytes(data[at : at + 3])
        return ((middle & 0x0F) << 24) | int.from_bytes(data[at + 4 : at + 7])

    def record(self, address: str) -> dict[str, Any] | None:
        """The data record of the network holding `address`, or None."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        if ip.version == 6 and self.ip_version == 4:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        packed = ip.packed
        node = self.ipv4_start if ip.version == 4 else 0
        for index in range(len(packed) * 8):
            if node >= self.node_count:
                break
            bit = (packed[index >> 3] >> (7 - (index & 7))) & 1
            node = self._record(node, bit)
        if node <= self.node_count:  # == node_count: the address is in no network
            return None
        value, _ = self.decoder.decode(self.decoder.base + node - self.node_count - SEPARATOR)
        return value if isinstance(value, dict) else None

    def place(self, address: str) -> Place:
        found = self.record(address)
        if found is None:
            return UNKNOWN
        country = found.get("country") or found.get("registered_country") or {}
        location = found.get("location") or {}
        lat, lon = location.get("latitude"), location.get("longitude")
        return Place(
            str(country.get("iso_code", "")) if isinstance(country, dict) else "",
            float(lat) if isinstance(lat, int | float) else None,
            float(lon) if isinstance(lon, int | float) else None,
        )


class NoGeoIp:
    """No database configured: every address is of unknown place."""

    def place(self, address: str) -> Place:
        return UNKNOWN


def load(path: str) -> GeoIp | NoGeoIp:
    """The database at `path` (a bad file stops the start-up), or none when unset."""
    if not path:
        return NoGeoIp()
    try:
        return GeoIp.open(Path(path))
    except (OSError, GeoIpError, IndexError, UnicodeDecodeError) as error:
        raise GeoIpError(f"GeoIP database {path}: {error}") from None
