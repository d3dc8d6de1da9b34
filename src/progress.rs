//! Progress display for long CLI work (hidden when stderr is not a terminal).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner for a step of unknown length; finish it with [`done`].
pub fn step(msg: impl Into<String>) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner:.cyan} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.into());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// Ends a step, leaving a one-line record of it.
pub fn done(pb: ProgressBar, msg: impl Into<String>) {
    pb.finish_with_message(msg.into());
}
