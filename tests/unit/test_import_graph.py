"""Imports flow one way down the chain, with no cycles (docs/architecture.md).

Every ``import`` in the source is read (module level and inside functions, since a lazy
import is still a dependency) and checked against the stage order below.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

#: Stage of each top-level part of the package; a module may import its own stage or a
#: lower one, never a higher one.
STAGE = {
    "_validate": 0, "_logging": 0, "_soft_import": 0, "data": 0, "__main__": 10,
    "anatomy": 1, "leads": 2, "axons": 3, "field": 3, "fibers": 3, "perception": 5,
    "pump": 5, "registry": 5, "viz": 6, "scenario": 7, "validation": 7, "uncertainty": 7,
    "web": 8, "cli": 9,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "neuraxis").rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    return out


def _edges() -> dict[str, set[str]]:
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(pkg.split(".")[:len(pkg.split(".")) - node.level + 1])
                    mod = base + ("." + node.module if node.module else "")
                else:
                    mod = node.module or ""
                cands = [mod, *(f"{mod}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                cands = [a.name for a in node.names]
            else:
                continue
            edges[name] |= {c for c in cands if c in mods and c != name}
    return edges


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGE[parts[1]] if len(parts) > 1 else 0


def test_every_part_has_a_stage() -> None:
    tops = {m.split(".")[1] for m in _modules() if "." in m}
    assert tops <= set(STAGE), tops - set(STAGE)


def test_no_module_imports_a_later_stage() -> None:
    bad = sorted(f"{a} -> {b}" for a, bs in _edges().items() for b in bs
                 if _stage(b) > _stage(a))
    assert not bad, "imports against the chain:\n" + "\n".join(bad)


def test_no_import_cycles() -> None:
    edges = _edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"
