//! The plugin worlds the host runs, one file each. A world says how to pre-instantiate and
//! instantiate its bindings, call `describe()` and its entry point, and check the size and
//! shape of what the entry point returns; the runtime's one call path does the rest (store,
//! limits, traps, logs). Adding a world: its bindings in `bindings.rs`, a file here that
//! implements [`World`], and one line in each of [`link_all`] and [`RECOGNIZERS`].

pub mod dashboard;
pub mod enricher;
pub mod game_mechanic;
pub mod metric;
pub mod pay_model;
pub mod router;
pub mod rule;

use std::any::Any;

use wasmtime::Store;
use wasmtime::component::{InstancePre, Linker};

use super::bindings::{PluginInfo, PluginKind};
use super::host::CallState;
use crate::config::PluginLimits;

pub use self::dashboard::DashboardWorld;
pub use self::enricher::EnricherWorld;
pub use self::game_mechanic::GameMechanicWorld;
pub use self::metric::{MetricPre, MetricRecordsWorld, MetricSeriesWorld, MetricWorld};
pub use self::pay_model::PayModelWorld;
pub use self::router::RouterWorld;
pub use self::rule::RuleWorld;

/// One plugin world.
pub trait World: 'static {
    /// The kind `describe()` must say.
    const KIND: PluginKind;
    /// Whether calls get the `analytics` import (dashboards and rules).
    const ANALYTICS: bool = false;
    /// Whether calls run on the live path (routers): they get the `roster` snapshot and
    /// `host.query` answers an error instead of running SQL.
    const LIVE_PATH: bool = false;
    /// The pre-instantiated bindings, kept with the plugin.
    type Pre: Send + Sync + 'static;
    /// The bindings of one instance.
    type Bindings;
    type Request;
    type Output;

    /// Adds the world's imports (the host's implementation) to the linker.
    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()>;
    /// The world's bindings over a pre-instantiated component, or why it is not this world.
    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre>;
    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<Self::Bindings>;
    fn describe(bindings: &Self::Bindings, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo>;
    /// Calls the entry point.
    fn call(
        bindings: &Self::Bindings,
        store: &mut Store<CallState>,
        request: &Self::Request,
    ) -> wasmtime::Result<Result<Self::Output, String>>;
    /// Checks an output before anyone uses it; the error names the fault.
    fn check(output: &Self::Output, limits: &PluginLimits) -> Result<(), String>;
}

/// Adds every world's imports to the linker (they share `host`, implemented once).
pub fn link_all(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    MetricWorld::link(linker)?;
    DashboardWorld::link(linker)?;
    PayModelWorld::link(linker)?;
    GameMechanicWorld::link(linker)?;
    RuleWorld::link(linker)?;
    EnricherWorld::link(linker)?;
    RouterWorld::link(linker)
}

/// A component recognised as one world: its kind, its pre-instantiated bindings, and how to
/// run its `describe()`.
pub struct Recognized {
    pub kind: PluginKind,
    pub pre: Box<dyn Any + Send + Sync>,
    pub describe: fn(&(dyn Any + Send + Sync), &mut Store<CallState>) -> wasmtime::Result<PluginInfo>,
}

type Recognizer = fn(&InstancePre<CallState>) -> wasmtime::Result<Recognized>;

/// The worlds a component is tried as, in order, with the name used in errors.
pub const RECOGNIZERS: &[(&str, Recognizer)] = &[
    ("metric", recognize::<MetricWorld>),
    ("dashboard", recognize::<DashboardWorld>),
    ("pay model", recognize::<PayModelWorld>),
    ("game mechanic", recognize::<GameMechanicWorld>),
    ("rule", recognize::<RuleWorld>),
    ("enricher", recognize::<EnricherWorld>),
    ("router", recognize::<RouterWorld>),
];

fn recognize<W: World>(instance: &InstancePre<CallState>) -> wasmtime::Result<Recognized> {
    let pre = W::pre(instance.clone())?;
    Ok(Recognized { kind: W::KIND, pre: Box::new(pre), describe: describe_as::<W> })
}

fn describe_as<W: World>(pre: &(dyn Any + Send + Sync), store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
    let pre = pre.downcast_ref::<W::Pre>().ok_or_else(|| wasmtime::Error::msg("bindings of another world"))?;
    let bindings = W::instantiate(pre, store)?;
    W::describe(&bindings, store)
}
