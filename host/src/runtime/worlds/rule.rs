//! The rule world: `evaluate` returns the actions a rule's conditions call for, with the
//! `analytics` import bounded to finished periods; the size of its answer is checked here and
//! its content (agents, teams, causes, evidence) by the rule run before the actions ledger.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::rule::{Rule, RulePre};
use crate::runtime::bindings::{PluginInfo, PluginKind, RuleRequest, RuleResult};
use crate::runtime::checks::check_size;
use crate::runtime::host::CallState;

pub struct RuleWorld;

impl crate::runtime::bindings::rule::cxhost::plugin::rule_types::Host for CallState {}

/// Bytes an action is counted as besides its texts.
const ACTION_OVERHEAD: usize = 48;
/// Bytes an evidence item is counted as besides its metric name.
const EVIDENCE_OVERHEAD: usize = 48;

impl World for RuleWorld {
    const KIND: PluginKind = PluginKind::Rule;
    const ANALYTICS: bool = true;
    type Pre = RulePre<CallState>;
    type Bindings = Rule;
    type Request = RuleRequest;
    type Output = RuleResult;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        Rule::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        RulePre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<Rule> {
        pre.instantiate(store)
    }

    fn describe(bindings: &Rule, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &Rule,
        store: &mut Store<CallState>,
        request: &RuleRequest,
    ) -> wasmtime::Result<Result<RuleResult, String>> {
        bindings.call_evaluate(store, request)
    }

    fn check(result: &RuleResult, limits: &PluginLimits) -> Result<(), String> {
        let sizes = result.actions.iter().map(|a| {
            let texts = a.agent_id.as_ref().map_or(0, String::len)
                + a.team.as_ref().map_or(0, String::len)
                + a.subject.len()
                + a.cause.len()
                + a.title.len()
                + a.detail.len();
            let evidence: usize = a.evidence.iter().map(|e| e.metric.len() + EVIDENCE_OVERHEAD).sum();
            ACTION_OVERHEAD + texts + evidence
        });
        check_size(sizes, "actions", limits)
    }
}
