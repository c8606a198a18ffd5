//! The search for one input's answer, on common random numbers: every
//! value is tried on the same trials `0..n`, so its chance is a fixed
//! function of the value and the search a plain bisection on it. Three
//! crossings are found on the grid of the range: where the chance first
//! reaches the goal (the answer), and where it first comes within, and
//! last stays within, two standard errors of the goal (the interval:
//! the values whose chance is not distinguishable from the goal). Each
//! bisection stops when its bracket is one step of the resolution.
//!
//! The rules: docs/MODEL.md §5.17.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::SolveError;
use super::grid::Grid;

/// Standard errors within which a chance is not distinguishable from the goal.
pub const Z: f64 = 2.0;
/// Most values one search tries: three bisections of at most 21 steps
/// each, and the two ends.
pub const MAX_TRIED: usize = 80;

/// How many of `trials` trials had the event asked about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub hits: u64,
    pub trials: u64,
}

impl Count {
    /// The share of trials with the event.
    pub fn chance(&self) -> f64 {
        if self.trials == 0 {
            0.0
        } else {
            self.hits as f64 / self.trials as f64
        }
    }

    /// Its standard error, `sqrt(p (1 - p) / n)`.
    pub fn se(&self) -> f64 {
        crate::output::stats::share_se(self.chance(), self.trials)
    }

    /// The counts of two runs of different trials, together.
    pub fn add(&mut self, other: Count) {
        self.hits += other.hits;
        self.trials += other.trials;
    }
}

/// The two ends of the range on the same trials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ends {
    pub lo: Count,
    pub hi: Count,
    /// Trials whose event differs between the two ends.
    pub differ: u64,
}

/// What a search asks of the engine: one value's count over `trials`
/// (value `k` of the grid), or both ends' on the same trials.
pub trait Trials {
    /// Its failures (a bad value, Ctrl-C), which a search's own include.
    type Error: From<SolveError>;
    fn count(&mut self, k: usize, trials: Range<u64>) -> Result<Count, Self::Error>;
    fn ends(&mut self, trials: Range<u64>) -> Result<Ends, Self::Error>;
}

/// The goal: a chance of at least `chance`, at the smallest value (or the
/// largest, with `largest`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    pub chance: f64,
    pub largest: bool,
}

/// Why a search has no answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    /// Every trial has the same event at both ends: the input changes nothing.
    NoEffect { chance: f64 },
    /// The goal is not reached at the far end of the range.
    NotReached { start: Count, end: Count },
}

/// One input's answer, as grid indices (`low <= answer <= high`, in value
/// order) on `trials` trials.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub answer: usize,
    pub low: usize,
    pub high: usize,
    /// The count at the answer.
    pub count: Count,
    /// The goal is met already at the start of the range (LO; HI with
    /// `--largest`): a value beyond it may meet it too.
    pub at_start: bool,
    /// The interval reaches the start (or the end) of the range, and may
    /// go on past it.
    pub open_start: bool,
    pub open_end: bool,
    /// The chance never falls (beyond noise) as the value moves towards
    /// the goal; else the answer is one crossing of several.
    pub steady: bool,
    /// Every value tried: grid index and count, in value order.
    pub tried: Vec<(usize, Count)>,
}

/// One input's search: the values tried so far, kept from one batch of
/// trials to the next (`--until-se`).
#[derive(Debug, Clone)]
pub struct Search {
    grid: Grid,
    goal: Goal,
    counts: BTreeMap<usize, Count>,
    ends: Ends,
    /// The values tried by the current search (on its trials).
    visited: BTreeSet<usize>,
}

impl Search {
    pub fn new(grid: Grid, goal: Goal) -> Search {
        Search {
            grid,
            goal,
            counts: BTreeMap::new(),
            ends: Ends::default(),
            visited: BTreeSet::new(),
        }
    }

    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Searches on trials `0..n`. Values tried before on fewer trials
    /// (an earlier batch) only run the rest, so the search is the one a
    /// plain run of `n` trials makes.
    pub fn solve<T: Trials>(&mut self, n: u64, trials: &mut T) -> Result<Result<Answer, Refusal>, T::Error> {
        self.visited.clear();
        let last = self.grid.len() - 1;
        let done = self.ends.lo.trials;
        if done < n {
            let more = trials.ends(done..n)?;
            self.ends.lo.add(more.lo);
            self.ends.hi.add(more.hi);
            self.ends.differ += more.differ;
        }
        self.counts.insert(0, self.ends.lo);
        self.counts.insert(last, self.ends.hi);
        self.visited.extend([0, last]);
        if self.ends.differ == 0 {
            return Ok(Err(Refusal::NoEffect {
                chance: self.ends.lo.chance(),
            }));
        }
        let (start, end) = (self.at(0), self.at(last));
        if end.chance() < self.goal.chance {
            return Ok(Err(Refusal::NotReached { start, end }));
        }
        let c = self.goal.chance;
        let band = Z * (c * (1.0 - c) / n as f64).sqrt();
        let answer = self.first(n, trials, &|p| p >= c)?.unwrap_or(last);
        let low = self.first(n, trials, &|p| p >= c - band)?.unwrap_or(answer);
        let beyond = self.first(n, trials, &|p| p > c + band)?;
        let high = beyond.map_or(last, |b| b.saturating_sub(1));
        let (low, high) = (low.min(answer), high.max(answer));
        Ok(Ok(self.answer(answer, low, high, band)))
    }

    /// The answer from oriented indices (0 = the start of the search).
    fn answer(&self, answer: usize, low: usize, high: usize, band: f64) -> Answer {
        let last = self.grid.len() - 1;
        let (a, b) = (self.position(low), self.position(high));
        let tried: Vec<(usize, Count)> = self.visited.iter().map(|&k| (k, self.counts[&k])).collect();
        // In the search's order, the chance should not fall beyond noise.
        let mut oriented: Vec<f64> = tried.iter().map(|(_, c)| c.chance()).collect();
        if self.goal.largest {
            oriented.reverse();
        }
        let mut highest = f64::NEG_INFINITY;
        let mut steady = true;
        for p in oriented {
            steady &= p >= highest - band;
            highest = highest.max(p);
        }
        Answer {
            answer: self.position(answer),
            low: a.min(b),
            high: a.max(b),
            count: self.counts[&self.position(answer)],
            at_start: answer == 0,
            open_start: low == 0,
            open_end: high == last,
            steady,
            tried,
        }
    }

    /// Grid index of oriented index `j`.
    fn position(&self, j: usize) -> usize {
        if self.goal.largest { self.grid.len() - 1 - j } else { j }
    }

    /// The count at oriented index `j`, which has been tried.
    fn at(&self, j: usize) -> Count {
        self.counts.get(&self.position(j)).copied().unwrap_or_default()
    }

    /// The first oriented index whose chance passes `pass`, by bisection
    /// between the values tried (`None`: not even the last).
    fn first<T: Trials>(
        &mut self,
        n: u64,
        trials: &mut T,
        pass: &dyn Fn(f64) -> bool,
    ) -> Result<Option<usize>, T::Error> {
        loop {
            let mut known: Vec<(usize, bool)> = self
                .visited
                .iter()
                .map(|&k| {
                    let j = self.position(k);
                    (j, pass(self.counts[&k].chance()))
                })
                .collect();
            known.sort_unstable();
            let Some(b) = known.iter().find(|(_, ok)| *ok).map(|(j, _)| *j) else {
                return Ok(None);
            };
            let below = known.iter().filter(|(j, ok)| *j < b && !ok).map(|(j, _)| *j).max();
            let Some(a) = below.filter(|a| b - a > 1) else {
                return Ok(Some(b));
            };
            if self.visited.len() >= MAX_TRIED {
                return Err(SolveError::Invalid(format!(
                    "the search tried {MAX_TRIED} values without closing in; this is a bug"
                ))
                .into());
            }
            self.visit(a + (b - a) / 2, n, trials)?;
        }
    }

    /// Tries oriented index `j` on trials `0..n`.
    fn visit<T: Trials>(&mut self, j: usize, n: u64, trials: &mut T) -> Result<(), T::Error> {
        let k = self.position(j);
        let mut count = self.counts.get(&k).copied().unwrap_or_default();
        if count.trials < n {
            count.add(trials.count(k, count.trials..n)?);
            self.counts.insert(k, count);
        }
        self.visited.insert(k);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake engine: the chance at value `x` is `curve(x)`, as hits of
    /// `trials` (trial `i` hits when `i / n < curve(x)`, so the counts of
    /// different values are paired like common random numbers).
    struct Fake<'a> {
        grid: &'a Grid,
        curve: &'a dyn Fn(f64) -> f64,
        n: u64,
        calls: usize,
    }

    impl Fake<'_> {
        fn hits(&self, k: usize, trials: &Range<u64>) -> u64 {
            let p = (self.curve)(self.grid.x(k));
            trials
                .clone()
                .filter(|&i| (i as f64 + 0.5) / (self.n as f64) < p)
                .count() as u64
        }
    }

    impl Trials for Fake<'_> {
        type Error = SolveError;
        fn count(&mut self, k: usize, trials: Range<u64>) -> Result<Count, SolveError> {
            self.calls += 1;
            Ok(Count {
                hits: self.hits(k, &trials),
                trials: trials.end - trials.start,
            })
        }
        fn ends(&mut self, trials: Range<u64>) -> Result<Ends, SolveError> {
            let last = self.grid.len() - 1;
            let (lo, hi) = (self.hits(0, &trials), self.hits(last, &trials));
            let n = trials.end - trials.start;
            Ok(Ends {
                lo: Count { hits: lo, trials: n },
                hi: Count { hits: hi, trials: n },
                differ: lo.abs_diff(hi),
            })
        }
    }

    fn solve(range: &str, goal: Goal, curve: &dyn Fn(f64) -> f64, n: u64) -> (Result<Answer, Refusal>, Grid, usize) {
        let grid = Grid::parse(range, None).unwrap();
        let mut fake = Fake {
            grid: &grid,
            curve,
            n,
            calls: 0,
        };
        let mut search = Search::new(grid.clone(), goal);
        let result = search.solve(n, &mut fake).unwrap();
        let calls = fake.calls;
        (result, grid, calls)
    }

    #[test]
    fn a_straight_line_is_solved_to_the_resolution_with_its_band() {
        // p = x on 0..1 with 10,000 trials: the answer 0.8, the band
        // 0.8 +- 2 sqrt(0.16 / 10000) = 0.792 to 0.808.
        let goal = Goal {
            chance: 0.8,
            largest: false,
        };
        let (answer, grid, calls) = solve("0..1", goal, &|x| x, 10_000);
        let answer = answer.unwrap();
        assert_eq!(grid.text(answer.answer), "0.8");
        assert_eq!(
            (grid.text(answer.low), grid.text(answer.high)),
            ("0.792".into(), "0.808".into())
        );
        assert!(answer.steady && !answer.at_start && !answer.open_start && !answer.open_end);
        assert!(calls <= 3 * 11, "{calls} values tried");
        // Every value tried is in the answer's list, in value order.
        assert!(answer.tried.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(answer.tried.len(), calls + 2);
    }

    #[test]
    fn the_largest_value_for_a_falling_chance() {
        let goal = Goal {
            chance: 0.8,
            largest: true,
        };
        let (answer, grid, _) = solve("0..100", goal, &|x| 1.0 - x / 100.0, 10_000);
        let answer = answer.unwrap();
        assert_eq!(grid.text(answer.answer), "20");
        assert!(answer.low < answer.answer || grid.text(answer.low) == "20");
        assert!(grid.x(answer.high) <= 21.0 && grid.x(answer.low) >= 19.0);
    }

    #[test]
    fn refusals_and_a_goal_met_at_the_start() {
        let goal = Goal {
            chance: 0.8,
            largest: false,
        };
        let (result, _, _) = solve("0..1", goal, &|_| 0.5, 1000);
        assert_eq!(result, Err(Refusal::NoEffect { chance: 0.5 }));
        let (result, _, _) = solve("0..1", goal, &|x| 0.5 * x, 1000);
        assert!(matches!(result, Err(Refusal::NotReached { .. })), "{result:?}");
        let (result, grid, _) = solve("0..1", goal, &|x| 0.9 + 0.1 * x, 1000);
        let answer = result.unwrap();
        assert!(answer.at_start && answer.open_start);
        assert_eq!(grid.text(answer.answer), "0");
    }

    #[test]
    fn a_step_gives_a_point_interval() {
        // The chance jumps from 0.1 to 0.95 at x = 0.5: nothing is within noise.
        let goal = Goal {
            chance: 0.8,
            largest: false,
        };
        let (answer, grid, _) = solve("0..1", goal, &|x| if x >= 0.5 { 0.95 } else { 0.1 }, 10_000);
        let answer = answer.unwrap();
        assert_eq!((answer.low, answer.high), (answer.answer, answer.answer));
        assert_eq!(grid.text(answer.answer), "0.5");
    }
}
