package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.TcbVersion;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The platform layer for SEV-SNP-format evidence: is this a genuine report, signed by a key that
 * chains to a trusted root, and consistent with its endorsements? It says nothing about whether
 * the report is acceptable (measurement, debug, TCB floor, binding): that is {@link PolicyChecks}.
 * The same checks run for real SEV_SNP evidence (AMD roots) and for SIMULATED_SNP evidence (the
 * cluster's simulated root), so the simulated TEE exercises the real code path. Thread-safe.
 */
public final class SnpEvidenceVerifier extends PlatformLayer {
  /** Highest VMPL the SNP architecture defines. */
  static final long VMPL_MAX = 3;

  private final SnpChainVerifier chains;

  public SnpEvidenceVerifier(Platform platform, List<SnpTrustAnchor> anchors) {
    super(platform);
    if (platform != Platform.SEV_SNP && platform != Platform.SIMULATED_SNP) {
      throw new IllegalArgumentException("SNP-format evidence is SEV_SNP or SIMULATED_SNP, not " + platform);
    }
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("an SNP verifier needs at least one trust anchor");
    }
    this.chains = new SnpChainVerifier(anchors);
  }

  /** Real SEV-SNP evidence, trusting AMD's ARKs for Milan, Genoa and Turin. */
  public static SnpEvidenceVerifier forAmd() {
    return new SnpEvidenceVerifier(Platform.SEV_SNP, SnpTrustAnchor.amdRoots());
  }

  /** INSECURE simulated evidence, trusting only the simulated ARK whose DER has this SHA-256. */
  public static SnpEvidenceVerifier forSimulated(byte[] simulatedArkSha256) {
    return new SnpEvidenceVerifier(Platform.SIMULATED_SNP, List.of(SnpTrustAnchor.simulated(simulatedArkSha256)));
  }

  @Override
  Claims checkPlatform(Evidence evidence, Instant at) throws Rejection {
    SnpReport report = parse(evidence);
    checkReportFields(report);
    SnpChainVerifier.VerifiedChain chain = chains.verify(evidence.getCertChainList());
    SnpProduct product = product(report, chain);
    SnpChainVerifier.checkValidity(chain, at);
    SnpRevocation.check(evidence.getCollateral().getCrlsList(), chain, at);
    if (!report.verifySignature(chain.leaf().getPublicKey())) {
      throw new Rejection(RejectReason.SIGNATURE_INVALID, "report signature does not verify under the "
          + signingKeyName(report) + " '" + SnpChainVerifier.commonName(chain.leaf())
          + "' (report altered, or signed by another key)");
    }
    checkChipId(report, chain, product);
    TcbVersion reportedTcb = checkTcb(report, chain, product);
    TcbVersion currentTcb = product.decodeTcb(report.currentTcb());
    TcbVersion committedTcb = product.decodeTcb(report.committedTcb());
    requireAtMost("committed", committedTcb, "current", currentTcb);
    requireAtMost("reported", reportedTcb, "current", currentTcb);
    int[] firmware = report.currentVersion();
    SnpClaims details = new SnpClaims(product, report.chipId(), reportedTcb, currentTcb, committedTcb,
        product.decodeTcb(report.launchTcb()), report.policy(), (int) report.vmpl(), report.platformInfo(),
        (int) report.guestSvn(), report.idKeyDigest(), firmware[0] + "." + firmware[1] + "." + firmware[2]);
    return new Claims(platform(), report.version(), signingKeyName(report), report.measurement(),
        report.reportData(), report.hostData(), report.debugAllowed(), details);
  }

  /**
   * The firmware never runs below its committed TCB, and the hypervisor may only report a TCB the
   * firmware has reached (it may report an older one to keep using an older VCEK).
   */
  private static void requireAtMost(String lowName, TcbVersion low, String highName, TcbVersion high)
      throws Rejection {
    if (Integer.compareUnsigned(low.getBootloader(), high.getBootloader()) > 0
        || Integer.compareUnsigned(low.getTee(), high.getTee()) > 0
        || Integer.compareUnsigned(low.getSnp(), high.getSnp()) > 0
        || Integer.compareUnsigned(low.getMicrocode(), high.getMicrocode()) > 0
        || Integer.compareUnsigned(low.getFmc(), high.getFmc()) > 0) {
      throw new Rejection(RejectReason.TCB_MISMATCH_VCEK, "report's " + lowName + " TCB "
          + SnpProduct.describeTcb(low) + " is above its " + highName + " TCB " + SnpProduct.describeTcb(high)
          + " in some component (firmware cannot report a TCB it has not reached)");
    }
  }

  private static SnpReport parse(Evidence evidence) throws Rejection {
    if (evidence.getReport().size() != SnpReport.BYTES) {
      // Checked before copying: the report field may be arbitrarily large.
      throw new Rejection(RejectReason.MALFORMED, "SEV-SNP report must be " + SnpReport.BYTES
          + " bytes (0x4A0), got " + evidence.getReport().size() + " bytes");
    }
    try {
      return SnpReport.parse(evidence.getReport().toByteArray());
    } catch (MalformedReportException e) {
      throw new Rejection(e.reason(), e.getMessage());
    }
  }

  private static void checkReportFields(SnpReport report) throws Rejection {
    if (report.signatureAlgo() != SnpReport.SIGNATURE_ALGO_ECDSA_P384_SHA384) {
      throw new Rejection(RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM, "report signature algorithm "
          + report.signatureAlgo() + " is not supported (only 1, ECDSA P-384 with SHA-384, is)");
    }
    int signingKey = report.signingKey();
    if (signingKey == SnpReport.SIGNING_KEY_NONE) {
      throw new Rejection(RejectReason.SIGNATURE_INVALID, "report is unsigned (signing key field 7, 'none')");
    }
    if (signingKey != SnpReport.SIGNING_KEY_VCEK && signingKey != SnpReport.SIGNING_KEY_VLEK) {
      throw new Rejection(RejectReason.MALFORMED, "report signing key field " + signingKey
          + " is reserved (0 = VCEK, 1 = VLEK)");
    }
    if (!report.signatureAreaTailIsZero()) {
      throw new Rejection(RejectReason.MALFORMED, "report bytes 0x330..0x49F after the signature must "
          + "be zero (they are not signed, so they must not carry anything)");
    }
    if (report.vmpl() > VMPL_MAX) {
      throw new Rejection(RejectReason.MALFORMED, "report VMPL " + report.vmpl() + " is outside 0.."
          + VMPL_MAX);
    }
  }

  /**
   * The product decides the TCB layout. Version 3+ reports name it by CPUID; it must agree with
   * the chain (a Genoa report cannot be endorsed by the Milan chain). Version 2 reports rely on the
   * chain; a simulated chain without a product name is Milan, the only simulated product.
   */
  private static SnpProduct product(SnpReport report, SnpChainVerifier.VerifiedChain chain) throws Rejection {
    Optional<SnpProduct> fromCpuid = report.productFromCpuid();
    if (fromCpuid.isPresent() && chain.product().isPresent() && fromCpuid.get() != chain.product().get()) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "report CPUID (family 0x"
          + Integer.toHexString(report.cpuidFamily()) + " model 0x" + Integer.toHexString(report.cpuidModel())
          + ") names " + fromCpuid.get().displayName() + " but the chain is for "
          + chain.product().get().displayName() + " (" + chain.anchor().name() + ")");
    }
    return fromCpuid.or(chain::product).orElse(SnpProduct.MILAN);
  }

  /**
   * A VCEK is unique to one chip: its hwID must be the report's chip id. VLEKs are shared by a
   * cloud provider's fleet and carry no hwID; with MASK_CHIP_KEY the firmware zeroes chip_id.
   */
  private static void checkChipId(SnpReport report, SnpChainVerifier.VerifiedChain chain, SnpProduct product)
      throws Rejection {
    if (report.signingKey() != SnpReport.SIGNING_KEY_VCEK || report.maskChipKey()) {
      return;
    }
    byte[] hwId = VcekExtensions.hwId(chain.leaf(), product.hwIdBytes())
        .orElseThrow(() -> new Rejection(RejectReason.CHIP_ID_MISMATCH,
            "report says it is signed by a VCEK, but the leaf certificate has no hwID extension"));
    byte[] chipId = Arrays.copyOf(report.chipId(), product.hwIdBytes());
    if (!MessageDigest.isEqual(hwId, chipId)) {
      throw new Rejection(RejectReason.CHIP_ID_MISMATCH, "report chip_id " + Hashes.shortHex(chipId, 8)
          + " differs from the VCEK's hwID " + Hashes.shortHex(hwId, 8) + " (" + product.displayName()
          + ": " + product.hwIdBytes() + " bytes compared)");
    }
  }

  /** The VCEK/VLEK is issued for one TCB; the report's reported_tcb must be that TCB. */
  private static TcbVersion checkTcb(SnpReport report, SnpChainVerifier.VerifiedChain chain, SnpProduct product)
      throws Rejection {
    TcbVersion reported = product.decodeTcb(report.reportedTcb());
    TcbVersion endorsed = VcekExtensions.tcb(chain.leaf(), product);
    if (!reported.equals(endorsed)) {
      throw new Rejection(RejectReason.TCB_MISMATCH_VCEK, "report's reported TCB " + SnpProduct.describeTcb(reported)
          + " differs from the TCB " + SnpProduct.describeTcb(endorsed) + " in the " + signingKeyName(report)
          + " (" + product.displayName() + " layout)");
    }
    return reported;
  }

  private static String signingKeyName(SnpReport report) {
    return report.signingKey() == SnpReport.SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
  }
}
