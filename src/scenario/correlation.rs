//! Rank correlations between uncertain inputs (`[[correlations]]`), sampled
//! by a Gaussian copula: correlated standard normals, each turned into its
//! input's distribution through the normal CDF and the input's quantile
//! function. Ranks survive both monotone steps, so the Spearman correlation
//! of the inputs is the one requested (for continuous inputs; rounding to
//! whole days or people adds ties that pull it slightly towards 0).

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

/// Indices of a smallest principal submatrix that is impossible: triples
/// first (pairs are always possible), then the whole matrix.
fn smallest_impossible(matrix: &[Vec<f64>]) -> Vec<usize> {
    let n = matrix.len();
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

/// Every `size`-element subset of `0..n` in lexicographic order (small n only:
/// a scenario has at most a few dozen correlated inputs; past 12 inputs only
/// triples are searched).
fn subsets(n: usize, size: usize) -> impl Iterator<Item = Vec<usize>> {
    let allowed = size == 3 || n <= 12;
    let mut current: Option<Vec<usize>> = (allowed && size <= n).then(|| (0..size).collect());
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
}
