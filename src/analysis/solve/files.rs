//! The files of `solve`: `solve.csv` (every value tried),
//! `solve_summary.csv` (one answer per input) and `solve_info.csv`.

use super::{Answer, Axis, Question, Z};
use crate::model::GENERATOR_NAME;
use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::Scenario;

/// One input's answer with its axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Solved {
    pub axis: Axis,
    pub answer: Answer,
}

/// `solve.csv`: for each input, every value tried, in value order.
pub fn render_values(solved: &[Solved]) -> Vec<u8> {
    let rows = solved.iter().flat_map(|s| {
        s.answer.tried.iter().map(|(k, count)| {
            vec![
                cell_text(&s.axis.field),
                s.axis.grid.text(*k),
                number(count.chance(), 6),
                number(count.se(), 6),
                count.trials.to_string(),
            ]
        })
    });
    csv_bytes(&schema::SOLVE_COLUMNS, rows)
}

/// `solve_summary.csv`: one row per input, its answer and the values not
/// distinguishable from the goal.
pub fn render_summary(solved: &[Solved]) -> Vec<u8> {
    let rows = solved.iter().map(|s| {
        let (grid, answer) = (&s.axis.grid, &s.answer);
        vec![
            cell_text(&s.axis.field),
            grid.text(answer.answer),
            grid.text(answer.low),
            grid.text(answer.high),
            number(answer.count.chance(), 6),
            number(answer.count.se(), 6),
        ]
    });
    csv_bytes(&schema::SOLVE_SUMMARY_COLUMNS, rows)
}

/// `solve_info.csv`: what produced the files: the scenario, seed and
/// trials (of every value), the question, the `--set` overrides, each
/// `--vary` with its range and resolution, then `extra` columns (those of
/// `--until-se`).
pub fn info(
    scenario: &Scenario,
    sha256: &str,
    question: &Question,
    (sets, axes): (&[String], &[Axis]),
    extra: &[(&str, String)],
) -> Vec<u8> {
    let varies: Vec<String> = axes
        .iter()
        .map(|a| {
            let last = a.grid.len() - 1;
            format!(
                "{}={}..{} by {}",
                a.field,
                a.grid.text(0),
                a.grid.text(last),
                a.grid.step_text()
            )
        })
        .collect();
    let mut header = schema::SOLVE_INFO_COLUMNS.to_vec();
    header.extend(extra.iter().map(|(h, _)| *h));
    let mut row = vec![
        cell_text(&scenario.name),
        sha256.to_string(),
        scenario.simulation.seed.to_string(),
        scenario.simulation.trials.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        GENERATOR_NAME.to_string(),
        cell_text(&question.target),
        question.by.format("%Y-%m-%d").to_string(),
        if question.avoid { "not reached" } else { "reached" }.to_string(),
        number(question.chance, 6),
        if question.largest { "largest" } else { "smallest" }.to_string(),
        number(Z, 2),
        cell_text(&sets.join("; ")),
        cell_text(&varies.join("; ")),
    ];
    row.extend(extra.iter().map(|(_, v)| cell_text(v)));
    csv_bytes(&header, [row])
}
