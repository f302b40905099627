//! CX–EX analytics: statistics over paired customer and employee figures.

pub mod correlation;
pub mod series;
pub mod topics;
