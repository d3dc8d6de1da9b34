//! Flywheel's network-science engine.
//!
//! Pure computation on a compact graph ([`Graph`]): no IO beyond parsing an edge list from
//! a reader the caller opened, no SQL, no HTTP. Parallel with rayon; every result that
//! involves randomness takes a seed and is the same whatever the number of threads.
//!
//! * [`graph`]: the CSR graph (u32 node ids, f32 weights, out- and in-adjacency, the
//!   in-adjacency shared with the out-adjacency when the graph is symmetric) and node
//!   groups.
//! * [`edgelist`]: SNAP-style edge lists, read streaming into a graph.
//! * [`centrality`]: PageRank, k-core, approximate and exact betweenness.
//! * [`brokerage`]: Burt's constraint and Gould–Fernandez brokerage roles.
//! * [`community`]: Leiden for modularity, and modularity itself.
//! * [`diffusion`]: independent cascade, linear threshold and complex contagion by Monte
//!   Carlo, with curves, bands and per-group results.
//! * [`generate`]: random graphs (Erdős–Rényi).
//! * [`im`]: influence maximization (OPIM-C with SUBSIM sampling), constrained for
//!   champion networks.
//! * [`learn`]: influence probabilities learned from observed adoptions (Saito et al.'s EM,
//!   Goyal et al.'s Bernoulli estimate).
//! * [`opinion`]: committed-minority dynamics (the binary agreement model).

pub mod brokerage;
pub mod centrality;
pub mod community;
pub mod diffusion;
pub mod edgelist;
pub mod generate;
pub mod graph;
pub mod im;
pub mod learn;
pub mod opinion;
mod par;

pub use graph::{Graph, Groups};

/// Input a computation cannot use, named with its value: a probability outside [0, 1], a
/// seed that is not a node, group labels that do not match the graph, constraints no seed
/// set meets. Every fallible function of this crate fails only this way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

impl From<String> for InvalidInput {
    fn from(message: String) -> InvalidInput {
        InvalidInput(message)
    }
}

impl From<&str> for InvalidInput {
    fn from(message: &str) -> InvalidInput {
        InvalidInput(message.to_owned())
    }
}
