//! SNAP-style edge lists read straight into a [`Graph`]: `#` and `%` comment lines, blank
//! lines, and one edge per line as whitespace-separated `u v [weight]`.
//!
//! Written for size: names are interned while the text streams (integer names, the common
//! case, as integers), so a 17M-edge file never exists as strings in memory, and an
//! undirected list is stored once as symmetric adjacency. Errors name the line and field.

use std::io::BufRead;

use rustc_hash::FxHashMap;

use crate::graph::{BuildReport, Graph, Groups};

/// How to read the list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read each line as one arc `u -> v`. Otherwise (the default) as an undirected edge:
    /// two arcs.
    pub directed: bool,
}

/// A graph read from an edge list, with the names of its nodes.
#[derive(Debug, Clone)]
pub struct EdgeList {
    pub graph: Graph,
    pub names: NodeNames,
    /// Edge lines read.
    pub edges: u64,
    pub report: BuildReport,
}

/// An error at a place in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeListError {
    pub line: u64,
    /// `u`, `v` or `weight`; empty for whole-line problems.
    pub field: &'static str,
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for EdgeListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if !self.field.is_empty() {
            write!(f, ", field {}", self.field)?;
        }
        if !self.value.is_empty() {
            write!(f, " ({:?})", self.value)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for EdgeListError {}

/// Node names by id, and ids by name.
#[derive(Debug, Clone, Default)]
pub struct NodeNames {
    kind: Names,
}

#[derive(Debug, Clone)]
enum Names {
    /// Every name so far is a canonical decimal integer (no sign, no leading zero).
    Numeric {
        names: Vec<u64>,
        ids: FxHashMap<u64, u32>,
    },
    Text {
        text: String,
        ends: Vec<usize>,
        ids: FxHashMap<Box<str>, u32>,
    },
}

impl Default for Names {
    fn default() -> Names {
        Names::Numeric {
            names: Vec::new(),
            ids: FxHashMap::default(),
        }
    }
}

impl NodeNames {
    pub fn len(&self) -> usize {
        match &self.kind {
            Names::Numeric { names, .. } => names.len(),
            Names::Text { ends, .. } => ends.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of node `v` as written in the list.
    pub fn name(&self, v: u32) -> String {
        match &self.kind {
            Names::Numeric { names, .. } => names[v as usize].to_string(),
            Names::Text { text, ends, .. } => {
                let v = v as usize;
                let start = if v == 0 { 0 } else { ends[v - 1] };
                text[start..ends[v]].to_owned()
            }
        }
    }

    /// The id of the node with this name, if it appears in the list.
    pub fn id(&self, name: &str) -> Option<u32> {
        match &self.kind {
            Names::Numeric { ids, .. } => {
                canonical_integer(name).and_then(|x| ids.get(&x).copied())
            }
            Names::Text { ids, .. } => ids.get(name).copied(),
        }
    }

    /// Names `0..n` as themselves (for graphs built in code).
    pub fn identity(n: u32) -> NodeNames {
        let mut names = NodeNames::default();
        for v in 0..n {
            names.intern(&v.to_string());
        }
        names
    }

    /// The id of `name`, new names getting the next id. `None` when there are already
    /// `u32::MAX` names.
    pub fn intern(&mut self, name: &str) -> Option<u32> {
        let next = self.len();
        if next >= u32::MAX as usize {
            return None;
        }
        let next = next as u32;
        if let Names::Numeric { names, ids } = &mut self.kind {
            if let Some(x) = canonical_integer(name) {
                return Some(*ids.entry(x).or_insert_with(|| {
                    names.push(x);
                    next
                }));
            }
            // The first name that is not an integer: from here on, names are text.
            let mut text = String::new();
            let mut ends = Vec::with_capacity(names.len());
            let mut by_name = FxHashMap::default();
            for (i, x) in names.iter().enumerate() {
                let s = x.to_string();
                text.push_str(&s);
                ends.push(text.len());
                by_name.insert(s.into_boxed_str(), i as u32);
            }
            self.kind = Names::Text {
                text,
                ends,
                ids: by_name,
            };
        }
        let Names::Text { text, ends, ids } = &mut self.kind else {
            return None;
        };
        if let Some(&id) = ids.get(name) {
            return Some(id);
        }
        text.push_str(name);
        ends.push(text.len());
        ids.insert(name.into(), next);
        Some(next)
    }
}

/// `Some(x)` when `s` is the decimal form of `x` exactly ("7", not "07" or "+7"), so that
/// reading names as integers never merges two different names.
fn canonical_integer(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty()
        || b.len() > 19
        || !b.iter().all(u8::is_ascii_digit)
        || (b[0] == b'0' && b.len() > 1)
    {
        return None;
    }
    s.parse().ok()
}

/// Reads an edge list into a graph.
pub fn read<R: BufRead>(input: R, options: ReadOptions) -> Result<EdgeList, EdgeListError> {
    read_with_progress(input, options, |_| {})
}

/// [`read`], calling `progress` with the bytes read so far every few megabytes.
pub fn read_with_progress<R: BufRead>(
    mut input: R,
    options: ReadOptions,
    mut progress: impl FnMut(u64),
) -> Result<EdgeList, EdgeListError> {
    let mut names = NodeNames::default();
    let mut edges: Vec<(u32, u32, f32)> = Vec::new();
    let mut line = Vec::with_capacity(256);
    let (mut line_no, mut bytes, mut reported) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        let got = input
            .read_until(b'\n', &mut line)
            .map_err(|e| error(line_no + 1, "", "", &format!("cannot read: {e}")))?;
        if got == 0 {
            break;
        }
        line_no += 1;
        bytes += got as u64;
        if bytes - reported >= 1 << 22 {
            progress(bytes);
            reported = bytes;
        }
        let mut fields = line
            .split(u8::is_ascii_whitespace)
            .filter(|f| !f.is_empty());
        let Some(first) = fields.next() else {
            continue;
        };
        if first[0] == b'#' || first[0] == b'%' {
            continue;
        }
        let mut node = |field: &'static str, raw: Option<&[u8]>| -> Result<u32, EdgeListError> {
            let raw = raw.ok_or_else(|| error(line_no, field, "", "expected two node names"))?;
            let name = std::str::from_utf8(raw).map_err(|_| {
                error(
                    line_no,
                    field,
                    &String::from_utf8_lossy(raw),
                    "node name is not UTF-8",
                )
            })?;
            names
                .intern(name)
                .ok_or_else(|| error(line_no, field, name, "more than 4,294,967,295 nodes"))
        };
        let u = node("u", Some(first))?;
        let v = node("v", fields.next())?;
        let w = match fields.next() {
            None => 1.0,
            Some(raw) => {
                let text = String::from_utf8_lossy(raw);
                match text.parse::<f32>() {
                    Ok(x) if x.is_finite() && x > 0.0 => x,
                    _ => {
                        return Err(error(
                            line_no,
                            "weight",
                            &text,
                            "weight must be a positive number",
                        ))
                    }
                }
            }
        };
        edges.push((u, v, w));
    }
    progress(bytes);
    let n = names.len() as u32;
    let count = edges.len() as u64;
    let (graph, report) = if options.directed {
        Graph::from_arcs(n, edges)
    } else {
        Graph::undirected_from_edges(n, &edges)
    };
    Ok(EdgeList {
        graph,
        names,
        edges: count,
        report,
    })
}

/// Group labels for the nodes of an edge list, read from lines `node group` (`#` and `%`
/// comments and blank lines skipped; the group is the rest of the line, so it may contain
/// spaces).
#[derive(Debug, Clone)]
pub struct GroupLabels {
    pub groups: Groups,
    /// Group names by group id.
    pub names: Vec<String>,
    /// Nodes the file did not label; they share the group named `(unlabelled)`.
    pub unlabelled: u64,
}

/// Reads group labels for the nodes in `names`. A line naming a node that is not in the
/// edge list, a node labelled twice with different groups, or a line without a group is an
/// error naming the line.
pub fn read_groups<R: BufRead>(input: R, names: &NodeNames) -> Result<GroupLabels, EdgeListError> {
    const NONE: u32 = u32::MAX;
    let mut of = vec![NONE; names.len()];
    let mut group_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut group_names: Vec<String> = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| error(line_no, "", "", &format!("cannot read: {e}")))?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('%') {
            continue;
        }
        let Some((node, group)) = t.split_once(|c: char| c.is_ascii_whitespace()) else {
            return Err(error(line_no, "group", "", "expected a node and its group"));
        };
        let group = group.trim();
        let Some(v) = names.id(node) else {
            return Err(error(line_no, "node", node, "not a node of the edge list"));
        };
        let next = group_names.len() as u32;
        let g = *group_ids.entry(group.to_owned()).or_insert_with(|| {
            group_names.push(group.to_owned());
            next
        });
        let slot = &mut of[v as usize];
        if *slot != NONE && *slot != g {
            return Err(error(
                line_no,
                "group",
                group,
                "this node already has another group",
            ));
        }
        *slot = g;
    }
    let unlabelled = of.iter().filter(|g| **g == NONE).count() as u64;
    if unlabelled > 0 {
        let none = group_names.len() as u32;
        group_names.push("(unlabelled)".into());
        for g in &mut of {
            if *g == NONE {
                *g = none;
            }
        }
    }
    // Renumbering by first appearance in node order keeps ids and names aligned only if
    // names are permuted the same way.
    let groups = Groups::new(&of);
    let mut names_by_dense = vec![String::new(); groups.count() as usize];
    for (v, &g) in of.iter().enumerate() {
        names_by_dense[groups.of(v as u32) as usize] = group_names[g as usize].clone();
    }
    Ok(GroupLabels {
        groups,
        names: names_by_dense,
        unlabelled,
    })
}

fn error(line: u64, field: &'static str, value: &str, message: &str) -> EdgeListError {
    EdgeListError {
        line,
        field,
        value: value.chars().take(80).collect(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_snap_lists_with_comments_weights_and_text_names() {
        let text = "# Directed graph: example\n% also a comment\n\n1 2\n2\t3 0.5\r\n3 1\n";
        let e = read(text.as_bytes(), ReadOptions::default()).expect("valid");
        assert_eq!(e.edges, 3);
        assert_eq!(e.graph.node_count(), 3);
        assert!(e.graph.is_symmetric());
        assert_eq!(e.names.id("2"), Some(1));
        assert_eq!(e.names.name(2), "3");
        let d = read(text.as_bytes(), ReadOptions { directed: true }).expect("valid");
        assert!(!d.graph.is_symmetric());
        assert_eq!(d.graph.arc_count(), 3);

        let mixed = read("1 alice\n01 1\n".as_bytes(), ReadOptions::default()).expect("valid");
        assert_eq!(mixed.names.len(), 3, "\"01\" and \"1\" are different names");
        assert_eq!(mixed.names.name(0), "1");
        assert_eq!(mixed.names.id("alice"), Some(1));
        assert_eq!(mixed.names.id("01"), Some(2));
    }

    #[test]
    fn group_labels_name_their_groups_and_count_the_unlabelled() {
        let e = read("a b\nb c\nc d\n".as_bytes(), ReadOptions::default()).expect("valid");
        let g = read_groups(
            "# node group\nb Sales EMEA\na Legal\nc Sales EMEA\n".as_bytes(),
            &e.names,
        )
        .expect("valid");
        assert_eq!(g.unlabelled, 1);
        let name =
            |node: &str| g.names[g.groups.of(e.names.id(node).unwrap_or(0)) as usize].clone();
        assert_eq!(name("a"), "Legal");
        assert_eq!(name("b"), "Sales EMEA");
        assert_eq!(name("d"), "(unlabelled)");
        let err = read_groups("zz Legal\n".as_bytes(), &e.names).expect_err("unknown node");
        assert_eq!((err.line, err.field), (1, "node"));
        let err = read_groups("a X\na Y\n".as_bytes(), &e.names).expect_err("two groups");
        assert_eq!((err.line, err.field), (2, "group"));
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = read("1 2\n3\n".as_bytes(), ReadOptions::default()).expect_err("one name");
        assert_eq!((e.line, e.field), (2, "v"));
        let e = read("1 2 -1\n".as_bytes(), ReadOptions::default()).expect_err("weight");
        assert_eq!((e.line, e.field, e.value.as_str()), (1, "weight", "-1"));
        assert_eq!(
            e.to_string(),
            "line 1, field weight (\"-1\"): weight must be a positive number"
        );
        let e = read(&b"1 \xff\n"[..], ReadOptions::default()).expect_err("utf-8");
        assert_eq!((e.line, e.field), (1, "v"));
    }
}
