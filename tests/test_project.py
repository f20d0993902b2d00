"""Project hygiene: environment.yml lists the same dependencies as pyproject.toml."""

import re
import tomllib

from conftest import ROOT


def _name_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    wanted = dict(_name_spec(r) for r in project["dependencies"] + extras)
    text = (ROOT / "environment.yml").read_text()
    listed = {}
    for line in text[text.index("dependencies:"):].splitlines():
        item = line.strip()
        if item.startswith("- ") and not item.startswith("- -") and not item.endswith(":"):
            name, spec = _name_spec(item[2:])
            listed[name] = spec
    listed.pop("python"), listed.pop("pip")
    assert listed == wanted
