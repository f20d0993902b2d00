"""Every input counted once and every merge checked: a log named twice, a copy, a log appended to
itself, overlapping pieces, two machines of one name, one host in two spellings; folders with files
the kit cannot read, links and pipes; archives."""

from __future__ import annotations

import gzip
import os
import zipfile
from datetime import datetime, timedelta

import polars as pl
import pytest

import kit
from kit import errors
from kit.sample import bundled_tests
from tests.conftest import BAD, pdh_text

SRC = r"\\HV01\Network Interface(NIC1)\Bytes Sent/sec"
DST = r"\\HV02\Network Interface(NIC1)\Bytes Received/sec"
START = datetime(2026, 1, 2, 10)


def text(path: str, values: list[float], *, start_s: float = 0.0, step_s: float = 1.0, zone: str = "(UTC)(0)") -> str:
    times = [START + timedelta(seconds=start_s + i * step_s) for i in range(len(values))]
    rows = [[f"{t:%m/%d/%Y %H:%M:%S}.{t.microsecond // 1000:03d}", str(v)] for t, v in zip(times, values)]
    return pdh_text(f"(PDH-CSV 4.0) {zone}", [path], rows)


def codes(capture: kit.Capture) -> list[str]:
    return [w.code for w in capture.warnings]


# -- the same log named twice -------------------------------------------------------------------


def test_a_log_named_by_two_paths_and_a_link_is_read_once(write, tmp_path, monkeypatch):
    path = write("HV01.csv", text(SRC, [1, 2, 3]))
    (tmp_path / "link.csv").symlink_to(path)
    monkeypatch.chdir(tmp_path)
    capture = kit.load(["HV01.csv", path, tmp_path / "link.csv", str(tmp_path / "HV*.csv"), tmp_path])
    assert capture.data[SRC].to_list() == [1, 2, 3] and len(capture.sources) == 1
    assert codes(capture).count("named-twice") == 5  # absolute, link, pattern, and the folder's two


def test_a_copy_of_a_log_adds_no_sample(write):
    a = write("HV01.csv", text(SRC, [1, 2, 3]))
    b = write("hv01.csv", text(SRC, [1, 2, 3]))  # another file whose name differs only in case
    capture = kit.load([a, b])
    assert capture.data[SRC].to_list() == [1, 2, 3]
    [warning] = [w for w in capture.warnings if w.code == "repeated-samples"]
    assert "3 sample(s)" in warning.message and "hv01.csv" in warning.source


def test_a_log_appended_to_itself_counts_once_and_analyses(write, tmp_path):
    one = (bundled_tests()["tcp-1x10g-mtu1500-55gb"] / "HV01.csv").read_bytes()
    header, _, body = one.partition(b"\r\n")
    path = write("HV01.csv", one + body)  # the data rows twice, after one header
    capture = kit.load(path)
    single = kit.load(bundled_tests()["tcp-1x10g-mtu1500-55gb"] / "HV01.csv")
    assert capture.data.equals(single.data)
    [warning] = [w for w in capture.warnings if w.code == "repeated-samples"]
    assert len(warning.skipped_lines) == single.data.height
    both = kit.load([path, bundled_tests()["tcp-1x10g-mtu1500-55gb"] / "HV02.csv"])
    assert kit.analyze(both, align_clocks=False).migrations  # no zero interval anywhere


def test_overlapping_pieces_of_one_log_keep_each_sample_once(write):
    a = write("HV01-a.csv", text(SRC, [1, 2, 3, 4]))
    b = write("HV01-b.csv", text(SRC, [3, 4, 5, 6], start_s=2))
    capture = kit.load([b, a])
    assert capture.data[SRC].to_list() == [1, 2, 3, 4, 5, 6]
    assert "repeated-samples" in codes(capture) and "same-name-hosts" not in codes(capture)


def test_two_machines_of_one_name_are_kept_apart(write):
    lab_a = write("lab-a/HV01.csv".replace("/", "-"), text(SRC, [0, 1, 2, 3], zone="(UTC)(0)"))
    lab_b = write("lab-b-HV01.csv", text(SRC, [90, 91, 92, 93], start_s=0.5, zone="(UTC)(0)"))
    capture = kit.load([lab_a, lab_b])
    assert sorted(capture.hosts) == ["HV01", "HV01 [lab-b-HV01.csv]"]
    columns = capture.catalog.filter(pl.col("host") == "HV01 [lab-b-HV01.csv]")["column"].to_list()
    assert capture.data[SRC].drop_nulls().to_list() == [0, 1, 2, 3]
    assert capture.data[columns[0]].drop_nulls().to_list() == [90, 91, 92, 93]
    [warning] = [w for w in capture.warnings if w.code == "same-name-hosts"]
    assert warning.source == str(lab_b) and "another machine of the same name" in warning.message


def test_one_host_in_two_spellings_is_one_host(write):
    relog = write("HV01.csv", text(SRC, [1, 2, 3]))
    lower = write("hv01-more.csv", text(SRC.replace("HV01", "hv01").replace("Sent", "Received"), [4, 5, 6]))
    capture = kit.load([relog, lower])
    assert capture.hosts == ["HV01"] and set(capture.catalog["host"]) == {"HV01"}
    pieces = write("hv01-later.csv", text(SRC.lower(), [7, 8], start_s=3))
    assert kit.load([relog, pieces]).data[SRC].to_list() == [1, 2, 3, 7, 8]  # one log, stacked


# -- folders, links, pipes -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["blg_excerpt.blg", "binary_garbage.csv", "empty.csv"])
def test_a_folder_loads_its_good_files_and_names_the_bad_ones(write, tmp_path, bad):
    write("HV01.csv", text(SRC, [1, 2, 3]))
    write(bad, (BAD / bad).read_bytes())
    capture = kit.load(tmp_path)
    assert capture.data[SRC].to_list() == [1, 2, 3]
    [warning] = [w for w in capture.warnings if w.code == "skipped-file"]
    assert warning.source == str(tmp_path / bad) and "left out" in warning.message
    assert kit.load(str(tmp_path / "*")).data.height == 3
    with pytest.raises(errors.KitError, match=bad.replace(".", r"\.")):
        kit.load([tmp_path / "HV01.csv", tmp_path / bad])  # named: still an error


def test_a_folder_of_nothing_readable_is_an_error(write, tmp_path):
    write("empty.csv", b"")
    with pytest.raises(errors.InputNotFoundError, match=r"none of the 1 files found could be read: .*empty"):
        kit.load(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_links_and_pipes(write, tmp_path):
    write("HV01.csv", text(SRC, [1, 2, 3]))
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    (tmp_path / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    capture = kit.load(tmp_path)
    assert capture.data[SRC].to_list() == [1, 2, 3]
    messages = {os.path.basename(w.source): w.message for w in capture.warnings if w.code == "skipped-file"}
    assert "named pipe" in messages["pipe.csv"] and "loops" in messages["loop.csv"]
    assert "nowhere.csv, which does not exist" in messages["gone.csv"]
    with pytest.raises(errors.UnsupportedFormatError, match=r"pipe\.csv: this is a named pipe \(FIFO\), not a file"):
        kit.load(tmp_path / "pipe.csv")
    with pytest.raises(errors.InputNotFoundError, match=r"loop\.csv: a symbolic link that loops"):
        kit.load(tmp_path / "loop.csv")
    with pytest.raises(errors.InputNotFoundError, match=r"gone\.csv: a symbolic link to .*nowhere\.csv"):
        kit.load(tmp_path / "gone.csv")


def test_a_folder_that_cannot_be_listed(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(folder), "iterdir", refuse)
    with pytest.raises(errors.FileAccessError, match=r"locked: cannot list the folder: Permission denied"):
        kit.load(folder)


# -- archives -------------------------------------------------------------------------------------


def test_gzip_and_zip_archives_load_with_their_names(write, tmp_path):
    plain = kit.load(write("HV01.csv", text(SRC, [1, 2, 3])), cache_results=False)
    gz = tmp_path / "HV01.csv.gz"
    gz.write_bytes(gzip.compress(text(SRC, [1, 2, 3]).encode()))
    from_gz = kit.load(gz)
    assert from_gz.data.equals(plain.data) and from_gz.sources[0].path == str(gz)
    assert set(from_gz.catalog["source"]) == {str(gz)}
    assert kit.load(gz).data.equals(plain.data)  # and again, from the cache
    archive = tmp_path / "test.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("logs/HV01.csv", text(SRC, [1, 2, 3]))
        z.writestr("logs/HV02.csv", text(DST, [4, 5, 6]))
        z.writestr("readme.md", "not a log")
    from_zip = kit.load(archive)
    assert from_zip.hosts == ["HV01", "HV02"]
    assert [s.path for s in from_zip.sources] == [f"{archive}/logs/HV01.csv", f"{archive}/logs/HV02.csv"]


def test_damaged_archives_are_named(tmp_path):
    gz = tmp_path / "HV01.csv.gz"
    gz.write_bytes(gzip.compress(text(SRC, list(range(500))).encode())[:-300])
    with pytest.raises(errors.UnsupportedFormatError, match=r"HV01\.csv\.gz: the gzip archive is damaged or cut off"):
        kit.load(gz)
    empty_zip = tmp_path / "nothing.zip"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("notes.md", "no log")
    with pytest.raises(errors.UnsupportedFormatError, match=r"nothing\.zip: the ZIP archive holds no"):
        kit.load(empty_zip)
    with pytest.raises(errors.UnsupportedFormatError, match="ZIP container"):
        kit.load(BAD / "xlsx_passed_as.csv")
