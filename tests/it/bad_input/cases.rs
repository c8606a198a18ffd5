//! The bad scenario files of `bad_input`: a valid base and the cases that
//! break it, each with the line, field and words its message must have.

/// A valid scenario; each case below breaks it in one place.
pub(super) const BASE: &str = r#"name = "Bad input base"

[simulation]
start = 2024-09-30
horizon_days = 365
step = "week"
trials = 100
seed = 1

[population]
initial = 11000000
annual_growth = 0.01

[host_police]
initial = 5000
attrition_per_year = 0.1

[[contributors]]
name = "Kenya"
deployed = 400
pledged = 600
probability = 0.95
fulfilment = "beta(8, 2)"
first_arrival_days = "triangular(14, 45, 180)"
waves = 3
wave_interval_days = "uniform(20, 60)"

[[contributors]]
name = "Jamaica"
pledged = 200
probability = 0.5
after = "un_takeover"

[[events]]
name = "un_takeover"
probability = 0.5
day = 200
effect = "unlock"

[[events]]
name = "mandate_lapse"
probability = 0.15
day = 365
effect = "end_mission"

[[targets]]
name = "MSS at 1,000"
metric = "international"
at_least = 1000
"#;

/// What the error message for one bad file must contain.
pub(super) struct Case {
    /// Short description, also the file name.
    pub(super) name: &'static str,
    /// The file's bytes.
    pub(super) bytes: Vec<u8>,
    /// The 1-based line the message must point at.
    pub(super) line: usize,
    /// The dotted field the message must name (None for a file that is not
    /// a TOML table at all, where no field can be named).
    pub(super) field: Option<&'static str>,
    /// Words that say what is allowed (each must appear).
    pub(super) allowed: &'static [&'static str],
}

/// `BASE` with the first occurrence of `from` replaced by `to`.
pub(super) fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "test bug: {from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

/// 1-based number of the first line of `text` that contains `snippet`.
pub(super) fn line_of(text: &str, snippet: &str) -> usize {
    text.lines()
        .position(|l| l.contains(snippet))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("test bug: {snippet:?} not found"))
}

/// A case where `from` is replaced by `to` and the message points at the
/// line holding `at` in the edited text.
pub(super) fn replaced(
    name: &'static str,
    from: &str,
    to: &str,
    at: &str,
    field: &'static str,
    allowed: &'static [&'static str],
) -> Case {
    let text = edit(from, to);
    let line = line_of(&text, at);
    Case {
        name,
        bytes: text.into_bytes(),
        line,
        field: Some(field),
        allowed,
    }
}

/// Every case, in groups.
pub(super) fn cases() -> Vec<Case> {
    let groups = [
        unknown_key_and_wrong_type_cases(),
        probability_and_count_cases(),
        unknown_name_cases(),
        parameter_cases(),
        missing_field_cases(),
        whole_file_cases(),
    ];
    groups.into_iter().flatten().collect()
}

/// Unknown keys, with a suggestion; wrong types.
fn unknown_key_and_wrong_type_cases() -> Vec<Case> {
    vec![
        // Unknown keys, with a suggestion.
        replaced(
            "unknown_top_level_key",
            "name = \"Bad input base\"\n",
            "name = \"Bad input base\"\nnmae = \"typo\"\n",
            "nmae",
            "nmae",
            &["did you mean `name`"],
        ),
        replaced(
            "unknown_simulation_key",
            "seed = 1",
            "seeed = 1",
            "seeed",
            "simulation.seeed",
            &["did you mean `seed`"],
        ),
        // Wrong types.
        replaced(
            "string_for_a_number",
            "deployed = 400",
            "deployed = \"400\"",
            "deployed",
            "contributors.Kenya.deployed",
            &["number"],
        ),
        replaced(
            "distribution_in_a_plain_number_field",
            "probability = 0.95",
            "probability = \"uniform(0,1)\"",
            "uniform(0,1)",
            "contributors.Kenya.probability",
            &["plain number"],
        ),
        // A quoted start is a date like any other (tests/it/dates.rs); a
        // date in another form is not.
        replaced(
            "day_first_start_date",
            "start = 2024-09-30",
            "start = \"30/09/2024\"",
            "start",
            "simulation.start",
            &["YYYY-MM-DD", "e.g. 2024-09-30"],
        ),
        replaced(
            "string_horizon",
            "horizon_days = 365",
            "horizon_days = \"365\"",
            "horizon_days",
            "simulation.horizon_days",
            &["number"],
        ),
        replaced(
            "boolean_for_an_uncertain_value",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = true",
            "first_arrival_days",
            "contributors.Kenya.first_arrival_days",
            &["uniform(a, b)"],
        ),
    ]
}

/// Probabilities outside [0, 1]; negative counts.
fn probability_and_count_cases() -> Vec<Case> {
    vec![
        // Probabilities outside [0, 1].
        replaced(
            "probability_above_one",
            "probability = 0.95",
            "probability = 1.5",
            "probability = 1.5",
            "contributors.Kenya.probability",
            &["between 0 and 1"],
        ),
        replaced(
            "negative_event_probability",
            "probability = 0.15",
            "probability = -0.1",
            "probability = -0.1",
            "events.mandate_lapse.probability",
            &["between 0 and 1"],
        ),
        replaced(
            "fulfilment_above_one",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = 1.5",
            "fulfilment",
            "contributors.Kenya.fulfilment",
            &["between 0 and 1"],
        ),
        // Negative counts.
        replaced(
            "negative_pledged",
            "pledged = 600",
            "pledged = -5",
            "pledged = -5",
            "contributors.Kenya.pledged",
            &["between 0 and"],
        ),
        replaced(
            "negative_deployed",
            "deployed = 400",
            "deployed = -1",
            "deployed = -1",
            "contributors.Kenya.deployed",
            &["between 0 and"],
        ),
        replaced(
            "negative_host_police",
            "initial = 5000",
            "initial = -100",
            "-100",
            "host_police.initial",
            &["between 0 and"],
        ),
        replaced(
            "zero_waves",
            "waves = 3",
            "waves = 0",
            "waves",
            "contributors.Kenya.waves",
            &["from 1"],
        ),
    ]
}

/// Unknown names (distribution, metric, effect, kind, step) and an `after` that names no unlock event.
fn unknown_name_cases() -> Vec<Case> {
    vec![
        // Unknown distribution, metric, effect, kind, step.
        replaced(
            "unknown_distribution",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = \"weibull(1, 2)\"",
            "weibull",
            "contributors.Kenya.fulfilment",
            &["uniform(a, b)", "beta(alpha, beta)"],
        ),
        replaced(
            "unknown_metric",
            "metric = \"international\"",
            "metric = \"internationl\"",
            "internationl",
            "targets.MSS at 1,000.metric",
            &["international_police", "contributor:NAME"],
        ),
        replaced(
            "unknown_effect",
            "effect = \"unlock\"",
            "effect = \"explode\"",
            "explode",
            "events.un_takeover.effect",
            &["\"unlock\"", "\"end_mission\""],
        ),
        replaced(
            "unknown_kind",
            "waves = 3",
            "waves = 3\nkind = \"navy\"",
            "navy",
            "contributors.Kenya.kind",
            &["\"police\"", "\"military\""],
        ),
        replaced(
            "step_year",
            "step = \"week\"",
            "step = \"year\"",
            "step = \"year\"",
            "simulation.step",
            &["\"day\"", "\"week\"", "\"month\""],
        ),
        // `after` must name an unlock event.
        replaced(
            "after_names_no_event",
            "after = \"un_takeover\"",
            "after = \"un_takover\"",
            "un_takover",
            "contributors.Jamaica.after",
            &["unlock", "un_takeover"],
        ),
        replaced(
            "after_names_an_end_mission_event",
            "after = \"un_takeover\"",
            "after = \"mandate_lapse\"",
            "after = \"mandate_lapse\"",
            "contributors.Jamaica.after",
            &["unlock", "un_takeover"],
        ),
    ]
}

/// Parameters a distribution cannot take.
fn parameter_cases() -> Vec<Case> {
    vec![
        // Parameters a distribution cannot take.
        replaced(
            "beta_zero_alpha",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = \"beta(0, 1)\"",
            "beta(0, 1)",
            "contributors.Kenya.fulfilment",
            &["alpha > 0"],
        ),
        replaced(
            "uniform_reversed",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = \"uniform(5, 1)\"",
            "uniform(5, 1)",
            "contributors.Kenya.first_arrival_days",
            &["a < b"],
        ),
        replaced(
            "normal_negative_sd",
            "wave_interval_days = \"uniform(20, 60)\"",
            "wave_interval_days = \"normal(0, -1)\"",
            "normal(0, -1)",
            "contributors.Kenya.wave_interval_days",
            &["sd > 0"],
        ),
        replaced(
            "triangular_mode_outside",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = \"triangular(14, 450, 180)\"",
            "triangular(14, 450, 180)",
            "contributors.Kenya.first_arrival_days",
            &["min <= mode <= max"],
        ),
        replaced(
            "a_to_b_from_zero",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = \"0 to 30\"",
            "0 to 30",
            "contributors.Kenya.first_arrival_days",
            &["0 < A < B"],
        ),
        replaced(
            "wrong_parameter_count",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = \"beta(8)\"",
            "beta(8)",
            "contributors.Kenya.fulfilment",
            &["2 parameters"],
        ),
    ]
}

/// Missing required fields.
fn missing_field_cases() -> Vec<Case> {
    let without_simulation = {
        let start = BASE.find("[simulation]").unwrap();
        let end = BASE.find("[population]").unwrap();
        format!("{}{}", &BASE[..start], &BASE[end..])
    };
    let without_population = edit("[population]\ninitial = 11000000\nannual_growth = 0.01\n", "");
    vec![
        // Missing required fields.
        Case {
            name: "missing_name",
            bytes: edit("name = \"Bad input base\"\n", "").into_bytes(),
            line: 1,
            field: Some("name"),
            allowed: &["required"],
        },
        Case {
            name: "missing_simulation",
            line: 1,
            bytes: without_simulation.into_bytes(),
            field: Some("simulation"),
            allowed: &["required", "start", "horizon_days"],
        },
        replaced(
            "missing_start",
            "start = 2024-09-30\n",
            "",
            "[simulation]",
            "simulation.start",
            &["required"],
        ),
        replaced(
            "missing_horizon",
            "horizon_days = 365\n",
            "",
            "[simulation]",
            "simulation.horizon_days",
            &["required"],
        ),
        Case {
            name: "missing_population",
            line: 1,
            bytes: without_population.into_bytes(),
            field: Some("population"),
            allowed: &["required", "initial"],
        },
        replaced(
            "missing_population_initial",
            "initial = 11000000\n",
            "",
            "[population]",
            "population.initial",
            &["required"],
        ),
    ]
}

/// Whole-file problems, a negative horizon and a duplicate name.
fn whole_file_cases() -> Vec<Case> {
    let duplicate = format!("{BASE}\n[[contributors]]\nname = \"Kenya\"\npledged = 10\n");
    let duplicate_line = duplicate.lines().count() - 1;
    let mut binary: Vec<u8> = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x00, 0x80, 0xc3];
    binary.extend((0u8..=255).rev());
    vec![
        // Whole-file problems.
        Case {
            name: "empty_file",
            bytes: Vec::new(),
            line: 1,
            field: Some("name"),
            allowed: &["required"],
        },
        Case {
            name: "binary_file",
            bytes: binary,
            line: 1,
            // Not text: there is no field to name.
            field: None,
            allowed: &["UTF-8"],
        },
        Case {
            name: "json_file",
            bytes: br#"{"name": "Haiti", "simulation": {"start": "2024-09-30"}}"#.to_vec(),
            line: 1,
            // Not TOML: there is no field to name.
            field: None,
            allowed: &["TOML"],
        },
        {
            let text = edit("pledged = 600", "pledged = ");
            let line = line_of(&text, "pledged = ");
            Case {
                name: "toml_syntax_error",
                bytes: text.into_bytes(),
                line,
                field: None,
                allowed: &["TOML"],
            }
        },
        replaced(
            "negative_horizon",
            "horizon_days = 365",
            "horizon_days = -30",
            "horizon_days = -30",
            "simulation.horizon_days",
            &["from 1"],
        ),
        Case {
            name: "duplicate_contributor",
            line: duplicate_line,
            bytes: duplicate.into_bytes(),
            field: Some("contributors.3.name"),
            allowed: &["Kenya", "unique"],
        },
    ]
}
