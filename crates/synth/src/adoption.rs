//! Six months of AI adoption spreading through a generated company, for the demo.
//!
//! A day-by-day contagion on the collaboration network: a person who has not adopted yet
//! adopts on a given day with probability 1 − Π(1 − p·w_uv·m_u) over their colleagues u who
//! have (w = tie weight, m = 4 for the planted natural champions, 1 otherwise), plus a small
//! spontaneous rate that rises when their site's rollout wave arrives. The CEO adopts in
//! the first week; the planted champions in the first three. After adopting, people use
//! the tool on most working days, with a long tail of heavy "power users" (some of whom
//! never share). The planted champions are the ground truth later analytics must find.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Company, SITES};

/// The simulated history.
#[derive(Debug, Clone)]
pub struct Adoption {
    pub start: NaiveDate,
    pub days: u32,
    /// Per employee: the day they adopted, if they did.
    pub adopted_on: Vec<Option<NaiveDate>>,
    /// The planted natural champions (employee indexes): early, and far more contagious.
    pub champions: Vec<usize>,
    /// Per employee: how many prompts a day of use has on average (0 for non-adopters).
    pub intensity: Vec<f64>,
    /// Per site: the first day of its rollout wave.
    pub site_wave: Vec<NaiveDate>,
    /// Departments trained, and the day: afterwards their people adopt on their own
    /// [`TRAINING_EFFECT`] times as often (the planted effect impact analysis must find).
    pub trainings: Vec<(usize, NaiveDate)>,
}

/// How much a training multiplies a department's spontaneous adoption rate.
pub const TRAINING_EFFECT: f64 = 6.0;

/// Someone asked for access and got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessRequest {
    pub employee: usize,
    pub requested: NaiveDate,
    pub granted: NaiveDate,
}

/// An incident with an AI tool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRecord {
    pub employee: usize,
    pub reported: NaiveDate,
    /// Hours from the report until someone intervened.
    pub hours_to_intervene: f64,
    pub severity: &'static str,
    pub data_class: &'static str,
    pub what: &'static str,
}

impl Adoption {
    /// Whether employee `e` used the tool on `day`, and how much (deterministic per
    /// person and day, so every export of the history agrees).
    pub fn usage_on(&self, e: usize, day: NaiveDate, seed: u64) -> Option<u32> {
        let adopted = self.adopted_on[e]?;
        if day < adopted || matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ (e as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ u64::from(day.num_days_from_ce() as u32) << 20,
        );
        // Habit forms: use grows from ~40% of working days to ~80% over the first weeks.
        let weeks = ((day - adopted).num_days() / 7) as f64;
        let p = (0.4 + 0.05 * weeks).min(0.8);
        if !rng.random_bool(p) {
            return None;
        }
        let n = (self.intensity[e] * (0.5 + rng.random::<f64>()))
            .round()
            .max(1.0);
        Some(n as u32)
    }
}

/// Simulates `days` days from `start`.
pub fn simulate(company: &Company, start: NaiveDate, days: u32, seed: u64) -> Adoption {
    let n = company.employees.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xAD0F_7100);
    let mut adj: Vec<Vec<(usize, f32)>> = vec![Vec::new(); n];
    for t in &company.ties {
        adj[t.a as usize].push((t.b as usize, t.weight));
        adj[t.b as usize].push((t.a as usize, t.weight));
    }
    // Champions: about 1% of people (at least 3), preferring well-connected ones, spread
    // over departments: the most connected of a random sample per department.
    let target = (n / 100).max(3);
    let mut champions = Vec::new();
    let mut depts: Vec<usize> = (0..crate::DEPARTMENTS.len()).collect();
    let mut d = 0;
    while champions.len() < target && d < target * 20 {
        let dept = depts[d % depts.len()];
        d += 1;
        let pool: Vec<usize> = (0..n)
            .filter(|&i| {
                company.employees[i].department == dept && i != 0 && !champions.contains(&i)
            })
            .collect();
        if pool.is_empty() {
            depts.retain(|&x| x != dept);
            if depts.is_empty() {
                break;
            }
            continue;
        }
        let best = (0..8)
            .map(|_| pool[rng.random_range(0..pool.len())])
            .max_by_key(|&i| adj[i].len());
        if let Some(b) = best {
            champions.push(b);
        }
    }
    champions.sort_unstable();
    champions.dedup();
    // Sites roll out in waves a month apart, in a shuffled order.
    let mut order: Vec<usize> = (0..SITES.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut site_wave = vec![start; SITES.len()];
    for (k, &s) in order.iter().enumerate() {
        site_wave[s] = start + Duration::days(21 * k as i64);
    }
    let mut adopted_on: Vec<Option<NaiveDate>> = vec![None; n];
    adopted_on[0] = Some(start + Duration::days(2));
    for &c in &champions {
        adopted_on[c] = Some(start + Duration::days(rng.random_range(3..21)));
    }
    // Two departments (not Engineering, the early one) get a training, a month apart.
    let mut trng = ChaCha8Rng::seed_from_u64(seed ^ 0x07A1_17EE);
    let first = trng.random_range(1..crate::DEPARTMENTS.len());
    let mut second = trng.random_range(1..crate::DEPARTMENTS.len() - 1);
    if second >= first {
        second += 1;
    }
    let trainings = vec![
        (first, start + Duration::days(i64::from(days) * 2 / 5)),
        (second, start + Duration::days(i64::from(days) * 3 / 5)),
    ];
    let trained_on: Vec<Option<NaiveDate>> = (0..crate::DEPARTMENTS.len())
        .map(|d| trainings.iter().find(|t| t.0 == d).map(|t| t.1))
        .collect();
    let is_champion: Vec<bool> = (0..n)
        .map(|i| champions.binary_search(&i).is_ok())
        .collect();
    let p = 0.0006;
    for day in 0..days {
        let today = start + Duration::days(i64::from(day));
        let mut newly = Vec::new();
        for v in 0..n {
            if adopted_on[v].is_some() {
                continue;
            }
            let mut stay = 1.0f64;
            for &(u, w) in &adj[v] {
                if adopted_on[u].is_some_and(|d| d < today) {
                    let m = if is_champion[u] { 6.0 } else { 1.0 };
                    stay *= 1.0 - (p * f64::from(w) * m).min(0.9);
                }
            }
            let wave = site_wave[company.employees[v].site];
            let mut spontaneous = if today >= wave { 0.0015 } else { 0.0002 };
            if trained_on[company.employees[v].department].is_some_and(|d| today >= d) {
                spontaneous *= TRAINING_EFFECT;
            }
            stay *= 1.0 - spontaneous;
            if rng.random_bool((1.0 - stay).clamp(0.0, 1.0)) {
                newly.push(v);
            }
        }
        for v in newly {
            adopted_on[v] = Some(today);
        }
    }
    // Intensity: log-normal-ish, champions and a few quiet power users heavy.
    let intensity = (0..n)
        .map(|i| {
            if adopted_on[i].is_none() {
                return 0.0;
            }
            let base: f64 = (rng.random::<f64>() * 2.0).exp();
            if is_champion[i] || rng.random_bool(0.03) {
                base * 4.0
            } else {
                base
            }
        })
        .collect();
    Adoption {
        start,
        days,
        adopted_on,
        champions,
        intensity,
        site_wave,
        trainings,
    }
}

/// Access requests: everyone who adopted before their site's wave asked first (the pull a
/// rollout plan should notice), and some later adopters asked too.
pub fn access_requests(company: &Company, adoption: &Adoption, seed: u64) -> Vec<AccessRequest> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00AC_CE55);
    let mut out = Vec::new();
    for (e, adopted) in adoption.adopted_on.iter().enumerate() {
        let Some(adopted) = *adopted else { continue };
        let wave = adoption.site_wave[company.employees[e].site];
        let pulled = adopted < wave;
        if !pulled && !rng.random_bool(0.15) {
            continue;
        }
        let ahead = Duration::days(rng.random_range(0..5));
        let requested = (adopted - ahead).max(adoption.start);
        out.push(AccessRequest {
            employee: e,
            requested,
            granted: adopted.max(requested),
        });
    }
    out
}

/// About one incident per 150 adopters, on days they used AI; most handled within a day.
pub fn incidents(adoption: &Adoption, seed: u64) -> Vec<IncidentRecord> {
    const KINDS: [(&str, &str, &str); 4] = [
        (
            "low",
            "internal",
            "Shared an internal wiki page in a prompt",
        ),
        (
            "medium",
            "confidential",
            "Pasted a customer contract into an unapproved tool",
        ),
        (
            "high",
            "personal",
            "Uploaded a spreadsheet with employee salaries",
        ),
        ("low", "public", "Published an AI draft without review"),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x01C1_DE27);
    let adopters: Vec<(usize, NaiveDate)> = adoption
        .adopted_on
        .iter()
        .enumerate()
        .filter_map(|(e, d)| d.map(|d| (e, d)))
        .collect();
    let end = adoption.start + Duration::days(i64::from(adoption.days) - 1);
    (0..adopters.len() / 150)
        .filter_map(|_| {
            let (e, from) = adopters[rng.random_range(0..adopters.len())];
            let span = (end - from).num_days();
            if span < 1 {
                return None;
            }
            let (severity, data_class, what) = KINDS[rng.random_range(0..KINDS.len())];
            Some(IncidentRecord {
                employee: e,
                reported: from + Duration::days(rng.random_range(0..span)),
                hours_to_intervene: -20.0 * (1.0 - rng.random::<f64>()).ln(),
                severity,
                data_class,
                what,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, Params};

    fn run(seed: u64) -> (Company, Adoption) {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let c = generate(&Params {
            people: 2000,
            seed,
            as_of: start + Duration::days(182),
        });
        let a = simulate(&c, start, 182, seed);
        (c, a)
    }

    #[test]
    fn adoption_spreads_like_an_s_curve_from_the_champions() {
        let (c, a) = run(11);
        let adopted = |d: i64| {
            a.adopted_on
                .iter()
                .filter(|x| x.is_some_and(|x| x < a.start + Duration::days(d)))
                .count()
        };
        let (m1, m3, m6) = (adopted(30), adopted(91), adopted(182));
        eprintln!("adopted after 1, 3, 6 months: {m1} {m3} {m6}");
        assert!(m1 < m3 && m3 < m6, "{m1} {m3} {m6}");
        let share = m6 as f64 / c.employees.len() as f64;
        assert!(
            (0.3..0.95).contains(&share),
            "after six months {share:.2} adopted"
        );
        assert!(
            a.adopted_on[0].is_some_and(|d| d < a.start + Duration::days(7)),
            "the CEO adopts early"
        );
        assert!(a.champions.len() >= 20 && a.champions.iter().all(|&i| a.adopted_on[i].is_some()));
        // Champions are contagious: their colleagues adopt more than other early adopters'.
        let mut adj = vec![Vec::new(); c.employees.len()];
        for t in &c.ties {
            adj[t.a as usize].push(t.b as usize);
            adj[t.b as usize].push(t.a as usize);
        }
        let followers = |i: usize| {
            let Some(d) = a.adopted_on[i] else { return 0.0 };
            let nb = &adj[i];
            nb.iter()
                .filter(|&&j| a.adopted_on[j].is_some_and(|x| x > d && x <= d + Duration::days(42)))
                .count() as f64
                / nb.len().max(1) as f64
        };
        let champ: f64 =
            a.champions.iter().map(|&i| followers(i)).sum::<f64>() / a.champions.len() as f64;
        let early: Vec<usize> = (1..c.employees.len())
            .filter(|i| {
                !a.champions.contains(i)
                    && a.adopted_on[*i].is_some_and(|d| d < a.start + Duration::days(45))
            })
            .collect();
        let other: f64 =
            early.iter().map(|&i| followers(i)).sum::<f64>() / early.len().max(1) as f64;
        assert!(
            champ > 1.3 * other,
            "champions' followers {champ:.3} vs other early adopters' {other:.3}"
        );
    }

    #[test]
    fn deterministic_and_usage_agrees() {
        let (_, a) = run(5);
        let (_, b) = run(5);
        assert_eq!(a.adopted_on, b.adopted_on);
        let someone = a
            .adopted_on
            .iter()
            .position(Option::is_some)
            .expect("an adopter");
        let d = a.adopted_on[someone].expect("date") + Duration::days(14);
        assert_eq!(a.usage_on(someone, d, 5), b.usage_on(someone, d, 5));
        let never = a.adopted_on.iter().position(Option::is_none);
        if let Some(x) = never {
            assert_eq!(a.usage_on(x, d, 5), None);
        }
    }
}
