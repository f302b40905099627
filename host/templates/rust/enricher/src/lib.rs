//! {{name}}: topics by keyword — an enricher plugin (the `enricher` world of wit/cxhost.wit).
//! The host sends the texts of newly ingested rows with the tenant's taxonomy; each text gets
//! the topics one of whose keywords it contains (case-insensitive).

wit_bindgen::generate!({ path: "wit", world: "enricher" });

use cxhost::plugin::types::PluginKind;

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::Enricher,
            description: "Topics: each text gets the taxonomy topics one of whose keywords it contains, \
                          ignoring case. No sentiment, no tags; the language is left `und`."
                .to_string(),
            params: vec![],
        }
    }

    fn enrich(request: EnrichRequest) -> Result<Vec<Enrichment>, String> {
        Ok(request
            .items
            .iter()
            .map(|item| {
                let text = item.text.to_lowercase();
                let topics = request
                    .taxonomy
                    .iter()
                    .filter(|topic| topic.keywords.iter().any(|k| !k.is_empty() && text.contains(&k.to_lowercase())))
                    .map(|topic| topic.name.clone())
                    .collect();
                Enrichment { id: item.id.clone(), sentiment: None, topics, tags: vec![], language: "und".to_string() }
            })
            .collect())
    }
}

export!(Plugin);
