// Drives a veilraft cluster's Cashu mint through two of its nodes with the reference TypeScript
// wallet, @cashu/cashu-ts (version pinned in package-lock.json):
//
//   node cashu-interop.mjs <mintUrlA> <mintUrlB>     e.g. http://127.0.0.1:PORT/cashu
//
// Steps (one JSON line each, see interop-common.mjs): info, keys, mint_quote, mint, mint_replay,
// check_state, swap, receive, melt, double_spend, done. Both URLs must be nodes of one cluster:
// the script checks that they present the same mint and sees each operation from the other node.
// Environment: CASHU_INTEROP_TIMEOUT_MS (whole run), CASHU_INTEROP_WAIT_MS (each poll, e.g. a
// quote becoming PAID or a replica catching up), CASHU_INTEROP_REQUEST_TIMEOUT_MS (each HTTP call).

import {
  Amount,
  CheckStateEnum,
  MeltQuoteState,
  MintQuoteState,
  Wallet,
  hasValidDleq,
  injectWebSocketImpl,
  isMintOperationError,
  setGlobalRequestOptions,
  sumProofs,
} from '@cashu/cashu-ts';
import WebSocket from 'ws';
import { begin, check, envMillis, main, report, StepFailure, until, urlArguments } from './interop-common.mjs';

const USAGE = 'node cashu-interop.mjs <mintUrlA> <mintUrlB>   (two nodes of one cluster, e.g. http://127.0.0.1:PORT/cashu)';
const [mintUrlA, mintUrlB] = urlArguments(process.argv.slice(2), 2, ['http:', 'https:'], USAGE);

const runTimeoutMs = envMillis('CASHU_INTEROP_TIMEOUT_MS', 180_000, USAGE);
const waitTimeoutMs = envMillis('CASHU_INTEROP_WAIT_MS', 20_000, USAGE);
// Above the node's own 30 s bound on a commit, so that a stuck commit surfaces as the node's error.
const requestTimeoutMs = envMillis('CASHU_INTEROP_REQUEST_TIMEOUT_MS', 40_000, USAGE);
const POLL_INTERVAL_MS = 200;

const UNIT = 'sat';
const MINT_AMOUNT = 100;
const SEND_AMOUNT = 30;
const MELT_INVOICE_AMOUNT = 20;
// NUT error codes (cashubtc/nuts error_codes.md).
const CODE_PROOFS_ALREADY_SPENT = 11001;
const CODE_QUOTE_ALREADY_ISSUED = 20002;
const NUT_DLEQ = 12;
const NUT_CHECK_STATE = 7;

// cashu-ts declares engines node >=22.4 because Node 22.4 made WebSocket global; it needs a
// WebSocket only for NUT-17 subscriptions, which this script does not use, but inject `ws` so that
// any code path that wants one finds it on Node 20.
injectWebSocketImpl(WebSocket);
setGlobalRequestOptions({ requestTimeout: requestTimeoutMs });

const num = (amount) => Amount.from(amount).toNumber();
const total = (proofs) => num(sumProofs(proofs));

await main(runTimeoutMs, async () => {
  begin('info');
  const walletA = new Wallet(mintUrlA, { unit: UNIT, requireSigDleq: true });
  const walletB = new Wallet(mintUrlB, { unit: UNIT, requireSigDleq: true });
  await walletA.loadMint();
  await walletB.loadMint();
  const info = walletA.getMintInfo();
  for (const nut of [4, 5]) {
    const methods = info.nuts?.[nut]?.methods ?? [];
    check(methods.some((m) => m.method === 'bolt11' && m.unit === UNIT),
      `mint info: NUT-0${nut} does not offer bolt11/${UNIT} (methods ${JSON.stringify(methods)})`);
  }
  check(info.isSupported(NUT_CHECK_STATE).supported, 'mint info: NUT-07 (token state check) is not advertised');
  const dleq = info.isSupported(NUT_DLEQ).supported;
  report('info', { name: info.name, version: info.version, nuts: Object.keys(info.nuts ?? {}).map(Number), dleq });

  begin('keys');
  const keyset = walletA.getKeyset();
  const keysetB = walletB.getKeyset();
  check(keyset.id === keysetB.id, `node A binds keyset ${keyset.id} but node B binds ${keysetB.id}`);
  check(JSON.stringify(keyset.keys) === JSON.stringify(keysetB.keys),
    `keyset ${keyset.id}: node A and node B serve different public keys`);
  const amounts = Object.keys(keyset.keys).map(Number);
  check(amounts.includes(1) && amounts.includes(64), `keyset ${keyset.id} lacks amount 1 or 64: ${amounts}`);
  report('keys', { keyset: keyset.id, unit: keyset.unit, amounts: amounts.length,
    input_fee_ppk: keyset.fee, same_on_b: true });

  begin('mint_quote');
  const quote = await walletA.createMintQuoteBolt11(MINT_AMOUNT);
  check(typeof quote.request === 'string' && quote.request.toLowerCase().startsWith('ln'),
    `mint quote ${quote.quote}: request is not a bolt11 invoice: ${quote.request}`);
  const paid = await until(`mint quote ${quote.quote} to become PAID on node A`, async () => {
    const q = await walletA.checkMintQuoteBolt11(quote.quote);
    return { done: q.state === MintQuoteState.PAID, value: q, seen: q.state };
  }, { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
  const seenOnB = await until(`mint quote ${quote.quote} to be PAID on node B`, async () => {
    const q = await walletB.checkMintQuoteBolt11(quote.quote).catch((e) => ({ state: `error: ${e.message}` }));
    return { done: q.state === MintQuoteState.PAID, value: q, seen: q.state };
  }, { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
  report('mint_quote', { quote: quote.quote, amount: num(quote.amount), polls: paid.attempts,
    polls_b: seenOnB.attempts });

  begin('mint');
  const minted = await walletA.mintProofsBolt11(MINT_AMOUNT, quote.quote);
  check(total(minted) === MINT_AMOUNT, `minted ${total(minted)} ${UNIT}, asked for ${MINT_AMOUNT}`);
  if (dleq) {
    minted.forEach((proof, i) => check(hasValidDleq(proof, keyset, { require: true }),
      `proof ${i} (amount ${num(proof.amount)}): DLEQ proof is missing or invalid although the mint advertises NUT-12`));
  }
  report('mint', { proofs: minted.length, amount: total(minted), dleq: dleq ? 'verified' : 'not advertised' });

  begin('mint_replay');
  const replay = await walletB.mintProofsBolt11(MINT_AMOUNT, quote.quote).then(
    (proofs) => ({ proofs }), (error) => ({ error }));
  check(replay.error !== undefined, `minting quote ${quote.quote} a second time (through node B) succeeded`);
  expectCode(replay.error, CODE_QUOTE_ALREADY_ISSUED, 'minting an issued quote again');
  report('mint_replay', { code: replay.error.code, detail: replay.error.message });

  begin('check_state');
  await expectStates(walletA, minted, CheckStateEnum.UNSPENT, 'minted proofs on node A');
  await expectStates(walletB, minted, CheckStateEnum.UNSPENT, 'minted proofs on node B');
  report('check_state', { proofs: minted.length, state: CheckStateEnum.UNSPENT, nodes: 2 });

  begin('swap');
  const swapPreview = await walletB.prepareSwapToSend(SEND_AMOUNT, minted, { includeFees: false });
  const swapped = await walletB.completeSwap(swapPreview);
  const swapFee = num(swapPreview.fees);
  check(total(swapped.send) === SEND_AMOUNT, `swap through node B: send part is ${total(swapped.send)}, asked for ${SEND_AMOUNT}`);
  check(total(swapped.keep) + total(swapped.send) === MINT_AMOUNT - swapFee,
    `swap through node B: keep ${total(swapped.keep)} + send ${total(swapped.send)} != ${MINT_AMOUNT} - fee ${swapFee}`);
  await expectStates(walletA, swapPreview.inputs, CheckStateEnum.SPENT, 'swapped inputs seen from node A');
  await expectStates(walletA, [...swapped.keep, ...swapped.send], CheckStateEnum.UNSPENT, 'swap outputs seen from node A');
  report('swap', { node: 'B', inputs: swapPreview.inputs.length, send: total(swapped.send), keep: total(swapped.keep), fee: swapFee });

  begin('receive');
  const received = await walletA.receive(swapped.send);
  const receiveFee = num(walletA.getFeesForProofs(swapped.send));
  check(total(received) === SEND_AMOUNT - receiveFee,
    `receive through node A: got ${total(received)}, expected ${SEND_AMOUNT} - fee ${receiveFee}`);
  await expectStates(walletB, swapped.send, CheckStateEnum.SPENT, 'received proofs seen from node B');
  report('receive', { node: 'A', amount: total(received), fee: receiveFee });

  begin('melt');
  const invoiceQuote = await walletB.createMintQuoteBolt11(MELT_INVOICE_AMOUNT);
  const meltQuote = await walletA.createMeltQuoteBolt11(invoiceQuote.request);
  check(num(meltQuote.amount) === MELT_INVOICE_AMOUNT,
    `melt quote ${meltQuote.quote}: amount ${num(meltQuote.amount)}, invoice is for ${MELT_INVOICE_AMOUNT}`);
  const needed = meltQuote.amount.add(meltQuote.fee_reserve);
  const wallet = [...swapped.keep, ...received];
  const { keep: meltKeep, send: meltInputs } = await walletA.send(needed, wallet, { includeFees: true });
  const melted = await walletA.meltProofsBolt11(meltQuote, meltInputs);
  check(melted.quote.state === MeltQuoteState.PAID,
    `melt of quote ${meltQuote.quote} through node A: state ${melted.quote.state}, expected PAID`);
  const meltOnB = await until(`melt quote ${meltQuote.quote} to be PAID on node B`, async () => {
    const q = await walletB.checkMeltQuoteBolt11(meltQuote.quote).catch((e) => ({ state: `error: ${e.message}` }));
    return { done: q.state === MeltQuoteState.PAID, value: q, seen: q.state };
  }, { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
  await expectStates(walletB, meltInputs, CheckStateEnum.SPENT, 'melted inputs seen from node B');
  const change = melted.change ?? [];
  const spentOnMelt = total(meltInputs) - total(change);
  check(spentOnMelt >= MELT_INVOICE_AMOUNT && spentOnMelt <= num(needed) + num(walletA.getFeesForProofs(meltInputs)),
    `melt cost ${spentOnMelt} ${UNIT}: outside [invoice ${MELT_INVOICE_AMOUNT}, amount + fee reserve + input fees]`);
  report('melt', { node: 'A', invoice_node: 'B', amount: num(meltQuote.amount), fee_reserve: num(meltQuote.fee_reserve),
    inputs: total(meltInputs), change: total(change), preimage: melted.quote.payment_preimage ?? null,
    polls_b: meltOnB.attempts });

  begin('double_spend');
  const contested = [...meltKeep, ...change];
  check(contested.length > 0 && total(contested) > 0, 'nothing left to double-spend after the melt');
  await expectStates(walletB, contested, CheckStateEnum.UNSPENT, 'proofs about to be double-spent');
  // Both swaps are built first, with fresh outputs each, so the two requests differ only in where
  // they go and leave at the same moment: a race between two replicas of one mint.
  const previewA = await walletA.prepareSwapToReceive(contested);
  const previewB = await walletB.prepareSwapToReceive(contested);
  const [viaA, viaB] = await Promise.allSettled([walletA.completeSwap(previewA), walletB.completeSwap(previewB)]);
  const outcomes = { A: outcome(viaA), B: outcome(viaB) };
  const winners = [viaA, viaB].filter((r) => r.status === 'fulfilled');
  check(winners.length === 1, `the same ${contested.length} proofs swapped concurrently through node A and node B: `
    + `${winners.length} swaps succeeded, expected exactly 1 (${JSON.stringify(outcomes)})`);
  const loser = viaA.status === 'rejected' ? viaA : viaB;
  expectCode(loser.reason, CODE_PROOFS_ALREADY_SPENT, `the losing concurrent swap (node ${loser === viaA ? 'A' : 'B'})`);
  const again = await walletA.completeSwap(await walletA.prepareSwapToReceive(contested)).then(
    () => undefined, (error) => error);
  check(again !== undefined, 'spending the contested proofs a third time (through node A) succeeded');
  expectCode(again, CODE_PROOFS_ALREADY_SPENT, 'a third spend of the contested proofs');
  await expectStates(walletA, contested, CheckStateEnum.SPENT, 'contested proofs on node A');
  await expectStates(walletB, contested, CheckStateEnum.SPENT, 'contested proofs on node B');
  const won = winners[0].value;
  const winnerWallet = viaA.status === 'fulfilled' ? walletA : walletB;
  const wonProofs = [...won.keep, ...won.send];
  check(total(wonProofs) === total(contested) - num(winnerWallet.getFeesForProofs(contested)),
    `the winning swap returned ${total(wonProofs)} for ${total(contested)} in`);
  await expectStates(walletA, wonProofs, CheckStateEnum.UNSPENT, 'the winning swap\'s outputs');
  report('double_spend', { proofs: contested.length, amount: total(contested), winner: viaA.status === 'fulfilled' ? 'A' : 'B',
    loser_code: loser.reason.code, outcomes });

  begin('done');
  report('done', { mint: mintUrlA, nodes: 2 });
});

/** Polls NUT-07 states of {@code proofs} through {@code wallet} until every one is {@code state}. */
async function expectStates(wallet, proofs, state, what) {
  // A node answers from its own replica, which may trail the node that committed the operation.
  await until(`${what}: every proof ${state}`, async () => {
    const states = await wallet.checkProofsStates(proofs);
    check(states.length === proofs.length, `${what}: asked for ${proofs.length} states, got ${states.length}`);
    const seen = states.map((s) => s.state);
    return { done: seen.every((s) => s === state), seen };
  }, { timeoutMs: waitTimeoutMs, intervalMs: POLL_INTERVAL_MS });
}

/** Fails unless {@code error} is the mint's protocol error {@code code} (HTTP 400 {detail, code}). */
function expectCode(error, code, what) {
  if (!isMintOperationError(error)) {
    throw new StepFailure(`${what}: expected the mint's error ${code}, got ${error?.name ?? typeof error}: ${error?.message ?? error}`
      + (error?.status ? ` (HTTP ${error.status}; a NUT error is HTTP 400 with a JSON body {"detail":..., "code":...})` : ''));
  }
  check(error.code === code, `${what}: expected error code ${code}, got ${error.code} (${error.message})`);
}

function outcome(settled) {
  if (settled.status === 'fulfilled') {
    return 'ok';
  }
  const e = settled.reason;
  return e?.code !== undefined ? `error ${e.code}: ${e.message}` : `${e?.name}: ${e?.message}`;
}
