//! The privacy floor: employee figures from fewer respondents than the tenant's minimum group
//! size are never shown. A metric that withholds small groups declares the integer parameter
//! `min_responses`; wherever the metric runs — the metric route, correlations, dashboards,
//! pages — it runs with at least the floor, and asking for less is refused.

use crate::runtime::bindings::{Param, ParamValue};

/// The parameter through which metrics withhold small groups.
pub const MIN_RESPONSES: &str = "min_responses";

#[derive(Debug, thiserror::Error)]
#[error("{MIN_RESPONSES} = {asked} is below this tenant's minimum group size of {floor}")]
pub struct BelowFloor {
    pub asked: i64,
    pub floor: u32,
}

/// Raises `min_responses` in `params` to `floor` when it came from the plugin's default, and
/// refuses it when the caller `asked` for less.
pub fn hold_to_floor(params: &mut [Param], asked: bool, floor: u32) -> Result<(), BelowFloor> {
    for param in params.iter_mut().filter(|p| p.name == MIN_RESPONSES) {
        if let ParamValue::Integer(n) = param.value
            && n < i64::from(floor)
        {
            if asked {
                return Err(BelowFloor { asked: n, floor });
            }
            param.value = ParamValue::Integer(i64::from(floor));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: i64) -> Vec<Param> {
        vec![
            Param { name: "item".into(), value: ParamValue::Text("wellbeing".into()) },
            Param { name: MIN_RESPONSES.into(), value: ParamValue::Integer(n) },
        ]
    }

    #[test]
    fn a_default_below_the_floor_is_raised_and_asking_for_less_is_refused() {
        let mut defaults = params(3);
        hold_to_floor(&mut defaults, false, 5).unwrap();
        assert!(matches!(defaults[1].value, ParamValue::Integer(5)));
        let refused = hold_to_floor(&mut params(3), true, 5).unwrap_err();
        assert_eq!(refused.to_string(), "min_responses = 3 is below this tenant's minimum group size of 5");
        let mut above = params(8);
        hold_to_floor(&mut above, true, 5).unwrap();
        assert!(matches!(above[1].value, ParamValue::Integer(8)), "more than the floor is kept");
    }
}
