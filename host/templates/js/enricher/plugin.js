// {{name}}: topics by keyword, an enricher plugin (the `enricher` world of wit/cxhost.wit) in
// JavaScript. The host sends the texts of newly ingested rows with the tenant's taxonomy; each
// text gets the topics one of whose keywords it contains (case-insensitive).

export function describe() {
  return {
    name: "{{name}}",
    version: "0.1.0",
    kind: "enricher",
    description:
      "Topics: each text gets the taxonomy topics one of whose keywords it contains, ignoring case. " +
      "No sentiment, no tags; the language is left `und`.",
    params: [],
  };
}

export function enrich(request) {
  return request.items.map((item) => {
    const text = item.text.toLowerCase();
    const topics = request.taxonomy
      .filter((topic) => topic.keywords.some((k) => k !== "" && text.includes(k.toLowerCase())))
      .map((topic) => topic.name);
    return { id: item.id, sentiment: undefined, topics, tags: [], language: "und" };
  });
}
