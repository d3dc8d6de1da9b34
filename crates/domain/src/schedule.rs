//! When recurring jobs run: `every N minutes`, `every N hours`, `hourly`, `daily HH:MM`,
//! `weekly DAY HH:MM` (UTC). Parsed once with a clear error; [`Spec::next_after`] is the
//! one function that says when a schedule runs next.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

/// A parsed schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// Every so many minutes, on multiples of that period since the epoch.
    Every(i64),
    Daily(NaiveTime),
    Weekly(Weekday, NaiveTime),
}

fn time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().get(..3)? {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

impl Spec {
    /// Parses `every 15 minutes`, `every 2 hours`, `hourly`, `daily 03:00`,
    /// `weekly mon 09:00`.
    pub fn parse(s: &str) -> Result<Spec, String> {
        let words: Vec<String> = s.split_whitespace().map(str::to_ascii_lowercase).collect();
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let bad = || {
            format!(
                "{s:?} is not a schedule: use `every N minutes`, `every N hours`, `hourly`, `daily HH:MM` or `weekly DAY HH:MM` (UTC)"
            )
        };
        let spec = match w.as_slice() {
            ["hourly"] => Spec::Every(60),
            ["every", n, unit] => {
                let n: i64 = n.parse().map_err(|_| bad())?;
                let minutes = match *unit {
                    "minute" | "minutes" | "min" => n,
                    "hour" | "hours" | "h" => n * 60,
                    _ => return Err(bad()),
                };
                if !(1..=7 * 24 * 60).contains(&minutes) {
                    return Err(format!("{s:?}: between 1 minute and 7 days"));
                }
                Spec::Every(minutes)
            }
            ["daily", t] => Spec::Daily(time(t).ok_or_else(bad)?),
            ["weekly", d, t] => Spec::Weekly(weekday(d).ok_or_else(bad)?, time(t).ok_or_else(bad)?),
            _ => return Err(bad()),
        };
        Ok(spec)
    }

    /// The first run strictly after `t`.
    pub fn next_after(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Spec::Every(minutes) => {
                let period = minutes * 60;
                let secs = t.timestamp();
                let next = (secs.div_euclid(period) + 1) * period;
                Utc.timestamp_opt(next, 0)
                    .single()
                    .unwrap_or(t + Duration::minutes(minutes))
            }
            Spec::Daily(at) => {
                let today = t.date_naive().and_time(at).and_utc();
                if today > t {
                    today
                } else {
                    today + Duration::days(1)
                }
            }
            Spec::Weekly(day, at) => {
                let ahead = (i64::from(day.num_days_from_monday())
                    - i64::from(t.weekday().num_days_from_monday()))
                .rem_euclid(7);
                let candidate = (t.date_naive() + Duration::days(ahead))
                    .and_time(at)
                    .and_utc();
                if candidate > t {
                    candidate
                } else {
                    candidate + Duration::days(7)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn schedules_parse_and_say_when_they_run_next() {
        let cases = [
            (
                "every 15 minutes",
                "2026-12-07T10:07:00Z",
                "2026-12-07T10:15:00Z",
            ),
            (
                "every 15 minutes",
                "2026-12-07T10:15:00Z",
                "2026-12-07T10:30:00Z",
            ),
            ("hourly", "2026-12-07T23:59:59Z", "2026-12-08T00:00:00Z"),
            (
                "every 2 hours",
                "2026-12-07T11:00:00Z",
                "2026-12-07T12:00:00Z",
            ),
            (
                "daily 03:00",
                "2026-12-07T02:59:00Z",
                "2026-12-07T03:00:00Z",
            ),
            (
                "daily 03:00",
                "2026-12-07T03:00:00Z",
                "2026-12-08T03:00:00Z",
            ),
            // 2026-12-07 is a Monday.
            (
                "weekly mon 09:00",
                "2026-12-07T08:00:00Z",
                "2026-12-07T09:00:00Z",
            ),
            (
                "weekly Monday 09:00",
                "2026-12-07T09:00:00Z",
                "2026-12-14T09:00:00Z",
            ),
            (
                "weekly fri 17:30",
                "2026-12-07T09:00:00Z",
                "2026-12-11T17:30:00Z",
            ),
            (
                "weekly sun 00:00",
                "2026-12-13T00:00:01Z",
                "2026-12-20T00:00:00Z",
            ),
        ];
        for (spec, now, next) in cases {
            let s = Spec::parse(spec).expect(spec);
            assert_eq!(s.next_after(at(now)), at(next), "{spec} after {now}");
        }
        for bad in [
            "",
            "daily",
            "daily 25:00",
            "every 0 minutes",
            "every 5 days",
            "weekly xyz 09:00",
            "monthly 1",
        ] {
            assert!(Spec::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_next_run_is_later_and_no_run_is_skipped(secs in 0i64..4_000_000_000, which in 0usize..4) {
            let spec = [Spec::Every(7), Spec::Every(60), Spec::Daily(NaiveTime::from_hms_opt(3, 0, 0).expect("t")),
                        Spec::Weekly(Weekday::Wed, NaiveTime::from_hms_opt(9, 30, 0).expect("t"))][which];
            let t = Utc.timestamp_opt(secs, 0).single().expect("t");
            let next = spec.next_after(t);
            proptest::prop_assert!(next > t);
            // Nothing between: one second before the next run, the next run is the same.
            proptest::prop_assert_eq!(spec.next_after(next - Duration::seconds(1)), next);
        }
    }
}
