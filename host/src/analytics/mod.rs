//! The host's built-in analytics: CX–EX statistics over paired customer and employee figures,
//! the panels dashboards show them in, the analytics import of dashboards and rules, and the
//! impact of coaching.

pub mod coaching;
pub mod correlation;
pub mod cxex;
pub mod dashboards;
pub mod host;
pub mod panels;
pub mod quartiles;
pub mod ranking;
pub mod records;
pub mod series;
pub mod topics;
