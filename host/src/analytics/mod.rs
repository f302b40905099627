//! CX–EX analytics: statistics over paired customer and employee figures, and the panels
//! dashboards show them in.

pub mod correlation;
pub mod cxex;
pub mod dashboards;
pub mod host;
pub mod panels;
pub mod series;
pub mod topics;
