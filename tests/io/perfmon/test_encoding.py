"""Encodings (BOMs, UTF-16, Windows code pages, override) and refusal of binary formats."""

import pytest

import kit
from kit.errors import FileEncodingError, HeaderError, UnsupportedFormatError
from tests.conftest import pdh_text

HEADER = "(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"
ROWS = [["01/02/2026 10:00:00.000", " ", "4112"], ["01/02/2026 10:00:01.000", "68.1", "4117"]]
LOCALIZED = {
    # language: (code page, processor path, memory path)
    "es": ("cp1252", r"\\SRV\Información del procesador(0,1)\% de utilidad del procesador", r"\\SRV\Memoria\Mbytes disponibles"),
    "de": ("cp1252", r"\\SRV\Prozessor(0)\Prozessorzeit (%)", r"\\SRV\Arbeitsspeicher\Verfügbare MB"),
    "ru": ("cp1251", r"\\SRV\Процессор(0)\% загруженности процессора", r"\\SRV\Память\Доступно МБ"),
    "ja": ("cp932", r"\\SRV\Processor(0)\% Processor Time", r"\\SRV\メモリ\利用可能 MB"),
}


@pytest.mark.parametrize("language", sorted(LOCALIZED))
def test_windows_code_pages_are_detected(write, language):
    codepage, processor, memory = LOCALIZED[language]
    path = write(f"{language}.csv", pdh_text(HEADER, [processor, memory], ROWS), encoding=codepage)
    capture = kit.load(path)
    assert capture.catalog["path"].to_list() == [processor, memory]
    assert capture.sources[0].encoding == codepage
    assert capture.data[processor].to_list() == [None, 68.1]
    if language != "ja":
        assert capture.catalog["object_en"].to_list() == ["Processor Information" if language == "es" else "Processor", "Memory"]


def test_localized_names_map_to_english(write):
    _, processor, memory = LOCALIZED["de"]
    capture = kit.load(write("de.csv", pdh_text(HEADER, [processor, memory], ROWS), encoding="cp1252"))
    assert capture.catalog["object_en"].to_list() == ["Processor", "Memory"]
    assert capture.catalog["counter_en"].to_list() == ["% Processor Time", "Available MBytes"]
    assert capture.columns(object="Processor", counter="% processor time") == [processor]


def test_user_translations_extend_the_table(write):
    path = write("x.csv", pdh_text(HEADER, [r"\\SRV\Procesor(0)\Czas procesora (%)"], [ROWS[1][:2]]))
    kit.add_translations({"Procesor": "Processor"}, kind="object", language="pl")
    kit.add_translations([{"kind": "counter", "localized": "Czas procesora (%)", "english": "% Processor Time"}])
    try:
        capture = kit.load(path, cache_results=False)
        assert capture.catalog.row(0, named=True)["object_en"] == "Processor"
        assert capture.catalog.row(0, named=True)["counter_en"] == "% Processor Time"
    finally:
        from kit.io.perfmon.names import reset_translations
        reset_translations()


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_unicode_encodings_with_and_without_bom(write, encoding, prefix):
    _, processor, memory = LOCALIZED["ru"]
    body = prefix + pdh_text(HEADER, [processor, memory], ROWS).encode(encoding)
    capture = kit.load(write("u.csv", body))
    assert capture.catalog["path"].to_list() == [processor, memory]
    assert capture.data[memory].to_list() == [4112.0, 4117.0]


def test_utf16_without_bom_is_recognised(write):
    _, processor, memory = LOCALIZED["de"]
    capture = kit.load(write("u16.csv", pdh_text(HEADER, [processor, memory], ROWS).encode("utf-16-le")))
    assert capture.sources[0].encoding == "utf-16-le"
    assert capture.data[memory].to_list() == [4112.0, 4117.0]


def test_encoding_override(write):
    _, processor, memory = LOCALIZED["ru"]
    path = write("ru.csv", pdh_text(HEADER, [processor, memory], ROWS), encoding="cp1251")
    forced = kit.load(path, encoding="cp1252", cache_results=False)
    assert forced.sources[0].encoding == "cp1252" and forced.sources[0].encoding_basis == "requested"
    assert forced.catalog["path"][0] != processor  # what the user asked for, mojibake and all
    with pytest.raises(FileEncodingError, match="cannot be decoded as 'utf-8'"):
        kit.load(path, encoding="utf-8", cache_results=False)


def test_blg_is_refused_with_the_relog_hint(write):
    path = write("log.blg", b"\x00\x00\x01\x00\x10\x02" + bytes(200))
    with pytest.raises(UnsupportedFormatError, match=r"relog file\.blg -f csv -o file\.csv"):
        kit.load(path)


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("renamed-blg.csv", b"\x00\x00\x01\x00\x10\x02" + bytes(500), "binary data"),
        ("events.csv", b"ElfFile\x00" + bytes(100), r"event log \(\.evtx\)"),
        ("sheet.csv", b"PK\x03\x04" + bytes(100), r"\.xlsx"),
        ("empty.csv", b"", "the file is empty"),
    ],
)
def test_other_binary_inputs_are_refused(write, name, content, match):
    with pytest.raises(UnsupportedFormatError, match=match):
        kit.load(write(name, content))


def test_unknown_text_format_lists_what_is_supported(write):
    with pytest.raises(HeaderError, match="unknown format.*PDH-CSV"):
        kit.load(write("other.csv", "a,b\r\n1,2\r\n"))
