"""{{name}}: topics by keyword, an enricher plugin (the `enricher` world of wit/cxhost.wit) in
Python. The host sends the texts of newly ingested rows with the tenant's taxonomy; each text
gets the topics one of whose keywords it contains (case-insensitive)."""

import wit_world
from wit_world.imports import enricher_types, types


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            kind=types.PluginKind.ENRICHER,
            description=(
                "Topics: each text gets the taxonomy topics one of whose keywords it contains, "
                "ignoring case. No sentiment, no tags; the language is left `und`."
            ),
            params=[],
        )

    def enrich(self, request: enricher_types.EnrichRequest) -> list:
        result = []
        for item in request.items:
            text = item.text.lower()
            topics = [t.name for t in request.taxonomy if any(k and k.lower() in text for k in t.keywords)]
            result.append(enricher_types.Enrichment(id=item.id, sentiment=None, topics=topics, tags=[], language="und"))
        return result
