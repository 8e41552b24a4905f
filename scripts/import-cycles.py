#!/usr/bin/env python3
"""Fails when the crate's modules import each other in a cycle, or a module uses one of a higher layer.

A node is one source file (one module). An edge A -> B is a `crate::`, `super::` or `self::` path in A's code (tests
excluded) that names module B or an item of B; a name that a module re-exports with `pub use` (a facade like
`checks::Finding`) counts as an edge to the module that defines it. Not edges: a parent's `mod` and `pub use` lines
(declaring and re-exporting children is what a parent is for) and a child's use of its parent's own items (the
parent is the facade of its subtree), except for the crate root: `lib.rs` must not use what uses it.

The layers are those of docs/architecture.md (LAYERS below): a module may use its own layer and the ones below,
never one above, except for the few known edges in ALLOWED_UPWARD, each with its reason. Every module must have
a layer: a new one fails here until it is given one, which is where docs/architecture.md says it goes.
Usage: scripts/import-cycles.py [--edges] [src]
"""

import re
import sys
from pathlib import Path

LEAVES, MEDIA, CORE, FRONT = 0, 1, 2, 3
LAYER_NAMES = {LEAVES: "leaves", MEDIA: "media", CORE: "core", FRONT: "front ends"}
# By module path prefix; the longest prefix decides (`report` is core, `report::human` a front end).
LAYERS = {
    "finding": LEAVES, "date": LEAVES, "charset": LEAVES, "background": LEAVES,
    "walk": MEDIA, "archive": MEDIA, "media": MEDIA, "media_order": MEDIA, "read_header": MEDIA,
    "dicomdir": MEDIA, "pdf": MEDIA, "write_guard": MEDIA,
    "crate": CORE, "options": CORE, "scan": CORE, "catalog": CORE, "checks": CORE, "names": CORE,
    "images": CORE, "report": CORE, "copy": CORE, "access": CORE,
    "cli": FRONT, "batch": FRONT, "discover": FRONT, "progress": FRONT, "report::human": FRONT,
    "report::html": FRONT,
}
ALLOWED_UPWARD = {
    ("scan", "progress"): "the terminal progress bar still hangs off ScanOptions; it belongs behind a callback",
}

SRC = Path(next((a for a in sys.argv[1:] if not a.startswith("--")), "src"))


def module_of(path: Path) -> tuple:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def without_tests(text: str) -> str:
    """The code without its test modules (an inline one is the file's last item) and comments."""
    text = re.sub(r"^\s*#\[cfg\(test\)\]\s*mod\s+\w+\s*;", "", text, flags=re.M)
    cut = re.search(r"^\s*#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text, re.M)
    text = text[: cut.start()] if cut else text
    text = re.sub(r"//[^\n]*", "", text)
    return text


def use_paths(tree: str) -> list:
    """Expands a `use` tree (`a::{b, c::{d, e}}`) into paths."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+\w+", "", tree))
    out = []

    def expand(prefix: str, body: str) -> None:
        depth, start, items = 0, 0, []
        for i, ch in enumerate(body):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(body[start:i])
                start = i + 1
        items.append(body[start:])
        for item in filter(None, items):
            brace = item.find("{")
            if brace >= 0 and item.endswith("}"):
                expand(prefix + item[:brace], item[brace + 1 : -1])
            else:
                out.append(prefix + item)

    expand("", tree)
    return out


def main() -> int:
    files = {module_of(p): p for p in SRC.rglob("*.rs") if p.name not in ("main.rs", "tests.rs")}
    modules = set(files)
    texts = {m: without_tests(p.read_text()) for m, p in files.items()}

    # Re-exports: (module, name) -> absolute path of what it names.
    reexports = {}
    for mod, text in texts.items():
        for tree in re.findall(r"^\s*pub(?:\([^)]*\))?\s+use\s+([^;]+);", text, re.M):
            for path in use_paths(tree):
                segs = absolute(mod, path.split("::"))
                if segs:
                    reexports[(mod, segs[-1])] = segs

    def resolve(segs: list, hops: int = 0):
        """The module a path lands in: the deepest module on it, or a re-export's source."""
        node = ()
        for i, seg in enumerate(segs):
            if node + (seg,) in modules:
                node = node + (seg,)
                continue
            target = reexports.get((node, seg))
            if target and hops < 8 and target[: len(node) + 1] != node + (seg,):
                return resolve(target + segs[i + 1 :], hops + 1)
            break
        return node

    edges = {m: set() for m in modules}
    for mod, text in texts.items():
        code = re.sub(r"^\s*pub(?:\([^)]*\))?\s+use\s+[^;]+;", "", text, flags=re.M)
        paths = []
        for tree in re.findall(r"^\s*use\s+([^;]+);", code, re.M):
            paths += use_paths(tree)
        paths += re.findall(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", code)
        children = {m[-1] for m in modules if len(m) == len(mod) + 1 and m[: len(mod)] == mod}
        paths += [c + "::x" for c in children if re.search(rf"(?<![\w:]){c}::", code)]
        for path in paths:
            segs = absolute(mod, path.split("::"), children)
            if segs is None:
                continue
            target = resolve(segs)
            child_to_parent = target and mod[: len(target)] == target
            if target != mod and not child_to_parent:
                edges[mod].add(target)

    if "--edges" in sys.argv:
        for m in sorted(edges):
            print("::".join(m) or "crate", "->", ", ".join(sorted("::".join(t) or "crate" for t in edges[m])))
    cycles = strongly_connected(edges)
    name = lambda m: "::".join(m) or "crate"
    layer = {m: layer_of(name(m)) for m in modules}
    unplaced = sorted(name(m) for m in modules if layer[m] is None)
    upward = [
        (name(m), name(t))
        for m in modules
        for t in edges[m]
        if t in layer and None not in (layer[m], layer[t]) and layer[t] > layer[m]
        and (name(m), name(t)) not in ALLOWED_UPWARD
    ]
    for m in unplaced:
        print(f"module {m} has no layer: add it to LAYERS in {sys.argv[0]} (see docs/architecture.md)")
    for m, t in sorted(upward):
        print(f"layer violation: {m} ({LAYER_NAMES[layer_of(m)]}) uses {t} ({LAYER_NAMES[layer_of(t)]})")
    if cycles:
        for scc in cycles:
            members = set(scc)
            print("import cycle among: " + ", ".join(sorted(name(m) for m in scc)))
            for m in sorted(scc):
                for t in sorted(edges[m] & members):
                    print(f"  {name(m)} -> {name(t)}")
        return 1
    if unplaced or upward:
        return 1
    print(f"no import cycles among {len(modules)} modules; every module uses only its layer and those below")
    return 0


def layer_of(module: str):
    """The layer of a module path: its longest prefix in LAYERS, or None."""
    parts = module.split("::")
    for n in range(len(parts), 0, -1):
        found = LAYERS.get("::".join(parts[:n]))
        if found is not None:
            return found
    return None


def absolute(mod: tuple, segs: list, children=frozenset()):
    """`crate::a::b`, `super::x`, `self::x` or `child::x` (relative to `mod`) as absolute segments; None for
    paths outside the crate."""
    if segs[0] == "crate":
        return segs[1:]
    base = list(mod)
    if segs[0] in ("self", "super"):
        while segs and segs[0] in ("self", "super"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
        return base + segs
    if segs[0] in children:
        return base + segs
    return None


def strongly_connected(edges: dict) -> list:
    """Tarjan's algorithm; the components with more than one module."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(scc)

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
