//! Asset identity: which asset a file found by a run is. The rules of the catalog, not of
//! the pipeline: a file whose path, size and modification time the catalog holds is
//! unchanged; a changed file keeps its asset's id; a file whose content the catalog knows
//! under a path that no longer exists was moved here (the asset follows it, keeping its
//! tags, notes and people); anything else is a new asset with an id from its path, salted
//! when another asset already holds that id (a file that used to live at this path and moved
//! away).

use std::path::{Path, PathBuf};

use rushes_core::{Asset, AssetId};
use tracing::debug;

use crate::StoreError;

/// What identity needs of the catalog (the `Index` facade implements it, and another engine
/// with paths of its own form), so these rules do not import the facade that calls them.
pub trait AssetLookup {
    fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError>;
    fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError>;
    fn assets_by_hash(&self, content_hash: &str) -> Result<Vec<Asset>, StoreError>;
    fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError>;
}

/// What the catalog knows of a file at a path, from its size and modification time alone
/// (before its content is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownFile {
    /// The catalog holds this version: nothing to do.
    Unchanged,
    /// The catalog holds an older version under this id.
    Changed(AssetId),
    /// No asset at this path.
    New,
}

/// Who a new or changed file is, once its content hash is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The same content moved here from `from`: the catalog now has the asset at the new
    /// path and nothing needs rebuilding.
    Moved { from: PathBuf },
    /// Build the asset under this id: the file's earlier id, the id of an asset whose
    /// content moved here and then changed size, or a fresh one.
    Build(AssetId),
}

/// What the catalog knows of the file at `path` with this size and modification time.
pub fn known_file(
    catalog: &impl AssetLookup,
    path: &Path,
    size: u64,
    mtime: i64,
) -> Result<KnownFile, StoreError> {
    Ok(match catalog.asset_by_path(path)? {
        Some(asset) if asset.size == size && asset.mtime == mtime => KnownFile::Unchanged,
        Some(asset) => KnownFile::Changed(asset.id),
        None => KnownFile::New,
    })
}

/// The identity of a changed or new file of `size` bytes whose content hashes to
/// `content_hash`. A move is recorded at once (the asset takes the new path).
pub fn identify(
    catalog: &impl AssetLookup,
    path: &Path,
    known: KnownFile,
    size: u64,
    content_hash: &str,
) -> Result<Identity, StoreError> {
    if let KnownFile::Changed(id) = known {
        return Ok(Identity::Build(id));
    }
    // A file whose content we know under a path that no longer exists was moved here.
    for other in catalog.assets_by_hash(content_hash)? {
        if std::fs::symlink_metadata(&other.path).is_err() {
            catalog.move_asset(&other.id, path)?;
            debug!(from = %other.path.display(), to = %path.display(), "moved");
            if other.size == size {
                return Ok(Identity::Moved { from: other.path });
            }
            return Ok(Identity::Build(other.id));
        }
    }
    Ok(Identity::Build(fresh_asset_id(
        catalog,
        path,
        content_hash,
    )?))
}

/// An id for a new asset: from its path, unless another asset already holds that id (a
/// file that used to live at this path and moved away).
fn fresh_asset_id(
    catalog: &impl AssetLookup,
    path: &Path,
    content_hash: &str,
) -> Result<AssetId, StoreError> {
    let mut id = AssetId::from_path(path);
    let mut salt = 0u32;
    while catalog.asset(&id)?.is_some() {
        salt += 1;
        let salted = format!("{}\u{0}{content_hash}\u{0}{salt}", path.display());
        id = AssetId::from_path(Path::new(&salted));
    }
    Ok(id)
}
