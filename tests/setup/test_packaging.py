"""What a regular install ships: every package of the bot and the manifest, never the stand-in or the tests
(``pyproject.toml``'s explicit list; ``.ci/check_wheel.py`` builds the wheel and serves from it)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_lists_every_package_of_the_bot_but_the_stand_in():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "bot").rglob("__init__.py")}
    assert set(config["packages"]) == (folders - {"bot.sandbox"}) | {"bot.manifest_data"}
    assert config["package-dir"] == {"bot.manifest_data": "manifest"}
    assert config["package-data"] == {"bot.manifest_data": ["slash_command.json"]}
    assert config["include-package-data"] is False  # else every file under bot/, the stand-in's too, ships
