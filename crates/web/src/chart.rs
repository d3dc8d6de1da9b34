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
    let rows: Vec<(String, f64)> = bars.iter().map(|(l, v)| (l.clone(), *v as f64)).collect();
    hbars("headcount", title, &rows, &|v| format!("{v:.0}"), None)
}

/// The colours of series, in order (distinguishable for the common colour blindnesses).
pub const PALETTE: [&str; 6] = [
    "#3b6ea8", "#e08a2c", "#3f9b6b", "#a34d8f", "#6b6b6b", "#c44e52",
];

fn open_svg(svg: &mut String, id: &str, w: i64, h: i64, title: &str, desc: &str) {
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart" id="{id}"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    );
}

/// Horizontal bars with their values written beside them; `marker` draws a dashed
/// vertical line (a threshold or target) at that value.
pub fn hbars(
    id: &str,
    title: &str,
    bars: &[(String, f64)],
    fmt: &dyn Fn(f64) -> String,
    marker: Option<(f64, &str)>,
) -> String {
    const W: i64 = 600;
    const LABEL: i64 = 210;
    const BAR_H: i64 = 22;
    const GAP: i64 = 6;
    let h = (bars.len() as i64) * (BAR_H + GAP) + GAP + if marker.is_some() { 16 } else { 0 };
    let max = bars
        .iter()
        .map(|(_, v)| *v)
        .chain(marker.map(|m| m.0))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let plot = (W - LABEL - 70) as f64;
    let mut svg = String::new();
    let desc: Vec<String> = bars
        .iter()
        .map(|(l, v)| format!("{l}: {}", fmt(*v)))
        .collect();
    open_svg(&mut svg, id, W, h.max(GAP * 2), title, &desc.join("; "));
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = GAP + (i as i64) * (BAR_H + GAP);
        let w = ((value.max(0.0) * plot / max).round() as i64).max(1);
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end" font-size="12" dominant-baseline="middle">{}</text><rect x="{LABEL}" y="{y}" width="{w}" height="{BAR_H}" rx="3" fill="{}"/><text x="{}" y="{}" font-size="12" dominant-baseline="middle">{}</text>"##,
            LABEL - 8,
            y + BAR_H / 2,
            escape(&clip(label, 27)),
            PALETTE[0],
            LABEL + w + 6,
            y + BAR_H / 2,
            escape(&fmt(*value)),
        );
    }
    if let Some((m, label)) = marker {
        let x = LABEL + (m * plot / max).round() as i64;
        let _ = write!(
            svg,
            r##"<line x1="{x}" x2="{x}" y1="0" y2="{}" stroke="#c44e52" stroke-dasharray="4 3"/><text x="{x}" y="{}" font-size="11" text-anchor="middle" fill="#c44e52">{}</text>"##,
            h - 16,
            h - 3,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars with a whisker for an interval: (label, value, low, high).
pub fn hbars_interval(id: &str, title: &str, rows: &[(String, f64, f64, f64)]) -> String {
    const W: i64 = 560;
    const LABEL: i64 = 170;
    const BAR_H: i64 = 22;
    const GAP: i64 = 8;
    let h = (rows.len() as i64) * (BAR_H + GAP) + GAP;
    let max = rows
        .iter()
        .map(|r| r.3.max(r.1))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let plot = (W - LABEL - 80) as f64;
    let sx = |v: f64| LABEL as f64 + v.max(0.0) * plot / max;
    let mut svg = String::new();
    let desc: Vec<String> = rows
        .iter()
        .map(|(l, v, lo, hi)| format!("{l}: {v:.0} (95% {lo:.0} to {hi:.0})"))
        .collect();
    open_svg(&mut svg, id, W, h, title, &desc.join("; "));
    for (i, (label, v, lo, hi)) in rows.iter().enumerate() {
        let y = GAP + (i as i64) * (BAR_H + GAP);
        let mid = y + BAR_H / 2;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{mid}" text-anchor="end" font-size="13" dominant-baseline="middle">{}</text><rect x="{LABEL}" y="{y}" width="{:.1}" height="{BAR_H}" rx="3" fill="{}"/><line x1="{:.1}" x2="{:.1}" y1="{mid}" y2="{mid}" stroke="#1d2733" stroke-width="1.5"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#1d2733"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#1d2733"/><text x="{:.1}" y="{mid}" font-size="12" dominant-baseline="middle">{v:.0}</text>"##,
            LABEL - 8,
            escape(label),
            (sx(*v) - LABEL as f64).max(1.0),
            PALETTE[i % PALETTE.len()],
            sx(*lo),
            sx(*hi),
            sx(*lo),
            sx(*lo),
            mid - 5,
            mid + 5,
            sx(*hi),
            sx(*hi),
            mid - 5,
            mid + 5,
            sx(*hi) + 6.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line for each series over the same x positions (`None` leaves a gap), with an
/// optional shaded band (low, high) and a dashed horizontal line (a target).
pub struct Lines<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub x_labels: &'a [String],
    pub series: &'a [(String, Vec<Option<f64>>)],
    pub band: Option<(&'a [f64], &'a [f64], &'a str)>,
    pub hline: Option<(f64, &'a str)>,
    pub y_max: Option<f64>,
}

/// The top of a line chart's y axis: the given maximum, or 5% above the highest value
/// drawn (series, band and reference line).
fn lines_max(c: &Lines<'_>) -> f64 {
    let max = c.y_max.unwrap_or_else(|| {
        let series = c
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().copied());
        let band = c.band.iter().flat_map(|(_, hi, _)| hi.iter().copied());
        let hline = c.hline.iter().map(|(y, _)| *y);
        series.chain(band).chain(hline).fold(0.0, f64::max) * 1.05
    });
    max.max(f64::MIN_POSITIVE)
}

/// The chart's numbers in words, for its `<desc>`: each series from its first value to its
/// last, and the reference line.
fn lines_desc(c: &Lines<'_>) -> String {
    let mut desc: Vec<String> = Vec::new();
    for (name, v) in c.series {
        let last = v.iter().rev().flatten().next();
        let first = v.iter().flatten().next();
        if let (Some(f), Some(l)) = (first, last) {
            desc.push(format!("{name}: from {f:.1} to {l:.1}"));
        }
    }
    if let Some((y, label)) = c.hline {
        desc.push(format!("{label}: {y:.1}"));
    }
    desc.join("; ")
}

/// An SVG path through a series, lifting the pen over missing values.
fn line_path(v: &[Option<f64>], sx: impl Fn(usize) -> f64, sy: impl Fn(f64) -> f64) -> String {
    let mut d = String::new();
    let mut pen = false;
    for (i, x) in v.iter().enumerate() {
        match x {
            Some(x) => {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if pen { "L" } else { "M" },
                    sx(i),
                    sy(*x)
                );
                pen = true;
            }
            None => pen = false,
        }
    }
    d
}

pub fn lines(c: &Lines<'_>) -> String {
    const W: f64 = 600.0;
    const H: f64 = 260.0;
    const L: f64 = 48.0;
    const R: f64 = 12.0;
    const T: f64 = 12.0;
    const B: f64 = 44.0;
    let n = c.x_labels.len().max(2);
    let max = lines_max(c);
    let sx = |i: usize| L + (W - L - R) * i as f64 / (n - 1) as f64;
    let sy = |v: f64| T + (H - T - B) * (1.0 - v / max);
    let mut svg = String::new();
    let desc = lines_desc(c);
    open_svg(&mut svg, c.id, W as i64, H as i64, c.title, &desc);
    // Axes and gridlines at quarters.
    for q in 0..=4 {
        let v = max * f64::from(q) / 4.0;
        let y = sy(v);
        let _ = write!(
            svg,
            r##"<line x1="{L}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#dde3ea"/><text x="{:.1}" y="{y:.1}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#5b6b7c">{}</text>"##,
            W - R,
            L - 6.0,
            short(v)
        );
    }
    let step = (n / 6).max(1);
    for (i, label) in c.x_labels.iter().enumerate() {
        if i % step == 0 || i + 1 == c.x_labels.len() {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#5b6b7c">{}</text>"##,
                sx(i),
                H - B + 16.0,
                escape(label)
            );
        }
    }
    if let Some((lo, hi, label)) = c.band {
        let mut pts: Vec<String> = Vec::new();
        for (i, v) in hi.iter().enumerate() {
            pts.push(format!("{:.1},{:.1}", sx(i), sy(*v)));
        }
        for (i, v) in lo.iter().enumerate().rev() {
            pts.push(format!("{:.1},{:.1}", sx(i), sy(*v)));
        }
        let _ = write!(
            svg,
            r##"<polygon points="{}" fill="#3b6ea8" fill-opacity="0.18" stroke="none"><title>{}</title></polygon>"##,
            pts.join(" "),
            escape(label)
        );
    }
    if let Some((y, label)) = c.hline {
        let _ = write!(
            svg,
            r##"<line x1="{L}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#c44e52" stroke-dasharray="5 4"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#c44e52">{}</text>"##,
            W - R,
            sy(y),
            sy(y),
            W - R,
            sy(y) - 4.0,
            escape(label)
        );
    }
    for (k, (_, v)) in c.series.iter().enumerate() {
        let d = line_path(v, sx, sy);
        let _ = write!(
            svg,
            r##"<path d="{}" fill="none" stroke="{}" stroke-width="2"/>"##,
            d.trim_end(),
            PALETTE[k % PALETTE.len()]
        );
    }
    legend(&mut svg, c.series.iter().map(|(n, _)| n.as_str()), H - 10.0);
    svg.push_str("</svg>");
    svg
}

fn legend<'a>(svg: &mut String, names: impl Iterator<Item = &'a str>, y: f64) {
    let mut x = 48.0;
    for (k, name) in names.enumerate() {
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{y:.1}" font-size="11" dominant-baseline="middle">{}</text>"##,
            y - 5.0,
            PALETTE[k % PALETTE.len()],
            x + 14.0,
            escape(name)
        );
        x += 24.0 + 6.5 * name.chars().count() as f64;
    }
}

/// 100% stacked columns: for each x, the shares of each named part (summing to ≤ 1).
pub fn stacked(id: &str, title: &str, x_labels: &[String], parts: &[(String, Vec<f64>)]) -> String {
    const W: f64 = 600.0;
    const H: f64 = 240.0;
    const L: f64 = 40.0;
    const T: f64 = 10.0;
    const B: f64 = 44.0;
    let n = x_labels.len().max(1);
    let col = (W - L - 10.0) / n as f64;
    let mut svg = String::new();
    let desc: Vec<String> = x_labels
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mix: Vec<String> = parts
                .iter()
                .map(|(name, v)| format!("{name} {:.0}%", 100.0 * v.get(i).copied().unwrap_or(0.0)))
                .collect();
            format!("{x}: {}", mix.join(", "))
        })
        .collect();
    open_svg(&mut svg, id, W as i64, H as i64, title, &desc.join("; "));
    for q in 0..=4 {
        let y = T + (H - T - B) * (1.0 - f64::from(q) / 4.0);
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{y:.1}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#5b6b7c">{}%</text>"##,
            L - 6.0,
            q * 25
        );
    }
    for (i, x) in x_labels.iter().enumerate() {
        let mut y0 = H - B;
        for (k, (_, v)) in parts.iter().enumerate() {
            let share = v.get(i).copied().unwrap_or(0.0).clamp(0.0, 1.0);
            let hgt = (H - T - B) * share;
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{hgt:.1}" fill="{}"/>"##,
                L + col * i as f64 + 2.0,
                y0 - hgt,
                (col - 4.0).max(1.0),
                PALETTE[k % PALETTE.len()]
            );
            y0 -= hgt;
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#5b6b7c">{}</text>"##,
            L + col * (i as f64 + 0.5),
            H - B + 14.0,
            escape(x)
        );
    }
    legend(&mut svg, parts.iter().map(|(n, _)| n.as_str()), H - 10.0);
    svg.push_str("</svg>");
    svg
}

/// A label cut to `n` characters with an ellipsis (the full text is in the chart's
/// description and the table beside it).
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

/// A number in at most four characters for an axis: 950, 1.2k, 35k, 1.2M.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Groups smaller than `min_size` are merged into one "Other" bar; if even that is smaller
/// than `min_size` it is dropped and counted as suppressed. Returns the bars and the
/// number of groups suppressed (merged or dropped).
pub fn suppress_small(groups: &[(String, i64)], min_size: i64) -> (Vec<(String, i64)>, usize) {
    use flywheel_insights::privacy::shown;
    let mut bars: Vec<(String, i64)> = groups
        .iter()
        .filter(|(_, n)| shown(*n, min_size).is_some())
        .cloned()
        .collect();
    let small: Vec<&(String, i64)> = groups
        .iter()
        .filter(|(_, n)| shown(*n, min_size).is_none())
        .collect();
    let other: i64 = small.iter().map(|(_, n)| n).sum();
    if !small.is_empty() && shown(other, min_size).is_some() {
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
    app: &flywheel_app::App,
) -> Result<ShownSummary, flywheel_app::AppError> {
    let org = app.org_summary().await?;
    let min_group_size = i64::try_from(app.min_group_size().await?).unwrap_or(i64::MAX);
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
        assert!(svg.contains("<title id=\"headcount-title\">Headcount &lt;by&gt; unit</title>"));
        assert!(svg.contains("R&amp;D"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn lines_bands_and_stacks_describe_their_data() {
        let x: Vec<String> = (1..=4).map(|i| format!("w{i}")).collect();
        let series = vec![(
            "adopters".to_owned(),
            vec![Some(1.0), Some(2.0), None, Some(8.0)],
        )];
        let svg = lines(&Lines {
            id: "f",
            title: "Forecast",
            x_labels: &x,
            series: &series,
            band: Some((&[0.5, 1.0, 2.0, 6.0], &[1.5, 3.0, 5.0, 9.0], "90% band")),
            hline: Some((5.0, "critical mass")),
            y_max: None,
        });
        assert!(svg.contains("aria-labelledby=\"f-title f-desc\""));
        assert!(svg.contains("adopters: from 1.0 to 8.0; critical mass: 5.0"));
        assert_eq!(svg.matches("<polygon").count(), 1);
        // The gap splits the path into two pieces.
        assert_eq!(
            svg.matches(" M").count() + usize::from(svg.contains("d=\"M")),
            2
        );
        let svg = stacked(
            "q",
            "Mix",
            &x[..2],
            &[("a".into(), vec![0.25, 1.0]), ("b".into(), vec![0.75, 0.0])],
        );
        assert!(svg.contains("w1: a 25%, b 75%; w2: a 100%, b 0%"));
        assert_eq!(
            svg.matches("<rect").count(),
            4 + 2,
            "four segments and two legend keys"
        );
        let svg = hbars_interval("p", "Plan", &[("plan".into(), 120.0, 110.0, 130.0)]);
        assert!(svg.contains("plan: 120 (95% 110 to 130)"));
        assert_eq!(short(1234.0), "1.2k");
        assert_eq!(short(35_000.0), "35k");
        assert_eq!(short(0.5), "0.50");
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
