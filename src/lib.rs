//! baton-lint reads the logs of baton connectors (Go programs built on ConductorOne's
//! baton-sdk) and reports known failures with their likely cause and fix.
//!
//! The data path, top to bottom: [`input`] (reader thread, chunks of lines) → [`parse`] (zap
//! JSON, zap console, multi-line JSON, panics, text → [`event::Event`]) → [`engine`] (rules from
//! [`rules`], stateful windows, grouping → [`finding::Finding`]) → [`report`] (formats, through
//! [`redact`]). [`check`] wires one input through that path; [`cmd`] holds the subcommands.
//! On several cores, [`pipeline`] runs [`prepare`] (single-line records parsed, rule conditions
//! evaluated) on worker threads between [`input`] and [`parse`], and hands the chunks on in order.
//! [`vendor`] is data the rules share: how each API words its failures.

pub mod baseline;
pub mod batch;
pub mod c1z;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod context;
pub mod engine;
pub mod event;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod open;
pub mod overview;
pub mod par;
pub mod parse;
pub mod pipeline;
pub mod prepare;
pub mod redact;
pub mod report;
pub mod rules;
pub mod ruletest;
pub mod source;
pub mod stats;
pub mod vendor;

pub use check::{InputResult, ReadOptions, lint_reader, lint_text};
pub use event::{Event, EventKind, Level, Timestamp};
pub use finding::Finding;
pub use rules::{RuleSet, Severity};
