//! {{name}}: everything to the crowd pool — a router plugin (the `router` world of
//! wit/cxhost.wit). It runs on the live path for every new contact: no SQL, just the contact
//! (and, if needed, the host's roster of agents' figures).

wit_bindgen::generate!({ path: "wit", world: "router" });

use cxhost::plugin::router_types::Pool;
use cxhost::plugin::types::PluginKind;

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::Router,
            description: "Sends every contact to the crowd pool with its queue as the skill, at priority 5, \
                          leaving the choice of agent to the ACD."
                .to_string(),
            params: vec![],
        }
    }

    fn decide(request: RouteRequest) -> Result<Route, String> {
        Ok(Route {
            pool: Pool::Crowd,
            skill: request.contact.queue,
            priority: 5,
            agents: vec![],
            reason: "every contact goes to the crowd pool".to_string(),
        })
    }
}

export!(Plugin);
