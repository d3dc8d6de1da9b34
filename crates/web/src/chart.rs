//! Server-rendered SVG charts. Written by hand: a few dozen lines of SVG need no plotting
//! crate, and every chart carries an accessible title and description.

use std::fmt::Write;

/// Escapes text for XML/HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart of labelled counts, largest first as given.
pub fn bar_chart(title: &str, bars: &[(String, i64)]) -> String {
    const W: i64 = 560;
    const LABEL: i64 = 170;
    const BAR_H: i64 = 22;
    const GAP: i64 = 6;
    let h = (bars.len() as i64) * (BAR_H + GAP) + GAP;
    let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1);
    let plot = W - LABEL - 60;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="100%" role="img" aria-labelledby="chart-title chart-desc" class="chart">"#
    );
    let desc: Vec<String> = bars.iter().map(|(l, v)| format!("{l}: {v}")).collect();
    let _ = write!(
        svg,
        r#"<title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(title),
        escape(&desc.join("; "))
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = GAP + (i as i64) * (BAR_H + GAP);
        let w = (value * plot / max).max(1);
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end" font-size="13" dominant-baseline="middle">{}</text><rect x="{LABEL}" y="{y}" width="{w}" height="{BAR_H}" rx="3" fill="#3b6ea8"/><text x="{}" y="{}" font-size="12" dominant-baseline="middle">{value}</text>"##,
            LABEL - 8,
            y + BAR_H / 2,
            escape(label),
            LABEL + w + 6,
            y + BAR_H / 2,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Groups smaller than `min_size` are merged into one "Other" bar; if even that is smaller
/// than `min_size` it is dropped and counted as suppressed. Returns the bars and the
/// number of groups suppressed (merged or dropped).
pub fn suppress_small(groups: &[(String, i64)], min_size: i64) -> (Vec<(String, i64)>, usize) {
    let mut bars: Vec<(String, i64)> = groups
        .iter()
        .filter(|(_, n)| *n >= min_size)
        .cloned()
        .collect();
    let small: Vec<&(String, i64)> = groups.iter().filter(|(_, n)| *n < min_size).collect();
    let other: i64 = small.iter().map(|(_, n)| n).sum();
    if !small.is_empty() && other >= min_size {
        bars.push((format!("Other ({} small units)", small.len()), other));
    }
    (bars, small.len())
}

/// The organisation summary as it may be shown: headcount by department with units below
/// the minimum group size merged or hidden.
pub(crate) struct ShownSummary {
    pub org: flywheel_store::OrgSummary,
    pub min_group_size: i64,
    pub bars: Vec<(String, i64)>,
    pub suppressed: usize,
}

pub(crate) async fn shown_summary(
    store: &flywheel_store::Store,
) -> Result<ShownSummary, flywheel_store::StoreError> {
    let org = store.org_summary().await?;
    let min_group_size = store.min_group_size().await?;
    let groups: Vec<(String, i64)> = org
        .by_department
        .iter()
        .map(|d| (d.name.clone(), d.people))
        .collect();
    let (bars, suppressed) = suppress_small(&groups, min_group_size);
    Ok(ShownSummary {
        org,
        min_group_size,
        bars,
        suppressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_accessible_and_escaped() {
        let svg = bar_chart(
            "Headcount <by> unit",
            &[("R&D".into(), 10), ("Ops".into(), 5)],
        );
        assert!(svg.contains("<title id=\"chart-title\">Headcount &lt;by&gt; unit</title>"));
        assert!(svg.contains("R&amp;D"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn small_groups_are_merged_or_dropped() {
        let g = vec![
            ("A".to_owned(), 50),
            ("B".to_owned(), 3),
            ("C".to_owned(), 4),
        ];
        assert_eq!(
            suppress_small(&g, 5),
            (
                vec![
                    ("A".to_owned(), 50),
                    ("Other (2 small units)".to_owned(), 7)
                ],
                2
            )
        );
        let g = vec![("A".to_owned(), 50), ("B".to_owned(), 3)];
        assert_eq!(suppress_small(&g, 5), (vec![("A".to_owned(), 50)], 1));
    }
}
