"""Central Licence Catalogue: identifiers, records, upload pipeline, validation, store, app."""
