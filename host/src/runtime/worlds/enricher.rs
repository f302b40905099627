//! The enricher world: `enrich` scores a batch of texts; the size and shape of each enrichment
//! (sentiment in [-1, 1], short labels) is checked here, and which items and topics it may
//! name by the enrichment service against the request it sent.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::enricher::{Enricher, EnricherPre};
use crate::runtime::bindings::{EnrichRequest, Enrichment, PluginInfo, PluginKind};
use crate::runtime::checks::check_size;
use crate::runtime::host::CallState;
use crate::text::check_label;

pub struct EnricherWorld;

impl crate::runtime::bindings::enricher::cxhost::plugin::enricher_types::Host for CallState {}

/// Bytes an enrichment is counted as besides its texts.
const ENRICHMENT_OVERHEAD: usize = 32;
/// Most tags one enrichment may carry, and their longest.
pub const MAX_TAGS: usize = 16;
pub const MAX_TAG_BYTES: usize = 40;

impl World for EnricherWorld {
    const KIND: PluginKind = PluginKind::Enricher;
    type Pre = EnricherPre<CallState>;
    type Bindings = Enricher;
    type Request = EnrichRequest;
    type Output = Vec<Enrichment>;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        Enricher::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        EnricherPre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<Enricher> {
        pre.instantiate(store)
    }

    fn describe(bindings: &Enricher, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &Enricher,
        store: &mut Store<CallState>,
        request: &EnrichRequest,
    ) -> wasmtime::Result<Result<Vec<Enrichment>, String>> {
        bindings.call_enrich(store, request)
    }

    fn check(output: &Vec<Enrichment>, limits: &PluginLimits) -> Result<(), String> {
        let sizes = output.iter().map(|e| {
            ENRICHMENT_OVERHEAD
                + e.id.len()
                + e.language.len()
                + e.topics.iter().map(String::len).sum::<usize>()
                + e.tags.iter().map(String::len).sum::<usize>()
        });
        check_size(sizes, "enrichments", limits)?;
        for e in output {
            let item = format!("the enrichment of `{}`", crate::text::shown(&e.id));
            if let Some(s) = e.sentiment
                && !(s.is_finite() && (-1.0..=1.0).contains(&s))
            {
                return Err(format!("{item} has sentiment {s}, outside [-1, 1]"));
            }
            let language_ok =
                !e.language.is_empty() && e.language.len() <= 8 && e.language.bytes().all(|b| b.is_ascii_lowercase());
            if !language_ok {
                return Err(format!(
                    "{item} has language `{}`, not an ISO 639-1 code or `und`",
                    crate::text::shown(&e.language)
                ));
            }
            if e.tags.len() > MAX_TAGS {
                return Err(format!("{item} has {} tags, more than {MAX_TAGS}", e.tags.len()));
            }
            for tag in &e.tags {
                check_label(&format!("a tag of {item}"), tag, MAX_TAG_BYTES)?;
            }
        }
        Ok(())
    }
}
