//! Flywheel where people work: the chat front door's protocol pieces, pure (no IO).
//! `slack` verifies Slack's signed requests and describes the Slack app (its manifest).
//! The use cases stay in `flywheel-app`; the HTTP endpoints will be `web`'s.

pub mod slack;
