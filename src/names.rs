//! The domain's names in the reader's language: meters, levels of detail,
//! ranges and comparisons, for the pickers, sentences, tables and the chart.

use pelm_app_logic::words::{self, usage};
use pelm_model::pelm::MeterType;
use pelm_usage::{Compare, Level, Preset};

use crate::language::t;

/// A utility as the user reads it: its name, or a plain stand-in until Pelm
/// has named it.
pub fn utility_name(utility: Option<&pelm_model::companion::Utility>) -> String {
    utility.map_or_else(|| t(words::health::YOUR_UTILITY).to_owned(), |u| u.name.clone())
}

/// A meter's kind, as the user reads it.
pub fn meter_name(meter: MeterType) -> &'static str {
    t(match meter {
        MeterType::Electric => words::meter::ELECTRIC,
        MeterType::Gas => words::meter::GAS,
    })
}

/// A level of detail as its picker names it.
pub fn level_title(level: Level) -> &'static str {
    t(match level {
        Level::Raw => usage::LEVEL_RAW,
        Level::Hourly => usage::LEVEL_HOURLY,
        Level::Daily => usage::LEVEL_DAILY,
        Level::Weekly => usage::LEVEL_WEEKLY,
        Level::Monthly => usage::LEVEL_MONTHLY,
    })
}

/// A range's preset as its button names it.
pub fn preset_label(preset: Preset) -> &'static str {
    t(match preset {
        Preset::Week => usage::RANGE_WEEK,
        Preset::Month => usage::RANGE_MONTH,
        Preset::TwoMonths => usage::RANGE_TWO_MONTHS,
        Preset::Year => usage::RANGE_YEAR,
        Preset::All => usage::RANGE_ALL,
    })
}

/// A level as the unit of a sentence: "Usage per day from …".
pub fn level_noun(level: Level) -> &'static str {
    t(match level {
        Level::Raw => usage::PER_INTERVAL,
        Level::Hourly => usage::PER_HOUR,
        Level::Daily => usage::PER_DAY_NOUN,
        Level::Weekly => usage::PER_WEEK,
        Level::Monthly => usage::PER_MONTH,
    })
}

/// How the earlier range is named in a sentence: "the period before".
pub fn against(compare: Compare) -> &'static str {
    t(match compare {
        Compare::None | Compare::Previous => usage::AGAINST_PREVIOUS,
        Compare::Year => usage::AGAINST_YEAR,
    })
}

/// What a comparison is called in its picker.
pub fn compare_label(compare: Compare) -> &'static str {
    t(match compare {
        Compare::None => usage::COMPARE_NONE,
        Compare::Previous => usage::COMPARE_PREVIOUS,
        Compare::Year => usage::COMPARE_YEAR,
    })
}
