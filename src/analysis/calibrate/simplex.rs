//! Nelder-Mead minimisation (statrs has no optimiser): the fits here have
//! two or three parameters and a smooth likelihood, for which the simplex
//! method is robust and needs no derivatives.

/// Iterations after which the search stops.
const MAX_ITERATIONS: usize = 2000;
/// Stops when the simplex's values differ by less than this.
const TOLERANCE: f64 = 1e-10;

/// The point near `start` where `f` is smallest; `step` is the size of the
/// first simplex. A value that is not finite counts as +infinity, so `f`
/// may refuse a point by returning NaN or infinity.
pub fn minimize<const N: usize>(f: impl Fn(&[f64; N]) -> f64, start: [f64; N], step: f64) -> [f64; N] {
    // Restarted once from where it stopped, with a smaller simplex: a
    // simplex can collapse before it reaches the minimum.
    let first = search(&f, start, step);
    search(&f, first, step / 10.0)
}

fn search<const N: usize>(f: &impl Fn(&[f64; N]) -> f64, start: [f64; N], step: f64) -> [f64; N] {
    let value = |x: &[f64; N]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<([f64; N], f64)> = (0..=N)
        .map(|i| {
            let mut x = start;
            if i > 0 {
                x[i - 1] += step;
            }
            (x, value(&x))
        })
        .collect();
    for _ in 0..MAX_ITERATIONS {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[N].1);
        if (worst - best).abs() <= TOLERANCE * (1.0 + best.abs()) {
            break;
        }
        let centroid = centroid(&simplex[..N]);
        let towards =
            |t: f64| -> [f64; N] { std::array::from_fn(|k| centroid[k] + t * (simplex[N].0[k] - centroid[k])) };
        let reflected = towards(-1.0);
        let fr = value(&reflected);
        if fr < best {
            let expanded = towards(-2.0);
            let fe = value(&expanded);
            simplex[N] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[N - 1].1 {
            simplex[N] = (reflected, fr);
        } else {
            let contracted = if fr < worst { towards(-0.5) } else { towards(0.5) };
            let fc = value(&contracted);
            if fc < worst.min(fr) {
                simplex[N] = (contracted, fc);
            } else {
                shrink(&mut simplex, &value);
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex[0].0
}

fn centroid<const N: usize>(points: &[([f64; N], f64)]) -> [f64; N] {
    std::array::from_fn(|k| points.iter().map(|p| p.0[k]).sum::<f64>() / points.len() as f64)
}

/// Moves every point halfway to the best one.
fn shrink<const N: usize>(simplex: &mut [([f64; N], f64)], value: &impl Fn(&[f64; N]) -> f64) {
    let best = simplex[0].0;
    for point in simplex.iter_mut().skip(1) {
        let x: [f64; N] = std::array::from_fn(|k| best[k] + 0.5 * (point.0[k] - best[k]));
        *point = (x, value(&x));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_bowl_and_of_rosenbrock() {
        let x = minimize(
            |p: &[f64; 2]| (p[0] - 3.0).powi(2) + 2.0 * (p[1] + 1.0).powi(2),
            [0.0, 0.0],
            1.0,
        );
        assert!((x[0] - 3.0).abs() < 1e-4 && (x[1] + 1.0).abs() < 1e-4, "{x:?}");
        let rosen = |p: &[f64; 2]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let x = minimize(rosen, [-1.2, 1.0], 0.5);
        assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3, "{x:?}");
        // A refused region (NaN) is avoided.
        let x = minimize(
            |p: &[f64; 1]| if p[0] < 0.0 { f64::NAN } else { (p[0] - 0.5).powi(2) },
            [2.0],
            1.0,
        );
        assert!((x[0] - 0.5).abs() < 1e-4, "{x:?}");
    }
}
