//! The reference server over real HTTP on loopback, with a real SQLite file: every request the
//! seeds show, sent the way they send it, answered in their shapes; plus authorization, bad
//! input, event streams, idempotency and concurrent writers.

mod common;

mod auth;
mod cli;
mod concurrency;
mod cross_dialect;
mod demo;
mod errors;
mod events;
mod idempotency;
mod lifecycle;
mod managem;
mod portal;
mod protocol;
mod strict;
mod translation;
