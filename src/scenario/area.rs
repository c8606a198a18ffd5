//! `[[areas]]`: parts of the country with their own ratios
//! (`police_per_100k:AREA`, `security_per_1000:AREA`).
//!
//! The rules: docs/MODEL.md §3.1 (area ratios).

use super::Input;

/// Most `[[areas]]` entries a scenario may have.
pub const MAX_AREAS: usize = 20;

/// The smallest share of the population an area is taken to have in a
/// trial (a drawn `population_share` below it counts as this), so that
/// an area's ratio is always finite.
pub const MIN_AREA_POPULATION_SHARE: f64 = 1e-6;

/// One `[[areas]]` entry.
#[derive(Debug, Clone)]
pub struct Area {
    pub name: String,
    /// The share of the population living there (0 to 1, uncertain).
    pub population_share: Input,
    /// The share of the host police serving there (0 to 1, uncertain).
    pub host_police_share: Input,
    /// The contributors with people there: (index into
    /// `Scenario::contributors`, the fixed share of its people), in
    /// contributor order.
    pub members: Vec<(usize, f64)>,
}
