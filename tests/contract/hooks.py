"""Schemathesis hooks of the contract test (tests/contract/main.rs).

They teach the fuzzer the two rules the OpenAPI document states only in words, because JSON
Schema cannot relate one value to another or know what a plugin declares at run time:

- a period's `from` comes before its `to` (and a correlation spans at most 261 weeks, a
  coaching-impact range three years);
- a plugin's `params` are the ones that plugin declares (`GET …/plugins` lists them), so the
  fuzzer sends none and the plugin's defaults apply.

They also tell it how to send the bodies the document gives as bytes or text, give each valid
step of a coaching task a task that can take it (a step moves a task on for good), keep the
deployment routes on the tenant's own version, and give the
two operations whose bodies no schema can describe real ones in their positive cases: a batch
must have the columns of the table its path names (data/SCHEMA.md) and a component must be
one of the plugin worlds, so generated text and bytes are always refused. Positive cases of
ingest send a few real rows of a table as CSV (`$CXHOST_CONTRACT_SAMPLES/<table>.csv`) and
those of upload a real component (`$CXHOST_CONTRACT_COMPONENT`); negative cases keep what the
fuzzer generated.
"""

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import schemathesis
from schemathesis import GenerationMode

schemathesis.serializer.alias("application/wasm", "application/octet-stream")
schemathesis.serializer.alias("application/vnd.apache.parquet", "application/octet-stream")
schemathesis.serializer.alias("text/csv", "text/plain")
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

# A correlation may span at most 261 weeks, a coaching-impact range three years; stay a little
# inside.
LONGEST_CORRELATION = timedelta(days=7 * 260)
LONGEST_IMPACT = timedelta(days=3 * 365)


def _parse(text):
    """A `Time` value (RFC 3339 timestamp or date) as an aware datetime, or None."""
    if not isinstance(text, str):
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
        parsed = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _show(moment):
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _ordered(values, longest=None):
    """Puts `from` before `to` (and within `longest` of it) where both are generated."""
    if not isinstance(values, dict):
        return values
    start, end = _parse(values.get("from")), _parse(values.get("to"))
    if start is None or end is None:
        return values
    if start > end:
        values["from"], values["to"] = values["to"], values["from"]
        start, end = end, start
    if start == end or (longest is not None and end - start > longest):
        try:
            values["to"] = _show(start + timedelta(days=1))
        except OverflowError:
            values["from"] = _show(end - timedelta(days=1))
    return values


SAMPLES = Path(os.environ["CXHOST_CONTRACT_SAMPLES"])
COMPONENT = Path(os.environ["CXHOST_CONTRACT_COMPONENT"]).read_bytes()
TABLES = sorted(path.stem for path in SAMPLES.glob("*.csv"))
_served = 0
# The tenant's own `aht` version that the deployment routes act on, and a pool of live
# coaching tasks: a valid step moves a task on for good, so each valid step gets a fresh one.
VERSION = os.environ["CXHOST_CONTRACT_HASH"]
LIVE_TASKS = Path(os.environ["CXHOST_CONTRACT_ACTIONS"]).read_text().split()
_stepped = 0


def _is_positive(case):
    """Whether the fuzzer meant every part of `case` to be valid."""
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode == GenerationMode.POSITIVE
        and all(info.mode == GenerationMode.POSITIVE for info in meta.components.values())
    )


def _real_body(case):
    """A real batch or component for a positive case of ingest or upload."""
    global _served
    path = case.operation.path
    if path.endswith("/ingest/{table}"):
        table = case.path_parameters.get("table")
        if table not in TABLES:
            table = TABLES[_served % len(TABLES)]
            _served += 1
            case.path_parameters["table"] = table
        case.media_type = "text/csv"
        if isinstance(case.query, dict):
            case.query.pop("format", None)
        case.body = (SAMPLES / f"{table}.csv").read_text()
    elif path.endswith("/plugins") and case.operation.method.upper() == "POST":
        case.body = COMPONENT
    elif path.endswith("/actions/{id}") and case.operation.method.upper() == "PATCH":
        global _stepped
        case.path_parameters["id"] = LIVE_TASKS[_stepped % len(LIVE_TASKS)]
        _stepped += 1
    elif "/plugins/{name}/" in path and isinstance(case.body, dict) and "hash" in case.body:
        # The stateful phase feeds these the hashes other answers name (the standard plugin
        # that served a run), which are not versions of `aht`.
        case.body["hash"] = VERSION


@schemathesis.hook
def before_call(context, case, kwargs):
    """Every request of every phase, just before it is sent."""
    if _is_positive(case):
        _real_body(case)
        # The case stays judged as what the fuzzer meant, a valid request: schemathesis would
        # otherwise re-check the body it no longer generated and, finding bytes where its
        # schema says string, call the request invalid (`_record_starting_state` takes the
        # case as it is now for generated; a private call of the pinned 4.32.5).
        case._record_starting_state()
    longest = None
    if "/correlations" in case.operation.path:
        longest = LONGEST_CORRELATION
    elif "/coaching/impact" in case.operation.path:
        longest = LONGEST_IMPACT
    if isinstance(case.query, dict):
        _ordered(case.query, longest)
    if isinstance(case.body, dict):
        _ordered(case.body)
        if "params" in case.body:
            case.body["params"] = {}

