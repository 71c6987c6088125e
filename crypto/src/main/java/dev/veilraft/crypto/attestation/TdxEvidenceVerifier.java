package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The platform layer for Intel TDX DCAP quotes (v4 and v5, TDX 1.0 and 1.5 bodies): is this a
 * genuine quote from a TD on Intel hardware whose quoting enclave is endorsed by a PCK certificate
 * under Intel's pinned SGX Root CA? Checks, in order, each failure with its own reason:
 * <ol>
 *   <li>format: version 4 or 5, ECDSA P-256 attestation key, TEE type TDX, Intel QE vendor id,
 *       every length ({@link TdxQuote#parse});</li>
 *   <li>quote signature by the attestation key over header and body ({@code SIGNATURE_INVALID});</li>
 *   <li>PCK chain (from the quote's certification data, else {@code evidence.cert_chain}) to the
 *       pinned root ({@code CHAIN_UNTRUSTED}), valid at the instant ({@code CERT_EXPIRED});</li>
 *   <li>QE report signature by the PCK leaf ({@code SIGNATURE_INVALID});</li>
 *   <li>QE report data = SHA-256(attestation key || QE auth data) || zeros: the QE vouches for this
 *       attestation key ({@code SIGNATURE_INVALID});</li>
 *   <li>supplied CRLs of the chain's CAs ({@code COLLATERAL_INVALID}, {@code CERT_REVOKED});</li>
 *   <li>supplied TCB info and QE identity, signed under the pinned root and current
 *       ({@code COLLATERAL_INVALID}), evaluated by {@link TdxTcbEvaluator}.</li>
 * </ol>
 * It says nothing about whether the quote is acceptable (measurement, debug, TCB floor, binding):
 * that is {@link PolicyChecks}. The same checks run for real TDX evidence (Intel's pinned root)
 * and for INSECURE SIMULATED_TDX evidence ({@link SimulatedTdxAttester}, under the cluster's
 * simulated root), so the simulation exercises the real code path; a verifier checks one platform
 * under one root, so neither kind can pass for the other. Deterministic (no clock, no
 * randomness); thread-safe.
 */
public final class TdxEvidenceVerifier extends PlatformLayer {
  static final String SIGNER = "PCK";

  /** MRSIGNER of Intel's TD quoting enclave, as Intel's PCS publishes it in the TD_QE identity. */
  static final byte[] INTEL_TD_QE_MR_SIGNER =
      Hashes.unhex("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
  static final int INTEL_TD_QE_ISV_PROD_ID = 2;
  /** SGX ATTRIBUTES.FLAGS bit 1: the enclave was launched in debug mode. */
  private static final int SGX_ATTRIBUTE_DEBUG = 0x02;

  private final PinnedRoot anchor;
  private final TdxPckChainVerifier chains;
  private final TdxCollateralVerifier collateral;

  TdxEvidenceVerifier(PinnedRoot anchor) {
    this(Platform.TDX, anchor);
  }

  private TdxEvidenceVerifier(Platform platform, PinnedRoot anchor) {
    super(platform);
    Check.argument(platform == Platform.TDX || platform == Platform.SIMULATED_TDX,
        "TDX-format evidence is TDX or SIMULATED_TDX, not " + platform);
    this.anchor = Objects.requireNonNull(anchor);
    this.chains = new TdxPckChainVerifier(anchor);
    this.collateral = new TdxCollateralVerifier(anchor);
  }

  /** TDX evidence trusting Intel's pinned SGX Root CA. */
  public static TdxEvidenceVerifier forIntel() {
    return new TdxEvidenceVerifier(PinnedRoot.intelSgxRoot());
  }

  /**
   * INSECURE simulated TDX evidence, trusting only the simulated root whose DER has this SHA-256
   * (a {@link SimulatedTdxVendor}'s {@code rootSha256()}); Intel's root is refused.
   */
  public static TdxEvidenceVerifier forSimulated(byte[] simulatedRootSha256) {
    return new TdxEvidenceVerifier(Platform.SIMULATED_TDX, PinnedRoot.simulatedTdxRoot(simulatedRootSha256));
  }

  public PinnedRoot anchor() {
    return anchor;
  }

  @Override
  Claims checkPlatform(Evidence evidence, Instant at) throws Rejection {
    TdxQuote quote = parse(evidence.getReport());
    if (!quote.verifySignature()) {
      throw new Rejection(RejectReason.SIGNATURE_INVALID, "quote signature does not verify under the quote's "
          + "attestation key " + Hashes.shortHex(quote.attestationKey(), 8) + " (header or body altered, or "
          + "signed by another key)");
    }
    TdxPckChainVerifier.VerifiedChain chain = chains.verify(pckChain(quote, evidence.getCertChainList()));
    TdxPckChainVerifier.checkValidity(chain, at);
    if (!quote.verifyQeReportSignature(chain.leaf().getPublicKey())) {
      throw new Rejection(RejectReason.SIGNATURE_INVALID, "QE report signature does not verify under the PCK "
          + "certificate (serial " + chain.leaf().getSerialNumber().toString(16) + "): QE report altered, or "
          + "signed by another platform");
    }
    if (!quote.qeReportBindsAttestationKey()) {
      throw new Rejection(RejectReason.SIGNATURE_INVALID, "QE report data "
          + Hashes.shortHex(quote.qeReport().reportData(), 8) + " is not SHA-256(attestation key || QE auth "
          + "data) || zeros (expected " + Hashes.shortHex(Hashes.sha256(quote.attestationKey(), quote.qeAuthData()), 8)
          + "): the quoting enclave did not vouch for this attestation key");
    }
    requireIntelTdQuotingEnclave(quote.qeReport());
    TdxCrls crls = TdxCrls.verify(evidence.getCollateral().getCrlsList(), List.of(chain.ca(), chain.root()), at);
    crls.requireNotRevoked(chain.leaf(), "PCK leaf");
    crls.requireNotRevoked(chain.ca(), "PCK CA");
    TdxCollateralVerifier.Verified verified = collateral.verify(evidence.getCollateral(), crls, at);
    TdxTcbEvaluator.Verdict tcb = TdxTcbEvaluator.evaluate(quote, chain.extensions(), verified.tcbInfo(),
        verified.qeIdentity());
    return claims(quote, chain, tcb);
  }

  /**
   * The PCK signs the report of any enclave the platform's provisioning enclave serves, and the
   * host controls which enclaves run. Only Intel's TD quoting enclave, not in debug mode, may vouch
   * for an attestation key: otherwise a host enclave could sign quotes with any measurement. This
   * holds with or without QE identity collateral, which only adds the QE's TCB level.
   */
  private static void requireIntelTdQuotingEnclave(TdxQeReport qe) throws Rejection {
    if (!MessageDigest.isEqual(qe.mrSigner(), INTEL_TD_QE_MR_SIGNER) || qe.isvProdId() != INTEL_TD_QE_ISV_PROD_ID) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "the quote was signed by an enclave with MRSIGNER "
          + Hashes.shortHex(qe.mrSigner(), 8) + " and ISVPRODID " + qe.isvProdId() + ", not Intel's TD quoting "
          + "enclave (MRSIGNER " + Hashes.shortHex(INTEL_TD_QE_MR_SIGNER, 8) + ", ISVPRODID "
          + INTEL_TD_QE_ISV_PROD_ID + ")");
    }
    if ((qe.attributes()[0] & SGX_ATTRIBUTE_DEBUG) != 0) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "the TD quoting enclave runs in debug mode (SGX "
          + "ATTRIBUTES.DEBUG), so the host can read its attestation key");
    }
  }

  private static TdxQuote parse(ByteString report) throws Rejection {
    if (report.size() > TdxQuote.QUOTE_BYTES_MAX) {
      // Checked before copying: the report field may be arbitrarily large.
      throw new Rejection(RejectReason.MALFORMED, "TDX quote is " + report.size() + " bytes; at most "
          + TdxQuote.QUOTE_BYTES_MAX + " are accepted");
    }
    try {
      return TdxQuote.parse(report.toByteArray());
    } catch (MalformedReportException e) {
      throw new Rejection(e.reason(), e.getMessage());
    }
  }

  /** The quote's own PCK chain (certification data type 5); otherwise the one supplied beside it. */
  private static List<byte[]> pckChain(TdxQuote quote, List<ByteString> supplied) throws Rejection {
    Optional<List<byte[]>> inQuote = quote.pckChainDer();
    if (inQuote.isPresent()) {
      return inQuote.get();
    }
    if (supplied.isEmpty()) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "quote carries certification data type "
          + quote.pckCertificationDataType() + " instead of a PCK chain (type 5), and evidence.cert_chain is "
          + "empty: nothing endorses the quoting enclave");
    }
    if (supplied.size() > TdxPckChainVerifier.CHAIN_CERTIFICATES_MAX) {
      throw new Rejection(RejectReason.MALFORMED, "evidence.cert_chain has " + supplied.size()
          + " certificates; a PCK chain has at most " + TdxPckChainVerifier.CHAIN_CERTIFICATES_MAX);
    }
    List<byte[]> ders = new ArrayList<>(supplied.size());
    for (ByteString der : supplied) {
      if (der.size() > TdxCertificates.CERTIFICATE_BYTES_MAX) {
        throw new Rejection(RejectReason.MALFORMED, "evidence.cert_chain certificate is " + der.size()
            + " bytes; at most " + TdxCertificates.CERTIFICATE_BYTES_MAX + " are accepted");
      }
      ders.add(der.toByteArray());
    }
    return ders;
  }

  private Claims claims(TdxQuote quote, TdxPckChainVerifier.VerifiedChain chain, TdxTcbEvaluator.Verdict tcb) {
    TdxClaims details = new TdxClaims(quote.teeTcbSvn(), quote.mrSeam(), quote.mrSignerSeam(),
        quote.seamAttributes(), quote.tdAttributes(), quote.xfam(), quote.mrtd(), quote.mrConfigId(),
        quote.mrOwner(), quote.mrOwnerConfig(), quote.rtmrs(), quote.teeTcbSvn2(), quote.mrServiceTd(),
        chain.extensions().fmspc(), Certificates.spkiSha256(chain.leaf()), tcb.status().map(TdxTcbStatus::jsonName),
        tcb.advisoryIds());
    return new Claims(platform(), quote.version(), SIGNER, quote.measurement(), quote.reportData(),
        quote.mrConfigId(), quote.debug(), details);
  }
}
