//! `--until-se X` (`run`, `sweep`, `compare`, `solve`): trials are added in
//! batches until every target's probability has a standard error of at
//! most X, or `--max-trials` is reached.
//!
//! Batch `k` runs trials `n_{k-1}..n_k` and its results are merged into
//! those of the batches before it: the engine's aggregates are integer
//! sums, and the paired sums of `compare` are added chunk by chunk in trial
//! order, so the merged result is the result of one run of trials
//! `0..n_k`, byte for byte. Every batch but the last ends on a multiple of
//! the engine's chunk ([`CHUNK`] trials), the first being `--trials`
//! rounded up to one; the next end is a function of the results so far
//! only: the trials the largest standard error asks for, `n (se / X)^2`
//! (a standard error falls as one over the square root of the trials),
//! at least one chunk more, at most `--max-trials`.
//!
//! The rules: docs/MODEL.md §5.16.

use std::ops::Range;

use crate::engine::CHUNK;
use crate::output::number;
use crate::output::stats::share_se;
use crate::scenario::MAX_TRIALS;

/// `--max-trials` when not given.
pub const DEFAULT_MAX_TRIALS: u64 = 1_000_000;
/// The largest `--until-se` that means anything: a share's standard error
/// is at most `0.5 / sqrt(n)`.
pub const LARGEST_SE: f64 = 0.5;

/// `--until-se` and `--max-trials`, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// The standard error asked for.
    pub se: f64,
    /// The most trials to run.
    pub max_trials: u64,
}

impl Rule {
    /// Checks `--until-se SE` and `--max-trials` against the first batch's
    /// trials (`--trials` or the scenario's).
    pub fn new(se: f64, max_trials: Option<u64>, trials: u64) -> Result<Rule, String> {
        if !(se > 0.0 && se <= LARGEST_SE) {
            return Err(format!(
                "--until-se must be a standard error above 0 and at most {LARGEST_SE} (a share's standard error \
                 is at most 0.5 / sqrt(trials)), got {se}"
            ));
        }
        let max_trials = max_trials.unwrap_or(DEFAULT_MAX_TRIALS.max(trials));
        if max_trials == 0 || max_trials > MAX_TRIALS {
            return Err(format!("--max-trials must be from 1 to {MAX_TRIALS}, got {max_trials}"));
        }
        if trials > max_trials {
            return Err(format!(
                "--max-trials {max_trials} is below the first batch of {trials} trials (--trials or \
                 simulation.trials); give a larger --max-trials or fewer --trials"
            ));
        }
        Ok(Rule { se, max_trials })
    }

    /// The end of the first batch: `trials` rounded up to a whole chunk,
    /// within `--max-trials`.
    pub fn first_batch(&self, trials: u64) -> u64 {
        round_up(trials.max(1)).min(self.max_trials)
    }

    /// The end of the next batch after `done` trials whose largest standard
    /// error is `worst`; `None` when it is small enough or no trial is left.
    pub fn next(&self, done: u64, worst: f64) -> Option<u64> {
        if worst <= self.se || done >= self.max_trials {
            return None;
        }
        let ratio = worst / self.se;
        let wanted = (done as f64 * ratio * ratio).ceil();
        let wanted = if wanted.is_finite() && wanted < self.max_trials as f64 {
            wanted as u64
        } else {
            self.max_trials
        };
        Some(round_up(wanted.max(done.saturating_add(CHUNK))).min(self.max_trials))
    }
}

/// `n` rounded up to a whole number of chunks.
fn round_up(n: u64) -> u64 {
    n.div_ceil(CHUNK).saturating_mul(CHUNK)
}

/// How a run with `--until-se` ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stop {
    pub rule: Rule,
    /// The trials run in all.
    pub trials: u64,
    pub batches: u32,
    /// The largest standard error after the last batch.
    pub worst_se: f64,
}

impl Stop {
    /// True when every standard error is at most the one asked for (else
    /// `--max-trials` stopped it).
    pub fn reached(&self) -> bool {
        self.worst_se <= self.rule.se
    }

    /// The columns an info file gains (after its own): `until_se`,
    /// `max_trials`, `batches`, `largest_se`, `se_reached` (`yes`, or `no`
    /// when `--max-trials` stopped it).
    pub fn info_columns(&self) -> Vec<(&'static str, String)> {
        vec![
            ("until_se", number(self.rule.se, 6)),
            ("max_trials", self.rule.max_trials.to_string()),
            ("batches", self.batches.to_string()),
            ("largest_se", number(self.worst_se, 6)),
            ("se_reached", if self.reached() { "yes" } else { "no" }.to_string()),
        ]
    }

    /// One line for the terminal; `what` names the probabilities
    /// ("every target's probability").
    pub fn sentence(&self, what: &str) -> String {
        let batches = match self.batches {
            1 => "1 batch".to_string(),
            n => format!("{n} batches"),
        };
        if self.reached() {
            format!(
                "--until-se {}: {what} has a standard error of at most {} (the largest is {}) after {} trials in \
                 {batches}",
                number(self.rule.se, 6),
                number(self.rule.se, 6),
                number(self.worst_se, 6),
                self.trials,
            )
        } else {
            format!(
                "--until-se {}: stopped at --max-trials {} ({batches}) before {what} had a standard error of at \
                 most {}: the largest is {}",
                number(self.rule.se, 6),
                self.rule.max_trials,
                number(self.rule.se, 6),
                number(self.worst_se, 6),
            )
        }
    }
}

/// Runs batches under `rule` from the first batch of `trials` trials:
/// `step(range, batch)` runs the trials `range` (batch numbered from 1),
/// merges them into what it keeps, and returns the largest standard error
/// over all trials so far.
pub fn batches<E>(
    rule: &Rule,
    trials: u64,
    mut step: impl FnMut(Range<u64>, u32) -> Result<f64, E>,
) -> Result<Stop, E> {
    let (mut done, mut end, mut batch) = (0, rule.first_batch(trials), 1);
    loop {
        let worst = step(done..end, batch)?;
        done = end;
        match rule.next(done, worst) {
            Some(next) => {
                end = next;
                batch += 1;
            }
            None => {
                return Ok(Stop {
                    rule: *rule,
                    trials: done,
                    batches: batch,
                    worst_se: worst,
                });
            }
        }
    }
}

/// The largest standard error of any target's probability on any report
/// day (`targets.csv`'s `p_reached_se`, which includes the horizon's and the
/// report date's): `slots` are each target's trials by first day reached.
pub fn worst_by_day(slots: &[Vec<u64>], report_days: &[u32], trials: u64) -> f64 {
    slots
        .iter()
        .flat_map(|slots| crate::output::stats::shares_by_day(slots, report_days, trials))
        .map(|p| share_se(p, trials))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(se: f64, max: u64) -> Rule {
        Rule::new(se, Some(max), 1000).expect("a valid rule")
    }

    #[test]
    fn batches_end_on_whole_chunks_and_grow_with_the_error() {
        let r = rule(0.01, 1_000_000);
        assert_eq!(r.first_batch(1000), 1024);
        assert_eq!(r.first_batch(1), CHUNK);
        // 1024 trials at SE 0.02 ask for four times as many.
        assert_eq!(r.next(1024, 0.02), Some(4096));
        // A little short: at least one chunk more.
        assert_eq!(r.next(4096, 0.010001), Some(4096 + CHUNK));
        assert_eq!(r.next(4096, 0.01), None);
        // Capped, and stopped at the cap.
        assert_eq!(rule(0.0001, 5000).next(1024, 0.02), Some(5000));
        assert_eq!(rule(0.0001, 5000).next(5000, 0.02), None);
    }

    #[test]
    fn the_loop_stops_when_the_error_is_small_enough_or_at_the_cap() {
        // A share of 0.5: SE = 0.5 / sqrt(n).
        let se = |n: u64| 0.5 / (n as f64).sqrt();
        let mut ranges = Vec::new();
        let stop = batches(&rule(0.005, 1_000_000), 1000, |range, _| {
            ranges.push(range.clone());
            Ok::<f64, ()>(se(range.end))
        })
        .expect("no error");
        assert!(stop.reached() && stop.trials >= 10_000, "{stop:?}");
        assert_eq!(ranges.first(), Some(&(0..1024)));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        let capped = batches(&rule(0.001, 20_000), 1000, |range, _| Ok::<f64, ()>(se(range.end))).expect("no error");
        assert_eq!(capped.trials, 20_000);
        assert!(!capped.reached());
        assert!(capped.sentence("x").contains("--max-trials 20000"));
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(Rule::new(0.0, None, 100).is_err());
        assert!(Rule::new(0.6, None, 100).is_err());
        assert!(Rule::new(f64::NAN, None, 100).is_err());
        assert!(Rule::new(0.01, Some(0), 100).is_err());
        assert!(Rule::new(0.01, Some(50), 100).is_err());
        assert_eq!(Rule::new(0.01, None, 2_000_000).map(|r| r.max_trials), Ok(2_000_000));
    }
}
