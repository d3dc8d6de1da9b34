//! SNAP-style edge lists: `#` comments, one edge per line as whitespace-separated
//! `u v [weight]`. Node names are kept as text; numbering them is the graph's business.

use std::io::{BufRead, Write};

use crate::error::{IngestError, Located, Problems};

/// One edge as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub weight: f32,
}

/// Reads an edge list. Weights default to 1; a weight that is not a positive finite number
/// is an error naming its line.
pub fn read_edges<R: BufRead>(input: R, source: &str) -> Result<Vec<Edge>, IngestError> {
    let mut edges = Vec::new();
    let mut problems = Problems::default();
    for (i, line) in input.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| IngestError::Structure {
            source_name: source.to_owned(),
            message: format!("line {line_no}: cannot read: {e}"),
        })?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('%') {
            continue;
        }
        let at = |field: &str, value: Option<&str>, message: &str| Located {
            source: source.to_owned(),
            line: line_no,
            field: Some(field.to_owned()),
            value: value.map(str::to_owned),
            message: message.to_owned(),
        };
        let mut parts = t.split_whitespace();
        let (Some(u), Some(v)) = (parts.next(), parts.next()) else {
            problems.push(at("v", None, "expected two node names"));
            continue;
        };
        let weight = match parts.next() {
            None => 1.0,
            Some(w) => match w.parse::<f32>() {
                Ok(x) if x.is_finite() && x > 0.0 => x,
                _ => {
                    problems.push(at("weight", Some(w), "weight must be a positive number"));
                    continue;
                }
            },
        };
        edges.push(Edge {
            from: u.to_owned(),
            to: v.to_owned(),
            weight,
        });
    }
    problems.into_result(edges)
}

/// Writes an edge list with a comment header.
pub fn write_edges<W: Write>(mut out: W, comment: &str, edges: &[Edge]) -> std::io::Result<()> {
    for line in comment.lines() {
        writeln!(out, "# {line}")?;
    }
    for e in edges {
        writeln!(out, "{}\t{}\t{}", e.from, e.to, e.weight)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let edges = vec![
            Edge {
                from: "a".into(),
                to: "b".into(),
                weight: 1.0,
            },
            Edge {
                from: "b".into(),
                to: "c".into(),
                weight: 2.5,
            },
        ];
        let mut buf = Vec::new();
        write_edges(&mut buf, "test graph\nundirected", &edges).expect("write");
        assert_eq!(read_edges(&buf[..], "g").expect("read"), edges);

        let err = read_edges(&b"# c\n1 2\n3\n4 5 -1\n"[..], "bad.txt").expect_err("bad");
        let msg = err.to_string();
        assert!(msg.contains("bad.txt:3"), "{msg}");
        assert!(
            msg.contains("bad.txt:4: column \"weight\": value \"-1\""),
            "{msg}"
        );
    }
}
