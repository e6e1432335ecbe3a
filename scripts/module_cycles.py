"""Module import cycles per crate: a file that names another through crate:: / super:: paths
and is named back, directly or around a loop (issue 20: no file imports a file that imports
it back). Usage: python3 scripts/module_cycles.py [crates]. Known blind spots: paths in doc
comments count, re-exports through lib.rs are not followed, and a file is cut at its first
#[cfg(test)]."""
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else "crates"
report = 0
for crate in sorted(os.listdir(root)):
    src = os.path.join(root, crate, "src")
    if not os.path.isdir(src):
        continue
    files = {}
    for dp, _, fs in os.walk(src):
        for f in fs:
            if f.endswith(".rs"):
                p = os.path.join(dp, f)
                rel = os.path.relpath(p, src)[:-3]
                mod = rel.replace(os.sep, "::")
                if mod.endswith("::mod"): mod = mod[:-5]
                if mod in ("lib", "main"): mod = ""
                files[mod] = p
    graph = {m: set() for m in files}
    for m, p in files.items():
        text = open(p).read()
        # drop #[cfg(test)] mod tests blocks roughly: cut at "#[cfg(test)]"
        text = text.split("#[cfg(test)]")[0]
        for path in re.findall(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", text):
            parts = path.split("::")
            target = None
            for k in range(len(parts), 0, -1):
                cand = "::".join(parts[:k])
                if cand in files: target = cand; break
            if target is None: target = ""  # lib.rs re-exports
            if target != m: graph[m].add(target)
        for sup in re.findall(r"super::([a-z_][a-z0-9_]*)", text):
            parent = m.rsplit("::", 1)[0] if "::" in m else ""
            cand = (parent + "::" + sup) if parent else sup
            # super:: from a file in dir mod refers to parent's items
            tgt = cand if cand in files else parent
            if tgt != m: graph[m].add(tgt)
    # strongly connected components (Tarjan)
    index = {}; low = {}; stack = []; on = set(); sccs = []; c = [0]
    def strong(v):
        index[v] = low[v] = c[0]; c[0] += 1; stack.append(v); on.add(v)
        for w in graph[v]:
            if w not in graph: continue
            if w not in index: strong(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: sccs.append(comp)
    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index: strong(v)
    for comp in sccs:
        report += 1
        print(f"{crate}: cycle among", sorted(x or "lib" for x in comp))
print("cycles:", report)
