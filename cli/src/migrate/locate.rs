//! Where in the file a field is: a path such as `managed_balances[0].min` resolved to a
//! line and column through the parser's spans, and back from an offset to a path.

use std::fmt;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A field of the file: `managed_balances[0].sources[1].priority`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root(key: &str) -> Self {
        Self(vec![Segment::Key(key.to_string())])
    }

    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

fn child<'a, 'i>(
    value: &'a DeValue<'i>,
    segment: &Segment,
) -> Option<(&'a Spanned<DeValue<'i>>, Option<std::ops::Range<usize>>)> {
    match (value, segment) {
        (DeValue::Table(table), Segment::Key(key)) => {
            table.iter().find(|(name, _)| name.get_ref() == key).map(|(name, value)| (value, Some(name.span())))
        }
        (DeValue::Array(array), Segment::Index(index)) => array.get(*index).map(|value| (value, None)),
        _ => None,
    }
}

/// The byte offset of `path`: its key where it has one, else its value; for a field
/// that is absent, the deepest part of the path that is present.
pub fn offset_of(document: &Spanned<DeTable<'_>>, path: &FieldPath) -> usize {
    let root = DeValue::Table(document.get_ref().clone());
    let mut value = &root;
    let mut offset = document.span().start;
    for segment in &path.0 {
        match child(value, segment) {
            Some((next, key_span)) => {
                offset = key_span.map_or(next.span().start, |span| span.start);
                value = next.get_ref();
            }
            None => break,
        }
    }
    offset
}

/// A child of a table or array: where it sits, its value, and its key's span.
type Entry<'a, 'i> = (Segment, &'a Spanned<DeValue<'i>>, Option<std::ops::Range<usize>>);

/// The most specific field at `offset`. A table's span covers only its header, so
/// every entry is searched, not just those whose span contains the offset.
pub fn path_at(document: &Spanned<DeTable<'_>>, offset: usize) -> FieldPath {
    fn find(value: &DeValue<'_>, offset: usize) -> Option<Vec<Segment>> {
        let entries: Vec<Entry<'_, '_>> = match value {
            DeValue::Table(table) => table
                .iter()
                .map(|(key, value)| (Segment::Key(key.get_ref().to_string()), value, Some(key.span())))
                .collect(),
            DeValue::Array(array) => {
                array.iter().enumerate().map(|(index, value)| (Segment::Index(index), value, None)).collect()
            }
            _ => return None,
        };
        for (segment, value, key_span) in entries {
            if let Some(mut rest) = find(value.get_ref(), offset) {
                rest.insert(0, segment);
                return Some(rest);
            }
            if value.span().contains(&offset) || key_span.is_some_and(|span| span.contains(&offset)) {
                return Some(vec![segment]);
            }
        }
        None
    }
    FieldPath(find(&DeValue::Table(document.get_ref().clone()), offset).unwrap_or_default())
}

/// 1-based line and column of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |newline| before[newline + 1..].chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[treasury]\nauthority = \"a\"\n\n[[managed_balances]]\nid = 1\nmin = 5\n\n[[managed_balances]]\nid = 2\nmin = 7\n";

    #[test]
    fn finds_the_line_of_a_nested_field() {
        let document = DeTable::parse(FILE).unwrap();
        let path = FieldPath::root("managed_balances").index(1).key("min");
        assert_eq!(path.to_string(), "managed_balances[1].min");
        assert_eq!(line_column(FILE, offset_of(&document, &path)), (10, 1));
        let missing = FieldPath::root("managed_balances").index(0).key("max");
        assert_eq!(line_column(FILE, offset_of(&document, &missing)).0, 4);
    }

    #[test]
    fn finds_the_field_at_an_offset() {
        let document = DeTable::parse(FILE).unwrap();
        let offset = FILE.find("7").unwrap();
        assert_eq!(path_at(&document, offset).to_string(), "managed_balances[1].min");
        assert_eq!(line_column(FILE, 0), (1, 1));
    }
}
