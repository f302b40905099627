//! Test plugin: a valid component for the `enricher` world, uploaded where a metric is
//! expected; the host must refuse it as the wrong world.

wit_bindgen::generate!({ path: "../../../wit", world: "enricher" });

use cxhost::plugin::types::PluginKind;

struct WrongWorld;

impl Guest for WrongWorld {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "wrong_world".to_string(),
            version: "0.0.1".to_string(),
            kind: PluginKind::Enricher,
            description: "An enricher, not a metric.".to_string(),
            params: Vec::new(),
        }
    }

    fn enrich(items: Vec<TextItem>) -> Result<Vec<Enrichment>, String> {
        Ok(items
            .into_iter()
            .map(|item| Enrichment { id: item.id, sentiment: None, topics: Vec::new(), tags: Vec::new() })
            .collect())
    }
}

export!(WrongWorld);
