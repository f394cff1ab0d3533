//! The layers of docs/architecture.md, checked on the parsed source: every `use` (grouped, renamed, `pub use`
//! re-exports) and every inline `crate::x::y` or `super::…` path of every file under `src/` is resolved to the
//! top-level module it reaches, and each arrow between two top-level modules must be one the architecture
//! draws. A grep for `crate::apply` is not a layering check: `use crate::{apply, model}` or a re-export passes
//! it unseen; a parsed path does not.
//!
//! 1. Read every file under `src/` and name its module path from its place (`src/plan/step.rs` is `plan::step`).
//! 2. Leave out test code: files declared `#[cfg(test)] mod x;`, and items marked `#[cfg(test)]` (tests build
//!    their fixtures from any layer; `src/fake.rs` is test-only).
//! 3. Visit every item with syn, resolving `crate::`, `self::` and `super::` against the module it stands in.
//! 4. Check each arrow against `MAY_IMPORT`, the table below, and that the arrows form no cycle, between
//!    top-level modules and between the files of one module.
//!
//! The CLI holds no SQL either: checked on its code lines at the end of this file.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The ground floor: plain data (`model`) and pure text (`shell` words, `sqltext` statements and rows), which
/// every module may import and which import nothing above them.
const GROUND: &[&str] = &["model", "shell", "sqltext"];

/// What each top-level module may import besides the ground floor, read off docs/architecture.md (its
/// drawing and its table of what each module "never does"). Anything not listed is a wrong-way arrow:
/// cli -> engine -> load; engine -> facts -> link -> sql -> transport; plan (pure) -> template -> flavor,
/// replication, mycnf, service; render (pure); apply -> link -> sql, transport. `plan`, `render` and the
/// pure knowledge below them never see `transport`, `sql`, `link` or `apply`; nothing below imports `cli`
/// or `engine`.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    // The CLI parses, confirms and prints: it reaches hosts only through the engine.
    (
        "cli",
        &[
            "engine",
            "error",
            "load",
            "plan",
            "render",
            "template",
            "flavor",
            "mycnf",
            "replication",
            "fanout",
        ],
    ),
    // The engine owns a run and sequences every layer below it.
    (
        "engine",
        &[
            "error",
            "verify",
            "apply",
            "render",
            "plan",
            "facts",
            "load",
            "link",
            "sql",
            "transport",
            "template",
            "flavor",
            "replication",
            "mycnf",
            "service",
            "packages",
            "fanout",
        ],
    ),
    // The one error type the binary maps to exit codes: it wraps each layer's own error.
    (
        "error",
        &[
            "apply",
            "verify",
            "facts",
            "plan",
            "load",
            "link",
            "sql",
            "transport",
            "template",
            "flavor",
            "replication",
        ],
    ),
    // Probe rows and checksums over a run's links.
    (
        "verify",
        &["link", "sql", "flavor", "replication", "fanout"],
    ),
    // Apply carries out steps that plan decided; it never decides, never prints.
    (
        "apply",
        &[
            "plan",
            "facts",
            "link",
            "sql",
            "transport",
            "template",
            "flavor",
            "replication",
            "mycnf",
            "service",
            "packages",
            "fanout",
        ],
    ),
    // Pure: the plan as text or JSON.
    (
        "render",
        &[
            "plan",
            "template",
            "flavor",
            "replication",
            "mycnf",
            "service",
            "packages",
        ],
    ),
    // Pure: desired state + facts -> steps. It reads facts' data, never a host.
    (
        "plan",
        &[
            "facts",
            "template",
            "flavor",
            "replication",
            "mycnf",
            "service",
            "packages",
        ],
    ),
    // Read-only I/O: one pass per host through its link.
    (
        "facts",
        &[
            "link",
            "sql",
            "transport",
            "flavor",
            "replication",
            "mycnf",
            "packages",
            "fanout",
        ],
    ),
    // Reading the playbook and the inventory: local files, plain data out, never a host; option names
    // checked as mycnf reads them.
    ("load", &["template", "flavor", "packages", "mycnf"]),
    ("template", &["flavor", "mycnf"]),
    ("link", &["sql", "transport"]),
    ("sql", &["transport"]),
    ("transport", &[]),
    ("packages", &["flavor"]),
    ("replication", &["flavor"]),
    ("flavor", &[]),
    ("service", &[]),
    ("mycnf", &[]),
    ("fanout", &[]),
    ("model", &[]),
    ("shell", &[]),
    ("sqltext", &[]),
];

/// Arrows of a cycle between modules that is known and being taken apart, each pinned to the one file that
/// draws it, so no other file can add to the cycle. Empty: the house has no cycle, and an entry here must
/// name its file and the work that removes it.
const KNOWN_CYCLE_ARROWS: &[(&str, &str)] = &[];

/// Cycles between files of one module that are known and being taken apart, as (file, file it imports).
/// Empty, as `KNOWN_CYCLE_ARROWS` is.
const KNOWN_FILE_CYCLE_ARROWS: &[(&str, &str)] = &[];

/// One arrow in the source: `file` (a path like `src/plan/step.rs`) reaches module path `to` through `path`.
#[derive(Debug, Clone)]
struct Arrow {
    file: String,
    line: usize,
    from: Vec<String>,
    to: Vec<String>,
    path: String,
}

impl Arrow {
    fn source_module(&self) -> &str {
        &self.from[0]
    }
    fn target_module(&self) -> &str {
        &self.to[0]
    }
    fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The module path a file under `src/` defines: `src/plan/mod.rs` is `plan`, `src/plan/step.rs` is
/// `plan::step`; the crate root (`lib.rs`, `main.rs`) is the empty path.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Walks one file, keeping the module path of the item it stands in (inline `mod x { … }` included).
struct Walker<'a> {
    file: &'a str,
    module: Vec<String>,
    arrows: Vec<Arrow>,
    /// Child modules declared `#[cfg(test)] mod x;`: their files are test code.
    test_modules: Vec<Vec<String>>,
}

impl Walker<'_> {
    /// Resolves a path's leading segments (`crate`, `self`, `super`…) to an absolute module path, or None
    /// for an external crate, a std path or a name in scope.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" | "super" => self.module.clone(),
            _ => return None,
        };
        let mut rest = &segments[1..];
        if first == "super" {
            base.pop()?;
        }
        while rest.first().is_some_and(|s| s == "super") {
            base.pop()?;
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn record(&mut self, segments: Vec<String>, line: usize) {
        let Some(to) = self.resolve(&segments) else {
            return;
        };
        if to.is_empty() || self.module.is_empty() {
            return;
        }
        self.arrows.push(Arrow {
            file: self.file.to_string(),
            line,
            from: self.module.clone(),
            to,
            path: segments.join("::"),
        });
    }

    /// Expands a use tree (`crate::{apply, model::Host}`) into each path it names.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.use_leaf(prefix, &n.ident),
            syn::UseTree::Rename(r) => self.use_leaf(prefix, &r.ident),
            syn::UseTree::Glob(g) => {
                let line = g.star_token.span.start().line;
                self.record(prefix.clone(), line);
            }
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }

    fn use_leaf(&mut self, prefix: &[String], ident: &syn::Ident) {
        let mut path = prefix.to_vec();
        // `use super::{self}` names the prefix itself.
        if ident != "self" {
            path.push(ident.to_string());
        }
        self.record(path, ident.span().start().line);
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Type(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            _ => &[],
        };
        if is_cfg_test(attrs) {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
            {
                let mut child = self.module.clone();
                child.push(m.ident.to_string());
                self.test_modules.push(child);
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_none() {
            return;
        }
        self.module.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.module.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    /// A macro's arguments are tokens to syn; those that read as expressions (`format!("{}", crate::x::f())`)
    /// are visited as such.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(args) = mac.parse_body_with(parser) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
        syn::visit::visit_macro(self, mac);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        // A lone `self` or `super` is a receiver or a module name, not an arrow.
        if segments.len() > 1 {
            let line = p
                .segments
                .first()
                .map(|s| s.ident.span().start().line)
                .unwrap_or(0);
            self.record(segments, line);
        }
        syn::visit::visit_path(self, p);
    }
}

/// Every arrow of non-test code under `src/`.
fn arrows() -> Vec<Arrow> {
    let src = support::root().join("src");
    let mut walked = Vec::new();
    let mut test_modules = Vec::new();
    for path in rust_files(&src) {
        let relative = path.strip_prefix(&src).expect("a file under src/");
        let text = std::fs::read_to_string(&path).expect("a source file is readable");
        let file = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("src/{} does not parse: {e}", relative.display()));
        let name = format!("src/{}", relative.display());
        let mut walker = Walker {
            file: &name,
            module: module_of(relative),
            arrows: Vec::new(),
            test_modules: Vec::new(),
        };
        walker.visit_file(&file);
        test_modules.extend(walker.test_modules);
        walked.push((walker.module, walker.arrows));
    }
    let is_test = |m: &[String]| test_modules.iter().any(|t| m.starts_with(t));
    walked
        .into_iter()
        .filter(|(module, _)| !is_test(module))
        .flat_map(|(_, arrows)| arrows)
        .collect()
}

fn may_import() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    MAY_IMPORT
        .iter()
        .map(|(m, to)| (*m, to.iter().copied().collect()))
        .collect()
}

fn is_known_cycle_arrow(a: &Arrow) -> bool {
    KNOWN_CYCLE_ARROWS
        .iter()
        .any(|(file, to)| a.file == *file && a.target_module() == *to)
}

/// The strongly connected components of more than one node (Tarjan), each sorted: the cycles of `graph`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn connect(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.connect(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.connect(v);
        }
    }
    t.found
}

/// For each cycle, the arrows in the source that draw it (one example per pair of nodes).
fn describe_cycles(found: &[Vec<String>], arrows: &[(String, String, String)]) -> String {
    let mut text = String::new();
    for cycle in found {
        text.push_str(&format!("cycle: {}\n", cycle.join(" <-> ")));
        let mut seen = BTreeSet::new();
        for (from, to, place) in arrows {
            if cycle.contains(from) && cycle.contains(to) && seen.insert((from, to)) {
                text.push_str(&format!("  {place}: {from} -> {to}\n"));
            }
        }
    }
    text
}

#[test]
fn every_arrow_between_modules_is_one_the_architecture_draws() {
    let table = may_import();
    let mut wrong = Vec::new();
    for a in arrows() {
        if a.source_module() == a.target_module() || is_known_cycle_arrow(&a) {
            continue;
        }
        if GROUND.contains(&a.target_module()) && !GROUND.contains(&a.source_module()) {
            continue;
        }
        let Some(allowed) = table.get(a.source_module()) else {
            wrong.push(format!(
                "{}: module `{}` is missing from MAY_IMPORT",
                a.place(),
                a.source_module()
            ));
            continue;
        };
        if !allowed.contains(a.target_module()) {
            wrong.push(format!(
                "{}: {} -> {} (`{}`) is an arrow docs/architecture.md does not draw",
                a.place(),
                a.source_module(),
                a.target_module(),
                a.path
            ));
        }
    }
    assert!(wrong.is_empty(), "wrong-way imports:\n{}", wrong.join("\n"));
}

#[test]
fn no_cycle_between_top_level_modules() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut drawn = Vec::new();
    for a in arrows() {
        if a.source_module() == a.target_module() || is_known_cycle_arrow(&a) {
            continue;
        }
        let (from, to) = (a.source_module().to_string(), a.target_module().to_string());
        graph.entry(from.clone()).or_default().insert(to.clone());
        drawn.push((from, to, a.place()));
    }
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between top-level modules:\n{}",
        describe_cycles(&found, &drawn)
    );
}

/// The file a module path lives in, as far as files go: `plan::step::Step` is in file `plan::step` when
/// that file exists, else in `plan`.
fn file_of(to: &[String], files: &BTreeSet<Vec<String>>) -> Vec<String> {
    (1..=to.len())
        .rev()
        .map(|n| to[..n].to_vec())
        .find(|m| files.contains(m))
        .unwrap_or_else(|| to[..1].to_vec())
}

#[test]
fn no_cycle_between_the_files_of_a_module() {
    let arrows = arrows();
    let files: BTreeSet<Vec<String>> = arrows.iter().map(|a| a.from.clone()).collect();
    let known: BTreeSet<(&str, &str)> = KNOWN_FILE_CYCLE_ARROWS.iter().copied().collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut drawn = Vec::new();
    for a in &arrows {
        // Only arrows inside one top-level module: those between modules are checked above.
        if a.source_module() != a.target_module() {
            continue;
        }
        let from = file_of(&a.from, &files).join("::");
        let to = file_of(&a.to, &files).join("::");
        // A parent reaching into its own children (declaring them, re-exporting from them, handing work to
        // them) is the shape of a module, not an arrow: the children may read the parent's shared names.
        // What is counted is a child up to its parent and between siblings, so a loop between siblings, or
        // through the parent and two siblings, fails.
        let into_own_child = to.len() > from.len() && to.starts_with(&format!("{from}::"));
        if from == to || into_own_child || known.contains(&(from.as_str(), to.as_str())) {
            continue;
        }
        graph.entry(from.clone()).or_default().insert(to.clone());
        drawn.push((from, to, a.place()));
    }
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between files:\n{}",
        describe_cycles(&found, &drawn)
    );
}

/// Each known-cycle entry must still be drawn by its file: once the cycle is gone, its entry goes too.
#[test]
fn every_known_cycle_arrow_is_still_drawn() {
    let arrows = arrows();
    for (file, to) in KNOWN_CYCLE_ARROWS {
        assert!(
            arrows
                .iter()
                .any(|a| a.file == *file && a.target_module() == *to),
            "{file} no longer imports `{to}`: remove it from KNOWN_CYCLE_ARROWS"
        );
    }
}

/// The same for the known cycle between files.
#[test]
fn every_known_file_cycle_arrow_is_still_drawn() {
    let arrows = arrows();
    let files: BTreeSet<Vec<String>> = arrows.iter().map(|a| a.from.clone()).collect();
    for (from, to) in KNOWN_FILE_CYCLE_ARROWS {
        assert!(
            arrows
                .iter()
                .any(|a| file_of(&a.from, &files).join("::") == *from
                    && file_of(&a.to, &files).join("::") == *to),
            "{from} no longer imports {to}: remove it from KNOWN_FILE_CYCLE_ARROWS"
        );
    }
}

#[test]
fn the_table_itself_has_no_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = MAY_IMPORT
        .iter()
        .map(|(m, to)| (m.to_string(), to.iter().map(|t| t.to_string()).collect()))
        .collect();
    assert!(
        cycles(&graph).is_empty(),
        "MAY_IMPORT allows a cycle: {:?}",
        cycles(&graph)
    );
}

#[test]
fn the_checker_sees_grouped_uses_re_exports_and_inline_paths() {
    let source = r#"
        use crate::{apply, model::Host};
        pub use crate::sql::Statement as S;
        mod inner { use super::super::link::HostLink; }
        fn f() { let _ = crate::transport::connect(); }
        fn g() -> String { format!("{}", crate::link::name()) }
    "#;
    let file = syn::parse_file(source).expect("the sample parses");
    let mut walker = Walker {
        file: "src/plan/sample.rs",
        module: vec!["plan".into(), "sample".into()],
        arrows: Vec::new(),
        test_modules: Vec::new(),
    };
    walker.visit_file(&file);
    let reached: BTreeSet<&str> = walker.arrows.iter().map(|a| a.target_module()).collect();
    assert_eq!(
        reached,
        BTreeSet::from(["apply", "model", "sql", "plan", "transport", "link"])
    );
    let inner = walker
        .arrows
        .iter()
        .find(|a| a.path.contains("HostLink"))
        .expect("the inline module's use is seen");
    assert_eq!(inner.to, vec!["plan", "link", "HostLink"]);
}

/// Every line of code (comments left out) of every file under `src/cli/`, with its place.
fn cli_code() -> Vec<(String, usize, String)> {
    let dir = support::root().join("src/cli");
    let mut lines = Vec::new();
    let files = rust_files(&dir);
    assert!(
        files.len() >= 8,
        "the CLI's files were not found in {}",
        dir.display()
    );
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a CLI file is readable");
        let name = path
            .strip_prefix(&dir)
            .map(|n| n.display().to_string())
            .unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("").to_string();
            lines.push((name.clone(), i + 1, code));
        }
    }
    lines
}

#[test]
fn the_cli_holds_no_sql() {
    for (file, line, code) in cli_code() {
        let upper = code.to_ascii_uppercase();
        for word in [
            "SELECT ",
            "INSERT ",
            "UPDATE ",
            "DELETE FROM",
            "SET GLOBAL",
            "SHOW ",
            "CHANGE MASTER",
            "CHANGE REPLICATION",
            "START SLAVE",
            "STOP SLAVE",
            "CREATE ",
            "DROP ",
        ] {
            assert!(
                !upper.contains(word),
                "src/cli/{file}:{line} holds SQL (`{word}`): `{}`",
                code.trim()
            );
        }
    }
}
