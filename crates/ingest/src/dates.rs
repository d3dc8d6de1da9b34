//! Dates as HR exports write them.

use chrono::{NaiveDate, NaiveDateTime};

/// The order of day and month in slash-separated dates, which cannot be told from one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 06/17/2013
    MonthFirst,
    /// 17/06/2013
    DayFirst,
}

/// Parses one date in any of the forms HR exports use: ISO 8601 (with or without a time),
/// `M/D/YYYY` or `D/M/YYYY` (by `order`), `D.M.YYYY`, `D-Mon-YYYY`/`D-Mon-YY` (Oracle),
/// and `YYYYMMDD`.
pub fn parse_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if s.len() > 10 && s.as_bytes().get(4) == Some(&b'-') {
        // ISO datetime: 2013-06-17T00:00:00, with optional fraction and zone.
        if let Some(d) = s
            .get(..10)
            .and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok())
        {
            let rest = &s[10..];
            if rest.starts_with('T') || rest.starts_with(' ') {
                return Some(d);
            }
        }
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%m/%d/%Y %H:%M:%S") {
        if order == DateOrder::MonthFirst {
            return Some(dt.date());
        }
    }
    if s.contains('/') {
        let fmt = match order {
            DateOrder::MonthFirst => "%m/%d/%Y",
            DateOrder::DayFirst => "%d/%m/%Y",
        };
        let date_part = s.split_whitespace().next().unwrap_or(s);
        return NaiveDate::parse_from_str(date_part, fmt)
            .ok()
            .or_else(|| NaiveDate::parse_from_str(date_part, "%Y/%m/%d").ok());
    }
    for fmt in [
        "%d.%m.%Y",
        "%d-%b-%y",
        "%d-%b-%Y",
        "%Y%m%d",
        "%d %b %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%d %B %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    None
}

/// Decides the day/month order of a column of slash dates: day-first if some value has a
/// first part above 12, month-first if some value has a second part above 12, and
/// month-first (with `ambiguous = true`) when no value tells.
pub fn infer_order<'a>(values: impl IntoIterator<Item = &'a str>) -> (DateOrder, bool) {
    let (mut day_first, mut month_first) = (false, false);
    for v in values {
        let mut parts = v.trim().split('/');
        let (Some(a), Some(b), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if a.len() == 4 {
            continue; // YYYY/MM/DD
        }
        let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
            continue;
        };
        if a > 12 {
            day_first = true;
        }
        if b > 12 {
            month_first = true;
        }
    }
    match (day_first, month_first) {
        (true, false) => (DateOrder::DayFirst, false),
        (false, true) => (DateOrder::MonthFirst, false),
        // Neither told us, or the column mixes both: month-first, flagged.
        _ => (DateOrder::MonthFirst, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn forms() {
        let mf = DateOrder::MonthFirst;
        assert_eq!(parse_date("2013-06-17", mf), d(2013, 6, 17));
        assert_eq!(parse_date("2013-06-17T00:00:00Z", mf), d(2013, 6, 17));
        assert_eq!(parse_date("2013-06-17 08:30", mf), d(2013, 6, 17));
        assert_eq!(parse_date("6/17/2013", mf), d(2013, 6, 17));
        assert_eq!(
            parse_date("17/06/2013", DateOrder::DayFirst),
            d(2013, 6, 17)
        );
        assert_eq!(parse_date("17.06.2013", mf), d(2013, 6, 17));
        assert_eq!(parse_date("17-JUN-2013", mf), d(2013, 6, 17));
        assert_eq!(parse_date("17-Jun-13", mf), d(2013, 6, 17));
        assert_eq!(parse_date("20130617", mf), d(2013, 6, 17));
        assert_eq!(parse_date("June 17, 2013", mf), d(2013, 6, 17));
        assert_eq!(
            parse_date("2013/06/17", DateOrder::DayFirst),
            d(2013, 6, 17)
        );
        assert_eq!(parse_date("17/06/2013", mf), None);
        assert_eq!(parse_date("2013-02-30", mf), None);
        assert_eq!(parse_date("soon", mf), None);
    }

    #[test]
    fn order_inference() {
        assert_eq!(
            infer_order(["01/02/2020", "25/12/2020"]),
            (DateOrder::DayFirst, false)
        );
        assert_eq!(
            infer_order(["01/02/2020", "12/25/2020"]),
            (DateOrder::MonthFirst, false)
        );
        assert_eq!(infer_order(["01/02/2020"]), (DateOrder::MonthFirst, true));
        assert_eq!(infer_order(["2020-01-02"]), (DateOrder::MonthFirst, true));
    }
}
