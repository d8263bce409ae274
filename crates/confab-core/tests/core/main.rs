//! confab-core against the real reference server on loopback, with real SQLite files: every
//! operation in every dialect, offline and crash recovery, faults (through a proxy that injects
//! them), live updates, search, and the OS keyring.

mod common;
mod proxy;

mod accounts;
mod attention;
mod dialects;
mod disk;
mod durability;
mod exactly_once;
mod export;
mod faults;
mod files;
mod fixtures;
mod hostile;
mod keyring;
mod later;
mod live;
mod mutations;
mod offline;
mod saved;
mod search;
mod store;
mod unopened;
