// Drives a veilraft cluster's Nostr relay through two of its nodes with nostr-tools (version pinned
// in package-lock.json):
//
//   node nostr-interop.mjs <relayUrlA> <relayUrlB>     e.g. ws://127.0.0.1:PORT/nostr
//
// Steps (one JSON line each, see interop-common.mjs): nip11, connect, live, publish, req (one line
// per filter), bad_signature, bad_id, delete (when the relay lists NIP-09), done. Every event is
// signed by keys made for this run, and every filter names those keys or this run's event ids, so
// earlier runs against the same cluster cannot disturb the results. Environment: NOSTR_INTEROP_TIMEOUT_MS (whole run),
// NOSTR_INTEROP_WAIT_MS (each wait: an OK, an EOSE, a live event, a replica catching up).

import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';
import { begin, check, envMillis, main, report, StepFailure, until, urlArguments, within } from './interop-common.mjs';

const USAGE = 'node nostr-interop.mjs <relayUrlA> <relayUrlB>   (two nodes of one cluster, e.g. ws://127.0.0.1:PORT/nostr)';
const [relayUrlA, relayUrlB] = urlArguments(process.argv.slice(2), 2, ['ws:', 'wss:'], USAGE);

const runTimeoutMs = envMillis('NOSTR_INTEROP_TIMEOUT_MS', 120_000, USAGE);
const waitTimeoutMs = envMillis('NOSTR_INTEROP_WAIT_MS', 20_000, USAGE);
const POLL_INTERVAL_MS = 200;

const KIND_METADATA = 0;
const KIND_NOTE = 1;
const KIND_DELETION = 5;
const KIND_REACTION = 7;
const NIP_DELETION = 9;
const INVALID_PREFIX = 'invalid:';
/** How far in the past this run's events start; the newest is EVENT_AGE_S - 80 s old. */
const EVENT_AGE_S = 600;

// Node 20 has no global WebSocket (Node 22 has): nostr-tools takes the `ws` package's.
useWebSocketImplementation(WebSocket);

await main(runTimeoutMs, async () => {
  begin('nip11');
  const documentA = await relayInformation(relayUrlA);
  const documentB = await relayInformation(relayUrlB);
  for (const nip of [1, 11]) {
    check(documentA.supported_nips.includes(nip), `NIP-11 document of ${relayUrlA}: supported_nips ${JSON.stringify(documentA.supported_nips)} lacks ${nip}`);
  }
  check(JSON.stringify(documentA.supported_nips) === JSON.stringify(documentB.supported_nips),
    `nodes A and B list different supported_nips: ${JSON.stringify(documentA.supported_nips)} vs ${JSON.stringify(documentB.supported_nips)}`);
  report('nip11', { name: documentA.name ?? null, software: documentA.software ?? null, version: documentA.version ?? null,
    supported_nips: documentA.supported_nips });

  begin('connect');
  const relayA = await within(waitTimeoutMs, `connecting to ${relayUrlA}`, Relay.connect(relayUrlA));
  const relayB = await within(waitTimeoutMs, `connecting to ${relayUrlB}`, Relay.connect(relayUrlB));
  for (const relay of [relayA, relayB]) {
    // nostr-tools gives an OK or an EOSE 4.4 s by default; a commit through Raft on a loaded CI
    // machine can take longer, and a missing answer is reported by our own bound.
    relay.publishTimeout = waitTimeoutMs;
    relay.baseEoseTimeout = waitTimeoutMs;
  }
  report('connect', { a: relayA.url, b: relayB.url });

  // Events of this run: two authors, notes, a reaction with #e and #p tags, a metadata event, each
  // with its own created_at so that `limit` has one right answer.
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const alicePk = getPublicKey(alice);
  const bobPk = getPublicKey(bob);
  const authors = [alicePk, bobPk];
  // In the past so that since/until have room, but not beyond what the relay accepts.
  const lowerLimitS = documentA.limitation?.created_at_lower_limit;
  const ageS = Number.isInteger(lowerLimitS) && lowerLimitS > 0 ? Math.min(EVENT_AGE_S, Math.floor(lowerLimitS / 2)) : EVENT_AGE_S;
  const base = Math.floor(Date.now() / 1000) - ageS;

  begin('live');
  const first = finalizeEvent({ kind: KIND_NOTE, created_at: base, tags: [], content: 'hello from node A' }, alice);
  const live = subscribeAll(relayB, [{ authors }]);
  await within(waitTimeoutMs, `EOSE on node B for a subscription to this run's authors`, live.eose);
  check(live.events.size === 0, `node B returned ${live.events.size} events of keys made a moment ago`);
  const okFirst = await publish(relayA, first, 'node A');
  const got = await until(`the note published through node A to reach node B's live subscription`,
    async () => ({ done: live.events.has(first.id), value: live.events.get(first.id) }),
    { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
  check(got.value.sig === first.sig && got.value.content === first.content && verifyEvent(JSON.parse(JSON.stringify(got.value))),
    `node B delivered event ${first.id} changed: ${JSON.stringify(got.value)}`);
  report('live', { id: first.id, ok_message: okFirst, polls: got.attempts });

  begin('publish');
  const note2 = finalizeEvent({ kind: KIND_NOTE, created_at: base + 10, tags: [['t', 'veilraft']], content: 'second note' }, alice);
  const bobNote = finalizeEvent({ kind: KIND_NOTE, created_at: base + 20, tags: [['p', alicePk]], content: 'hi alice' }, bob);
  const reaction = finalizeEvent({ kind: KIND_REACTION, created_at: base + 30,
    tags: [['e', first.id], ['p', alicePk]], content: '+' }, bob);
  const metadata = finalizeEvent({ kind: KIND_METADATA, created_at: base + 40, tags: [],
    content: JSON.stringify({ name: 'alice' }) }, alice);
  const note3 = finalizeEvent({ kind: KIND_NOTE, created_at: base + 50, tags: [['e', note2.id]], content: 'third note' }, alice);
  const published = [first];
  // Half through A, half through B: both nodes accept writes.
  for (const [event, relay, node] of [[note2, relayA, 'A'], [bobNote, relayB, 'B'], [reaction, relayA, 'A'],
    [metadata, relayB, 'B'], [note3, relayA, 'A']]) {
    await publish(relay, event, `node ${node}`);
    published.push(event);
  }
  // Node B's live subscription sees every committed event, whichever node took it: after this,
  // queries on B are deterministic.
  await until('every published event to reach node B\'s live subscription', async () => ({
    done: published.every((e) => live.events.has(e.id)),
    seen: published.filter((e) => !live.events.has(e.id)).map((e) => e.id),
  }), { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
  check(live.invalid.length === 0, `node B sent ${live.invalid.length} events that fail the filter or the signature check`);
  live.close();
  report('publish', { events: published.length, via_a: 4, via_b: 2 });

  const byId = new Map(published.map((e) => [e.id, e]));
  const cases = [
    { name: 'authors', filters: [{ authors: [bobPk] }], expect: [bobNote, reaction] },
    { name: 'kinds', filters: [{ authors, kinds: [KIND_REACTION, KIND_METADATA] }], expect: [reaction, metadata] },
    { name: '#e', filters: [{ '#e': [first.id] }], expect: [reaction] },
    { name: '#p', filters: [{ authors, '#p': [alicePk] }], expect: [bobNote, reaction] },
    { name: '#t', filters: [{ authors, '#t': ['veilraft'] }], expect: [note2] },
    { name: 'ids', filters: [{ ids: [note3.id, bobNote.id] }], expect: [note3, bobNote] },
    { name: 'since/until', filters: [{ authors, since: base + 10, until: base + 30 }], expect: [note2, bobNote, reaction] },
    { name: 'limit', filters: [{ authors, kinds: [KIND_NOTE], limit: 2 }], expect: [note3, bobNote], ordered: true },
    { name: 'two filters', filters: [{ authors: [alicePk], kinds: [KIND_METADATA] }, { authors: [bobPk], kinds: [KIND_REACTION] }],
      expect: [metadata, reaction] },
    { name: 'no match', filters: [{ authors, kinds: [KIND_DELETION] }], expect: [] },
  ];
  for (const c of cases) {
    begin('req');
    for (const [relay, node] of [[relayB, 'B'], [relayA, 'A']]) {
      const events = await query(relay, c.filters, `REQ '${c.name}' on node ${node}`);
      const ids = events.map((e) => e.id);
      const want = c.expect.map((e) => e.id);
      const label = (list) => list.map((id) => byId.get(id)?.content ?? id);
      if (c.ordered) {
        check(JSON.stringify(ids) === JSON.stringify(want),
          `REQ '${c.name}' ${JSON.stringify(c.filters)} on node ${node}: got ${JSON.stringify(label(ids))}, expected the newest first ${JSON.stringify(label(want))}`);
      } else {
        check(ids.length === want.length && want.every((id) => ids.includes(id)),
          `REQ '${c.name}' ${JSON.stringify(c.filters)} on node ${node}: got ${JSON.stringify(label(ids))}, expected ${JSON.stringify(label(want))}`);
      }
    }
    report('req', { filter: c.name, events: c.expect.length, nodes: 2 });
  }

  begin('bad_signature');
  const forged = finalizeEvent({ kind: KIND_NOTE, created_at: base + 60, tags: [], content: 'forged' }, alice);
  const badSig = { ...forged, sig: flipLastHexDigit(forged.sig) };
  const sigReason = await expectRefused(relayA, badSig, 'an event whose signature does not verify');
  check(sigReason.startsWith(INVALID_PREFIX), `bad signature refused with reason '${sigReason}', expected a reason starting '${INVALID_PREFIX}'`);
  report('bad_signature', { reason: sigReason });

  begin('bad_id');
  const changed = { ...finalizeEvent({ kind: KIND_NOTE, created_at: base + 70, tags: [], content: 'original' }, alice), content: 'changed' };
  const idReason = await expectRefused(relayA, changed, 'an event whose id is not the hash of its content');
  check(idReason.startsWith(INVALID_PREFIX), `bad id refused with reason '${idReason}', expected a reason starting '${INVALID_PREFIX}'`);
  const stored = await query(relayB, [{ ids: [badSig.id, changed.id] }], 'REQ for the refused events on node B');
  check(stored.length === 0, `node B returns ${stored.length} of the refused events`);
  report('bad_id', { reason: idReason, stored: 0 });

  if (documentA.supported_nips.includes(NIP_DELETION)) {
    begin('delete');
    const deletion = finalizeEvent({ kind: KIND_DELETION, created_at: base + 80, tags: [['e', note2.id]], content: 'mistake' }, alice);
    await publish(relayA, deletion, 'node A');
    await until(`node B to stop serving note ${note2.id} deleted through node A`, async () => {
      const left = await query(relayB, [{ ids: [note2.id] }], 'REQ for the deleted note on node B');
      return { done: left.length === 0, seen: left.length };
    }, { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
    const kept = await query(relayB, [{ ids: [deletion.id, note3.id] }], 'REQ for the deletion and a note it does not name');
    check(kept.length === 2, `after the deletion node B returns ${kept.length} of {deletion event, untouched note}, expected both`);
    report('delete', { deleted: note2.id, deletion: deletion.id });
  }

  begin('done');
  relayA.close();
  relayB.close();
  report('done', { relay: relayUrlA, nodes: 2 });
});

/** The relay's NIP-11 document, fetched over HTTP(S) with the NIP-11 Accept header. */
async function relayInformation(relayUrl) {
  const url = relayUrl.replace(/^ws/, 'http');
  const response = await within(waitTimeoutMs, `GET ${url}`, fetch(url, { headers: { Accept: 'application/nostr+json' } }));
  const body = await response.text();
  check(response.status === 200, `GET ${url} with Accept: application/nostr+json: HTTP ${response.status} ${body.slice(0, 200)}`);
  check(response.headers.get('access-control-allow-origin') !== null,
    `GET ${url}: NIP-11 requires Access-Control-Allow-Origin, the response has none`);
  let document;
  try {
    document = JSON.parse(body);
  } catch {
    throw new StepFailure(`GET ${url}: the NIP-11 document is not JSON: ${body.slice(0, 200)}`);
  }
  check(document !== null && typeof document === 'object' && Array.isArray(document.supported_nips),
    `GET ${url}: the NIP-11 document has no supported_nips list: ${body.slice(0, 200)}`);
  return document;
}

/** Publishes {@code event} and returns the relay's OK message; fails on OK false or no OK. */
async function publish(relay, event, where) {
  try {
    return await within(waitTimeoutMs + 1000, `OK for event ${event.id} through ${where}`, relay.publish(event));
  } catch (e) {
    throw e instanceof StepFailure ? e : new StepFailure(`event ${event.id} (kind ${event.kind}) through ${where} refused: ${e.message}`);
  }
}

/** Publishes an event the relay must refuse, and returns the reason of its OK false. */
async function expectRefused(relay, event, what) {
  let accepted;
  try {
    accepted = await within(waitTimeoutMs + 1000, `OK for ${what}`, relay.publish(event));
  } catch (e) {
    if (e instanceof StepFailure) {
      throw e;
    }
    check(e.message !== 'publish timed out', `${what}: no OK from the relay within ${waitTimeoutMs} ms`);
    return e.message;
  }
  throw new StepFailure(`${what} was accepted (OK true, '${accepted}')`);
}

/** One REQ: the events stored before EOSE, in the order the relay sent them. */
async function query(relay, filters, what) {
  const sub = subscribeAll(relay, filters);
  try {
    await within(waitTimeoutMs, `EOSE for ${what}`, sub.eose);
  } finally {
    sub.close();
  }
  check(sub.closedReason === undefined, `${what}: the relay closed the subscription: ${sub.closedReason}`);
  check(sub.invalid.length === 0, `${what}: the relay sent ${sub.invalid.length} events that fail the filter or the signature `
    + `check: ${JSON.stringify(sub.invalid.map((e) => e?.id))}`);
  return sub.ordered;
}

/**
 * Subscribes with {@code filters}; collects events (by id and in arrival order), events nostr-tools
 * drops as not matching or not verifying, and the EOSE. nostr-tools silently drops such events, so
 * they are recorded here to catch a relay that returns too much.
 */
function subscribeAll(relay, filters) {
  const state = { events: new Map(), ordered: [], invalid: [], closedReason: undefined };
  state.eose = new Promise((resolve, reject) => {
    state.sub = relay.subscribe(filters, {
      onevent: (event) => {
        state.events.set(event.id, event);
        state.ordered.push(event);
      },
      oninvalidevent: (event) => state.invalid.push(event),
      oneose: resolve,
      onclose: (reason) => {
        if (!state.closing) {
          state.closedReason = reason;
          reject(new StepFailure(`the relay closed subscription ${JSON.stringify(filters)}: ${reason}`));
        }
      },
      // nostr-tools pretends an EOSE came when this elapses; our own bound must fire first.
      eoseTimeout: 2 * waitTimeoutMs,
    });
  });
  state.eose.catch(() => {});
  state.close = () => {
    state.closing = true;
    state.sub.close();
  };
  return state;
}

function flipLastHexDigit(hex) {
  const last = hex.at(-1);
  return hex.slice(0, -1) + (last === '0' ? '1' : '0');
}
