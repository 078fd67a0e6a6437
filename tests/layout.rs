//! The house, checked: `docs/layout.md` names every source file and nothing that is not there;
//! every relative link in the README and the guides leads somewhere; no import circles between
//! the files of `wire/src/`, the library's `src/` and the command's `src/bin/netgear/`; and no
//! source file in those trees holds more than 600 lines of code.
//!
//! Plain string parsing, no dependencies: the checks read the files as text. Each failure
//! message lists exactly what to fix (the paths to add to or remove from `docs/layout.md`, the
//! broken links, each circle with the references that close it, each file over the limit with
//! its count), so whoever moves a file knows what to write.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The files under `dir` (relative to the root, `/`-separated), recursively, leaving out build
/// output, caches and hidden files; with `dirs`, the directories too (as `path/`).
fn walk(dir: &str, dirs: bool, out: &mut BTreeSet<String>) {
    let full = root().join(dir);
    let Ok(entries) = fs::read_dir(&full) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" || name == "__pycache__" {
            continue;
        }
        if name.ends_with(".pyc") {
            continue;
        }
        let rel = format!("{dir}/{name}");
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            if dirs {
                out.insert(format!("{rel}/"));
            }
            walk(&rel, dirs, out);
        } else {
            out.insert(rel);
        }
    }
}

/// The text of every `code span` outside fenced blocks.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut spans = Vec::new();
    for line in prose_lines(markdown) {
        let mut parts = line.split('`');
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            spans.push(inside.to_string());
        }
    }
    spans
}

/// The lines of a markdown file outside fenced code blocks.
fn prose_lines(markdown: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push(line);
        }
    }
    lines
}

/// Whether a code span names a path in the repository: no spaces, only path characters,
/// a `/` inside, relative.
fn is_path(span: &str) -> bool {
    !span.is_empty()
        && span.contains('/')
        && !span.starts_with('/')
        && !span.starts_with('.')
        && span
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
}

#[test]
fn the_layout_names_every_source_file_and_only_files_that_exist() {
    const TREES: [(&str, bool); 10] = [
        ("src", false),
        ("wire/src", false),
        ("zmq/src", false),
        ("zmq-sys/src", false),
        ("python/src", false),
        ("python/netgear_rs", false),
        ("tests", true),
        ("scripts", false),
        ("examples", false),
        ("fuzz/fuzz_targets", false),
    ];
    let mut files = BTreeSet::new();
    for (dir, dirs) in TREES {
        walk(dir, dirs, &mut files);
    }
    let layout = read(&root().join("docs/layout.md"));
    let named: BTreeSet<String> = code_spans(&layout)
        .into_iter()
        .filter(|s| is_path(s))
        .collect();
    let named_plain: BTreeSet<&str> = named.iter().map(|s| s.trim_end_matches('/')).collect();
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !named_plain.contains(f.trim_end_matches('/')))
        .collect();
    let stale: Vec<&String> = named
        .iter()
        .filter(|p| !root().join(p.trim_end_matches('/')).exists())
        .collect();
    let mut problems = String::new();
    if !missing.is_empty() {
        problems += "files not named in docs/layout.md (add a line each, the path in backticks):\n";
        for f in &missing {
            problems += &format!("  {f}\n");
        }
    }
    if !stale.is_empty() {
        problems += "paths docs/layout.md names that do not exist (moved or removed?):\n";
        for p in &stale {
            problems += &format!("  {p}\n");
        }
    }
    assert!(problems.is_empty(), "\n{problems}");
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a markdown file's headings make, with GitHub's `-1`, `-2` for repeats.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in prose_lines(markdown) {
        let Some(text) = line.strip_prefix('#') else {
            continue;
        };
        let text = text.trim_start_matches('#');
        if !text.starts_with(' ') {
            continue;
        }
        let base = slug(&text.replace('`', ""));
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// The targets of `[text](target)` links outside code.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(markdown) {
        // Code spans are not links.
        let mut prose = String::new();
        for (i, part) in line.split('`').enumerate() {
            prose += if i % 2 == 0 { part } else { "code" };
        }
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            targets.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    targets
}

#[test]
fn every_relative_link_in_the_readme_and_the_guides_leads_somewhere() {
    let mut pages = vec![PathBuf::from("README.md")];
    let mut guides: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| PathBuf::from("docs").join(e.file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    guides.sort();
    pages.extend(guides);
    let mut broken = Vec::new();
    for page in &pages {
        let text = read(&root().join(page));
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target.as_str(), ""));
            let dest = if file.is_empty() {
                root().join(page)
            } else {
                root()
                    .join(page.parent().unwrap_or(Path::new("")))
                    .join(file)
            };
            if !dest.exists() {
                broken.push(format!("{}: ({target}): no such file", page.display()));
                continue;
            }
            if !anchor.is_empty() && dest.extension().is_some_and(|x| x == "md") {
                let found = anchors(&read(&dest));
                if !found.contains(anchor) {
                    broken.push(format!(
                        "{}: ({target}): no heading makes #{anchor} (its headings: {})",
                        page.display(),
                        found.into_iter().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "\nbroken links:\n  {}",
        broken.join("\n  ")
    );
}

/// Rust source with comments removed (doc comments too) and, with `blank_strings`, the
/// contents of string and char literals replaced by spaces. Every char maps to one char and
/// newlines stay, so positions and line numbers agree between the two forms.
fn strip(src: &str, blank_strings: bool) -> Vec<char> {
    let s: Vec<char> = src.chars().collect();
    let mut out = s.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(s.len())).skip(from) {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = (i..s.len()).find(|&j| s[j] == '\n').unwrap_or(s.len());
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < s.len() && depth > 0 {
                if s[j] == '/' && s.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if s[j] == '*' && s.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (!ident_before(&s, i) || (s[i - 1] == 'b' && !ident_before(&s, i - 1)))
        {
            // A raw string r"..." or r#"..."#, or a raw identifier r#name.
            let mut j = i + 1;
            let mut hashes = 0;
            while s.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if s.get(j) != Some(&'"') {
                i = j;
                continue;
            }
            let start = j + 1;
            let mut k = start;
            while k < s.len() {
                if s[k] == '"' && (0..hashes).all(|h| s.get(k + 1 + h) == Some(&'#')) {
                    break;
                }
                k += 1;
            }
            if blank_strings {
                blank(&mut out, start, k);
            }
            i = k + 1 + hashes;
        } else if c == '"' {
            let mut k = i + 1;
            while k < s.len() && s[k] != '"' {
                k += if s[k] == '\\' { 2 } else { 1 };
            }
            if blank_strings {
                blank(&mut out, i + 1, k);
            }
            i = k + 1;
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}'), or a lifetime ('a), left alone.
            let end = if next == Some('\\') {
                (i + 2..s.len()).find(|&j| s[j] == '\'')
            } else if s.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    if blank_strings {
                        blank(&mut out, i + 1, e);
                    }
                    i = e + 1;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

fn ident_before(s: &[char], i: usize) -> bool {
    i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_')
}

/// Blanks every `#[cfg(test)] mod NAME { ... }` (in both forms of the source), found in the
/// form with strings blanked (so that braces in strings do not count).
fn drop_test_modules(code: &mut [char], other: &mut [char]) {
    let text: String = code.iter().collect();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]") {
        let start = from + at;
        let after = start + "#[cfg(test)]".len();
        let rest = text[after..].trim_start();
        from = after;
        if !rest.starts_with("mod ") && !rest.starts_with("pub mod ") {
            continue;
        }
        let Some(open) = text[after..].find(['{', ';']).map(|o| after + o) else {
            continue;
        };
        if text[open..].starts_with(';') {
            continue;
        }
        let mut depth = 0;
        let mut end = open;
        for (j, ch) in text[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        ranges.push((start, end));
        from = end.max(after);
    }
    for (start, end) in ranges {
        // Byte offsets in `text` to char offsets.
        let (cs, ce) = (text[..start].chars().count(), text[..end].chars().count());
        for buf in [&mut *code, &mut *other] {
            for c in buf.iter_mut().take(ce).skip(cs) {
                if *c != '\n' {
                    *c = ' ';
                }
            }
        }
    }
}

/// A source file of a crate, as the import check sees it.
struct SourceFile {
    path: String,
    /// Code without comments, string contents or test modules.
    code: String,
    /// Lines of code: not blank, not comments, not in a test module.
    loc: usize,
}

fn load(path: &str) -> SourceFile {
    let src = read(&root().join(path));
    let mut code = strip(&src, true);
    let mut with_strings = strip(&src, false);
    drop_test_modules(&mut code, &mut with_strings);
    let loc = with_strings
        .iter()
        .collect::<String>()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    SourceFile {
        path: path.to_string(),
        code: code.into_iter().collect(),
        loc,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Tok> {
    let s: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(s[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
        } else if c == ':' && s.get(i + 1) == Some(&':') {
            out.push(Tok::PathSep);
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

/// One leaf of a `use` tree: its full path as written, and the name it brings in (`None` for
/// a glob).
#[derive(Debug, Clone)]
struct UseItem {
    path: Vec<String>,
    name: Option<String>,
    glob: bool,
}

/// Parses the `use` tree that starts at `toks[*i]` (after `use`), up to its `;`.
fn parse_use_tree(toks: &[Tok], i: &mut usize, prefix: &[String], out: &mut Vec<UseItem>) {
    let mut path = prefix.to_vec();
    if toks.get(*i) == Some(&Tok::PathSep) {
        *i += 1; // a leading `::`
    }
    loop {
        match toks.get(*i) {
            Some(Tok::Ident(id)) => {
                let id = id.clone();
                *i += 1;
                if toks.get(*i) == Some(&Tok::PathSep) {
                    path.push(id);
                    *i += 1;
                    continue;
                }
                let (full, mut name) = if id == "self" {
                    (path.clone(), path.last().cloned())
                } else {
                    let mut full = path.clone();
                    full.push(id.clone());
                    (full, Some(id))
                };
                if toks.get(*i) == Some(&Tok::Ident("as".into())) {
                    if let Some(Tok::Ident(alias)) = toks.get(*i + 1) {
                        name = Some(alias.clone());
                    }
                    *i += 2;
                }
                if name.as_deref() == Some("_") {
                    name = None;
                }
                out.push(UseItem {
                    path: full,
                    name,
                    glob: false,
                });
                return;
            }
            Some(Tok::Punct('*')) => {
                *i += 1;
                out.push(UseItem {
                    path: path.clone(),
                    name: None,
                    glob: true,
                });
                return;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                loop {
                    match toks.get(*i) {
                        Some(Tok::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *i += 1,
                        None => return,
                        _ => parse_use_tree(toks, i, &path, out),
                    }
                }
            }
            _ => return,
        }
    }
}

/// What one file declares and refers to, for resolving paths.
#[derive(Default)]
struct ModInfo {
    /// Items defined at the file's top level (fn, struct, enum, trait, type, const, static,
    /// union, macro_rules).
    items: BTreeSet<String>,
    /// Names brought in by `use` (re-exports included): name → the path as written.
    aliases: BTreeMap<String, Vec<String>>,
    /// Modules glob-imported (`use x::*`), as written, each with the inline module (`mod x
    /// { .. }`) it is written in, relative to the file's module.
    globs: Vec<(Vec<String>, Vec<String>)>,
    /// Every path referred to, as written (from `use` and from the code), with the inline
    /// module it is written in.
    refs: Vec<(Vec<String>, Vec<String>)>,
    /// The code's identifiers outside `use` declarations (for glob imports).
    words: BTreeSet<String>,
}

fn analyse(code: &str) -> ModInfo {
    let toks = tokens(code);
    let mut info = ModInfo::default();
    let mut depth = 0i32;
    let mut in_use = vec![false; toks.len()];
    // The inline modules the scan is in (name, depth outside it), and each token's.
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut inline_of = vec![Vec::new(); toks.len()];
    let mut i = 0;
    while i < toks.len() {
        inline_of[i] = inline
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<String>>();
        match &toks[i] {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|&(_, d)| d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                }
            }
            Tok::Ident(kw) if kw == "use" => {
                let start = i;
                i += 1;
                let mut items = Vec::new();
                parse_use_tree(&toks, &mut i, &[], &mut items);
                while i < toks.len() && toks[i] != Tok::Punct(';') {
                    i += 1;
                }
                for flag in in_use.iter_mut().take(i + 1).skip(start) {
                    *flag = true;
                }
                for item in items {
                    match &item.name {
                        Some(name) => {
                            info.aliases.insert(name.clone(), item.path.clone());
                        }
                        None if item.glob => info
                            .globs
                            .push((inline_of[start].clone(), item.path.clone())),
                        None => {}
                    }
                    info.refs.push((inline_of[start].clone(), item.path));
                }
                continue;
            }
            Tok::Ident(kw)
                if depth == 0
                    && matches!(
                        kw.as_str(),
                        "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "union"
                    ) =>
            {
                let mut j = i + 1;
                if toks.get(j) == Some(&Tok::Ident("mut".into())) {
                    j += 1;
                }
                if let Some(Tok::Ident(name)) = toks.get(j)
                    && name != "fn"
                    && name != "_"
                {
                    info.items.insert(name.clone());
                }
            }
            Tok::Ident(kw) if kw == "macro_rules" => {
                if let (Some(Tok::Punct('!')), Some(Tok::Ident(name))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    info.items.insert(name.clone());
                }
            }
            _ => {}
        }
        i += 1;
    }
    // Paths in the code: ident (:: ident)+, not preceded by `::` or `.`.
    let mut i = 0;
    while i < toks.len() {
        if in_use[i] {
            i += 1;
            continue;
        }
        if let Tok::Ident(first) = &toks[i] {
            info.words.insert(first.clone());
            let starts = i == 0 || !matches!(toks[i - 1], Tok::PathSep | Tok::Punct('.'));
            if starts && toks.get(i + 1) == Some(&Tok::PathSep) {
                let mut path = vec![first.clone()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Tok::PathSep) {
                    match toks.get(j + 1) {
                        Some(Tok::Ident(next)) => {
                            path.push(next.clone());
                            info.words.insert(next.clone());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                info.refs.push((inline_of[i].clone(), path));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    info
}

/// One crate's files, by module path.
struct Crate {
    files: Vec<SourceFile>,
    modules: BTreeMap<Vec<String>, usize>,
    infos: Vec<ModInfo>,
}

impl Crate {
    /// The crate whose root is `dir/root_file`, leaving out the directories in `skip`.
    fn load(dir: &str, root_file: &str, skip: &[&str]) -> Crate {
        let mut paths = BTreeSet::new();
        walk(dir, false, &mut paths);
        let mut files = Vec::new();
        let mut modules = BTreeMap::new();
        for path in paths {
            if !path.ends_with(".rs") || skip.iter().any(|s| path.starts_with(s)) {
                continue;
            }
            let rel = &path[dir.len() + 1..path.len() - 3];
            let mut module: Vec<String> = rel.split('/').map(String::from).collect();
            if rel == root_file || module.last().is_some_and(|l| l == "mod") {
                module.pop();
            }
            if rel == root_file {
                module.clear();
            }
            modules.insert(module, files.len());
            files.push(load(&path));
        }
        let infos = files.iter().map(|f| analyse(&f.code)).collect();
        Crate {
            files,
            modules,
            infos,
        }
    }

    fn module_of(&self, file: usize) -> Vec<String> {
        self.modules
            .iter()
            .find(|&(_, &f)| f == file)
            .map(|(m, _)| m.clone())
            .unwrap_or_default()
    }

    /// A path as written in module `cur`, made absolute; `None` when it leaves the crate.
    fn absolute(&self, cur: &[String], path: &[String], depth: usize) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut base: Vec<String> = cur.to_vec();
        let mut rest = path;
        match first.as_str() {
            "crate" => {
                base.clear();
                rest = &path[1..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            _ => {
                let mut child = cur.to_vec();
                child.push(first.clone());
                if self.modules.contains_key(&child) {
                    // a child module, in scope by its name
                } else if let Some(alias) = self.modules.get(cur).and_then(|&f| {
                    self.infos[f]
                        .aliases
                        .get(first)
                        .filter(|p| p.as_slice() != path)
                }) {
                    if depth > 8 {
                        return None;
                    }
                    let mut full = self.absolute(cur, alias, depth + 1)?;
                    full.extend_from_slice(&path[1..]);
                    return Some(full);
                } else {
                    return None; // an external crate, std, or a local name
                }
            }
        }
        base.extend_from_slice(rest);
        Some(base)
    }

    /// The file that defines what an absolute path names; `None` for a module itself.
    fn defining(&self, path: &[String], depth: usize) -> Option<usize> {
        if depth > 8 {
            return None;
        }
        let split = (0..=path.len())
            .rev()
            .find(|&n| self.modules.contains_key(&path[..n]))?;
        let module = &path[..split];
        let file = self.modules[module];
        let name = path.get(split)?;
        let info = &self.infos[file];
        if info.items.contains(name) {
            return Some(file);
        }
        if let Some(alias) = info.aliases.get(name) {
            let full = self.absolute(module, alias, depth + 1);
            return match full {
                Some(full) if full.as_slice() != path => self.defining(&full, depth + 1),
                _ => None, // re-exported from outside the crate
            };
        }
        for (inline, glob) in &info.globs {
            let within = [module, inline.as_slice()].concat();
            if let Some(mut full) = self.absolute(&within, glob, depth + 1)
                && let Some(&g) = self.modules.get(&full)
            {
                let gi = &self.infos[g];
                if gi.items.contains(name) || gi.aliases.contains_key(name) {
                    full.push(name.clone());
                    return self.defining(&full, depth + 1);
                }
            }
        }
        Some(file)
    }

    /// The file-level import graph: `from → to → the first reference that makes the edge`.
    fn edges(&self) -> BTreeMap<usize, BTreeMap<usize, String>> {
        let mut graph: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
        for (file, info) in self.infos.iter().enumerate() {
            let cur = self.module_of(file);
            let mut add = |to: usize, why: String| {
                if to != file {
                    graph.entry(file).or_default().entry(to).or_insert(why);
                }
            };
            // Direct references first, so that an edge shows one when it has one.
            for glob_pass in [false, true] {
                for (inline, path) in &info.refs {
                    let within = [cur.as_slice(), inline.as_slice()].concat();
                    let Some(abs) = self.absolute(&within, path, 0) else {
                        continue;
                    };
                    let is_glob = info.globs.iter().any(|(i, g)| i == inline && g == path);
                    if is_glob != glob_pass {
                        continue;
                    }
                    if !self.modules.contains_key(&abs) {
                        if let Some(to) = self.defining(&abs, 0) {
                            add(to, path.join("::"));
                        }
                    } else if is_glob {
                        // A glob import: an edge for each of its names the code uses.
                        let gi = &self.infos[self.modules[&abs]];
                        let names: BTreeSet<&String> =
                            gi.items.iter().chain(gi.aliases.keys()).collect();
                        for name in names {
                            if info.words.contains(name) {
                                let mut full = abs.clone();
                                full.push(name.clone());
                                if let Some(to) = self.defining(&full, 0) {
                                    add(to, format!("{}::* ({name})", path.join("::")));
                                }
                            }
                        }
                    } // else a module named, not an item
                }
            }
        }
        graph
    }

    /// Each import circle: the strongly connected components of more than one file (Tarjan).
    fn circles(&self) -> Vec<String> {
        let graph = self.edges();
        let n = self.files.len();
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut next = 0;
        let mut components = Vec::new();
        #[allow(clippy::too_many_arguments)]
        fn visit(
            v: usize,
            graph: &BTreeMap<usize, BTreeMap<usize, String>>,
            index: &mut [usize],
            low: &mut [usize],
            on_stack: &mut [bool],
            stack: &mut Vec<usize>,
            next: &mut usize,
            components: &mut Vec<Vec<usize>>,
        ) {
            index[v] = *next;
            low[v] = *next;
            *next += 1;
            stack.push(v);
            on_stack[v] = true;
            for &w in graph.get(&v).map(|m| m.keys()).into_iter().flatten() {
                if index[w] == usize::MAX {
                    visit(w, graph, index, low, on_stack, stack, next, components);
                    low[v] = low[v].min(low[w]);
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    components.push(component);
                }
            }
        }
        for v in 0..n {
            if index[v] == usize::MAX {
                visit(
                    v,
                    &graph,
                    &mut index,
                    &mut low,
                    &mut on_stack,
                    &mut stack,
                    &mut next,
                    &mut components,
                );
            }
        }
        components
            .into_iter()
            .map(|component| {
                let names: Vec<&str> = component
                    .iter()
                    .map(|&f| self.files[f].path.as_str())
                    .collect();
                let mut text = format!("circle: {}\n", names.join(" ↔ "));
                for cycle in simple_cycles(&component, &graph)
                    .into_iter()
                    .take(MAX_CYCLES)
                {
                    let files: Vec<&str> = cycle
                        .iter()
                        .chain(cycle.first())
                        .map(|&f| self.files[f].path.as_str())
                        .collect();
                    text += &format!("  cycle: {}\n", files.join(" → "));
                }
                text += "  its references:\n";
                for &from in &component {
                    for (&to, why) in graph.get(&from).into_iter().flatten() {
                        if component.contains(&to) {
                            text += &format!(
                                "    {} → {}  ({why})\n",
                                self.files[from].path, self.files[to].path
                            );
                        }
                    }
                }
                text
            })
            .collect()
    }
}

/// The most elementary cycles listed for one circle.
const MAX_CYCLES: usize = 20;

/// The elementary cycles within one strongly connected component, shortest first, each
/// starting from its smallest file (a plain search: the components are a handful of files).
fn simple_cycles(
    component: &[usize],
    graph: &BTreeMap<usize, BTreeMap<usize, String>>,
) -> Vec<Vec<usize>> {
    fn extend(
        path: &mut Vec<usize>,
        component: &[usize],
        graph: &BTreeMap<usize, BTreeMap<usize, String>>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if out.len() > 1000 {
            return;
        }
        let (start, last) = (path[0], path[path.len() - 1]);
        for &next in graph.get(&last).map(|m| m.keys()).into_iter().flatten() {
            if next == start {
                out.push(path.clone());
            } else if next > start && component.contains(&next) && !path.contains(&next) {
                path.push(next);
                extend(path, component, graph, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    for &start in component {
        extend(&mut vec![start], component, graph, &mut out);
    }
    out.sort_by_key(|c| (c.len(), c.clone()));
    out
}

/// The three trees the import and size rules hold for.
fn trees() -> Vec<Crate> {
    vec![
        Crate::load("wire/src", "lib", &[]),
        Crate::load("src", "lib", &["src/bin/"]),
        Crate::load("src/bin/netgear", "main", &[]),
    ]
}

#[test]
fn no_import_circles_between_files() {
    let circles: Vec<String> = trees().iter().flat_map(Crate::circles).collect();
    assert!(
        circles.is_empty(),
        "\n{} import circle(s) between files (A → B: A refers to an item defined in B, \
         through the reference shown); break each by moving what both need into one place:\n{}",
        circles.len(),
        circles.join("")
    );
}

/// The most lines of code a source file may hold, not counting blank lines, comments (doc
/// comments too) and its `#[cfg(test)]` module.
const MAX_LINES_OF_CODE: usize = 600;

#[test]
fn no_source_file_over_600_lines_of_code() {
    let mut over = Vec::new();
    for krate in trees() {
        for file in &krate.files {
            if file.loc > MAX_LINES_OF_CODE {
                over.push(format!("  {}: {} lines of code", file.path, file.loc));
            }
        }
    }
    assert!(
        over.is_empty(),
        "\nsource files over {MAX_LINES_OF_CODE} lines of code (blank lines, comments and the \
         #[cfg(test)] module not counted); split each into files of one idea:\n{}",
        over.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_should() {
    // The stripper keeps code and drops comments, strings and test modules.
    let src = "use crate::a::B; // crate::c::D\nfn f() { let s = \"crate::e::F\"; }\n\
               #[cfg(test)]\nmod tests { use super::*; fn g() { crate::h::I(); } }\n";
    let file = {
        let mut code = strip(src, true);
        let mut other = strip(src, false);
        drop_test_modules(&mut code, &mut other);
        code.into_iter().collect::<String>()
    };
    let info = analyse(&file);
    assert_eq!(
        info.refs,
        vec![(vec![], vec!["crate".into(), "a".into(), "B".into()])]
    );
    assert!(info.items.contains("f"));
    assert!(info.globs.is_empty());
    // Use trees: nested braces, self, aliases and globs.
    let info = analyse("pub use crate::x::{self, y::{Z, W as V}, *};");
    assert_eq!(info.aliases["x"], vec!["crate", "x"]);
    assert_eq!(info.aliases["V"], vec!["crate", "x", "y", "W"]);
    assert_eq!(info.globs, vec![(vec![], vec!["crate".into(), "x".into()])]);
    // A path inside an inline module is resolved from there.
    let info = analyse("mod nd { use super::*; fn f() { super::g(); } }");
    assert_eq!(info.globs[0].0, vec!["nd".to_string()]);
    assert_eq!(info.refs[1].0, vec!["nd".to_string()]);
    // Anchors as GitHub makes them.
    assert_eq!(slug("vidgear → netgear-rs"), "vidgear--netgear-rs");
    assert_eq!(
        slug("Answering a frame: requests()"),
        "answering-a-frame-requests"
    );
    assert!(is_path("src/bin/netgear/") && !is_path("/proc/self/status") && !is_path("a b/c"));
}
