"""Ethernet limits (kit/limits.py, domain §6) against figures computed by hand."""

import pytest

from kit.limits import l2_ceiling_bytes_s, mtu_from_frame_bytes, payload_ceiling_bytes_s, payload_share


@pytest.mark.parametrize(
    ("link", "mtu", "payload", "l2"),
    [
        # per frame on the wire: MTU + 38 bytes; payload MTU − 40; counted MTU + 14
        (10e9, 1500, 1.25e9 * 1460 / 1538, 1.25e9 * 1514 / 1538),
        (10e9, 9000, 1.25e9 * 8960 / 9038, 1.25e9 * 9014 / 9038),
        (25e9, 9000, 3.125e9 * 8960 / 9038, 3.125e9 * 9014 / 9038),
    ],
)
def test_ceilings(link, mtu, payload, l2):
    assert payload_ceiling_bytes_s(link, mtu) == pytest.approx(payload, rel=1e-12)
    assert l2_ceiling_bytes_s(link, mtu) == pytest.approx(l2, rel=1e-12)


def test_known_values():
    assert payload_ceiling_bytes_s(10e9, 1500) == pytest.approx(1_186_605_981.8, abs=1)  # 9.49 Gbit/s of TCP payload
    assert l2_ceiling_bytes_s(10e9, 9000) * 8 / 1e9 == pytest.approx(9.9734, abs=1e-4)  # 10 × 9014 / 9038
    assert payload_share(1500) == pytest.approx(1460 / 1514)


@pytest.mark.parametrize(("per_packet", "mtu"), [(1514, 1500), (1400, 1500), (9014, 9000), (8600, 9000), (5000, None),
                                                  (64000, None), (None, None)])
def test_mtu_from_bytes_per_packet(per_packet, mtu):
    assert mtu_from_frame_bytes(per_packet) == mtu
