"""The GeoIP reader against MMDB files the tests build (tests/support/geoip.py), and the
risk policy file: what each gives, and what each refuses by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.risk import geoip, policy
from server.risk.geoip import GeoIp, GeoIpError, Place
from tests.support import geoip as test_geoip


@pytest.mark.parametrize("record_size", [24, 32])
def test_an_address_gets_the_country_and_place_of_its_network(
    tmp_path: Path, record_size: int
) -> None:
    db = GeoIp.open(test_geoip.write(tmp_path / "c.mmdb", test_geoip.NETWORKS, record_size))
    assert db.place("10.1.200.3") == Place("DE", 52.52, 13.405)
    assert db.place("10.2.0.1") == Place("AU", -33.87, 151.21)
    assert db.place("2001:db8::42") == Place("FR", 48.857, 2.352)


def test_an_ipv4_mapped_ipv6_address_is_looked_up_as_ipv4(tmp_path: Path) -> None:
    db = GeoIp.open(test_geoip.build(tmp_path))
    assert db.place("::ffff:10.2.3.4").country == "AU"


def test_an_address_in_no_network_or_no_address_at_all_has_no_country(tmp_path: Path) -> None:
    db = GeoIp.open(test_geoip.build(tmp_path))
    assert db.place("192.0.2.1") == geoip.UNKNOWN
    assert db.place("2001:db9::1") == geoip.UNKNOWN
    assert db.place("unknown") == geoip.UNKNOWN


def test_a_country_only_database_gives_a_country_without_a_place(tmp_path: Path) -> None:
    path = test_geoip.write(tmp_path / "country.mmdb", {"10.0.0.0/8": test_geoip.city("SE")})
    assert GeoIp.open(path).place("10.9.9.9") == Place("SE")


def test_a_file_that_is_no_mmdb_is_refused_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "bad.mmdb"
    path.write_bytes(b"not a database")
    with pytest.raises(GeoIpError, match="no MaxMind metadata marker"):
        geoip.load(str(path))
    with pytest.raises(GeoIpError, match=r"missing\.mmdb"):
        geoip.load(str(tmp_path / "missing.mmdb"))


def test_no_file_configured_means_every_place_is_unknown() -> None:
    assert geoip.load("").place("10.1.0.1") == geoip.UNKNOWN


def test_a_policy_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "risk.json"
    path.write_text('{"rules": {"rapid_betting": {"count": 12, "action": "restrict"},'
                    ' "new_device": {"enabled": false}}}')  # fmt: skip
    found = policy.load(str(path))
    rapid = found.rules["rapid_betting"]
    assert (rapid.params, rapid.action, rapid.severity) == (
        {"count": 12, "window_s": 10}, "restrict", "high",
    )  # fmt: skip
    assert found.rule("new_device") is None
    assert found.rules["quick_cashout"] == policy.DEFAULTS["quick_cashout"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": {"jackpot": {}}}, "unknown rule 'jackpot'"),
        ({"rules": {"rapid_betting": {"action": "shout"}}}, "action is one of"),
        ({"rules": {"rapid_betting": {"count": -1}}}, "count is a whole number"),
        ({"rules": {"rapid_betting": {"speed": 1}}}, "unknown setting 'speed'"),
        ({"rules": {"rapid_betting": {"severity": "dire"}}}, "severity is one of"),
    ],
)
def test_a_bad_policy_is_refused_naming_what_is_wrong(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(policy.PolicyError, match=message):
        policy.from_data(data)
