//! The game-mechanic world: `award` returns awards and gaming flags; their size is checked here
//! and their content by the points ledger.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::game_mechanic::{GameMechanic, GameMechanicPre};
use crate::runtime::bindings::{AwardRequest, AwardResult, PluginInfo, PluginKind};
use crate::runtime::checks::check_size;
use crate::runtime::host::CallState;

pub struct GameMechanicWorld;

impl crate::runtime::bindings::game_mechanic::cxhost::plugin::game_types::Host for CallState {}

impl World for GameMechanicWorld {
    const KIND: PluginKind = PluginKind::GameMechanic;
    type Pre = GameMechanicPre<CallState>;
    type Bindings = GameMechanic;
    type Request = AwardRequest;
    type Output = AwardResult;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        GameMechanic::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        GameMechanicPre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<GameMechanic> {
        pre.instantiate(store)
    }

    fn describe(bindings: &GameMechanic, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &GameMechanic,
        store: &mut Store<CallState>,
        request: &AwardRequest,
    ) -> wasmtime::Result<Result<AwardResult, String>> {
        bindings.call_award(store, request)
    }

    fn check(result: &AwardResult, limits: &PluginLimits) -> Result<(), String> {
        let awards = result.awards.iter().map(|a| a.agent_id.len() + a.code.len() + a.reason.len() + 16);
        let flags = result.flags.iter().map(|f| f.agent_id.len() + f.pattern.len() + f.detail.len());
        check_size(awards.chain(flags), "awards and flags", limits)
    }
}
