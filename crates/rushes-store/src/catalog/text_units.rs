//! The text units repository: every transcript line, on-screen text run and caption of an
//! asset, and its hand notes and tags, as a unit with its window and its sentence embedding
//! (`text_units`), the unit keys awaiting removal from the text-unit vector index
//! (`stale_text_units`), and the reads semantic search and `rushes reindex` make of them.
//! Found units are written and deleted with their asset, inside the asset's transaction
//! (`assets.rs`); hand units follow the hand notes and tags, which outlive the asset's rows
//! until it is forgotten.

use rushes_core::{TextUnit, TextUnitKind};
use rusqlite::{Connection, params};

use crate::catalog::sql::{FrameVector, embedding_from_blob, embedding_to_blob, normalised, rows};
use crate::error::StoreError;

/// A unit found by a semantic query, with the moment its window starts in.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub unit_id: u64,
    /// The asset's moment the unit starts in (its first moment when it starts before all).
    pub moment_id: i64,
    pub kind: TextUnitKind,
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// A text unit as stored: the unit with its embedding, and the sentence model of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUnit {
    pub unit: TextUnit,
    pub model: Option<String>,
}

/// Which of an asset's units a deletion takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitsOf {
    /// What indexing found (transcript, on-screen text, captions).
    Found,
    /// Hand notes and tags.
    Hand,
}

impl UnitsOf {
    /// The SQL condition on `kind` selecting these units (the same on both engines).
    pub fn condition(self) -> &'static str {
        match self {
            UnitsOf::Found => "kind NOT IN ('note', 'tag')",
            UnitsOf::Hand => "kind IN ('note', 'tag')",
        }
    }
}

/// Text units, on the catalog's connection or one transaction of it.
pub struct TextUnits<'c> {
    db: &'c Connection,
}

impl<'c> TextUnits<'c> {
    pub(crate) fn on(db: &'c Connection) -> TextUnits<'c> {
        TextUnits { db }
    }

    /// Writes an asset's units; returns the vectors to add to the text-unit vector index
    /// (units without an embedding, or with no `model`, are stored without one).
    pub fn write(
        &self,
        asset_id: &str,
        model: Option<&str>,
        units: &[TextUnit],
    ) -> Result<Vec<FrameVector>, StoreError> {
        let mut added = Vec::new();
        let mut insert = self.db.prepare_cached(
            "INSERT INTO text_units (asset_id, kind, start, end, text, model, embedding)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for unit in units {
            let embedding = match (model, unit.embedding.as_deref()) {
                (Some(model), Some(vector)) if !vector.is_empty() => {
                    Some((model, normalised(vector)))
                }
                _ => None,
            };
            insert.execute(params![
                asset_id,
                unit.kind.as_str(),
                unit.start,
                unit.end,
                unit.text,
                embedding.as_ref().map(|(model, _)| *model),
                embedding
                    .as_ref()
                    .map(|(_, vector)| embedding_to_blob(vector)),
            ])?;
            if let Some((model, embedding)) = embedding {
                added.push(FrameVector {
                    frame_id: self.db.last_insert_rowid() as u64,
                    model: model.to_owned(),
                    embedding,
                });
            }
        }
        Ok(added)
    }

    /// Deletes an asset's units of one sort; their vector keys are returned and remembered
    /// in `stale_text_units` until the vector files are saved without them.
    pub fn delete_of_asset(
        &self,
        asset_id: &str,
        which: UnitsOf,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        let condition = which.condition();
        let removed: Vec<(u64, String)> = rows(
            self.db,
            &format!(
                "SELECT id, model FROM text_units
                 WHERE asset_id = ?1 AND {condition} AND embedding IS NOT NULL"
            ),
            [asset_id],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)),
        )?;
        self.remember_stale(&removed)?;
        self.db
            .prepare_cached(&format!(
                "DELETE FROM text_units WHERE asset_id = ?1 AND {condition}"
            ))?
            .execute([asset_id])?;
        Ok(removed)
    }

    /// Deletes an asset's hand units (notes and tags) that are not in `keep`, compared by
    /// kind, window and text; their vector keys are returned and remembered as stale.
    pub fn delete_hand_except(
        &self,
        asset_id: &str,
        keep: &[TextUnit],
    ) -> Result<Vec<(u64, String)>, StoreError> {
        let condition = UnitsOf::Hand.condition();
        let stored = rows(
            self.db,
            &format!(
                "SELECT id, kind, start, end, text, model FROM text_units
                 WHERE asset_id = ?1 AND {condition}"
            ),
            [asset_id],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, f64>(2)?,
                    row.get::<_, f64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            },
        )?;
        let kept = |kind: &str, start: f64, end: f64, text: &str| {
            keep.iter().any(|unit| {
                unit.kind.as_str() == kind
                    && unit.start == start
                    && unit.end == end
                    && unit.text == text
            })
        };
        let gone: Vec<(i64, Option<String>)> = stored
            .into_iter()
            .filter(|(_, kind, start, end, text, _)| !kept(kind, *start, *end, text))
            .map(|(id, _, _, _, _, model)| (id, model))
            .collect();
        let removed: Vec<(u64, String)> = gone
            .iter()
            .filter_map(|(id, model)| Some((*id as u64, model.clone()?)))
            .collect();
        self.remember_stale(&removed)?;
        let mut delete = self
            .db
            .prepare_cached("DELETE FROM text_units WHERE id = ?1")?;
        for (id, _) in &gone {
            delete.execute([id])?;
        }
        Ok(removed)
    }

    /// Remembers unit keys deleted from the catalog in `stale_text_units`, until the vector
    /// files are saved without them.
    fn remember_stale(&self, removed: &[(u64, String)]) -> Result<(), StoreError> {
        let mut stale = self.db.prepare_cached(
            "INSERT OR IGNORE INTO stale_text_units (unit_id, model) VALUES (?1, ?2)",
        )?;
        for (unit_id, model) in removed {
            stale.execute(params![*unit_id as i64, model])?;
        }
        Ok(())
    }

    /// Unit keys deleted from the catalog whose removal from the vector files is not saved.
    pub fn stale(&self) -> Result<Vec<(u64, String)>, StoreError> {
        rows(
            self.db,
            "SELECT unit_id, model FROM stale_text_units",
            [],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)),
        )
    }

    /// Forgets the stale unit keys: run once the vector files are saved.
    pub(crate) fn clear_stale(&self) -> Result<(), StoreError> {
        self.db.execute("DELETE FROM stale_text_units", [])?;
        Ok(())
    }

    /// The units of done assets among `unit_ids`, each with the moment it starts in, in
    /// the order of `unit_ids` (ids no longer in the catalog are left out).
    pub fn matched(&self, unit_ids: &[u64]) -> Result<Vec<UnitRow>, StoreError> {
        let mut statement = self.db.prepare_cached(
            "SELECT u.kind, u.start, u.end, u.text,
                    COALESCE(
                        (SELECT m.id FROM moments m WHERE m.asset_id = u.asset_id
                            AND m.start <= u.start + 0.000001 ORDER BY m.start DESC LIMIT 1),
                        (SELECT m.id FROM moments m WHERE m.asset_id = u.asset_id
                            ORDER BY m.start LIMIT 1))
             FROM text_units u JOIN assets a ON a.id = u.asset_id
             WHERE u.id = ?1 AND a.pending = 0",
        )?;
        let mut found = Vec::with_capacity(unit_ids.len());
        for &unit_id in unit_ids {
            let mut result = statement.query([unit_id as i64])?;
            let Some(row) = result.next()? else {
                continue;
            };
            let kind: String = row.get(0)?;
            let moment_id: Option<i64> = row.get(4)?;
            let (Some(kind), Some(moment_id)) = (TextUnitKind::parse(&kind), moment_id) else {
                continue;
            };
            found.push(UnitRow {
                unit_id,
                moment_id,
                kind,
                start: row.get(1)?,
                end: row.get(2)?,
                text: row.get(3)?,
            });
        }
        Ok(found)
    }

    /// An asset's units in time order (embeddings left out).
    pub fn of_asset(&self, asset_id: &str) -> Result<Vec<TextUnit>, StoreError> {
        Ok(self
            .stored_of_asset(asset_id)?
            .into_iter()
            .map(|stored| TextUnit {
                embedding: None,
                ..stored.unit
            })
            .collect())
    }

    /// An asset's units in time order, each with its embedding (as kept, f16) and model.
    pub fn stored_of_asset(&self, asset_id: &str) -> Result<Vec<StoredUnit>, StoreError> {
        let stored = rows(
            self.db,
            "SELECT kind, start, end, text, model, embedding FROM text_units
             WHERE asset_id = ?1 ORDER BY start, id",
            [asset_id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<Vec<u8>>>(5)?,
                ))
            },
        )?;
        Ok(stored
            .into_iter()
            .filter_map(|(kind, start, end, text, model, blob)| {
                let embedding = blob
                    .filter(|_| model.is_some())
                    .map(|blob| embedding_from_blob(&blob));
                Some(StoredUnit {
                    unit: TextUnit {
                        kind: TextUnitKind::parse(&kind)?,
                        start,
                        end,
                        text,
                        embedding,
                    },
                    model,
                })
            })
            .collect())
    }

    /// Sentence models of the stored unit vectors, with their dimensions.
    pub fn models(&self) -> Result<Vec<(String, usize)>, StoreError> {
        rows(
            self.db,
            "SELECT model, length(embedding) / 2 FROM text_units
             WHERE embedding IS NOT NULL GROUP BY model ORDER BY model",
            [],
            |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as usize)),
        )
    }

    /// How many stored unit vectors a model has (pending assets included).
    pub fn vector_count(&self, model: &str) -> Result<u64, StoreError> {
        let count: i64 = self.db.query_row(
            "SELECT count(*) FROM text_units WHERE model = ?1 AND embedding IS NOT NULL",
            [model],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }

    /// Every stored unit vector of a model, for rebuilding its vector index.
    pub fn vectors(
        &self,
        model: &str,
        mut each: impl FnMut(FrameVector) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.db.prepare(
            "SELECT id, embedding FROM text_units WHERE model = ?1 AND embedding IS NOT NULL",
        )?;
        let mut result = statement.query([model])?;
        while let Some(row) = result.next()? {
            let blob: Vec<u8> = row.get(1)?;
            each(FrameVector {
                frame_id: row.get::<_, i64>(0)? as u64,
                model: model.to_owned(),
                embedding: embedding_from_blob(&blob),
            })?;
        }
        Ok(())
    }
}
