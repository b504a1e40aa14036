//! The JSON files the Rust and Python sides of the forecast benchmark hand each other:
//! `series.json` (the data sets, written by Rust) and one forecasts file per side.

use crate::datasets::Dataset;
use anyhow::Context;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeriesFile {
    pub datasets: Vec<Dataset>,
}

/// One model's forecast of one series.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeriesForecast {
    pub id: String,
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Which model the forecaster picked, where it picks one.
    #[serde(default)]
    pub method: Option<String>,
}

/// One model run over every series of one data set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelRun {
    pub dataset: String,
    pub model: String,
    /// Fit plus forecast, summed over the series, in seconds.
    pub seconds: f64,
    pub forecasts: Vec<SeriesForecast>,
    /// Series the model could not forecast, each with the reason.
    #[serde(default)]
    pub failed: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ForecastFile {
    /// What produced the file: library versions, interpreter.
    pub producer: String,
    pub runs: Vec<ModelRun>,
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string(value)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not the expected JSON", path.display()))
}
