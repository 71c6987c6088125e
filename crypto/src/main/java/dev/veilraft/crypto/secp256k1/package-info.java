/**
 * secp256k1 primitives for the apps built on veilraft, so Bouncy Castle stays inside {@code crypto}:
 * {@link dev.veilraft.crypto.secp256k1.Secp256k1} (keys, point checks, scalar derivation), {@link
 * dev.veilraft.crypto.secp256k1.CashuBdhke} (Cashu NUT-00 blind signatures and NUT-12 DLEQ), {@link
 * dev.veilraft.crypto.secp256k1.Schnorr} (BIP-340, for Nostr), {@link
 * dev.veilraft.crypto.secp256k1.Bolt11} and {@link dev.veilraft.crypto.secp256k1.Bech32} (Lightning
 * invoices).
 *
 * <p>Every entry point validates its arguments and fails with an {@link
 * java.lang.IllegalArgumentException} naming the argument and the defect; verifiers return false for
 * well-formed input that does not verify. Nothing here reads a clock or a random source: callers
 * supply randomness (blinding factors, BIP-340 auxiliary data), so the apply path stays
 * deterministic.
 */
package dev.veilraft.crypto.secp256k1;
