"""The committed fixtures are exactly what the generator writes (``make fixtures``)."""

from __future__ import annotations

from pathlib import Path

from securesocket.testing.generate import generate, main


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def test_regenerating_reproduces_the_committed_bytes(tmp_path: Path) -> None:
    generate(tmp_path)
    committed, regenerated = _files(FIXTURES), _files(tmp_path)
    assert sorted(regenerated) == sorted(committed), "run `make fixtures` and commit the result"
    changed = [name for name in committed if committed[name] != regenerated[name]]
    assert changed == [], "run `make fixtures` and commit the result"


def test_a_changed_file_is_noticed_and_regeneration_repairs_it(tmp_path: Path) -> None:
    generate(tmp_path)
    target = tmp_path / "good" / "leaf.pem"
    target.write_bytes(target.read_bytes().replace(b"A", b"B", 1))
    assert _files(tmp_path) != _files(FIXTURES)
    assert main([str(tmp_path)]) == 0
    assert _files(tmp_path) == _files(FIXTURES)


def test_regeneration_touches_only_what_it_owns(tmp_path: Path) -> None:
    (tmp_path / "keep-me.txt").write_text("not the generator's")
    (tmp_path / "unrelated").mkdir()
    generate(tmp_path)
    generate(tmp_path)
    assert (tmp_path / "keep-me.txt").read_text() == "not the generator's"
    assert (tmp_path / "unrelated").is_dir()
