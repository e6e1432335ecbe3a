"""Module import cycles per crate (issue 20: no file imports a file that imports it back).

A file imports another when it names it, or an item in it, by a path: `use` statements
(nested `{...}` groups included) and paths in code, through `crate::`, `super::`, `self::`
or a child module's name. A name that a module only re-exports (`pub use`) counts as a
reference to the module that defines it, so `crate::Event` points at `events.rs`, not at
`lib.rs`. Comments, string literals and `#[cfg(test)]` items are ignored; a `mod` declaration
alone is not an import. Integration tests (`tests/`) and binaries beside a library are
separate crates and not read. Not seen: paths a macro builds, `#[path]` and `include!`.

Usage: python3 scripts/module_cycles.py [CRATES_DIR]   lists the cycles, exits 1 if any
       python3 scripts/module_cycles.py --self-test    checks the checker on small crates
"""
import os
import re
import sys
import tempfile

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
CFG_TEST = re.compile(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]")
PATH_IN_CODE = re.compile(r"(?<![A-Za-z0-9_$])((?:crate|super|self)(?:\s*::\s*" + IDENT + r")+)")
CHILD_PATH = re.compile(r"(?<![A-Za-z0-9_:$])(?!(?:crate|super|self|Self)\b)(" + IDENT + r")\s*::\s*(?=" + IDENT + r")")
DEFINITION = r"\b(?:fn|struct|enum|trait|type|const|static|mod|union|macro_rules!)\s+{}\b"


def strip_comments_and_strings(text):
    """The code alone: comments dropped, string and char literals emptied, lifetimes kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            out.append(" ")
        elif (m := re.match(r'b?r(#*)"', text[i:i + 300])) and (i == 0 or not re.match(r"[A-Za-z0-9_]", text[i - 1])):
            end = text.find('"' + m.group(1), i + m.end())
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and i + 1 < n and (text[i + 1] == "\\" or (i + 2 < n and text[i + 2] == "'")):
            i += 2 if text[i + 1] != "\\" else 3
            while i < n and text[i] != "'":
                i += 1
            i += 1
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def item_end(code, start):
    """Where the item starting at `start` ends: after its `;` or its closing brace."""
    depth, i = 0, start
    while i < len(code):
        ch = code[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and ch == "}":
                return i + 1
        elif ch == ";" and depth == 0:
            return i + 1
        i += 1
    return len(code)


def drop_test_items(code):
    """The code without `#[cfg(test)]` items, and the names of test-only `mod x;` files."""
    test_mods = []
    while (m := CFG_TEST.search(code)):
        i = m.end()
        while (attr := re.match(r"\s*#\s*\[", code[i:])):
            i = item_end(code, i + attr.end() - 1)
        end = item_end(code, i)
        if (decl := re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", code[i:end])):
            test_mods.append(decl.group(1))
        code = code[:m.start()] + " " + code[end:]
    return code, test_mods


def use_paths(tree):
    """The paths of one `use` tree: `a::{b, c::{d as e}}` → [a::b, a::c::d], as segments."""
    return [p.split("::") for p in use_tree_paths(re.sub(r"\s+", "", tree)) if p]


def use_tree_paths(tree):
    depth, parts, start = 0, [], 0
    for i, ch in enumerate(tree):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(tree[start:i])
            start = i + 1
    parts.append(tree[start:])
    paths = []
    for part in filter(None, parts):
        if part.endswith("}") and "{" in part:
            prefix, inner = part[:part.index("{")], part[part.index("{") + 1:-1]
            for sub in use_tree_paths(inner):
                paths.append(prefix + sub if sub != "self" else prefix.rstrip(":"))
        else:
            paths.append(part)
    return paths


def use_statements(code):
    """(is_pub, paths) for each `use` statement, and the code without them."""
    found, rest, pos = [], [], 0
    for m in re.finditer(r"(?<![A-Za-z0-9_])(pub(?:\s*\([^)]*\))?\s+)?use\s+", code):
        if m.start() < pos:
            continue
        end = code.find(";", m.end())
        end = len(code) if end < 0 else end
        tree = code[m.end():end]
        tree = re.sub(r"\s+as\s+" + IDENT, "", tree)
        found.append((bool(m.group(1)), use_paths(tree.lstrip(":"))))
        rest.append(code[pos:m.start()])
        pos = end + 1
    rest.append(code[pos:])
    return found, " ".join(rest)


class Crate:
    def __init__(self, src):
        self.modules, self.code = {}, {}
        test_files = set()
        for dirpath, _, names in os.walk(src):
            for name in names:
                if not name.endswith(".rs"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), src)[:-3].split(os.sep)
                if rel[-1] == "mod":
                    rel = rel[:-1]
                if rel == ["main"] and os.path.exists(os.path.join(src, "lib.rs")):
                    continue  # a binary beside the library is a crate of its own
                if rel in (["lib"], ["main"]):
                    rel = []
                if rel and rel[0] == "bin":
                    continue
                module = tuple(rel)
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    code, test_mods = drop_test_items(strip_comments_and_strings(f.read()))
                code = re.sub(r"pub\s*\(\s*in\s+[^)]*\)", "pub", code)
                self.code[module] = code
                test_files.update(module + (t,) for t in test_mods)
        for module in test_files:
            self.code.pop(module, None)
        self.uses, self.reexports, self.globs = {}, {}, {}
        for module, code in self.code.items():
            statements, rest = use_statements(code)
            self.uses[module] = (statements, rest)
            self.reexports[module], self.globs[module] = {}, []
            for is_pub, paths in statements:
                if not is_pub:
                    continue
                for path in paths:
                    absolute = self.absolute(module, path)
                    if absolute is None:
                        continue
                    if absolute[-1] == "*":
                        self.globs[module].append(absolute[:-1])
                    else:
                        self.reexports[module][path[-1]] = absolute

    def absolute(self, module, path):
        """`path` as written in `module`, from the crate root; None for another crate's."""
        path = [p for p in path if p]
        if not path:
            return None
        head = path[0]
        if head in ("crate", "$crate"):
            return tuple(path[1:])
        if head in ("super", "self"):
            base = list(module)
            while path and path[0] in ("super", "self"):
                if path.pop(0) == "super":
                    base = base[:-1]
            return tuple(base + path)
        if module + (head,) in self.code:
            return module + tuple(path)
        return None

    def owner(self, path, seen=()):
        """The module that defines what `path` (from the crate root) names."""
        path = tuple(path)
        for k in range(len(path), -1, -1):
            module = path[:k]
            if module in self.code:
                break
        rest = path[k:]
        if not rest or (module, rest[0]) in seen:
            return module
        seen = seen + ((module, rest[0]),)
        if rest[0] in self.reexports[module]:
            return self.owner(self.reexports[module][rest[0]] + rest[1:], seen)
        if self.defines(module, rest[0]):
            return module
        for glob in self.globs[module]:
            if glob in self.code and (self.defines(glob, rest[0]) or rest[0] in self.reexports[glob]):
                return self.owner(glob + rest, seen)
        return module

    def defines(self, module, name):
        return re.search(DEFINITION.format(re.escape(name)), self.code[module]) is not None

    def graph(self):
        edges = {m: set() for m in self.code}
        for module, (statements, rest) in self.uses.items():
            paths = [p for _, ps in statements for p in ps]
            paths += [m.group(1).replace(" ", "").split("::") for m in PATH_IN_CODE.finditer(rest)]
            paths += [[m.group(1), "_"] for m in CHILD_PATH.finditer(rest)]
            for path in paths:
                absolute = self.absolute(module, path)
                if absolute is None:
                    continue
                if absolute and absolute[-1] in ("*", "_"):
                    absolute = absolute[:-1]
                target = self.owner(absolute)
                if target != module:
                    edges[module].add(target)
        return edges


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted("::".join(m) or "lib" for m in component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def crate_cycles(root):
    """[(crate, [module, ...]), ...] for every crate directory under `root`."""
    result = []
    for crate in sorted(os.listdir(root)):
        src = os.path.join(root, crate, "src")
        if os.path.isdir(src):
            result += [(crate, c) for c in cycles(Crate(src).graph())]
    return result


SELF_TEST_CRATES = {
    # Each case: files of one crate's src/, and the cycles the checker must report.
    "no_cycle": ({
        "lib.rs": "mod a;\nmod b;\npub use a::Thing;\n",
        "a.rs": "//! a\nuse crate::b::Helper;\npub struct Thing(Helper);\n",
        "b.rs": "//! b, mentions crate::a in a comment only\npub struct Helper;\n"
                "const S: &str = \"crate::a::Thing\";\n"
                "const Q: char = '\"';\nconst R: &str = r#\"use crate::a::Thing;\"#;\n"
                "fn f<'a>(x: &'a str) -> &'a str { x }\n"
                "#[cfg(test)]\nmod tests {\n    use crate::a::Thing;\n}\n",
    }, []),
    "direct": ({
        "lib.rs": "mod a;\nmod b;\n",
        "a.rs": "use crate::b::B;\npub struct A;\n",
        "b.rs": "pub struct B;\nfn f() -> crate::a::A { crate::a::A }\n",
    }, [["a", "b"]]),
    "grouped_use": ({
        "lib.rs": "mod a;\nmod b;\nmod c;\n",
        "a.rs": "use crate::{b::B, c::{self, C}};\npub struct A;\n",
        "b.rs": "pub struct B;\n",
        "c.rs": "pub struct C;\n#[cfg(test)]\nfn helper() {}\nuse super::a::A;\n",
    }, [["a", "c"]]),
    "through_reexport": ({
        "lib.rs": "mod a;\nmod b;\npub use b::Event;\n",
        "a.rs": "pub struct Config;\nfn run(_: crate::Event) {}\n",
        "b.rs": "use crate::a::Config;\npub struct Event(Config);\n",
    }, [["a", "b"]]),
    "root_that_routes_to_its_handlers": ({
        "lib.rs": "mod api;\npub struct AppState;\npub fn router() { api::search(); }\n",
        "api.rs": "use crate::AppState;\npub fn search() {}\n",
    }, [["api", "lib"]]),
    "child_and_parent": ({
        "lib.rs": "mod stages;\n",
        "stages.rs": "mod captions;\npub struct Registry;\npub fn all() { captions::register(); }\n",
        "stages/captions.rs": "use super::Registry;\npub fn register() {}\n",
    }, [["stages", "stages::captions"]]),
}


def self_test():
    failures = 0
    for name, (files, expected) in SELF_TEST_CRATES.items():
        with tempfile.TemporaryDirectory() as root:
            for path, text in files.items():
                full = os.path.join(root, "crate", "src", path)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w", encoding="utf-8") as f:
                    f.write(text)
            got = [c for _, c in crate_cycles(root)]
            with open(os.devnull, "w") as quiet:
                stdout, sys.stdout = sys.stdout, quiet
                try:
                    code = main(["module_cycles.py", root])
                finally:
                    sys.stdout = stdout
        if code != (1 if expected else 0):
            failures += 1
            print(f"self-test {name}: exit code {code} with {len(expected)} cycles")
        elif got != expected:
            failures += 1
            print(f"self-test {name}: expected {expected}, found {got}")
    print(f"self-test: {len(SELF_TEST_CRATES) - failures} of {len(SELF_TEST_CRATES)} cases right")
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = argv[1] if len(argv) > 1 else "crates"
    found = crate_cycles(root)
    for crate, component in found:
        print(f"{crate}: cycle among {component}")
    print("cycles:", len(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
