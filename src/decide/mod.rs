//! Commands that help decide whether to trust a scenario: scoring its
//! forecasts against what was later observed ([`backtest`]).

pub mod backtest;
