// {{name}}: everything to the crowd pool, a router plugin (the `router` world of
// wit/cxhost.wit) in JavaScript. It runs on the live path for every new contact: no SQL, just
// the contact (and, if needed, the host's roster of agents' figures).

export function describe() {
  return {
    name: "{{name}}",
    version: "0.1.0",
    kind: "router",
    description:
      "Sends every contact to the crowd pool with its queue as the skill, at priority 5, " +
      "leaving the choice of agent to the ACD.",
    params: [],
  };
}

export function decide(request) {
  return {
    pool: "crowd",
    skill: request.contact.queue,
    priority: 5,
    agents: [],
    reason: "every contact goes to the crowd pool",
  };
}
