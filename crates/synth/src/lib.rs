//! A generator of realistic demo companies: an org chart with a manager tree of realistic
//! spans, departments split into teams, sites, and a collaboration network with dense
//! teams, department and site ties, a few cross-unit brokers and heavy-tailed degrees.
//!
//! Pure and deterministic: the same [`Params`] give the same company, on any machine
//! (ChaCha8 is a portable generator; no clocks, no hashing of pointers).

pub mod adoption;
pub mod chat;
mod names;

use chrono::{Duration, NaiveDate};
use flywheel_domain::org::unit_path;
use flywheel_domain::org_import::HrisRecord;
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use names::{DEPARTMENTS, SITES};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    pub people: usize,
    pub seed: u64,
    /// The date the org chart describes; hire dates lie before it.
    pub as_of: NaiveDate,
}

/// One generated person.
#[derive(Debug, Clone, PartialEq)]
pub struct Employee {
    pub hris_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub title: String,
    pub department: usize,
    /// Team name within the department; `None` for the CEO and managers of managers.
    pub team: Option<String>,
    pub site: usize,
    pub manager: Option<usize>,
    pub hire_date: NaiveDate,
    /// Depth in the manager tree (CEO = 0).
    pub level: u32,
}

/// An undirected collaboration tie between two employees (by index), `a < b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tie {
    pub a: u32,
    pub b: u32,
    pub weight: f32,
}

/// A generated company.
#[derive(Debug, Clone)]
pub struct Company {
    pub employees: Vec<Employee>,
    pub ties: Vec<Tie>,
    /// Employees given many cross-department ties (the network's brokers).
    pub brokers: Vec<usize>,
}

impl Company {
    /// The org chart as an HRIS export would state it.
    pub fn hris_records(&self) -> Vec<HrisRecord> {
        self.employees
            .iter()
            .map(|e| {
                let dept = DEPARTMENTS[e.department];
                let path = match &e.team {
                    _ if e.level == 0 => "Executive Office".to_owned(),
                    Some(t) => unit_path(&[dept, t]),
                    None => dept.to_owned(),
                };
                HrisRecord {
                    line: 0,
                    hris_id: e.hris_id.clone(),
                    display_name: format!("{} {}", e.first_name, e.last_name),
                    email: Some(e.email.clone()),
                    title: Some(e.title.clone()),
                    unit_path: Some(path),
                    site: Some(SITES[e.site].0.to_owned()),
                    country: Some(SITES[e.site].1.to_owned()),
                    manager_hris: e.manager.map(|m| self.employees[m].hris_id.clone()),
                    hire_date: Some(e.hire_date),
                }
            })
            .collect()
    }

    /// Degree of each employee in the collaboration network.
    pub fn degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.employees.len()];
        for t in &self.ties {
            d[t.a as usize] += 1;
            d[t.b as usize] += 1;
        }
        d
    }
}

/// Relative department sizes (Engineering and Sales large, Legal small).
const DEPT_WEIGHTS: [f64; 10] = [0.24, 0.17, 0.08, 0.07, 0.04, 0.12, 0.13, 0.02, 0.06, 0.07];

/// Department sizes for `staff` people: proportional to the weights, at least one each.
fn department_sizes(staff: usize) -> Vec<usize> {
    let total_w: f64 = DEPT_WEIGHTS.iter().sum();
    let mut sizes: Vec<usize> = DEPT_WEIGHTS
        .iter()
        .map(|w| ((w / total_w) * staff as f64).floor().max(1.0) as usize)
        .collect();
    let mut assigned: usize = sizes.iter().sum();
    let mut i = 0;
    while assigned < staff {
        let k = i % sizes.len();
        sizes[k] += 1;
        assigned += 1;
        i += 1;
    }
    while assigned > staff {
        let j = (0..sizes.len()).max_by_key(|&j| sizes[j]).unwrap_or(0);
        sizes[j] -= 1;
        assigned -= 1;
    }
    sizes
}

/// Each department's sites with their weights: a home site and three secondary ones.
fn department_sites(site_count: usize) -> Vec<Vec<(usize, f64)>> {
    (0..DEPARTMENTS.len())
        .map(|d| {
            let home = d % site_count;
            let mut v = vec![(home, 0.55)];
            for k in 1..=3 {
                v.push(((home + k * 3) % site_count, 0.45 / 3.0));
            }
            v
        })
        .collect()
}

/// Generates a company of `params.people` people (at least 20).
pub fn generate(params: &Params) -> Company {
    let n = params.people.max(20);
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);

    let sizes = department_sizes(n - 1);

    let site_count = SITES.len();
    let dept_sites = department_sites(site_count);

    let mut names = names::NameGen::default();
    let mut employees: Vec<Employee> = Vec::with_capacity(n);
    let day = |rng: &mut ChaCha8Rng, max_years: f64, min_years: f64| {
        let years = rng.random_range(min_years..max_years);
        params.as_of - Duration::days((years * 365.25) as i64)
    };
    let (f, l) = names.next(&mut rng);
    employees.push(Employee {
        hris_id: format!("E{:06}", 1),
        email: names.email(&f, &l),
        first_name: f,
        last_name: l,
        title: "Chief Executive Officer".into(),
        department: 0,
        team: None,
        site: 0,
        manager: None,
        hire_date: day(&mut rng, 20.0, 8.0),
        level: 0,
    });

    let mut team_names = names::TeamNames::default();
    for (dept, &size) in sizes.iter().enumerate() {
        if size == 0 {
            continue;
        }
        let site_w = WeightedIndex::new(dept_sites[dept].iter().map(|(_, w)| *w)).ok();
        let pick_site = |rng: &mut ChaCha8Rng| {
            site_w
                .as_ref()
                .map_or(0, |w| dept_sites[dept][w.sample(rng)].0)
        };
        // Build the department's tree breadth-first: each manager gets 5–10 reports while
        // people remain; leaves under one manager form a team.
        let head = employees.len();
        let (f, l) = names.next(&mut rng);
        employees.push(Employee {
            hris_id: format!("E{:06}", head + 1),
            email: names.email(&f, &l),
            first_name: f,
            last_name: l,
            title: format!("VP {}", DEPARTMENTS[dept]),
            department: dept,
            team: None,
            site: dept % site_count,
            manager: Some(0),
            hire_date: day(&mut rng, 18.0, 4.0),
            level: 1,
        });
        let mut remaining = size - 1;
        let mut queue = std::collections::VecDeque::from([head]);
        while remaining > 0 {
            let Some(mgr) = queue.pop_front() else { break };
            // Will this manager's reports manage others? Only if the managers queued could
            // not take everyone left at 10 reports each. On the last level the rest is
            // shared evenly, so nobody is left over.
            let leaves = remaining <= (queue.len() + 1) * 10;
            let span = if leaves {
                remaining.div_ceil(queue.len() + 1)
            } else {
                rng.random_range(5..=10).min(remaining)
            };
            let team = leaves.then(|| team_names.next(&mut rng, dept));
            let team_site = pick_site(&mut rng);
            if let Some(t) = &team {
                employees[mgr].team = Some(t.clone());
                if employees[mgr].level > 1 {
                    employees[mgr].title = format!("{} Manager", names::dept_noun(dept));
                }
            } else if employees[mgr].level > 1 {
                employees[mgr].title = format!("Director, {}", DEPARTMENTS[dept]);
            }
            for _ in 0..span {
                let idx = employees.len();
                let (f, l) = names.next(&mut rng);
                let level = employees[mgr].level + 1;
                // Most of a team sits together; some members sit elsewhere.
                let site = if rng.random_bool(0.85) {
                    team_site
                } else {
                    pick_site(&mut rng)
                };
                employees.push(Employee {
                    hris_id: format!("E{:06}", idx + 1),
                    email: names.email(&f, &l),
                    first_name: f,
                    last_name: l,
                    title: names::ic_title(dept, &mut rng).to_owned(),
                    department: dept,
                    team: team.clone(),
                    site,
                    manager: Some(mgr),
                    hire_date: day(&mut rng, 12.0, 0.05),
                    level,
                });
                remaining -= 1;
                if !leaves {
                    queue.push_back(idx);
                }
            }
        }
    }

    let (ties, brokers) = network(&employees, &mut rng);
    Company {
        employees,
        ties,
        brokers,
    }
}

type TieMap = std::collections::HashMap<(u32, u32), f32>;

/// Adds an undirected tie, keeping the larger weight when it exists.
fn add(ties: &mut TieMap, a: usize, b: usize, w: f32) {
    if a != b {
        let key = (a.min(b) as u32, a.max(b) as u32);
        let e = ties.entry(key).or_insert(0.0);
        *e = e.max(w);
    }
}

/// The collaboration network.
fn network(emp: &[Employee], rng: &mut ChaCha8Rng) -> (Vec<Tie>, Vec<usize>) {
    let n = emp.len();
    let mut ties: TieMap = TieMap::with_capacity(n * 8);
    // Activity: a heavy-tailed (Pareto, alpha 2, capped at 12) propensity to form ties
    // beyond the team; the cap keeps hubs human-sized (a few hundred ties at most).
    let activity: Vec<f64> = (0..n)
        .map(|_| (1.0 - rng.random::<f64>()).powf(-1.0 / 2.0).min(12.0))
        .collect();

    // Manager ties and dense teams.
    let mut teams: std::collections::BTreeMap<(usize, &str), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, e) in emp.iter().enumerate() {
        if let Some(m) = e.manager {
            add(&mut ties, i, m, 3.0);
        }
        if let Some(t) = &e.team {
            teams.entry((e.department, t.as_str())).or_default().push(i);
        }
    }
    for members in teams.values() {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if rng.random_bool(0.8) {
                    add(&mut ties, a, b, 2.0 + rng.random::<f32>());
                }
            }
        }
    }

    // Ties within the department and within the site, targets drawn by activity, so a few
    // people collect many ties (heavy-tailed degrees).
    let mut by_dept: Vec<Vec<usize>> = vec![Vec::new(); DEPARTMENTS.len()];
    let mut by_site: Vec<Vec<usize>> = vec![Vec::new(); SITES.len()];
    for (i, e) in emp.iter().enumerate() {
        by_dept[e.department].push(i);
        by_site[e.site].push(i);
    }
    let sampler = |group: &[usize]| WeightedIndex::new(group.iter().map(|&i| activity[i])).ok();
    let dept_s: Vec<_> = by_dept.iter().map(|g| sampler(g)).collect();
    let site_s: Vec<_> = by_site.iter().map(|g| sampler(g)).collect();
    for (i, e) in emp.iter().enumerate() {
        let k_dept = activity[i].round() as usize;
        if let Some(s) = &dept_s[e.department] {
            for _ in 0..k_dept {
                add(&mut ties, i, by_dept[e.department][s.sample(rng)], 1.0);
            }
        }
        let k_site = (activity[i] * 0.6).round() as usize;
        if let Some(s) = &site_s[e.site] {
            for _ in 0..k_site {
                add(
                    &mut ties,
                    i,
                    by_site[e.site][s.sample(rng)],
                    0.5 + rng.random::<f32>() * 0.5,
                );
            }
        }
    }

    // Triadic closure: colleagues of colleagues meet (this is what makes real
    // collaboration networks clustered beyond their teams).
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(a, b) in ties.keys() {
        adj[a as usize].push(b);
        adj[b as usize].push(a);
    }
    for list in &mut adj {
        list.sort_unstable();
    }
    for i in 0..n {
        let closures = (activity[i] * 2.5).round() as usize;
        for _ in 0..closures {
            let Some(&j) = adj[i].as_slice().choose(rng) else {
                break;
            };
            if let Some(&k) = adj[j as usize].as_slice().choose(rng) {
                add(&mut ties, i, k as usize, 1.0);
            }
        }
    }

    // Brokers: 2% of people with many ties into other departments.
    let all = sampler(&(0..n).collect::<Vec<_>>());
    let mut brokers: Vec<usize> = (0..n).filter(|_| rng.random_bool(0.02)).collect();
    if brokers.is_empty() && n > 1 {
        brokers.push(1);
    }
    if let Some(all) = &all {
        for &b in &brokers {
            let k = rng.random_range(6..=15);
            let mut made = 0;
            let mut tries = 0;
            while made < k && tries < k * 20 {
                tries += 1;
                let t = all.sample(rng);
                if emp[t].department != emp[b].department {
                    add(&mut ties, b, t, 1.0);
                    made += 1;
                }
            }
        }
    }

    let mut out: Vec<Tie> = ties
        .into_iter()
        .map(|((a, b), weight)| Tie { a, b, weight })
        .collect();
    out.sort_by_key(|t| (t.a, t.b));
    (out, brokers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_domain::org::check_managers;

    fn company(people: usize, seed: u64) -> Company {
        generate(&Params {
            people,
            seed,
            as_of: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
        })
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = company(500, 7);
        let b = company(500, 7);
        assert_eq!(a.employees, b.employees);
        assert_eq!(a.ties, b.ties);
        assert_ne!(company(500, 8).ties, a.ties);
    }

    #[test]
    fn realistic_shape() {
        for n in [20, 57, 500, 2000, 3001] {
            assert_eq!(company(n, 5).employees.len(), n, "everyone is placed");
        }
        let c = company(2000, 1);
        assert_eq!(c.employees.len(), 2000);
        let recs = c.hris_records();
        // One tree, no cycles, every manager known.
        let check = check_managers(
            recs.iter()
                .map(|r| (r.hris_id.as_str(), r.manager_hris.as_deref())),
        );
        assert!(check.is_clean());
        assert_eq!(recs.iter().filter(|r| r.manager_hris.is_none()).count(), 1);
        // Spans: managers (other than the CEO, who has the department heads) have 1–10
        // reports, and most have 5–10.
        let mut reports = vec![0usize; c.employees.len()];
        for e in &c.employees {
            if let Some(m) = e.manager {
                reports[m] += 1;
            }
        }
        let spans: Vec<usize> = reports.iter().skip(1).copied().filter(|&r| r > 0).collect();
        assert!(spans.iter().all(|&s| s <= 10), "{spans:?}");
        let typical = spans.iter().filter(|&&s| s >= 5).count() as f64 / spans.len() as f64;
        assert!(
            typical > 0.75,
            "share of managers with 5–10 reports: {typical}"
        );
        // Departments, teams and sites.
        let depts: std::collections::BTreeSet<_> =
            c.employees.iter().map(|e| e.department).collect();
        assert_eq!(depts.len(), 10);
        let sites: std::collections::BTreeSet<_> = c.employees.iter().map(|e| e.site).collect();
        assert_eq!(sites.len(), 8);
        let teams: std::collections::BTreeSet<_> =
            recs.iter().filter_map(|r| r.unit_path.clone()).collect();
        assert!(teams.len() > 150, "teams: {}", teams.len());
        let emails: std::collections::BTreeSet<_> =
            c.employees.iter().map(|e| e.email.clone()).collect();
        assert_eq!(emails.len(), 2000, "emails are unique");
        assert!(c
            .employees
            .iter()
            .all(|e| e.hire_date < NaiveDate::from_ymd_opt(2026, 6, 1).expect("date")));
    }

    #[test]
    fn network_is_clustered_and_heavy_tailed() {
        let c = company(2000, 3);
        let deg = c.degrees();
        let n = deg.len() as f64;
        let mean = deg.iter().map(|&d| f64::from(d)).sum::<f64>() / n;
        let max = f64::from(deg.iter().copied().max().unwrap_or(0));
        assert!((8.0..40.0).contains(&mean), "mean degree {mean}");
        assert!(max > 4.0 * mean, "heavy tail: max {max} vs mean {mean}");
        assert!(deg.iter().all(|&d| d > 0), "nobody is isolated");
        // Most ties stay within a department; brokers reach across.
        let same_dept = c
            .ties
            .iter()
            .filter(|t| {
                c.employees[t.a as usize].department == c.employees[t.b as usize].department
            })
            .count();
        let share = same_dept as f64 / c.ties.len() as f64;
        assert!(
            (0.6..0.95).contains(&share),
            "within-department share {share}"
        );
        let cross = |i: usize| {
            c.ties
                .iter()
                .filter(|t| {
                    (t.a as usize == i || t.b as usize == i)
                        && c.employees[t.a as usize].department
                            != c.employees[t.b as usize].department
                })
                .count()
        };
        let broker_cross: f64 =
            c.brokers.iter().map(|&b| cross(b) as f64).sum::<f64>() / c.brokers.len() as f64;
        assert!(
            broker_cross >= 5.0,
            "brokers reach across departments: {broker_cross}"
        );
        // Clustering: a team member's neighbours know each other far more than chance.
        let mut adj: Vec<std::collections::HashSet<u32>> = vec![Default::default(); deg.len()];
        for t in &c.ties {
            adj[t.a as usize].insert(t.b);
            adj[t.b as usize].insert(t.a);
        }
        let (mut closed, mut pairs) = (0u64, 0u64);
        for v in (0..deg.len()).step_by(7) {
            let nb: Vec<u32> = adj[v].iter().copied().collect();
            for x in 0..nb.len() {
                for y in x + 1..nb.len() {
                    pairs += 1;
                    if adj[nb[x] as usize].contains(&nb[y]) {
                        closed += 1;
                    }
                }
            }
        }
        let clustering = closed as f64 / pairs as f64;
        let density = mean / n;
        eprintln!("mean degree {mean:.1}, max {max}, clustering {clustering:.3}, within-dept {share:.2}, broker cross {broker_cross:.1}");
        assert!(clustering > 0.12, "clustering {clustering}");
        assert!(
            clustering > 15.0 * density,
            "clustering {clustering} vs density {density}"
        );
    }
}
