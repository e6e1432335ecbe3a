//! `PgEngine`'s text-unit methods (semantic search): refreshing an asset's hand units
//! after hand work, the stored units' sentence models, and the units a search matched.
//! The rows themselves are `text_units.rs`'s.

use rushes_core::AssetId;
use rushes_store::StoreError;
use rushes_store::catalog::text_units::{UnitRow, UnitsOf};
use rushes_store::seams::{UnitEmbedding, one_size};
use rushes_store::workflow::embed_hand_units;

use crate::PgEngine;
use crate::error::OrStoreError;
use crate::text_units::{UnitToWrite, delete_units, hand_units, matched, models, write_units};
use crate::vectors::TEXT_UNIT_VECTORS;

impl PgEngine {
    /// Embeds an asset's hand notes and tags, and the notes on its collection entries, with
    /// `embedding` as text units, replacing the earlier ones, so semantic search finds them
    /// by meaning (as `Index::refresh_hand_units`). Read, embedded and written in one
    /// transaction under a lock per asset, so two servers refreshing one asset at once take
    /// turns and the later sees the other's edit. A model that fails leaves the earlier
    /// units and says why.
    pub fn refresh_hand_units(
        &self,
        id: &AssetId,
        embedding: &dyn UnitEmbedding,
    ) -> Result<usize, StoreError> {
        let asset_id = id.as_str();
        self.in_transaction(|transaction| {
            transaction
                .execute(
                    "SELECT pg_advisory_xact_lock(hashtext('rushes hand units ' || $1))",
                    &[&asset_id],
                )
                .or_store_error()?;
            let mut units = hand_units(transaction, asset_id).or_store_error()?;
            embed_hand_units(&mut units, embedding)?;
            let model = embedding.model();
            let dims = units.iter().filter_map(|unit| unit.embedding.as_ref());
            if let Some((model, dim)) = one_size(model, dims.map(Vec::len))? {
                TEXT_UNIT_VECTORS
                    .register(transaction, model, dim)
                    .or_store_error()?;
            }
            delete_units(transaction, asset_id, UnitsOf::Hand).or_store_error()?;
            let writes: Vec<UnitToWrite<'_>> =
                units.iter().map(|unit| (unit, Some(model))).collect();
            write_units(transaction, asset_id, &writes).or_store_error()?;
            Ok(units.len())
        })
    }

    /// Sentence models of the stored unit vectors, with their dimensions.
    pub fn text_unit_models(&self) -> Result<Vec<(String, usize)>, StoreError> {
        self.reading(|client| models(client).or_store_error())
    }

    /// The units of `unit_ids` with the moment each starts in (see [`matched`]).
    pub fn matched_units(&self, unit_ids: &[u64]) -> Result<Vec<UnitRow>, StoreError> {
        self.reading(|client| matched(client, unit_ids).or_store_error())
    }
}
