//! What can be wrong with a configuration file, and where.

use std::fmt;

/// One step into a configuration document: a key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key (`trackers`, `allow`, `eu`).
    Key(String),
    /// An array element (`routes[2]`).
    Index(usize),
}

/// Where in a document a value is: `trackers.allow[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Seg>);

impl Path {
    /// The path of a top-level key.
    pub fn key(k: &str) -> Path {
        Path(vec![Seg::Key(k.to_string())])
    }

    /// This path, one key deeper.
    #[must_use]
    pub fn k(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    /// This path, one array element deeper.
    #[must_use]
    pub fn i(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A value that is well-formed but not acceptable (a semantic error), before
/// its position in the file is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The offending key or value.
    pub path: Path,
    /// What is wrong with it, and what is expected.
    pub reason: String,
    /// The error is about the key itself (an unknown id used as a key), not
    /// its value: its position is the key's.
    pub is_key: bool,
}

impl Invalid {
    /// An error about the value at `path`.
    pub fn at(path: Path, reason: impl Into<String>) -> Invalid {
        Invalid {
            path,
            reason: reason.into(),
            is_key: false,
        }
    }

    /// An error about the last key of `path` (not its value).
    pub fn key(path: Path, reason: impl Into<String>) -> Invalid {
        Invalid {
            is_key: true,
            ..Invalid::at(path, reason)
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for Invalid {}

/// Why a configuration file was rejected. Every variant names the file and,
/// when it is known, the 1-based line and column (`line == 0`: unknown, as
/// for the JSON the worker embeds, which build.rs already checked).
///
/// Displayed as `consent.toml:12:7: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not a TOML (or JSON) document at all.
    #[error("{}: {msg}", at(file, *line, *col))]
    Syntax {
        /// The file (`consent.toml`).
        file: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        col: usize,
        /// The parser's message.
        msg: String,
    },
    /// A document of the wrong shape: a value of the wrong type, an unknown
    /// key or variant, a missing required key.
    #[error("{}: {msg}", at(file, *line, *col))]
    Type {
        /// The file.
        file: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        col: usize,
        /// What serde expected.
        msg: String,
    },
    /// A well-typed value that is not acceptable (unknown vendor id, a
    /// max age over the ceiling, a pattern that can never match, …).
    #[error("{}: {path}: {reason}", at(file, *line, *col))]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        col: usize,
        /// The offending key (`trackers.allow[0]`).
        path: String,
        /// What is wrong and what is expected.
        reason: String,
    },
}

impl ConfigError {
    /// The file the error is in.
    pub fn file(&self) -> &str {
        match self {
            ConfigError::Syntax { file, .. }
            | ConfigError::Type { file, .. }
            | ConfigError::Invalid { file, .. } => file,
        }
    }

    /// 1-based line and column (0, 0 when unknown).
    pub fn position(&self) -> (usize, usize) {
        match self {
            ConfigError::Syntax { line, col, .. }
            | ConfigError::Type { line, col, .. }
            | ConfigError::Invalid { line, col, .. } => (*line, *col),
        }
    }

    /// A semantic error in `file` at an unknown position.
    pub fn invalid(file: &str, e: Invalid) -> ConfigError {
        ConfigError::Invalid {
            file: file.to_string(),
            line: 0,
            col: 0,
            path: e.path.to_string(),
            reason: e.reason,
        }
    }
}

fn at(file: &str, line: usize, col: usize) -> String {
    if line == 0 {
        file.to_string()
    } else {
        format!("{file}:{line}:{col}")
    }
}
