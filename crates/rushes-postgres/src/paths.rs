//! The path-prefix map stored with the library: machines that mount the footage at
//! different places (`/Volumes/Footage` on a Mac, `/mnt/footage` on a worker) each map a
//! library prefix to their local one. Paths in the catalog and the job queue are in library
//! form; each machine turns them into its own paths and back. A path no prefix covers is
//! the same on every machine. Prefixes match whole path components (`/mnt/foot` does not
//! cover `/mnt/footage`), the longest first.

use std::path::{Path, PathBuf};

use postgres::GenericClient;

use crate::PostgresError;

/// One machine's prefixes: (library prefix, local prefix), longest library prefix first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixMap {
    pub machine: String,
    entries: Vec<(String, String)>,
}

/// Maps `library_prefix` to `local_prefix` on `machine` (replacing its previous mapping).
pub fn set_prefix(
    client: &mut impl GenericClient,
    machine: &str,
    library_prefix: &str,
    local_prefix: &str,
) -> Result<(), PostgresError> {
    let library_prefix = normalised_prefix(library_prefix)?;
    let local_prefix = normalised_prefix(local_prefix)?;
    client.execute(
        "INSERT INTO path_prefixes (machine, library_prefix, local_prefix) VALUES ($1, $2, $3)
         ON CONFLICT (machine, library_prefix) DO UPDATE SET local_prefix = excluded.local_prefix",
        &[&machine, &library_prefix, &local_prefix],
    )?;
    Ok(())
}

/// Removes `machine`'s mapping of `library_prefix`; whether there was one.
pub fn remove_prefix(
    client: &mut impl GenericClient,
    machine: &str,
    library_prefix: &str,
) -> Result<bool, PostgresError> {
    let library_prefix = normalised_prefix(library_prefix)?;
    Ok(client.execute(
        "DELETE FROM path_prefixes WHERE machine = $1 AND library_prefix = $2",
        &[&machine, &library_prefix],
    )? == 1)
}

/// `machine`'s prefixes as stored with the library.
pub fn load(client: &mut impl GenericClient, machine: &str) -> Result<PrefixMap, PostgresError> {
    let rows = client.query(
        "SELECT library_prefix, local_prefix FROM path_prefixes WHERE machine = $1
         ORDER BY length(library_prefix) DESC, library_prefix",
        &[&machine],
    )?;
    Ok(PrefixMap {
        machine: machine.to_string(),
        entries: rows.iter().map(|row| (row.get(0), row.get(1))).collect(),
    })
}

impl PrefixMap {
    /// The (library prefix, local prefix) pairs, longest library prefix first.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// Where a library path is on this machine.
    pub fn to_local(&self, library_path: &str) -> PathBuf {
        for (library, local) in &self.entries {
            if let Some(rest) = strip_component_prefix(library_path, library) {
                return PathBuf::from(format!("{local}{rest}"));
            }
        }
        PathBuf::from(library_path)
    }

    /// A local path of this machine in library form, by the longest local prefix covering
    /// it. Library paths are text: a path that is not UTF-8 is refused.
    pub fn to_library(&self, local_path: &Path) -> Result<String, PostgresError> {
        let text = local_path.to_str().ok_or_else(|| PostgresError::NotUtf8 {
            path: local_path.to_string_lossy().into_owned(),
        })?;
        let best = self
            .entries
            .iter()
            .filter_map(|(library, local)| {
                strip_component_prefix(text, local).map(|rest| (local.len(), library, rest))
            })
            .max_by_key(|(length, _, _)| *length);
        Ok(match best {
            Some((_, library, rest)) => format!("{library}{rest}"),
            None => text.to_string(),
        })
    }
}

/// The rest of `path` after `prefix` when `prefix` covers whole components of it: empty or
/// starting with `/`.
fn strip_component_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    if prefix == "/" {
        return Some(path);
    }
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// An absolute prefix without its trailing `/` (except `/` itself).
fn normalised_prefix(prefix: &str) -> Result<String, PostgresError> {
    if !prefix.starts_with('/') || prefix.split('/').any(|part| part == "..") {
        return Err(PostgresError::BadPrefix {
            prefix: prefix.to_string(),
        });
    }
    let trimmed = prefix.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/" } else { trimmed }.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> PrefixMap {
        let mut entries: Vec<(String, String)> = entries
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        entries.sort_by_key(|(library, _)| std::cmp::Reverse(library.len()));
        PrefixMap {
            machine: "test".into(),
            entries,
        }
    }

    #[test]
    fn prefixes_cover_whole_components_only_and_the_longest_wins() {
        let map = map(&[
            ("/footage", "/Volumes/Footage"),
            ("/footage/day2", "/Volumes/Day2"),
        ]);
        assert_eq!(
            map.to_local("/footage/a.mov"),
            Path::new("/Volumes/Footage/a.mov")
        );
        assert_eq!(
            map.to_local("/footage/day2/b.mov"),
            Path::new("/Volumes/Day2/b.mov")
        );
        assert_eq!(
            map.to_local("/footage2/c.mov"),
            Path::new("/footage2/c.mov")
        );
        assert_eq!(
            map.to_library(Path::new("/Volumes/Day2/b.mov"))
                .ok()
                .as_deref(),
            Some("/footage/day2/b.mov")
        );
        assert_eq!(
            map.to_library(Path::new("/Volumes/FootageX/c.mov"))
                .ok()
                .as_deref(),
            Some("/Volumes/FootageX/c.mov")
        );
    }

    #[test]
    fn a_relative_or_climbing_prefix_is_refused() {
        for bad in ["footage", "", "/a/../b"] {
            assert!(matches!(
                normalised_prefix(bad),
                Err(PostgresError::BadPrefix { .. })
            ));
        }
        assert_eq!(
            normalised_prefix("/mnt/footage/").ok().as_deref(),
            Some("/mnt/footage")
        );
        assert_eq!(normalised_prefix("/").ok().as_deref(), Some("/"));
    }
}
