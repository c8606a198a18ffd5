//! The integration tests, as one test binary: one module per area (each was
//! its own binary before), so `cargo test` builds and links this crate once.
//! Run one area with `cargo test --test it closed_form::`.

mod cli_support;
mod common;

mod age_priors;
mod analysis_pages;
mod backtest;
mod bad_input;
mod calibrate;
mod cli;
mod closed_form;
mod compare;
mod correlations;
mod determinism;
mod docs_commands;
mod engine_agreement;
mod exact_sizes;
mod explain;
mod friction;
mod fuzz_read_back;
mod fuzz_scenarios;
mod gsf_scenario;
mod hardening_output;
mod hardening_read_back;
mod hardening_scenario;
mod host_layers;
mod layout;
mod limits;
mod model_v2;
mod observed;
mod output_safety;
mod overrides;
mod pages_browser;
mod pledge_records;
mod properties;
mod report;
mod report_browser;
mod report_date;
mod report_money;
mod report_run;
mod samplers;
mod scenario_text;
mod sensitivity;
mod sobol;
mod solve;
mod spreadsheet;
mod sweep;
mod until_se;
#[path = "../value_stability.rs"]
mod value_stability;
mod workbook;
