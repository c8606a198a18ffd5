//! Scenario texts shared by `tests/it` and `tests/memory.rs` (which
//! includes this file by path).

/// A scenario of `count` contributors (police, three waves each, with
/// attrition and withdrawal) reported by `step` over `horizon` days.
pub fn many_contributors(count: usize, step: &str, horizon: u32) -> String {
    let mut text = format!(
        "name = \"many\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = {horizon}\nstep = \"{step}\"\nseed = 1\n\
         [population]\ninitial = 11000000\n[host_police]\ninitial = 5000\nattrition_per_year = 0.1\n"
    );
    for i in 0..count {
        text.push_str(&format!(
            "[[contributors]]\nname = \"C{i}\"\ndeployed = {}\npledged = {}\nprobability = 0.7\n\
             fulfilment = \"beta(8, 2)\"\nfirst_arrival_days = \"triangular(10, 60, 200)\"\nwaves = 3\n\
             wave_interval_days = \"uniform(20, 60)\"\nattrition_per_year = 0.05\nwithdrawal_per_year = 0.05\n",
            i % 50,
            100 + i % 400
        ));
    }
    text.push_str("[[targets]]\nname = \"t\"\nmetric = \"international\"\nat_least = 100000\n");
    text
}
