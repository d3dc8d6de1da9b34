//! When will we reach critical mass? Two forecasts of adoption (first use) in weeks:
//!
//! * the **Bass diffusion model** fitted to the weekly count of new adopters by nonlinear
//!   least squares (Srinivasan and Mason's formulation: n(t) = m·(F(t) − F(t−1))), with
//!   confidence intervals from the asymptotic covariance σ²(JᵀJ)⁻¹, overall and per
//!   department; bands and the time to critical mass from a parametric bootstrap (refits
//!   to Poisson series around the fit);
//! * a **calibrated network simulation**: each week a person not yet using AI starts with
//!   probability 1 − (1 − α)(1 − β)^a, a = colleagues already using it — spontaneous
//!   adoption α and peer influence β fitted by maximum likelihood to the observed weeks —
//!   run forward from today's adopters on the collaboration network, many times.
//!
//! The least-squares solver is written here (Levenberg–Marquardt on three parameters with a
//! 3×3 solve): a general optimisation crate would bring a linear-algebra stack for it.

use crate::{InsightError, InsightResult};
use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::population::Population;
use crate::privacy::suppressed;

/// An estimate with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// A fitted Bass model (periods are weeks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BassFit {
    /// Coefficient of innovation (spontaneous adoption per week).
    pub p: Estimate,
    /// Coefficient of imitation (adoption through adopters per week).
    pub q: Estimate,
    /// Market potential: the people who will adopt eventually.
    pub m: Estimate,
    pub weeks: usize,
    /// Root mean square error of the weekly counts.
    pub rmse: f64,
    /// The covariance of the fit's coordinates (ln p, ln q, logit of m ÷ cap).
    #[serde(skip)]
    pub cov: [[f64; 3]; 3],
    #[serde(skip)]
    theta: [f64; 3],
    /// Adopters seen, and the people who could adopt (m's upper bound).
    pub seen: f64,
    pub cap: f64,
}

/// Bootstrap refits behind the Bass bands and time to critical mass.
pub const BOOTSTRAP: usize = 300;

/// Cumulative share of adopters by time `t` under Bass (p, q).
pub fn bass_f(p: f64, q: f64, t: f64) -> f64 {
    let e = (-(p + q) * t).exp();
    (1.0 - e) / (1.0 + (q / p) * e)
}

/// The fit's parameters from its unconstrained coordinates: ln p, ln q, and the logit of
/// m ÷ the people who could adopt (`cap`): the market potential cannot exceed the
/// population, which keeps early, still-exponential series from running off to p → 0,
/// m → ∞. (m is not bounded below by the adopters seen: at saturation that bound would sit
/// on the optimum and leave no curvature for an interval.)
#[derive(Debug, Clone, Copy, PartialEq)]
struct Space {
    seen: f64,
    cap: f64,
}

impl Space {
    fn params(self, theta: [f64; 3]) -> [f64; 3] {
        let sigmoid = 1.0 / (1.0 + (-theta[2]).exp());
        [theta[0].exp(), theta[1].exp(), self.cap * sigmoid]
    }

    fn theta(self, p: f64, q: f64, m: f64) -> [f64; 3] {
        let u = (m / self.cap).clamp(1e-9, 1.0 - 1e-9);
        [p.ln(), q.ln(), (u / (1.0 - u)).ln()]
    }
}

fn residuals(space: Space, theta: [f64; 3], y: &[f64]) -> Vec<f64> {
    let [p, q, m] = space.params(theta);
    (0..y.len())
        .map(|t| {
            let t = t as f64;
            y[t as usize] - m * (bass_f(p, q, t + 1.0) - bass_f(p, q, t))
        })
        .collect()
}

fn sse(r: &[f64]) -> f64 {
    r.iter().map(|x| x * x).sum()
}

/// Solves the 3×3 system a·x = b (Cramer's rule; `None` when singular).
fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(a);
    if !d.is_finite() || d.abs() < 1e-300 {
        return None;
    }
    let mut x = [0.0; 3];
    for (i, xi) in x.iter_mut().enumerate() {
        let mut m = a;
        for r in 0..3 {
            m[r][i] = b[r];
        }
        *xi = det(m) / d;
    }
    Some(x)
}

fn inverse3(a: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let mut inv = [[0.0; 3]; 3];
    for c in 0..3 {
        let mut e = [0.0; 3];
        e[c] = 1.0;
        let col = solve3(a, e)?;
        for r in 0..3 {
            inv[r][c] = col[r];
        }
    }
    Some(inv)
}

fn jacobian(space: Space, theta: [f64; 3], y: &[f64]) -> Vec<[f64; 3]> {
    let mut j = vec![[0.0; 3]; y.len()];
    for k in 0..3 {
        let h = 1e-6 * theta[k].abs().max(1.0);
        let (mut a, mut b) = (theta, theta);
        a[k] += h;
        b[k] -= h;
        let (ra, rb) = (residuals(space, a, y), residuals(space, b, y));
        for t in 0..y.len() {
            // d(residual)/dθ = −d(model)/dθ.
            j[t][k] = (ra[t] - rb[t]) / (2.0 * h);
        }
    }
    j
}

/// The best (θ, SSE) of a coarse grid over p, q and the share of the room left that m takes.
fn grid_start(space: Space, y: &[f64], total: f64) -> ([f64; 3], f64) {
    let mut best = ([0.0; 3], f64::INFINITY);
    for p in [0.0005, 0.002, 0.005, 0.01, 0.03, 0.1] {
        for q in [0.02, 0.05, 0.1, 0.2, 0.4, 0.8] {
            for share in [0.02, 0.1, 0.3, 0.6, 0.9, 0.99] {
                let m = total + (space.cap - total) * share;
                let theta = space.theta(p, q, m);
                let s = sse(&residuals(space, theta, y));
                if s < best.1 {
                    best = (theta, s);
                }
            }
        }
    }
    best
}

/// Levenberg–Marquardt from `start` (θ, SSE) with a trust region; the (θ, SSE) it ends at.
fn levenberg_marquardt(space: Space, y: &[f64], start: ([f64; 3], f64)) -> ([f64; 3], f64) {
    let (mut theta, mut cost) = start;
    let mut lambda = 1e-3;
    for _ in 0..500 {
        let r = residuals(space, theta, y);
        let j = jacobian(space, theta, y);
        let mut jtj = [[0.0; 3]; 3];
        let mut jtr = [0.0; 3];
        for (row, res) in j.iter().zip(&r) {
            for a in 0..3 {
                jtr[a] += row[a] * res;
                for b in 0..3 {
                    jtj[a][b] += row[a] * row[b];
                }
            }
        }
        let mut improved = false;
        for _ in 0..20 {
            let mut a = jtj;
            for (d, row) in a.iter_mut().enumerate() {
                row[d] += lambda * jtj[d][d].max(1e-12);
            }
            let Some(mut step) = solve3(a, jtr.map(|x| -x)) else {
                lambda *= 10.0;
                continue;
            };
            // A trust region: at most a factor e^1.5 per step on p and q, and the search
            // stays where the model is not flat (p, q in [e^-14, e^3]).
            let longest = step.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            if longest > 1.5 {
                step = step.map(|x| x * 1.5 / longest);
            }
            let next = [theta[0] + step[0], theta[1] + step[1], theta[2] + step[2]];
            let inside =
                next[..2].iter().all(|x| (-14.0..=3.0).contains(x)) && next[2].abs() <= 30.0;
            let c = if inside {
                sse(&residuals(space, next, y))
            } else {
                f64::INFINITY
            };
            if c.is_finite() && c < cost {
                let gain = cost - c;
                theta = next;
                cost = c;
                lambda = (lambda / 10.0).max(1e-12);
                improved = gain > 1e-12 * cost.max(1e-12);
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (theta, cost)
}

/// Fits Bass to weekly new-adopter counts `y` (week 1 first) of a group of `cap` people
/// (the bound on m).
pub fn fit_bass(y: &[f64], cap: f64) -> InsightResult<BassFit> {
    if y.len() < 6 {
        return Err(InsightError::TooLittleData(format!(
            "{} weeks of adoption: the fit needs at least 6",
            y.len()
        )));
    }
    let total: f64 = y.iter().sum();
    if total < 3.0 {
        return Err(InsightError::TooLittleData(
            "fewer than 3 adopters: nothing to fit".into(),
        ));
    }
    let space = Space {
        seen: total,
        cap: cap.max(total + 1.0),
    };
    // Start from the best point of a coarse grid, then Levenberg–Marquardt.
    let (theta, cost) = levenberg_marquardt(space, y, grid_start(space, y, total));
    let j = jacobian(space, theta, y);
    let mut jtj = [[0.0; 3]; 3];
    for row in &j {
        for a in 0..3 {
            for b in 0..3 {
                jtj[a][b] += row[a] * row[b];
            }
        }
    }
    let dof = (y.len() - 3) as f64;
    let sigma2 = (cost / dof).max(1e-12);
    let cov = inverse3(jtj)
        .ok_or_else(|| {
            InsightError::TooLittleData(
                "the weekly counts do not identify p, q and m (not an S-curve, or more than one wave)"
                    .into(),
            )
        })?
        .map(|row| row.map(|x| x * sigma2));
    let est = |k: usize| {
        let se = cov[k][k].max(0.0).sqrt().min(50.0);
        let at = |x: f64| {
            let mut t = theta;
            t[k] = x;
            space.params(t)[k]
        };
        Estimate {
            value: at(theta[k]),
            low: at(theta[k] - 1.96 * se),
            high: at(theta[k] + 1.96 * se),
        }
    };
    Ok(BassFit {
        p: est(0),
        q: est(1),
        m: est(2),
        weeks: y.len(),
        rmse: (cost / y.len() as f64).sqrt(),
        cov,
        theta,
        seen: space.seen,
        cap: space.cap,
    })
}

/// Parametric bootstrap: (p, q, m) refitted to `n` series drawn around the fitted weekly
/// counts (Poisson). Near the bounds — early in a rollout m is barely identified — this is
/// far more honest than the asymptotic normal, whose bands would spill over the bound.
fn draws(fit: &BassFit, y: &[f64], n: usize, seed: u64) -> Vec<[f64; 3]> {
    let [p, q, m] = [fit.p.value, fit.q.value, fit.m.value];
    let mean: Vec<f64> = (0..y.len())
        .map(|t| m * (bass_f(p, q, t as f64 + 1.0) - bass_f(p, q, t as f64)))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .filter_map(|_| {
            let sample: Vec<f64> = mean
                .iter()
                .map(|&l| poisson(&mut rng, l.max(0.0)))
                .collect();
            fit_bass(&sample, fit.cap)
                .ok()
                .map(|f| [f.p.value, f.q.value, f.m.value])
        })
        .collect()
}

/// A Poisson draw: Knuth's product method below 30, the normal approximation above.
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> f64 {
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0);
    }
    let l = (-lambda).exp();
    let mut k = 0.0;
    let mut prod = rng.random::<f64>();
    while prod > l {
        k += 1.0;
        prod *= rng.random::<f64>();
    }
    k
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Quantiles 5%, 50%, 95% of values (nearest rank); `None` when empty.
fn q3(mut v: Vec<f64>) -> Option<[f64; 3]> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Some([at(0.05), at(0.5), at(0.95)])
}

/// When a target number of adopters is reached, over draws or runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalMass {
    /// The target share of the population, and the people it means.
    pub share: f64,
    pub people: f64,
    /// Share of bootstrap refits (or simulation runs) that reach it within the horizon.
    pub reached_share: f64,
    /// Among those: the week (from the first adoption) at the 5%, 50% and 95% quantiles.
    pub weeks: Option<[f64; 3]>,
    /// The same as dates.
    pub dates: Option<[NaiveDate; 3]>,
    /// Already reached on the as-of day.
    pub already: bool,
}

/// A forecast curve: cumulative adopters per week with 5–50–95% bands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// Week index from the first adoption.
    pub week: Vec<usize>,
    pub low: Vec<f64>,
    pub median: Vec<f64>,
    pub high: Vec<f64>,
}

/// The Bass forecast of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BassForecast {
    pub group: String,
    pub people: usize,
    pub adopters: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<BassFit>,
    /// Why there is no fit (too few weeks, degenerate, withheld).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The network simulation's calibration and forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkForecast {
    /// Weekly spontaneous adoption probability.
    pub alpha: f64,
    /// Weekly probability that one adopting colleague brings someone along.
    pub beta: f64,
    pub runs: u32,
    pub curve: Curve,
    pub critical_mass: CriticalMass,
    pub model: &'static str,
}

/// Both forecasts, and what they rest on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub as_of: NaiveDate,
    /// The week 0 of every curve: the first day anyone used AI.
    pub start: NaiveDate,
    pub people: usize,
    pub adopters: usize,
    pub horizon_weeks: usize,
    pub min_group_size: usize,
    /// The observed cumulative adopters per week.
    pub observed: Vec<usize>,
    pub bass: BassForecast,
    pub bass_curve: Option<Curve>,
    pub bass_critical_mass: Option<CriticalMass>,
    pub by_department: Vec<BassForecast>,
    pub network: NetworkForecast,
}

/// Options for [`forecast`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastOptions {
    pub as_of: Option<NaiveDate>,
    /// Critical mass as a share of everyone.
    pub critical_share: f64,
    pub horizon_weeks: usize,
    pub runs: u32,
    pub seed: u64,
    pub min_group_size: usize,
}

/// Weekly new adopters per person-group: week w holds first uses in [start + 7w, start + 7w + 7).
fn weekly(
    first: &[Option<NaiveDate>],
    start: NaiveDate,
    weeks: usize,
    members: impl Iterator<Item = usize>,
) -> Vec<f64> {
    let mut y = vec![0.0; weeks];
    for p in members {
        if let Some(d) = first[p] {
            let w = ((d - start).num_days() / 7) as usize;
            if w < weeks {
                y[w] += 1.0;
            }
        }
    }
    y
}

fn critical(
    weeks_reached: Vec<Option<f64>>,
    share: f64,
    people: f64,
    start: NaiveDate,
    already: bool,
) -> CriticalMass {
    let total = weeks_reached.len().max(1);
    let reached: Vec<f64> = weeks_reached.into_iter().flatten().collect();
    let weeks = q3(reached.clone());
    CriticalMass {
        share,
        people,
        reached_share: reached.len() as f64 / total as f64,
        dates: weeks.map(|w| w.map(|x| start + Duration::days((x * 7.0).round() as i64))),
        weeks,
        already,
    }
}

fn no_history() -> InsightError {
    InsightError::TooLittleData("no usage imported yet: a forecast needs adoption history".into())
}

/// Bass fitted to one group's weekly adopters, or why not (withheld, too little data).
fn fitted(group: String, people: usize, y: &[f64], min_group_size: usize) -> BassForecast {
    let adopters = y.iter().sum::<f64>() as usize;
    let (fit, note) = match suppressed(people, min_group_size) {
        Some(r) => (None, Some(r)),
        None => match fit_bass(y, people as f64) {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e.to_string())),
        },
    };
    BassForecast {
        group,
        people,
        adopters,
        fit,
        note,
    }
}

/// The Bass curve over `0..=horizon` weeks (5%, 50% and 95% of the bootstrap draws), and
/// each draw's week of reaching `target` adopters (`None` when it never does within the
/// horizon).
fn bass_bands(
    fit: &BassFit,
    y: &[f64],
    horizon: usize,
    target: f64,
    seed: u64,
) -> (Curve, Vec<Option<f64>>) {
    let ds = draws(fit, y, BOOTSTRAP, seed);
    let mut low = Vec::new();
    let mut median = Vec::new();
    let mut high = Vec::new();
    for t in 0..=horizon {
        let v: Vec<f64> = ds
            .iter()
            .map(|d| d[2] * bass_f(d[0], d[1], t as f64))
            .collect();
        let [a, b, c] = q3(v).unwrap_or([0.0; 3]);
        low.push(a);
        median.push(b);
        high.push(c);
    }
    let reach = ds
        .iter()
        .map(|d| week_reaching(d, target).filter(|t| *t <= horizon as f64))
        .collect();
    let curve = Curve {
        week: (0..=horizon).collect(),
        low,
        median,
        high,
    };
    (curve, reach)
}

/// The week when a draw (p, q, m) reaches `target` adopters: m·F(t) = target solved by
/// bisection (F is increasing); `None` when m is below the target.
fn week_reaching(d: &[f64; 3], target: f64) -> Option<f64> {
    if d[2] < target {
        return None;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while d[2] * bass_f(d[0], d[1], hi) < target && hi < 1e5 {
        hi *= 2.0;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if d[2] * bass_f(d[0], d[1], mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

/// Forecasts adoption of `pop` (first uses) with both models.
pub fn forecast(pop: &Population, opts: &ForecastOptions) -> InsightResult<Forecast> {
    let as_of = opts.as_of.or(pop.as_of).ok_or_else(no_history)?;
    let start = pop.start().ok_or_else(no_history)?;
    if !(0.0..=1.0).contains(&opts.critical_share) || opts.critical_share == 0.0 {
        return Err(InsightError::Invalid(format!(
            "critical mass share {} is not in (0, 1]",
            opts.critical_share
        )));
    }
    let n = pop.len();
    if let Some(r) = suppressed(n, opts.min_group_size) {
        return Err(InsightError::Withheld(r));
    }
    let first: Vec<Option<NaiveDate>> = pop
        .first_use()
        .into_iter()
        .map(|d| d.filter(|d| *d <= as_of))
        .collect();
    // Whole weeks observed.
    let weeks = ((as_of - start).num_days() + 1) as usize / 7;
    let y = weekly(&first, start, weeks, 0..n);
    let adopters = first.iter().filter(|d| d.is_some()).count();
    let mut observed = Vec::with_capacity(weeks);
    let mut acc = 0.0;
    for v in &y {
        acc += v;
        observed.push(acc as usize);
    }
    let target = opts.critical_share * n as f64;
    let already = adopters as f64 >= target;
    let horizon = weeks + opts.horizon_weeks;

    let fitted =
        |group: String, people: usize, y: &[f64]| fitted(group, people, y, opts.min_group_size);
    let bass = fitted("everyone".into(), n, &y);
    let (bass_curve, bass_critical_mass) = match &bass.fit {
        Some(fit) => {
            let (curve, reach) = bass_bands(fit, &y, horizon, target, opts.seed);
            (
                Some(curve),
                Some(critical(reach, opts.critical_share, target, start, already)),
            )
        }
        None => (None, None),
    };
    let mut by_department = Vec::new();
    for (d, name) in pop.departments.iter().enumerate() {
        let members: Vec<usize> = (0..n)
            .filter(|&p| pop.people[p].department as usize == d)
            .collect();
        let yd = weekly(&first, start, weeks, members.iter().copied());
        by_department.push(fitted(name.clone(), members.len(), &yd));
    }
    let network = network_forecast(pop, &first, start, weeks, horizon, target, already, opts)?;
    Ok(Forecast {
        as_of,
        start,
        people: n,
        adopters,
        horizon_weeks: opts.horizon_weeks,
        min_group_size: opts.min_group_size,
        observed,
        bass,
        bass_curve,
        bass_critical_mass,
        by_department,
        network,
    })
}

/// Adjacency lists of the collaboration graph (neighbours, both directions).
fn neighbours(pop: &Population) -> Vec<Vec<u32>> {
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); pop.len()];
    for &(a, b, _) in &pop.ties {
        adj[a as usize].push(b);
        adj[b as usize].push(a);
    }
    adj
}

/// Largest number of adopting neighbours the likelihood tracks separately.
const MAX_EXPOSURE: usize = 256;

/// Person-weeks at risk by exposure a (adopting neighbours at the week's start), and
/// adoptions among them: the sufficient statistics of the contagion likelihood.
fn at_risk_by_exposure(
    adj: &[Vec<u32>],
    week_of: &[Option<usize>],
    weeks: usize,
) -> (Vec<u64>, Vec<u64>) {
    let n = adj.len();
    let mut at_risk = vec![0u64; MAX_EXPOSURE + 1];
    let mut adopted = vec![0u64; MAX_EXPOSURE + 1];
    let mut exposure = vec![0usize; n];
    let mut by_week: Vec<Vec<usize>> = vec![Vec::new(); weeks];
    for (p, w) in week_of.iter().enumerate() {
        if let Some(w) = w {
            by_week[*w].push(p);
        }
    }
    let mut done = vec![false; n];
    for week in &by_week {
        for p in 0..n {
            if !done[p] {
                at_risk[exposure[p].min(MAX_EXPOSURE)] += 1;
            }
        }
        for &p in week {
            adopted[exposure[p].min(MAX_EXPOSURE)] += 1;
        }
        for &p in week {
            done[p] = true;
            for &v in &adj[p] {
                exposure[v as usize] += 1;
            }
        }
    }
    (at_risk, adopted)
}

/// (α, β) of P(start) = 1 − (1 − α)(1 − β)^a by maximum likelihood: a grid on the log
/// scale, then coordinate refinement.
fn fit_contagion(at_risk: &[u64], adopted: &[u64]) -> (f64, f64) {
    let loglik = |alpha: f64, beta: f64| -> f64 {
        let (la, lb) = ((1.0 - alpha).ln(), (1.0 - beta).ln());
        let mut ll = 0.0;
        for a in 0..=MAX_EXPOSURE {
            if at_risk[a] == 0 {
                continue;
            }
            let stay = la + a as f64 * lb;
            let go = (1.0 - stay.exp()).max(1e-300).ln();
            ll += adopted[a] as f64 * go + (at_risk[a] - adopted[a]) as f64 * stay;
        }
        ll
    };
    let mut best = (1e-3, 1e-2, f64::NEG_INFINITY);
    for i in 0..40 {
        for j in 0..40 {
            let alpha = 10f64.powf(-5.0 + 4.0 * f64::from(i) / 39.0);
            let beta = 10f64.powf(-5.0 + 4.5 * f64::from(j) / 39.0);
            let ll = loglik(alpha, beta);
            if ll > best.2 {
                best = (alpha, beta, ll);
            }
        }
    }
    let (mut alpha, mut beta, mut ll) = best;
    let mut step = 0.1f64;
    while step > 1e-4 {
        let mut moved = false;
        for (da, db) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
            let a = (alpha.ln() + da * step).exp().min(0.999);
            let b = (beta.ln() + db * step).exp().min(0.999);
            let l = loglik(a, b);
            if l > ll {
                (alpha, beta, ll) = (a, b, l);
                moved = true;
            }
        }
        if !moved {
            step /= 2.0;
        }
    }
    (alpha, beta)
}

/// One simulated run `ahead` weeks forward from the adopters `now`: adopters at the end of
/// each week, today first.
fn simulate_run(
    adj: &[Vec<u32>],
    now: &[bool],
    (alpha, beta): (f64, f64),
    ahead: usize,
    mut rng: ChaCha8Rng,
) -> Vec<f64> {
    let n = adj.len();
    let mut state = now.to_vec();
    let mut expo = vec![0usize; n];
    for p in (0..n).filter(|&p| state[p]) {
        for &v in &adj[p] {
            expo[v as usize] += 1;
        }
    }
    let mut count = state.iter().filter(|x| **x).count();
    let mut curve = Vec::with_capacity(ahead + 1);
    curve.push(count as f64);
    for _ in 1..=ahead {
        let newly: Vec<usize> = (0..n)
            .filter(|&p| {
                !state[p] && {
                    let stay = (1.0 - alpha) * (1.0 - beta).powi(expo[p] as i32);
                    rng.random::<f64>() >= stay
                }
            })
            .collect();
        for &p in &newly {
            state[p] = true;
            for &v in &adj[p] {
                expo[v as usize] += 1;
            }
        }
        count += newly.len();
        curve.push(count as f64);
    }
    curve
}

#[allow(clippy::too_many_arguments)]
fn network_forecast(
    pop: &Population,
    first: &[Option<NaiveDate>],
    start: NaiveDate,
    weeks: usize,
    horizon: usize,
    target: f64,
    already: bool,
    opts: &ForecastOptions,
) -> InsightResult<NetworkForecast> {
    let adj = neighbours(pop);
    let week_of: Vec<Option<usize>> = first
        .iter()
        .map(|d| {
            d.map(|d| ((d - start).num_days() / 7) as usize)
                .filter(|w| *w < weeks)
        })
        .collect();
    let (at_risk, adopted) = at_risk_by_exposure(&adj, &week_of, weeks);
    let (alpha, beta) = fit_contagion(&at_risk, &adopted);
    // Simulate forward from today's adopters.
    let now: Vec<bool> = week_of.iter().map(Option::is_some).collect();
    let ahead = horizon - weeks;
    let mut curves: Vec<Vec<f64>> = Vec::with_capacity(opts.runs as usize);
    let mut reach: Vec<Option<f64>> = Vec::with_capacity(opts.runs as usize);
    for run in 0..opts.runs {
        let rng = ChaCha8Rng::seed_from_u64(opts.seed ^ (u64::from(run) << 32) ^ 0x0005_1A7E);
        let curve = simulate_run(&adj, &now, (alpha, beta), ahead, rng);
        let hit = if already {
            Some(weeks as f64)
        } else {
            curve
                .iter()
                .skip(1)
                .position(|c| *c >= target)
                .map(|i| (weeks + i + 1) as f64)
        };
        curves.push(curve);
        reach.push(hit);
    }
    let mut low = Vec::new();
    let mut median = Vec::new();
    let mut high = Vec::new();
    for t in 0..=ahead {
        let [a, b, c] = q3(curves.iter().map(|c| c[t]).collect()).unwrap_or([0.0; 3]);
        low.push(a);
        median.push(b);
        high.push(c);
    }
    Ok(NetworkForecast {
        alpha,
        beta,
        runs: opts.runs,
        curve: Curve {
            week: (weeks..=horizon).collect(),
            low,
            median,
            high,
        },
        critical_mass: critical(reach, opts.critical_share, target, start, already),
        model: "weekly: P(start) = 1 − (1 − α)(1 − β)^a, a = colleagues already using AI; α, β by maximum likelihood on the observed weeks; bands over runs (the parameters' own uncertainty is not included)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn series(p: f64, q: f64, m: f64, weeks: usize) -> Vec<f64> {
        (0..weeks)
            .map(|t| m * (bass_f(p, q, t as f64 + 1.0) - bass_f(p, q, t as f64)))
            .collect()
    }

    #[test]
    fn bass_recovers_noiseless_parameters() {
        let y = series(0.01, 0.3, 1000.0, 30);
        let f = fit_bass(&y, 1e6).expect("fit");
        assert!((f.p.value - 0.01).abs() < 1e-4, "{f:?}");
        assert!((f.q.value - 0.3).abs() < 1e-3, "{f:?}");
        assert!((f.m.value - 1000.0).abs() < 1.0, "{f:?}");
    }

    #[test]
    fn bass_intervals_cover_the_truth_under_poisson_noise() {
        // 40 generated series with Poisson counts: the 95% intervals should cover the true
        // values in most of them (asymptotic intervals: allow some slack).
        let (p, q, m) = (0.008, 0.25, 2000.0);
        let mut covered = [0; 3];
        let trials = 40;
        for seed in 0..trials {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let y: Vec<f64> = series(p, q, m, 26)
                .into_iter()
                .map(|lambda| poisson(&mut rng, lambda))
                .collect();
            let f = fit_bass(&y, 1e6).expect("fit");
            for (k, (est, truth)) in [(f.p, p), (f.q, q), (f.m, m)].into_iter().enumerate() {
                covered[k] += usize::from(est.low <= truth && truth <= est.high);
            }
        }
        for c in covered {
            assert!(
                c * 100 >= 80 * trials as usize,
                "coverage {covered:?} of {trials}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn bass_recovers_any_clean_s_curve(p in 0.002f64..0.03, q in 0.1f64..0.6, m in 200.0f64..5000.0) {
            let y = series(p, q, m, 40);
            let f = fit_bass(&y, 10.0 * m).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!((f.p.value / p - 1.0).abs() < 0.02, "{:?} vs {p}", f.p);
            prop_assert!((f.q.value / q - 1.0).abs() < 0.02, "{:?} vs {q}", f.q);
            prop_assert!((f.m.value / m - 1.0).abs() < 0.02, "{:?} vs {m}", f.m);
        }
    }

    #[test]
    fn solve3_inverts() {
        let a = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]];
        let x = solve3(a, [1.0, 2.0, 3.0]).expect("solve");
        for r in 0..3 {
            let b: f64 = (0..3).map(|c| a[r][c] * x[c]).sum();
            assert!((b - [1.0, 2.0, 3.0][r]).abs() < 1e-12);
        }
        assert!(solve3(
            [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]],
            [1.0; 3]
        )
        .is_none());
    }
}
