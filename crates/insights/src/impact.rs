//! Did that intervention work? Difference-in-differences of the weekly active share between
//! the people it reached and comparable people it did not (units of the same kind, or other
//! sites, without an intervention of the same kind by the end of the window), with a 95%
//! confidence interval and a check of parallel pre-trends.

use crate::{InsightError, InsightResult};
use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::population::{Intervention, Population};
use crate::privacy::suppressed;

/// Weeks compared on each side of the intervention (at most).
pub const WEEKS: i64 = 8;
/// Fewest weeks on each side for an estimate.
pub const MIN_WEEKS: usize = 3;

/// One week's active shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// Weeks from the intervention (−1 is the week before it, 0 the week it happened).
    pub week: i64,
    pub start: NaiveDate,
    pub treated: f64,
    pub comparison: f64,
}

/// The estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub intervention: Intervention,
    /// Who it reached, and who it is compared with.
    pub treated_scope: String,
    pub comparison_scope: String,
    pub treated_people: usize,
    pub comparison_people: usize,
    pub pre_weeks: usize,
    pub post_weeks: usize,
    /// Change of the treated group's weekly active share beyond the comparison's change,
    /// in share points (0.05 = 5 points).
    pub effect: f64,
    pub ci95: [f64; 2],
    /// The same in people of the treated group.
    pub effect_people: f64,
    /// Slope of the treated − comparison gap over the pre-weeks (share points per week),
    /// its 95% interval, and whether the interval holds 0 (parallel pre-trends plausible).
    pub pre_trend_slope: f64,
    pub pre_trend_ci95: [f64; 2],
    pub parallel_pre_trends: bool,
    pub weeks: Vec<Week>,
    pub method: &'static str,
    pub verdict: String,
}

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => T[df - 1],
        _ => 1.96,
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().saturating_sub(1)).max(1) as f64
}

fn no_usage() -> InsightError {
    InsightError::TooLittleData("no usage imported yet".into())
}

/// The comparison group of intervention `iv` (people in other units of the same kind, or
/// at other sites, not reached by an intervention of the same kind by `end`), and its
/// description.
fn comparison_group(
    pop: &Population,
    iv: &Intervention,
    treated: &[bool],
    end: NaiveDate,
) -> (Vec<bool>, String) {
    let n = pop.len();
    // Comparable: the same kind of unit (sites for site-only interventions), not reached by
    // an intervention of the same kind before the window ends.
    let reached_by_same_kind: Vec<bool> = (0..n)
        .map(|p| {
            pop.interventions.iter().any(|j| {
                j.kind == iv.kind && j.day <= end && pop.in_scope(p as u32, j.unit, j.site)
            })
        })
        .collect();
    match iv.unit {
        Some(u) => {
            let kind = &pop.units[u as usize].kind;
            // People whose own unit lies under another unit of the same kind.
            let peers: Vec<u32> = (0..pop.units.len() as u32)
                .filter(|&x| x != u && &pop.units[x as usize].kind == kind)
                .collect();
            let members = (0..n)
                .map(|p| {
                    !treated[p]
                        && !reached_by_same_kind[p]
                        && iv.site.is_none_or(|s| pop.people[p].site == Some(s))
                        && pop.people[p]
                            .unit
                            .is_some_and(|own| peers.iter().any(|&x| pop.unit_within(own, x)))
                })
                .collect();
            (
                members,
                format!(
                    "people in other {kind}s without a {} by {end}",
                    iv.kind.as_str()
                ),
            )
        }
        None => (
            (0..n)
                .map(|p| !treated[p] && !reached_by_same_kind[p] && pop.people[p].site.is_some())
                .collect(),
            format!(
                "people at other sites without a {} by {end}",
                iv.kind.as_str()
            ),
        ),
    }
}

/// Weekly active shares of both groups in the weeks around the intervention day that lie
/// wholly within the data (from `start` to `as_of`).
fn weekly_shares(
    pop: &Population,
    iv: &Intervention,
    (start, as_of): (NaiveDate, NaiveDate),
    (treated, treated_people): (&[bool], usize),
    (comparison, comparison_people): (&[bool], usize),
) -> Vec<Week> {
    // Who used AI in which week (relative to the intervention day).
    let mut active: Vec<HashSet<u32>> = vec![HashSet::new(); (2 * WEEKS) as usize];
    for u in pop.usage.iter().filter(|u| u.count > 0) {
        let w = (u.day - iv.day).num_days().div_euclid(7);
        if (-WEEKS..WEEKS).contains(&w) {
            active[(w + WEEKS) as usize].insert(u.person);
        }
    }
    let mut weeks = Vec::new();
    for w in -WEEKS..WEEKS {
        let from = iv.day + Duration::days(7 * w);
        let to = from + Duration::days(6);
        if from < start || to > as_of {
            continue;
        }
        let set = &active[(w + WEEKS) as usize];
        let share = |group: &[bool], size: usize| {
            set.iter().filter(|&&p| group[p as usize]).count() as f64 / size as f64
        };
        weeks.push(Week {
            week: w,
            start: from,
            treated: share(treated, treated_people),
            comparison: share(comparison, comparison_people),
        });
    }
    weeks
}

/// Pre-trend: the least-squares slope of the gap on the week index over the pre-weeks,
/// with its 95% interval.
fn pre_trend(pre: &[&Week], dpre: &[f64]) -> (f64, [f64; 2]) {
    // Pre-trend: least-squares slope of the gap on the week index, with its interval.
    let xs: Vec<f64> = pre.iter().map(|w| w.week as f64).collect();
    let (mx, my) = (mean(&xs), mean(dpre));
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let slope = xs
        .iter()
        .zip(dpre)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / sxx;
    let resid: f64 = xs
        .iter()
        .zip(dpre)
        .map(|(x, y)| (y - my - slope * (x - mx)).powi(2))
        .sum();
    let dof = dpre.len().saturating_sub(2);
    let slope_se = if dof > 0 {
        (resid / dof as f64 / sxx).sqrt()
    } else {
        f64::INFINITY
    };
    let ts = t975(dof);
    let pre_trend_ci95 = [slope - ts * slope_se, slope + ts * slope_se];
    (slope, pre_trend_ci95)
}

/// Estimates the impact of intervention `id`.
pub fn impact(pop: &Population, id: i64, min_group_size: usize) -> InsightResult<Impact> {
    let iv = pop
        .interventions
        .iter()
        .find(|i| i.id == id)
        .ok_or(InsightError::NoIntervention(id))?
        .clone();
    if iv.unit.is_none() && iv.site.is_none() {
        return Err(InsightError::Invalid(format!(
            "intervention {id} reached everyone (no unit or site): there is no comparison group"
        )));
    }
    let as_of = pop.as_of.ok_or_else(no_usage)?;
    let n = pop.len();
    let treated: Vec<bool> = (0..n)
        .map(|p| pop.in_scope(p as u32, iv.unit, iv.site))
        .collect();
    let end = iv.day + Duration::days(7 * WEEKS);
    let (comparison, comparison_scope) = comparison_group(pop, &iv, &treated, end);
    let treated_people = treated.iter().filter(|x| **x).count();
    let comparison_people = comparison.iter().filter(|x| **x).count();
    if let Some(r) = suppressed(treated_people, min_group_size) {
        return Err(InsightError::Withheld(format!(
            "the people this intervention reached: {r}"
        )));
    }
    if let Some(r) = suppressed(comparison_people, min_group_size) {
        return Err(InsightError::Withheld(format!(
            "the comparison group ({comparison_scope}): {r}"
        )));
    }
    let start = pop.start().ok_or_else(no_usage)?;
    let weeks = weekly_shares(
        pop,
        &iv,
        (start, as_of),
        (&treated, treated_people),
        (&comparison, comparison_people),
    );
    let gap = |w: &Week| w.treated - w.comparison;
    let pre: Vec<&Week> = weeks.iter().filter(|w| w.week < 0).collect();
    let post: Vec<&Week> = weeks.iter().filter(|w| w.week >= 0).collect();
    if pre.len() < MIN_WEEKS || post.len() < MIN_WEEKS {
        return Err(InsightError::TooLittleData(format!(
            "{} weeks of data before and {} after {}: the estimate needs at least {MIN_WEEKS} on each side",
            pre.len(),
            post.len(),
            iv.day
        )));
    }
    let dpre: Vec<f64> = pre.iter().map(|w| gap(w)).collect();
    let dpost: Vec<f64> = post.iter().map(|w| gap(w)).collect();
    let effect = mean(&dpost) - mean(&dpre);
    let se = (var(&dpost) / dpost.len() as f64 + var(&dpre) / dpre.len() as f64).sqrt();
    let t = t975(dpre.len() + dpost.len() - 2);
    let ci95 = [effect - t * se, effect + t * se];
    let (slope, pre_trend_ci95) = pre_trend(&pre, &dpre);
    let parallel = pre_trend_ci95[0] <= 0.0 && 0.0 <= pre_trend_ci95[1];
    let significant = ci95[0] > 0.0 || ci95[1] < 0.0;
    let verdict = format!(
        "{} {:+.1} points of weekly active share ({:+.0} people; 95% CI {:+.1} to {:+.1}){}",
        if significant {
            "effect:"
        } else {
            "no clear effect:"
        },
        effect * 100.0,
        effect * treated_people as f64,
        ci95[0] * 100.0,
        ci95[1] * 100.0,
        if parallel {
            "; pre-trends parallel (the comparison is plausible)"
        } else {
            "; pre-trends NOT parallel: the groups were already diverging, read the estimate with care"
        }
    );
    let treated_scope = match (iv.unit, iv.site) {
        (Some(u), Some(s)) => format!(
            "{} at {}",
            pop.units[u as usize].path, pop.sites[s as usize]
        ),
        (Some(u), None) => pop.units[u as usize].path.clone(),
        (None, Some(s)) => pop.sites[s as usize].clone(),
        (None, None) => "everyone".into(),
    };
    Ok(Impact {
        intervention: iv,
        treated_scope,
        comparison_scope,
        treated_people,
        comparison_people,
        pre_weeks: pre.len(),
        post_weeks: post.len(),
        effect,
        ci95,
        effect_people: effect * treated_people as f64,
        pre_trend_slope: slope,
        pre_trend_ci95,
        parallel_pre_trends: parallel,
        weeks,
        method: "difference-in-differences of weekly active shares: mean post-gap − mean pre-gap (gap = treated − comparison), Welch-type standard error over weeks with Student's t (weekly shares are autocorrelated, so the interval is optimistic); pre-trend: OLS slope of the gap over the pre-weeks",
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_are_the_published_values() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(10), 2.228);
        assert_eq!(t975(30), 2.042);
        assert_eq!(t975(1000), 1.96);
    }

    #[test]
    fn variance_is_the_sample_variance() {
        assert!((var(&[1.0, 2.0, 3.0, 4.0]) - 5.0 / 3.0).abs() < 1e-12);
        assert_eq!(mean(&[]), 0.0);
    }
}
