//! `forcegen merge`: the partial results of a sharded run, merged into the
//! files a single run would have written.

use std::path::PathBuf;

use clap::Args;

use super::run::{FILES, Results, XlsxOption, identity};
use super::{Failure, OutputOptions, interrupt};
use crate::model::Model;
use crate::output;
use crate::output::folder::OutputFolder;
use crate::partial;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The partial files, one per shard, in any order.
    #[arg(required = true)]
    pub partials: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputOptions,
    #[command(flatten)]
    pub xlsx: XlsxOption,
    #[command(flatten)]
    pub percentiles: super::run::PercentilesOption,
    #[command(flatten)]
    pub json: super::run::JsonOption,
}

/// `forcegen merge`.
pub fn run(args: &MergeArgs) -> Result<(), Failure> {
    interrupt::install();
    let merged = partial::merge_files(&args.partials)?;
    let out = args.output.out.clone().unwrap_or_else(|| merged.default_out_dir());
    let folder = OutputFolder::open(&out, FILES, &identity(&merged.scenario), args.output.force)?;
    let conditioned = merged
        .observed
        .as_ref()
        .map(|observed| super::observed::merged(&merged.scenario, observed))
        .transpose()?;
    let model = Model::new(&merged.scenario);
    // The scenario's `report_date`, as a single run without --report-date.
    let report_day = output::extras::distribution_day(&merged.scenario, &model, None).map_err(Failure::Usage)?;
    let results = Results {
        scenario: &merged.scenario,
        model: &model,
        aggregates: &merged.aggregates,
        elapsed: None,
        threads: 0,
        report_day,
        drivers: true,
        percents: args.percentiles.percents(),
        precision: None,
        conditioned,
    };
    results.write(folder, false, (args.xlsx.xlsx, args.json.json), args.output.quiet)
}
