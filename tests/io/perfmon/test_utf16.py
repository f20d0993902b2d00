"""UTF-16 logs are transcoded block by block: same capture as the UTF-8 file, in one pass.

Blocks are made tiny here so that characters, surrogate pairs and CRLFs fall across block edges.
"""

import codecs
import tempfile
import tracemalloc

import pytest
from polars.testing import assert_frame_equal

import kit
import kit.io.perfmon.source as source
from kit.io.perfmon.source import decode_lossy, open_source
from tests.conftest import pdh_text

HEADER = "(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"
PATHS = [
    r"\\HV01\Arbeitsspeicher\Verfügbare MB",
    r"\\HV01\Процессор(0)\% загруженности процессора",
    r"\\HV01\メモリ\利用可能 MB",
    r"\\HV01\Network Interface(𝄞 Adapter)\Bytes Received/sec",
]
ROWS = [[f"01/02/2026 10:00:{s:02}.000", f"{4112 + s}", " " if s % 3 else f"{s}.5", "7", f"{s}e-005"] for s in range(12)]
TEXT = pdh_text(HEADER, PATHS, ROWS)
BOMS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Transcode 64 bytes (32 code units) at a time."""
    monkeypatch.setattr(source, "_BLOCK", 64)


def load_both(path, text, raw, **options):
    """The capture of ``text`` written as UTF-8, then of ``raw`` written to the same path."""
    path.write_bytes(text.encode("utf-8"))
    utf8 = kit.load(path, cache_results=False, progress=False)
    path.write_bytes(raw)
    return utf8, kit.load(path, cache_results=False, progress=False, **options)


def assert_same_capture(utf8, utf16):
    assert_frame_equal(utf16.data, utf8.data)
    assert_frame_equal(utf16.catalog, utf8.catalog)
    assert [(w.code, w.line) for w in utf16.warnings] == [(w.code, w.line) for w in utf8.warnings]


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_loads_like_utf8(tmp_path, tiny_blocks, codec, bom):
    raw = (BOMS[codec] if bom else b"") + TEXT.encode(codec)
    utf8, utf16 = load_both(tmp_path / "log.csv", TEXT, raw)
    assert_same_capture(utf8, utf16)
    assert utf16.catalog["path"].to_list() == PATHS
    assert (utf16.sources[0].encoding, utf16.sources[0].encoding_basis) == (codec, "bom" if bom else "nul-pattern")


def test_requested_utf16_without_bom(tmp_path, tiny_blocks):
    utf8, utf16 = load_both(tmp_path / "log.csv", TEXT, TEXT.encode("utf-16-le"), encoding="utf-16")
    assert_same_capture(utf8, utf16)
    assert utf16.sources[0].encoding_basis == "requested"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_every_block_edge_gives_the_same_bytes(tmp_path, monkeypatch, codec):
    """Whatever falls on a block edge (a character, half a surrogate pair, a CR of a CRLF),
    the body is the file's text in UTF-8 with its CRLFs kept."""
    path = tmp_path / "log.csv"
    path.write_bytes(BOMS[codec] + TEXT.encode(codec))
    for block in range(2, 200, 2):
        monkeypatch.setattr(source, "_BLOCK", block)
        opened = open_source(path)
        assert utf8_of(opened) == TEXT.encode("utf-8"), block
        assert (opened.header, opened.header_line, opened.warnings) == (TEXT.split("\r\n")[0], 1, ())


def test_surrogate_pair_split_between_blocks(tmp_path, monkeypatch):
    raw = TEXT.encode("utf-16-le")
    pair = raw.index("𝄞".encode("utf-16-le"))
    monkeypatch.setattr(source, "_BLOCK", pair + 2)  # high surrogate ends block 1, low starts block 2
    utf8, utf16 = load_both(tmp_path / "log.csv", TEXT, BOMS["utf-16-le"] + raw)
    assert_same_capture(utf8, utf16)
    assert "𝄞" in utf16.catalog["path"][3]


def test_lone_cr_line_breaks_become_lf(tmp_path, tiny_blocks):
    text = TEXT.replace("\r\n", "\r")
    utf8, utf16 = load_both(tmp_path / "log.csv", TEXT, BOMS["utf-16-le"] + text.encode("utf-16-le"))
    assert_same_capture(utf8, utf16)
    assert utf8_of(open_source(tmp_path / "log.csv")) == TEXT.replace("\r\n", "\n").encode("utf-8")


def test_crlf_is_kept(tmp_path, tiny_blocks):
    path = tmp_path / "log.csv"
    path.write_bytes(TEXT.encode("utf-16-le"))
    body = utf8_of(open_source(path))
    assert body.count(b"\r\n") == body.count(b"\n") == len(ROWS) + 1
    assert source._has_lone_cr(body) is False and source._has_lone_cr(body + b"\r") is True


def test_blank_lines_before_the_header(tmp_path, tiny_blocks):
    text = "\r\n \r\n" + TEXT
    utf8, utf16 = load_both(tmp_path / "log.csv", text, BOMS["utf-16-be"] + text.encode("utf-16-be"))
    assert_same_capture(utf8, utf16)
    assert open_source(tmp_path / "log.csv").header_line == 3


@pytest.mark.parametrize(
    "damage, line",
    [
        (lambda raw: raw[:-1], len(ROWS) + 1),  # odd byte count: the last character cut in two
        (lambda raw: raw + "\ud834".encode("utf-16-le", "surrogatepass"), len(ROWS) + 2),  # lone high surrogate
        (lambda raw: raw.replace(b"4\x001\x001\x004\x00", "41\udc0014".encode("utf-16-le", "surrogatepass")), 4),
    ],
    ids=["odd-bytes", "high-surrogate-at-end", "low-surrogate-inside"],
)
def test_undecodable_utf16_is_reported_with_its_line(tmp_path, tiny_blocks, damage, line):
    raw = damage(TEXT.encode("utf-16-le"))
    path = tmp_path / "log.csv"
    path.write_bytes(BOMS["utf-16-le"] + raw)
    capture = kit.load(path, cache_results=False, progress=False)
    found = [w for w in capture.warnings if w.code == "undecodable-bytes"]
    assert [w.line for w in found] == [line] == [w.line for w in decode_lossy(raw, "utf-16-le", path)[1]]
    assert capture.data.height >= len(ROWS) - 1


def test_ascii_blocks_bypass_the_decoder(tmp_path, monkeypatch):
    """Only the header's blocks are decoded by Python; the numeric rows are narrowed by numpy."""
    monkeypatch.setattr(source, "_BLOCK", 1024)
    text = pdh_text(HEADER, PATHS, ROWS * 100)
    path = tmp_path / "log.csv"
    path.write_bytes(BOMS["utf-16-le"] + text.encode("utf-16-le"))
    decoded = []
    make = codecs.getincrementaldecoder

    def spy(codec):
        decoder = make(codec)()
        decode = decoder.decode
        decoder.decode = lambda data, final=False: decoded.append(len(data)) or decode(data, final)
        return lambda: decoder

    monkeypatch.setattr(source.codecs, "getincrementaldecoder", spy)
    assert utf8_of(open_source(path)) == text.encode("utf-8")
    assert sum(decoded) <= 2 * len(text.split("\r\n")[0]) + 2 * 1024


def test_transcoding_holds_no_copy(tmp_path, monkeypatch):
    """Peak memory while transcoding: the head read to sniff the file and a few blocks; the
    UTF-8 text goes to a temporary file that polars reads like any file, removed after the load."""
    monkeypatch.setattr(source, "_BLOCK", 1 << 16)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    text = pdh_text(HEADER, PATHS, ROWS * 12000)
    path = tmp_path / "log.csv"
    path.write_bytes(BOMS["utf-16-le"] + text.encode("utf-16-le"))
    tracemalloc.start()
    try:
        opened = open_source(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert opened.body is None and opened.spool.parent == tmp_path
    assert utf8_of(opened) == text.encode("utf-8") and not opened.spool.exists()
    assert peak < 2 * source._CHUNK + 8 * (1 << 16) < len(text) / 2
    kit.load(path, cache_results=False, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]  # the UTF-8 copy is gone


def utf8_of(opened) -> bytes:
    """The UTF-8 text an opened UTF-16 log is parsed from (its temporary copy then removed)."""
    try:
        return opened.read_all()
    finally:
        opened.close()
