package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Verifies Intel's TDX TCB info and TD QE identity before anything reads them: each must be signed
 * (over the exact bytes of its inner object) by the "Intel SGX TCB Signing" certificate of
 * {@code collateral.tdx_signing_chain}, which the pinned root must have signed, which must be valid
 * and not revoked at the instant, and each must be current (issueDate &le; at &le; nextUpdate).
 * Unsigned collateral is never trusted: TCB info or QE identity without a signing chain is
 * refused, not skipped. Thread-safe.
 */
final class TdxCollateralVerifier {
  static final String TCB_SIGNING_NAME = "Intel SGX TCB Signing";
  /** The signing chain is the TCB signing certificate and the root. */
  static final int SIGNING_CHAIN_CERTIFICATES_MAX = 2;

  /** Collateral whose signatures and dates passed; absent items were not supplied. */
  record Verified(Optional<TdxCollateral.TcbInfo> tcbInfo, Optional<TdxCollateral.QeIdentity> qeIdentity) {}

  private final PinnedRoot anchor;

  TdxCollateralVerifier(PinnedRoot anchor) {
    this.anchor = Objects.requireNonNull(anchor);
  }

  Verified verify(Collateral collateral, TdxCrls crls, Instant at) throws Rejection {
    boolean hasTcbInfo = !collateral.getTdxTcbInfo().isEmpty();
    boolean hasQeIdentity = !collateral.getTdxQeIdentity().isEmpty();
    if (!hasTcbInfo && !hasQeIdentity) {
      return new Verified(Optional.empty(), Optional.empty());
    }
    X509Certificate signer = signingCertificate(collateral.getTdxSigningChainList(), hasTcbInfo, crls, at);
    Optional<TdxCollateral.TcbInfo> tcbInfo = Optional.empty();
    if (hasTcbInfo) {
      byte[] body = signedBody(collateral.getTdxTcbInfo(), "tcbInfo", "TCB info", signer);
      TdxCollateral.TcbInfo info = TdxCollateral.parseTcbInfo(body);
      requireCurrent("TCB info", info.issueDate(), info.nextUpdate(), at);
      tcbInfo = Optional.of(info);
    }
    Optional<TdxCollateral.QeIdentity> qeIdentity = Optional.empty();
    if (hasQeIdentity) {
      byte[] body = signedBody(collateral.getTdxQeIdentity(), "enclaveIdentity", "QE identity", signer);
      TdxCollateral.QeIdentity identity = TdxCollateral.parseQeIdentity(body);
      requireCurrent("QE identity", identity.issueDate(), identity.nextUpdate(), at);
      qeIdentity = Optional.of(identity);
    }
    return new Verified(tcbInfo, qeIdentity);
  }

  private X509Certificate signingCertificate(List<ByteString> chain, boolean forTcbInfo, TdxCrls crls, Instant at)
      throws Rejection {
    String item = forTcbInfo ? "TCB info" : "QE identity";
    if (chain.isEmpty()) {
      throw invalid(item + " was supplied without collateral.tdx_signing_chain, so its signature cannot be "
          + "checked; unsigned collateral is never trusted");
    }
    if (chain.size() > SIGNING_CHAIN_CERTIFICATES_MAX) {
      throw invalid("tdx_signing_chain has " + chain.size() + " certificates; expected the TCB signing "
          + "certificate and the root");
    }
    X509Certificate signer = null;
    X509Certificate root = null;
    for (ByteString der : chain) {
      if (der.size() > TdxCertificates.CERTIFICATE_BYTES_MAX) {
        throw invalid("tdx_signing_chain certificate is " + der.size() + " bytes; at most "
            + TdxCertificates.CERTIFICATE_BYTES_MAX + " are accepted");
      }
      byte[] bytes = der.toByteArray();
      X509Certificate cert = TdxCertificates.parse(bytes, "TCB signing chain", RejectReason.COLLATERAL_INVALID);
      if (anchor.pins(Hashes.sha256(bytes))) {
        root = cert; // the pinned root itself: trusted byte for byte
        continue;
      }
      if (signer != null) {
        throw invalid("tdx_signing_chain holds two certificates other than the pinned root " + anchor);
      }
      signer = cert;
    }
    if (signer == null) {
      throw invalid("tdx_signing_chain holds only the root; the TCB signing certificate is missing");
    }
    if (root == null) {
      throw invalid("tdx_signing_chain lacks the root: it must end in the pinned root " + anchor
          + " (Intel's PCS sends it in the TCB-Info-Issuer-Chain header)");
    }
    if (!TCB_SIGNING_NAME.equals(TdxCertificates.commonName(signer))) {
      throw invalid("collateral signing certificate is named '" + TdxCertificates.printableName(signer)
          + "', expected '" + TCB_SIGNING_NAME + "'");
    }
    TdxCertificates.requireNotCa(signer, "TCB signing", RejectReason.COLLATERAL_INVALID);
    TdxCertificates.requireSignedBy(signer, root, "TCB signing", "the root " + anchor,
        RejectReason.COLLATERAL_INVALID);
    if (!TdxCertificates.isP256(signer.getPublicKey())) {
      throw invalid("TCB signing key must be EC P-256, got " + signer.getPublicKey().getAlgorithm());
    }
    TdxCertificates.requireValidAt(signer, "TCB signing", at);
    crls.requireNotRevoked(signer, "TCB signing");
    return signer;
  }

  /** The exact bytes of the inner object, after its signature verified under {@code signer}. */
  private static byte[] signedBody(ByteString collateral, String key, String what, X509Certificate signer)
      throws Rejection {
    if (collateral.size() > TdxCollateral.COLLATERAL_BYTES_MAX) {
      // Checked before copying: the field may be arbitrarily large.
      throw invalid(what + " is " + collateral.size() + " bytes; at most " + TdxCollateral.COLLATERAL_BYTES_MAX
          + " are accepted");
    }
    TdxCollateral.Signed signed = TdxCollateral.extractSigned(collateral.toByteArray(), key, what);
    byte[] body = signed.body();
    if (!TdxCertificates.verifyP1363(signer.getPublicKey(), signed.signature(), body, 0, body.length)) {
      throw invalid(what + " signature does not verify under '" + TdxCertificates.printableName(signer)
          + "' (collateral altered, or signed by another key)");
    }
    return body;
  }

  private static void requireCurrent(String what, Instant issueDate, Instant nextUpdate, Instant at)
      throws Rejection {
    if (at.isBefore(issueDate)) {
      throw invalid(what + " was issued at " + issueDate + ", after the instant of verification " + at);
    }
    if (at.isAfter(nextUpdate)) {
      throw invalid(what + " is stale: its next update was due at " + nextUpdate + " (checked at " + at
          + "); fetch current collateral from Intel PCS");
    }
  }

  private static Rejection invalid(String message) {
    return new Rejection(RejectReason.COLLATERAL_INVALID, message);
  }
}
