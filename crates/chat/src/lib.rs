//! Flywheel where people work: the chat front door's protocol pieces. `slack` verifies
//! Slack's signed requests and describes the Slack app (its manifest), without IO;
//! `events` reads Events API envelopes; `slack_api` calls Slack's Web API.
//! The use cases stay in `flywheel-app`; the HTTP endpoints will be `web`'s.

pub mod blocks;
pub mod events;
pub mod slack;
pub mod slack_api;
pub mod teams;
