package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Objects;

/**
 * The platform layer for AWS Nitro Enclaves attestation documents: is this a well-formed
 * COSE_Sign1 document, signed with ES384 by a leaf certificate that chains through its cabundle
 * to the pinned AWS Nitro Enclaves Root G1, with every certificate valid at the given instant?
 * It says nothing about whether the document is acceptable (PCRs, debug mode, user_data binding):
 * that is {@link PolicyChecks}. It does not judge freshness either: the document's timestamp is
 * reported, not compared with the instant; binding to a fresh nonce through user_data is the
 * caller's defence against replay. Thread-safe; keeps a small cache of verified chains.
 */
public final class NitroEvidenceVerifier extends PlatformLayer {
  /** Claims version for Nitro documents (the format has no version field of its own). */
  static final int CLAIMS_VERSION = 1;
  static final String SIGNER = "AWS Nitro";

  private final NitroChainVerifier chains;

  /** Tests pass a throwaway root here; production code uses {@link #forAws()}. */
  NitroEvidenceVerifier(PinnedRoot anchor) {
    super(Platform.NITRO);
    this.chains = new NitroChainVerifier(Objects.requireNonNull(anchor, "anchor"));
  }

  /** Nitro evidence trusting the pinned AWS Nitro Enclaves root G1. */
  public static NitroEvidenceVerifier forAws() {
    return new NitroEvidenceVerifier(PinnedRoot.awsNitroRootG1());
  }

  /**
   * The document's own timestamp (ms since the epoch, as an instant), read without verifying
   * anything but its well-formedness. Nitro leaf certificates live about three hours, so a tool
   * that inspects an old document verifies it at this instant; a replica verifying a join must use
   * the leader-stamped time instead, never a time the evidence names.
   */
  public static Instant documentTimestamp(byte[] document) throws MalformedReportException {
    return NitroDocument.parse(document).timestamp();
  }

  @Override
  Claims checkPlatform(Evidence evidence, Instant at) throws Rejection {
    if (evidence.getCertChainCount() > 0 || evidence.hasCollateral()) {
      // The document carries its own chain; anything beside it would be unverified and unused.
      throw new Rejection(RejectReason.MALFORMED, "NITRO evidence carries its chain in the document's cabundle; "
          + "cert_chain must be empty (got " + evidence.getCertChainCount() + " certificates) and collateral unset"
          + (evidence.hasCollateral() ? " (it is set)" : ""));
    }
    int size = evidence.getReport().size();
    if (size == 0 || size > NitroDocument.DOCUMENT_BYTES_MAX) {
      // Checked before copying: the report field may be arbitrarily large.
      throw new Rejection(RejectReason.MALFORMED, "Nitro attestation document is " + size + " bytes; expected 1 to "
          + NitroDocument.DOCUMENT_BYTES_MAX);
    }
    NitroDocument document = parse(evidence.getReport().toByteArray());
    checkAlgorithm(document);
    NitroChainVerifier.VerifiedChain chain = chains.verify(document.cabundle(), document.certificate());
    NitroChainVerifier.checkValidity(chain, at);
    if (!verifySignature(document, chain.leaf().getPublicKey())) {
      throw new Rejection(RejectReason.SIGNATURE_INVALID, "COSE_Sign1 signature does not verify under the leaf "
          + "certificate '" + NitroChainVerifier.commonName(chain.leaf()) + "' (document altered, or signed by "
          + "another key)");
    }
    return claims(document);
  }

  private static NitroDocument parse(byte[] bytes) throws Rejection {
    try {
      return NitroDocument.parse(bytes);
    } catch (MalformedReportException e) {
      throw new Rejection(e.reason(), e.getMessage());
    }
  }

  /** The protected header must be exactly {1: -35}: ES384 and nothing else (no crit, no other alg). */
  private static void checkAlgorithm(NitroDocument document) throws Rejection {
    boolean es384 = document.algorithm().isPresent() && document.algorithm().getAsLong() == NitroDocument.ALG_ES384;
    if (!es384 || document.protectedHeaderEntries() != 1) {
      throw new Rejection(RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM, "COSE protected header "
          + Hashes.shortHex(document.protectedHeader(), 16) + " has alg "
          + (document.algorithm().isPresent() ? Long.toString(document.algorithm().getAsLong()) : "(none)")
          + " and " + document.protectedHeaderEntries() + " entries; only {1: -35} (ES384 alone) is supported");
    }
  }

  private static boolean verifySignature(NitroDocument document, PublicKey leafKey) {
    try {
      // P1363 is the raw r || s COSE uses, so no conversion to DER is needed.
      Signature verifier = Signature.getInstance("SHA384withECDSAinP1363Format");
      verifier.initVerify(leafKey);
      verifier.update(document.toBeSigned());
      return verifier.verify(document.signature());
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static Claims claims(NitroDocument document) {
    NitroClaims details = new NitroClaims(document.moduleId(), document.digest(), document.timestamp(),
        document.pcrs(), document.publicKey().clone(), document.userData().clone(), document.nonce().clone());
    byte[] measurement = document.measurement();
    Check.invariant(measurement.length == 3 * NitroDocument.SHA384_BYTES, "PCR0||PCR1||PCR2 is 144 bytes");
    return new Claims(Platform.NITRO, CLAIMS_VERSION, SIGNER, measurement, document.userData().clone(), new byte[0],
        document.debugMode(), details);
  }
}
