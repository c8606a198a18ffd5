//! Rank correlations between uncertain inputs (`[[correlations]]`), sampled
//! by a Gaussian copula: correlated standard normals, each turned into its
//! input's distribution through the normal CDF and the input's quantile
//! function. Ranks survive both monotone steps, so the Spearman correlation
//! of the inputs is the one requested (for continuous inputs; rounding to
//! whole days or people adds ties that pull it slightly towards 0).
//!
//! The rules: docs/MODEL.md §1.7.

/// One `[[correlations]]` entry: two input paths and their rank correlation.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    pub inputs: [String; 2],
    /// Spearman rank correlation, in [-1, 1].
    pub rank_correlation: f64,
}

/// The Pearson correlation of two standard normals whose Spearman rank
/// correlation is `rank`: `2 sin(pi rank / 6)`.
pub fn normal_correlation(rank: f64) -> f64 {
    2.0 * (std::f64::consts::PI * rank / 6.0).sin()
}

/// Pivots this close to 0 count as 0: a perfect correlation (rank 1 or -1)
/// makes the matrix singular but still possible.
const PIVOT_TOLERANCE: f64 = 1e-9;

/// Lower-triangular `L` with `L L' = matrix`, for a positive semi-definite
/// matrix; `None` if the matrix is not one (no joint distribution has
/// these correlations). Columns of a zero pivot are left zero.
pub fn cholesky(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let mut lower = vec![vec![0.0; n]; n];
    for j in 0..n {
        let pivot = matrix[j][j] - (0..j).map(|k| lower[j][k] * lower[j][k]).sum::<f64>();
        if pivot < -PIVOT_TOLERANCE {
            return None;
        }
        let diagonal = pivot.max(0.0).sqrt();
        lower[j][j] = diagonal;
        for i in j + 1..n {
            let rest = matrix[i][j] - (0..j).map(|k| lower[i][k] * lower[j][k]).sum::<f64>();
            if diagonal > PIVOT_TOLERANCE {
                lower[i][j] = rest / diagonal;
            } else if rest.abs() > 1e-6 {
                // Perfectly tied to an earlier input, yet correlated differently
                // with another: impossible.
                return None;
            }
        }
    }
    Some(lower)
}

/// The inputs taking part in any correlation, in first-mention order, and
/// the Cholesky factor of their normal correlation matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct CopulaPlan {
    pub paths: Vec<String>,
    pub lower: Vec<Vec<f64>>,
}

/// Why the requested correlations cannot hold together.
#[derive(Debug, Clone, PartialEq)]
pub struct Impossible {
    /// The inputs of a smallest impossible set found.
    pub paths: Vec<String>,
}

impl CopulaPlan {
    /// Builds the plan; an impossible matrix is an error naming a smallest
    /// set of inputs whose correlations contradict each other.
    pub fn new(correlations: &[Correlation]) -> Result<CopulaPlan, Impossible> {
        let mut paths: Vec<String> = Vec::new();
        for c in correlations {
            for path in &c.inputs {
                if !paths.contains(path) {
                    paths.push(path.clone());
                }
            }
        }
        let matrix = matrix_of(&paths, correlations);
        match cholesky(&matrix) {
            Some(lower) => Ok(CopulaPlan { paths, lower }),
            None => Err(Impossible {
                paths: smallest_impossible(&matrix)
                    .into_iter()
                    .map(|i| paths[i].clone())
                    .collect(),
            }),
        }
    }
}

fn matrix_of(paths: &[String], correlations: &[Correlation]) -> Vec<Vec<f64>> {
    let n = paths.len();
    let mut matrix = vec![vec![0.0; n]; n];
    for (i, row) in matrix.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let at = |path: &String| paths.iter().position(|p| p == path).unwrap_or(0);
    for c in correlations {
        let (a, b) = (at(&c.inputs[0]), at(&c.inputs[1]));
        let r = normal_correlation(c.rank_correlation);
        matrix[a][b] = r;
        matrix[b][a] = r;
    }
    matrix
}

/// Most inputs whose every subset is searched for a smallest impossible
/// one (4,096 subsets at most); past it, [`minimal_impossible`] names one
/// that is minimal.
const EXHAUSTIVE_INPUTS: usize = 12;

/// Indices of an impossible principal submatrix to name in the message.
/// Up to [`EXHAUSTIVE_INPUTS`] inputs: a smallest one (triples first, pairs
/// are always possible), the first in lexicographic order. Past it: a
/// minimal one (each input in it is needed), found in polynomial time.
fn smallest_impossible(matrix: &[Vec<f64>]) -> Vec<usize> {
    let n = matrix.len();
    if n > EXHAUSTIVE_INPUTS {
        return minimal_impossible(matrix);
    }
    for size in 3..n {
        if let Some(set) = subsets(n, size).find(|set| {
            let sub: Vec<Vec<f64>> = set
                .iter()
                .map(|&i| set.iter().map(|&j| matrix[i][j]).collect())
                .collect();
            cholesky(&sub).is_none()
        }) {
            return set;
        }
    }
    (0..n).collect()
}

/// A minimal impossible set of inputs (in increasing order), for an
/// impossible matrix: each round puts the inputs kept so far first and
/// finds, by one factorisation, the first input that makes the rest
/// impossible; that input is kept and only those before it stay
/// candidates. Each kept input is needed (without it, what is left was
/// possible), so the set is minimal; the rounds are as many as its size,
/// each O(n^3).
fn minimal_impossible(matrix: &[Vec<f64>]) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    let mut candidates: Vec<usize> = (0..matrix.len()).collect();
    loop {
        let mut order: Vec<usize> = kept.iter().chain(&candidates).copied().collect();
        match first_impossible(matrix, &order) {
            Some(at) if at >= kept.len() => {
                let at = at - kept.len();
                kept.push(candidates[at]);
                candidates.truncate(at);
            }
            // The kept inputs alone are impossible.
            Some(_) => {
                kept.sort_unstable();
                return kept;
            }
            // Possible after all, within the tolerances: name every input left.
            None => {
                order.sort_unstable();
                return order;
            }
        }
    }
}

/// The position in `order` of the first input that makes the inputs
/// before it, with it, impossible (`None` if all of them are possible):
/// [`cholesky`] of the submatrix in that order, row by row, with the same
/// arithmetic and tolerances, so that each row's test involves only the
/// inputs up to it.
fn first_impossible(matrix: &[Vec<f64>], order: &[usize]) -> Option<usize> {
    let n = order.len();
    let mut lower = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..i {
            let rest = matrix[order[i]][order[j]] - (0..j).map(|k| lower[i][k] * lower[j][k]).sum::<f64>();
            let diagonal = lower[j][j];
            if diagonal > PIVOT_TOLERANCE {
                lower[i][j] = rest / diagonal;
            } else if rest.abs() > 1e-6 {
                return Some(i);
            }
        }
        let pivot = matrix[order[i]][order[i]] - (0..i).map(|k| lower[i][k] * lower[i][k]).sum::<f64>();
        if pivot < -PIVOT_TOLERANCE {
            return Some(i);
        }
        lower[i][i] = pivot.max(0.0).sqrt();
    }
    None
}

/// Every `size`-element subset of `0..n` in lexicographic order (small n
/// only: up to [`EXHAUSTIVE_INPUTS`]).
fn subsets(n: usize, size: usize) -> impl Iterator<Item = Vec<usize>> {
    let mut current: Option<Vec<usize>> = (size <= n).then(|| (0..size).collect());
    std::iter::from_fn(move || {
        let out = current.clone()?;
        let mut next = out.clone();
        let mut i = size;
        current = loop {
            if i == 0 {
                break None;
            }
            i -= 1;
            if next[i] < n - size + i {
                next[i] += 1;
                for k in i + 1..size {
                    next[k] = next[k - 1] + 1;
                }
                break Some(next);
            }
        };
        Some(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corr(a: &str, b: &str, rank: f64) -> Correlation {
        Correlation {
            inputs: [a.to_string(), b.to_string()],
            rank_correlation: rank,
        }
    }

    #[test]
    fn rank_to_normal_correlation_keeps_0_and_1() {
        assert_eq!(normal_correlation(0.0), 0.0);
        assert!((normal_correlation(1.0) - 1.0).abs() < 1e-15);
        assert!((normal_correlation(-1.0) + 1.0).abs() < 1e-15);
        // Known value: Spearman 0.5 is Pearson 2 sin(pi/12) = 0.5176.
        assert!((normal_correlation(0.5) - 0.517_638_090_205_041_5).abs() < 1e-12);
    }

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let m = vec![vec![1.0, 0.5, 0.2], vec![0.5, 1.0, 0.3], vec![0.2, 0.3, 1.0]];
        let l = cholesky(&m).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
                assert!((v - m[i][j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn perfect_correlation_is_possible() {
        let plan = CopulaPlan::new(&[corr("a", "b", 1.0), corr("b", "c", 0.4), corr("a", "c", 0.4)]).unwrap();
        assert_eq!(plan.paths, ["a", "b", "c"]);
    }

    #[test]
    fn contradictory_correlations_name_the_inputs() {
        // a with b and b with c strongly positive, a with c strongly negative.
        let err = CopulaPlan::new(&[
            corr("x", "y", 0.1),
            corr("a", "b", 0.9),
            corr("b", "c", 0.9),
            corr("a", "c", -0.9),
        ])
        .unwrap_err();
        assert_eq!(err.paths, ["a", "b", "c"]);
        assert!(CopulaPlan::new(&[corr("a", "b", 1.0), corr("b", "c", 1.0), corr("a", "c", 0.2)]).is_err());
    }

    #[test]
    fn subsets_are_all_combinations() {
        let all: Vec<Vec<usize>> = subsets(4, 3).collect();
        assert_eq!(all, [vec![0, 1, 2], vec![0, 1, 3], vec![0, 2, 3], vec![1, 2, 3]]);
    }

    /// A symmetric matrix with 1 on the diagonal and `r` between the
    /// neighbours `i`, `i + 1` (possible for |r| < 0.5).
    fn chain(n: usize, r: f64) -> Vec<Vec<f64>> {
        let mut m = vec![vec![0.0; n]; n];
        for i in 0..n {
            m[i][i] = 1.0;
            if i + 1 < n {
                m[i][i + 1] = r;
                m[i + 1][i] = r;
            }
        }
        m
    }

    #[test]
    fn an_impossible_triple_among_many_inputs_is_named() {
        // 200 inputs: a possible chain, and inputs 50, 120 and 190 (apart
        // from the chain) strongly tied two ways and opposed the third.
        let n = 200;
        let mut m = chain(n, 0.3);
        let triple = [50, 120, 190];
        for &i in &triple {
            m.iter_mut().for_each(|row| row[i] = 0.0);
            m[i].fill(0.0);
            m[i][i] = 1.0;
        }
        let r = normal_correlation(0.9);
        for (a, b, v) in [(50, 120, r), (120, 190, r), (50, 190, -r)] {
            m[a][b] = v;
            m[b][a] = v;
        }
        assert!(cholesky(&m).is_none());
        assert_eq!(smallest_impossible(&m), triple);
        assert!(cholesky(&chain(n, 0.3)).is_some());
    }

    #[test]
    fn the_set_named_is_impossible_and_minimal() {
        // Random correlation matrices of 13 to 40 inputs: whenever one is
        // impossible, the set named is, and without any one input it is not.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut unit = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let sub = |m: &[Vec<f64>], set: &[usize]| -> Vec<Vec<f64>> {
            set.iter().map(|&i| set.iter().map(|&j| m[i][j]).collect()).collect()
        };
        let mut impossible = 0;
        for round in 0..60 {
            let n = 13 + round % 28;
            let mut m = chain(n, 0.0);
            for (i, j) in (0..n).flat_map(|i| (0..i).map(move |j| (i, j))) {
                if unit() < 0.15 {
                    let v = normal_correlation(unit() * 2.0 - 1.0);
                    m[i][j] = v;
                    m[j][i] = v;
                }
            }
            let order: Vec<usize> = (0..n).collect();
            assert_eq!(first_impossible(&m, &order).is_some(), cholesky(&m).is_none());
            if cholesky(&m).is_some() {
                continue;
            }
            impossible += 1;
            let set = smallest_impossible(&m);
            assert!(cholesky(&sub(&m, &set)).is_none(), "{set:?}");
            for leave in 0..set.len() {
                let mut fewer = set.clone();
                fewer.remove(leave);
                assert!(cholesky(&sub(&m, &fewer)).is_some(), "{set:?} without {leave}");
            }
        }
        assert!(impossible > 10, "{impossible}");
    }
}
