//! Pipelines over data as it arrives: enrichment of ingested text in the background
//! (`enrichment`), and routing decisions for new contacts on the live path (`routing`, with the
//! roster snapshot it reads and the decision log it writes).

pub mod decision_log;
pub mod enrichment;
pub mod roster;
pub mod routing;
