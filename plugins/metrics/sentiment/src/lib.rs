//! Standard metric: mean customer sentiment, of contacts or of customers' comments, from the
//! tenant's enricher where it scored the text and from a vendor's score otherwise.

use cxhost_plugin_sdk::prelude::*;

struct Sentiment;

/// The enricher's score of a customer's comment, when it scored it.
const ENRICHED_COMMENT: &str = "(SELECT e.sentiment FROM enrichments e WHERE e.source = 'customer_feedback' \
     AND e.row_id = f.feedback_id AND e.state = 'done')";

/// `source=contact`: each contact once, scored by the enricher (its notes) or else the vendor.
const CONTACTS: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "coalesce((SELECT e.sentiment FROM enrichments e WHERE e.source = 'interactions' \
          AND e.row_id = i.interaction_id AND e.state = 'done'), i.sentiment)",
    den: "1",
    counted: "coalesce((SELECT e.sentiment FROM enrichments e WHERE e.source = 'interactions' \
              AND e.row_id = i.interaction_id AND e.state = 'done'), i.sentiment) IS NOT NULL",
    excluded_reason: "'no sentiment score'",
    denominator_reason: "'neutral (0)'",
    unit: "score",
    higher_is_better: true,
};

/// `source=vendor`: each contact once, by the vendor's score only.
const VENDOR: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "i.sentiment",
    den: "1",
    counted: "i.sentiment IS NOT NULL",
    excluded_reason: "'no vendor sentiment score'",
    denominator_reason: "'neutral (0)'",
    unit: "score",
    higher_is_better: true,
};

/// `source=comments`: each customer comment the enricher scored once.
const COMMENTS: RowRatio = RowRatio {
    source: Source::Feedback,
    num: ENRICHED_COMMENT,
    den: "1",
    counted: "(SELECT e.sentiment FROM enrichments e WHERE e.source = 'customer_feedback' \
              AND e.row_id = f.feedback_id AND e.state = 'done') IS NOT NULL",
    excluded_reason: "CASE WHEN f.comment IS NULL OR trim(f.comment) = '' THEN 'no comment' \
                      ELSE 'comment not scored yet' END",
    denominator_reason: "'neutral (0)'",
    unit: "score",
    higher_is_better: true,
};

const SOURCES: &str = "contact, comments or vendor";

fn definition(req: &Ask) -> Result<&'static RowRatio<'static>, String> {
    match req.params.text("source")? {
        "contact" => Ok(&CONTACTS),
        "comments" => Ok(&COMMENTS),
        "vendor" => Ok(&VENDOR),
        other => Err(format!("parameter `source` must be one of {SOURCES}, got `{other}`")),
    }
}

impl Metric for Sentiment {
    fn describe() -> PluginInfo {
        info(
            "sentiment",
            "1.1.0",
            "Mean customer sentiment (-1 to 1): numerator = sum of scores, denominator = scored \
             items; items without a score are not counted and a group without any has no row. \
             `source=contact` (default): each `interactions` row offered in the range, scored by \
             the tenant's enricher from its `notes` where it did, else by the vendor's \
             `sentiment` column. `source=comments`: each `customer_feedback` comment answered in \
             the range that the enricher scored. `source=vendor`: the vendor's `sentiment` \
             column only. Grouped by agent, team or site through the row's `agent_id` (no agent: \
             group `(none)`), by queue or channel (a comment through its contact), by period \
             through `offered_at` or `responded_at`.",
            vec![param_text("source", "contact", "What is scored: contact, comments or vendor.")],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        definition(req)?.compute(req)
    }
}

impl MetricRecords for Sentiment {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        definition(req)?.records(req)
    }
}

export_metric!(Sentiment, records);
