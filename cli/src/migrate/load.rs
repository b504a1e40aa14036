//! Reads a treasury file and reports every problem as `file:line:column: field: what
//! to do`, before anything touches the cluster.

use super::{
    declared::{check, Declared, FieldError},
    file::TreasuryFile,
    locate::{line_column, offset_of, path_at},
};
use std::{
    fmt,
    path::{Path, PathBuf},
};
use toml::de::DeTable;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub file: PathBuf,
    pub problems: Vec<Located>,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let field = if problem.field.is_empty() { String::new() } else { format!("{}: ", problem.field) };
            write!(f, "{}:{}:{}: {field}{}", self.file.display(), problem.line, problem.column, problem.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FileError {}

/// A treasury file that parsed and passed every check, with its text kept to locate
/// the problems found later against the chain.
pub struct TreasuryDocument {
    pub path: PathBuf,
    pub text: String,
    pub declared: Declared,
}

impl TreasuryDocument {
    /// Places errors found after loading (against the chain) in the file.
    pub fn locate(&self, errors: Vec<FieldError>) -> FileError {
        locate_all(&self.path, &self.text, errors)
    }
}

fn locate_all(path: &Path, text: &str, errors: Vec<FieldError>) -> FileError {
    let document = DeTable::parse(text).ok();
    let problems = errors
        .into_iter()
        .map(|error| {
            let offset = document.as_ref().map_or(0, |document| offset_of(document, &error.path));
            let (line, column) = line_column(text, offset);
            Located { line, column, field: error.path.to_string(), message: error.message }
        })
        .collect();
    FileError { file: path.to_path_buf(), problems }
}

fn single(path: &Path, line: usize, column: usize, field: String, message: String) -> FileError {
    FileError { file: path.to_path_buf(), problems: vec![Located { line, column, field, message }] }
}

pub fn load(path: &Path) -> Result<TreasuryDocument, FileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| single(path, 1, 1, String::new(), format!("cannot read the treasury file: {error}")))?;
    parse(path, text)
}

pub fn parse(path: &Path, text: String) -> Result<TreasuryDocument, FileError> {
    let file: TreasuryFile = toml::from_str(&text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        let (line, column) = line_column(&text, offset);
        let field = DeTable::parse(&text).map(|document| path_at(&document, offset).to_string()).unwrap_or_default();
        single(path, line, column, field, error.message().trim().replace('\n', " "))
    })?;
    let declared = check(&file).map_err(|errors| locate_all(path, &text, errors))?;
    Ok(TreasuryDocument { path: path.to_path_buf(), text, declared })
}
