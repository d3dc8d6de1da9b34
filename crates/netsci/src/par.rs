//! Parallel loops with per-worker scratch space.
//!
//! rayon's `map_init` runs its initialiser once per split of the work, which can be dozens
//! of times; with scratch arrays sized by the graph (tens of megabytes at two million
//! nodes) that zeroing dominated. Here the items are cut into a few contiguous parts, each
//! part gets one scratch and runs its items in order, and results come back in item
//! order. Callers seed each item's randomness by the item index, so results do not depend
//! on how many parts or threads there are.

use rayon::prelude::*;

/// `f(scratch, i)` for every `i` in `0..count`, results in order of `i`.
pub(crate) fn map_with_scratch<S, T, I, F>(count: u64, init: I, f: F) -> Vec<T>
where
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, u64) -> T + Sync,
{
    let parts = (rayon::current_num_threads() as u64 * 4).clamp(1, count.max(1));
    let per = count.div_ceil(parts);
    let chunks: Vec<Vec<T>> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let (lo, hi) = (p * per, ((p + 1) * per).min(count));
            if lo >= hi {
                return Vec::new();
            }
            let mut scratch = init();
            (lo..hi).map(|i| f(&mut scratch, i)).collect()
        })
        .collect();
    chunks.into_iter().flatten().collect()
}
