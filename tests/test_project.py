"""Project hygiene: environment.yml lists the same dependencies as pyproject.toml; the core needs
neither the charts nor the notebook; the bundled samples ship as package data."""

import re

import tomllib

from tests.conftest import ROOT


def _name_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    wanted = dict(_name_spec(r) for r in project["dependencies"] + extras if not r.startswith(project["name"]))
    text = (ROOT / "environment.yml").read_text()
    listed = {}
    for line in text[text.index("dependencies:"):].splitlines():
        item = line.strip()
        if item.startswith("- ") and not item.startswith("- -") and not item.endswith(":"):
            name, spec = _name_spec(item[2:])
            listed[name] = spec
    listed.pop("python"), listed.pop("pip")
    assert listed == wanted


def test_the_core_install_is_small_and_the_extras_build_on_each_other():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_name_spec(r)[0] for r in project["dependencies"]}
    assert core == {"polars", "pyarrow", "numpy", "tqdm", "python-evtx", "tzlocal", "tzdata", "xxhash"}
    extras = project["optional-dependencies"]
    assert {_name_spec(r)[0] for r in extras["viz"]} == {"altair", "vl-convert-python"}
    assert "hvlm-kit[viz]" in extras["notebook"] and "hvlm-kit[viz,notebook,fleet]" in extras["dev"]  # the tests run the DuckDB queries


def test_package_data_holds_every_bundled_file():
    """The globs of [tool.setuptools.package-data] reach every file under kit/sample/data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    folder = ROOT / "kit" / "sample" / "data"
    shipped = {p for pattern in config["kit.sample.data"] for p in folder.glob(pattern) if p.is_file()}
    assert shipped == {p for p in folder.rglob("*") if p.is_file()}
    assert (ROOT / "data").resolve() == folder.resolve()  # data/ in a checkout is the same folder
