// Checks, without a cluster, that the pinned clients load and compute correctly on this machine's
// Node.js: @cashu/cashu-ts against the NUT-00 test vectors (cashubtc/nuts, tests/00-tests.md) and
// nostr-tools against a BIP-340 test vector (bitcoin/bips, bip-0340/test-vectors.csv, index 0).
// cashu-ts 4.x declares engines node >=22.4; this is the evidence that it runs on Node 20.
//
//   node library-check.mjs
//
// Steps: cashu_nut00, cashu_wallet, nostr_bip340, nostr_event, done.

import { Wallet, blindMessage, createBlindSignature, hashToCurve, pointFromHex } from '@cashu/cashu-ts';
import { finalizeEvent, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import { useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';
import { begin, check, main, report } from './interop-common.mjs';

const RUN_TIMEOUT_MS = 60_000;
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));

const HASH_TO_CURVE = [
  ['0000000000000000000000000000000000000000000000000000000000000000', '024cce997d3b518f739663b757deaec95bcd9473c30a14ac2fd04023a739d1a725'],
  ['0000000000000000000000000000000000000000000000000000000000000001', '022e7158e11c9506f1aa4248bf531298daa7febd6194f003edcd9b93ade6253acf'],
  ['0000000000000000000000000000000000000000000000000000000000000002', '026cdbe15362df59cd1dd3c9c11de8aedac2106eca69236ecd9fbe117af897be4f'],
];
const BLINDED_MESSAGES = [
  ['d341ee4871f1f889041e63cf0d3823c713eea6aff01e80f1719f08f9e5be98f6', '99fce58439fc37412ab3468b73db0569322588f62fb3a49182d67e23d877824a',
    '033b1a9737a40cc3fd9b6af4b723632b76a67a36782596304612a6c2bfb5197e6d'],
  ['f1aaf16c2239746f369572c0784d9dd3d032d952c2d992175873fb58fae31a60', 'f78476ea7cc9ade20f9e05e58a804cf19533f03ea805ece5fee88c8e2874ba50',
    '029bdf2d716ee366eddf599ba252786c1033f47e230248a4612a5670ab931f1763'],
];
const BLIND_SIGNATURES = [
  ['0000000000000000000000000000000000000000000000000000000000000001', '02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2',
    '02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2'],
  ['7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f', '02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2',
    '0398bc70ce8184d27ba89834d19f5199c84443c31131e48d3c1214db24247d005d'],
];
const BIP340_SECRET_KEY = '0000000000000000000000000000000000000000000000000000000000000003';
const BIP340_PUBLIC_KEY = 'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9';

await main(RUN_TIMEOUT_MS, async () => {
  begin('cashu_nut00');
  for (const [message, point] of HASH_TO_CURVE) {
    const got = hashToCurve(bytes(message)).toHex(true);
    check(got === point, `hash_to_curve(${message}) = ${got}, NUT-00 says ${point}`);
  }
  for (const [secret, r, blinded] of BLINDED_MESSAGES) {
    const got = blindMessage(bytes(secret), BigInt(`0x${r}`)).B_.toHex(true);
    check(got === blinded, `B_ of x=${secret} r=${r} is ${got}, NUT-00 says ${blinded}`);
  }
  for (const [key, blinded, signature] of BLIND_SIGNATURES) {
    const got = createBlindSignature(pointFromHex(blinded), bytes(key), '00').C_.toHex(true);
    check(got === signature, `C_ of k=${key} is ${got}, NUT-00 says ${signature}`);
  }
  report('cashu_nut00', { vectors: HASH_TO_CURVE.length + BLINDED_MESSAGES.length + BLIND_SIGNATURES.length });

  begin('cashu_wallet');
  const wallet = new Wallet('http://127.0.0.1:9/cashu', { unit: 'sat' });
  check(wallet.unit === 'sat', `a new Wallet has unit ${wallet.unit}`);
  report('cashu_wallet', { unit: wallet.unit });

  begin('nostr_bip340');
  const publicKey = getPublicKey(bytes(BIP340_SECRET_KEY));
  check(publicKey === BIP340_PUBLIC_KEY, `x-only public key of secret 3 is ${publicKey}, BIP-340 says ${BIP340_PUBLIC_KEY}`);
  report('nostr_bip340', { public_key: publicKey });

  begin('nostr_event');
  useWebSocketImplementation(WebSocket);
  const event = finalizeEvent({ kind: 1, created_at: 1_700_000_000, tags: [['t', 'veilraft']], content: 'check' },
    bytes(BIP340_SECRET_KEY));
  // verifyEvent caches its verdict on the object under a symbol, which a spread copies: each check
  // gets its own fresh copy, as if it came off the wire.
  const wire = (changes) => ({ ...JSON.parse(JSON.stringify(event)), ...changes });
  check(verifyEvent(wire({})), `a freshly signed event does not verify: ${JSON.stringify(event)}`);
  check(!verifyEvent(wire({ content: 'changed' })), 'an event whose content changed after signing still verifies');
  check(!verifyEvent(wire({ sig: event.sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })),
    'an event whose signature changed still verifies');
  report('nostr_event', { id: event.id });

  begin('done');
  report('done', { node: process.version });
});
